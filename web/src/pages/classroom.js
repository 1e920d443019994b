// The classroom page, served by the school's edge at "/" on the school LAN (no token, no internet):
// the lessons this edge holds by pack, subject and grade as big tiles (poster, title, teacher,
// duration), the edge's Chinese search, the lessons still downloading with progress and time left,
// and the player: hls.js on the lesson's master playlist (only the renditions this edge holds),
// starting at the best one that plays smoothly, a quality choice for the teacher, and resume where
// the class stopped last time. Play events (start, every 30 s, end) go to the edge through a
// queue that survives the edge restarting. A lesson opens from a link or QR code: /#lesson=ID.
import { api } from '../shared/api.js';
import { clearBanner, showError } from '../shared/banner.js';
import { $, fill, h } from '../shared/dom.js';
import { formatDuration, formatEta, formatPercent, formatRate, formatSize } from '../shared/format.js';
import { PlayQueue } from '../shared/play_queue.js';
import { attachPlayer } from '../shared/player.js';

const kResumeKey = 'lessonmesh.classroom.resume';    // { lesson id: seconds }
const kQualityKey = 'lessonmesh.classroom.quality';  // rendition name, or "" for automatic
const kHeartbeatMs = 30000;
const kDownloadsRefreshMs = 5000;
const kLessonsRefreshMs = 60000;
const kStateText = { queued: '排队等待', downloading: '正在下载', verifying: '正在校验', waiting: '等待空间', ready: '可以播放' };
const kRenditionText = { audio: '仅声音' };

const plays = new PlayQueue();
let lessons = [];   // GET /v1/lessons (no query): what this edge can play
let packs = [];
let query = '';
let filter = { subject: '', grade: '' };
let current = null; // the open lesson: { lesson, player, session }

function randomId() {
  const bytes = new Uint8Array(12);
  crypto.getRandomValues(bytes);  // crypto.randomUUID needs a secure context; the LAN page is plain http
  return Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('');
}

function readJson(key, fallback) {
  try {
    return JSON.parse(localStorage.getItem(key)) ?? fallback;
  } catch {
    return fallback;
  }
}

// ---- lessons as tiles ----

function tile(lesson) {
  const poster = lesson.poster
    ? h('img', { src: lesson.poster, alt: '', loading: 'lazy', class: 'poster' })
    : h('div', { class: 'poster none' }, lesson.kind === 'document' ? '课件' : '');
  return h('button', { type: 'button', class: 'tile', dataset: { lesson: lesson.id }, onclick: () => openLesson(lesson.id) },
    poster,
    h('span', { class: 'tile-title' }, lesson.title),
    h('span', { class: 'tile-meta' }, [lesson.teacher, lesson.duration_s ? formatDuration(lesson.duration_s) : ''].filter(Boolean).join(' · ')));
}

// Lessons grouped by subject and grade, in order.
function bySubjectAndGrade(list) {
  const groups = new Map();
  for (const l of list) {
    const key = [l.subject, l.grade].filter(Boolean).join(' · ') || '其他';
    if (!groups.has(key)) groups.set(key, []);
    groups.get(key).push(l);
  }
  return [...groups.entries()].map(([name, items]) => h('div', { class: 'group' },
    h('h3', {}, name), h('div', { class: 'tiles' }, items.map(tile))));
}

function matchesFilter(l) {
  return (!filter.subject || l.subject === filter.subject) && (!filter.grade || l.grade === filter.grade);
}

function renderFilters() {
  const select = (id, label, values, value) => h('label', { for: id }, label,
    h('select', {
      id,
      onchange: (e) => {
        filter[id] = e.target.value;
        renderLessons(lastShown);
      },
    }, h('option', { value: '' }, '全部'), values.map((v) => h('option', { value: v, selected: v === value }, v))));
  const distinct = (k) => [...new Set(lessons.map((l) => l[k]).filter(Boolean))].sort((a, b) => a.localeCompare(b, 'zh-CN'));
  fill($('#filters'),
    select('subject', '学科', distinct('subject'), filter.subject),
    select('grade', '年级', distinct('grade'), filter.grade));
}

let lastShown = [];

function renderLessons(list) {
  lastShown = list;
  const shown = list.filter(matchesFilter);
  const out = [];
  if (query) {
    out.push(h('div', { class: 'row search-head' },
      h('h2', { id: 'results-title' }, `搜索“${query}”：${shown.length} 节课`),
      h('button', { type: 'button', onclick: () => search('') }, '显示全部课程')));
    if (!shown.length) out.push(h('p', { class: 'muted' }, '没有找到相关的课程，换个词试试。'));
    else out.push(...bySubjectAndGrade(shown));
  } else if (!shown.length) {
    out.push(h('p', { class: 'muted empty' }, lessons.length ? '没有符合所选学科和年级的课程。'
      : '本校服务器上还没有可以播放的课程。资源包下载完成后，课程会出现在这里。'));
  } else {
    const seen = new Set();
    for (const p of packs) {
      const inPack = shown.filter((l) => (l.packs || []).includes(p.pack_id));
      if (!inPack.length) continue;
      inPack.forEach((l) => seen.add(l.id));
      out.push(h('section', { class: 'pack', 'aria-label': p.title },
        h('div', { class: 'row pack-head' },
          h('h2', {}, p.title),
          h('a', { href: `/print?pack=${p.pack_id}`, class: 'muted' }, '打印本包二维码')),
        ...bySubjectAndGrade(inPack)));
    }
    const rest = shown.filter((l) => !seen.has(l.id));
    if (rest.length) out.push(h('section', { class: 'pack' }, h('h2', {}, '其他课程'), ...bySubjectAndGrade(rest)));
  }
  fill($('#lessons'), out);
}

async function loadLessons() {
  const body = await api('/v1/lessons');
  const changed = JSON.stringify(body.lessons) !== JSON.stringify(lessons) || JSON.stringify(body.packs) !== JSON.stringify(packs);
  lessons = body.lessons;
  packs = body.packs;
  if (changed && !query) {
    renderFilters();
    renderLessons(lessons);
  }
}

async function search(text) {
  query = text.trim();
  $('#search').value = query;
  if (!query) {
    renderLessons(lessons);
    return;
  }
  try {
    const body = await api(`/v1/lessons?q=${encodeURIComponent(query)}`);
    renderLessons(body.lessons);
    clearBanner();
  } catch (e) {
    showError(e);
  }
}

// ---- downloads ----

function downloadItem(d) {
  const fraction = d.bytes_total > 0 ? d.bytes_done / d.bytes_total : 0;
  const details = [kStateText[d.state] || d.state];
  if (d.bytes_total > 0) details.push(`${formatSize(d.bytes_done)} / ${formatSize(d.bytes_total)}（${formatPercent(fraction)}）`);
  if (d.rate_bytes_per_second > 0) details.push(formatRate(d.rate_bytes_per_second));
  if (d.eta_seconds !== null && d.eta_seconds !== undefined) details.push(formatEta(d.eta_seconds));
  return h('li', { class: 'download' },
    h('strong', {}, d.title || d.id),
    h('progress', { max: 1, value: fraction, 'aria-label': `${d.title} 下载进度` }),
    h('span', { class: 'muted' }, details.join(' · ')),
    d.why ? h('span', { class: 'field-error' }, `原因：${d.why}`) : null);
}

let downloadsFailed = false;
async function loadDownloads() {
  try {
    const { downloads } = await api('/v1/downloads');
    const el = $('#downloads');
    el.hidden = downloads.length === 0;
    fill(el, h('h2', { id: 'downloads-title' }, `正在下载（${downloads.length} 节，下载完成后即可播放）`),
      h('ul', { class: 'downloads' }, downloads.map(downloadItem)));
    if (downloadsFailed) clearBanner();
    downloadsFailed = false;
  } catch (e) {
    if (!downloadsFailed) showError(e);
    downloadsFailed = true;
  }
}

// ---- the player ----

function resumeAt(lesson) {
  const at = Number(readJson(kResumeKey, {})[lesson.id]) || 0;
  if (at < 2) return 0;
  if (lesson.duration_s && at > lesson.duration_s - 3) return 0;  // it had ended: from the start
  return at;
}

function rememberPosition(id, seconds) {
  const all = readJson(kResumeKey, {});
  if (seconds === null) delete all[id];
  else all[id] = Math.floor(seconds);
  localStorage.setItem(kResumeKey, JSON.stringify(all));
}

// One viewing of a lesson: a start event, one every 30 s with the seconds watched since the last,
// and an end event when the lesson ends or is closed.
class PlaySession {
  constructor(lesson, player) {
    this.lesson = lesson;
    this.player = player;
    this.id = randomId();
    this.seq = 0;
    this.started = false;
    this.ended = false;
    this.unsent = 0;
    this.timer = null;
  }

  post(kind) {
    plays.add({
      event_id: `${this.id}-${this.seq++}`,
      lesson_id: this.lesson.id,
      rendition: this.player.rendition(),
      seconds: Math.round(this.unsent * 10) / 10,
      started_at: Math.floor(Date.now() / 1000),
      kind,
    });
    this.unsent = 0;
  }

  onPlaying() {
    if (this.started) return;
    this.started = true;
    this.post('start');
    this.timer = setInterval(() => {
      if (this.unsent > 0) this.post('progress');
    }, kHeartbeatMs);
  }

  watched(seconds) {
    this.unsent += seconds;
  }

  end() {
    if (!this.started || this.ended) return;
    this.ended = true;
    clearInterval(this.timer);
    this.post('end');
  }
}

function qualityChoice(player, levels) {
  const wanted = localStorage.getItem(kQualityKey) || '';
  const chosen = levels.find((l) => l.name === wanted);
  if (chosen) player.setLevel(chosen.index);
  const select = h('select', {
    id: 'quality',
    onchange: (e) => {
      const v = e.target.value;
      localStorage.setItem(kQualityKey, v === '-1' ? '' : levels[Number(v)].name);
      player.setLevel(Number(v));
    },
  }, h('option', { value: '-1', selected: !chosen }, '自动（流畅优先）'),
  [...levels].sort((a, b) => (b.height || 0) - (a.height || 0)).map((l) => h('option', { value: String(l.index), selected: chosen && chosen.index === l.index },
    kRenditionText[l.name] || l.name)));
  fill($('#quality-slot'), h('label', { for: 'quality' }, '清晰度'), select);
}

function closePlayer({ keepHash = false } = {}) {
  if (!current) return;
  const { session, player, video } = current;
  if (video.currentTime > 0 && !video.ended) rememberPosition(current.lesson.id, video.currentTime);
  session.end();
  player.destroy();
  current = null;
  const section = $('#player-section');
  section.hidden = true;
  section.replaceChildren();
  if (!keepHash && location.hash) history.replaceState(null, '', location.pathname + location.search);
}

async function documentFiles(lesson) {
  const manifest = await api(`/lessons/${lesson.id}/lesson.json`);
  const files = (manifest.files || []).map((f) => f.path).filter((p) => p !== 'lesson.json' && !/\.(torrent|jpg)$/.test(p));
  return h('ul', {}, files.map((p) => h('li', {}, h('a', { href: `/lessons/${lesson.id}/${p}`, target: '_blank' }, p))));
}

// "05:10": a chapter's start as the list shows it.
function clock(seconds) {
  const s = Math.floor(seconds);
  const mmss = `${String(Math.floor((s % 3600) / 60)).padStart(2, '0')}:${String(s % 60).padStart(2, '0')}`;
  return s >= 3600 ? `${Math.floor(s / 3600)}:${mmss}` : mmss;
}

// The lesson's chapters (lesson.json) as a list beside the player: a click seeks to the chapter,
// the chapter playing is marked. Nothing when the lesson has none.
async function showChapters(lesson, video) {
  let manifest;
  try {
    manifest = await api(`/lessons/${lesson.id}/lesson.json`);
  } catch {
    return;  // the player works without them
  }
  const chapters = Array.isArray(manifest.chapters) ? manifest.chapters : [];
  if (!chapters.length || !current || current.video !== video) return;
  const buttons = chapters.map((c) => h('button', {
    type: 'button', class: 'link chapter', dataset: { start: String(c.start_s) },
    onclick: () => { video.currentTime = c.start_s; video.play().catch(() => {}); },
  }, h('span', { class: 'muted' }, clock(c.start_s)), ' ', c.title));
  const list = h('nav', { id: 'chapters', 'aria-label': '章节' },
    h('h3', {}, '章节'), h('ol', {}, buttons.map((b) => h('li', {}, b))));
  video.after(list);
  const mark = () => {
    const t = video.currentTime;
    chapters.forEach((c, i) => {
      if (t >= c.start_s && t < c.end_s) buttons[i].setAttribute('aria-current', 'true');
      else buttons[i].removeAttribute('aria-current');
    });
  };
  video.addEventListener('timeupdate', mark);
  mark();
}

async function openLesson(id) {
  let lesson = lessons.find((l) => l.id === id);
  if (!lesson) {
    try {
      lesson = await api(`/v1/lessons/${id}`);
    } catch (e) {
      showError(e.status === 404 ? new Error('本校服务器上没有这节课') : e);
      return;
    }
  }
  if (!lesson.playable) {
    showError(new Error(`《${lesson.title}》还在下载中，下载完成后才能播放`));
    return;
  }
  closePlayer({ keepHash: true });
  if (location.hash !== `#lesson=${id}`) history.replaceState(null, '', `#lesson=${id}`);
  const section = $('#player-section');
  section.hidden = false;
  const head = h('div', { class: 'row player-head' },
    h('h2', { id: 'player-title', class: 'grow' }, lesson.title),
    h('span', { class: 'muted' }, [lesson.teacher, lesson.subject, lesson.grade, lesson.duration_s ? formatDuration(lesson.duration_s) : '']
      .filter(Boolean).join(' · ')),
    h('button', { type: 'button', id: 'close-player', onclick: () => closePlayer() }, '返回课程列表'));
  if (lesson.kind === 'document') {
    fill(section, head, h('p', {}, '这是课件，点击打开：'), await documentFiles(lesson));
    section.scrollIntoView({ block: 'start' });
    return;
  }
  const video = h('video', { id: 'video', controls: true, playsinline: true, preload: 'auto', poster: lesson.poster || null });
  const from = resumeAt(lesson);
  const note = from > 0
    ? h('p', { class: 'row resume' }, `从上次停下的 ${formatDuration(from)} 处继续。`,
      h('button', { type: 'button', class: 'link', onclick: () => { video.currentTime = 0; note.remove(); } }, '从头播放'))
    : null;
  fill(section, head, video, h('div', { class: 'row' }, h('span', { id: 'quality-slot', class: 'row' }), note));
  const player = attachPlayer(video, lesson.master, {
    startPosition: from > 0 ? from : -1,
    onError: (e) => showError(e),
    // The school LAN is fast: start high, and let hls.js step down if the box or the wifi cannot keep up.
    hlsConfig: { abrEwmaDefaultEstimate: 5000000 },
    onLevels: (levels) => qualityChoice(player, levels),
  });
  const session = new PlaySession(lesson, player);
  current = { lesson, player, session, video };
  let last = video.currentTime;
  let savedAt = 0;
  video.addEventListener('playing', () => session.onPlaying());
  video.addEventListener('seeking', () => { last = video.currentTime; });
  video.addEventListener('timeupdate', () => {
    const delta = video.currentTime - last;
    last = video.currentTime;
    if (delta > 0 && delta < 2 && !video.paused) session.watched(delta);
    if (Math.abs(video.currentTime - savedAt) >= 5) {
      savedAt = video.currentTime;
      rememberPosition(lesson.id, video.currentTime);
    }
  });
  video.addEventListener('pause', () => {
    if (!video.ended) rememberPosition(lesson.id, video.currentTime);
  });
  video.addEventListener('ended', () => {
    rememberPosition(lesson.id, null);
    session.end();
  });
  showChapters(lesson, video);
  section.scrollIntoView({ block: 'start' });
  video.focus();
  video.play().catch(() => {});  // a browser may want a click first; the controls are there
}

function openFromHash() {
  const m = location.hash.match(/(?:^#|&)lesson=([0-9a-f]{32})/);
  if (m) openLesson(m[1]);
  else closePlayer({ keepHash: true });
}

// ---- start ----

$('#search-form').addEventListener('submit', (e) => {
  e.preventDefault();
  search($('#search').value);
});
document.addEventListener('keydown', (e) => {
  if (e.key === 'Escape' && current) closePlayer();
  else if (e.key === '/' && document.activeElement.tagName !== 'INPUT') {
    e.preventDefault();
    $('#search').focus();
  }
});
window.addEventListener('hashchange', openFromHash);
window.addEventListener('pagehide', () => {
  if (current) current.session.end();
  plays.beacon();
});

window.lessonmesh = { plays };
(async () => {
  try {
    await loadLessons();
  } catch (e) {
    fill($('#lessons'), h('p', { class: 'muted' }, '无法读取课程列表。'));
    showError(e);
  }
  openFromHash();
  loadDownloads();
  setInterval(loadDownloads, kDownloadsRefreshMs);
  setInterval(() => loadLessons().catch(() => {}), kLessonsRefreshMs);
})();
