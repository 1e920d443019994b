// The teacher's page, served by the origin at "/": sign in with a teacher token, pick or drop a
// recording, give its title, teacher, subject, grade and chapters, upload it over tus (resumable: a dropped
// link or a restarted origin resumes where the origin's bytes stop, and so does a reload once the
// same file is picked again), follow the transcode job, preview the lesson, list "my lessons", cut
// micro-course clips (微课) out of a lesson.
import { Upload, defaultOptions as tusDefaults } from 'tus-js-client';

import { api, authHeaders } from '../shared/api.js';
import { clearBanner, guarded, showError, showNotice } from '../shared/banner.js';
import { $, fill, h } from '../shared/dom.js';
import { formatDateTime, formatEta, formatPercent, formatRate, formatSize } from '../shared/format.js';
import { kGrades, kSubjects } from '../shared/labels.js';
import { attachPlayer } from '../shared/player.js';
import { signIn } from '../shared/signin.js';

// PATCH size: a cut link loses at most the piece in flight. A site can tune it for its links.
const kDefaultChunkBytes = 8 * 1024 * 1024;
// Waits between attempts after a failure: the upload keeps trying for about ten minutes.
const kRetryDelaysMs = [0, 1000, 2000, 3000, 5000, 5000, 10000, 10000, 10000, 15000, 15000, 20000, 30000,
  30000, 30000, 60000, 60000, 60000, 60000, 60000, 60000];

const kStateText = { queued: '排队等待转码', running: '正在转码', done: '转码完成', failed: '转码失败' };

let previewPlayer = null;

function chunkBytes() {
  const v = Number(localStorage.getItem('lessonmesh.upload_chunk_bytes'));
  return Number.isFinite(v) && v >= 64 * 1024 ? v : kDefaultChunkBytes;
}

function option(value, selected) {
  return h('option', { value, selected: value === selected }, value);
}

function uploadForm() {
  const fileInput = h('input', { id: 'file', type: 'file', accept: 'video/*,audio/*,.pdf,.pptx,.docx,.xlsx', class: 'sr-only' });
  const fileName = h('span', { id: 'file-name', class: 'muted' }, '尚未选择文件');
  const zone = h('label', { for: 'file', class: 'dropzone', tabindex: '0', id: 'dropzone' },
    h('div', {}, '把录课视频或课件拖到这里，或按 Enter 选择文件'), fileName);
  zone.addEventListener('keydown', (e) => {
    if (e.key === 'Enter' || e.key === ' ') {
      e.preventDefault();
      fileInput.click();
    }
  });
  let picked = null;
  const setFile = (f) => {
    picked = f;
    fileName.textContent = f ? `${f.name}（${formatSize(f.size)}）` : '尚未选择文件';
    const title = $('#title');
    if (f && !title.value) title.value = f.name.replace(/\.[^.]+$/, '');
  };
  fileInput.addEventListener('change', () => setFile(fileInput.files[0] || null));
  zone.addEventListener('dragover', (e) => {
    e.preventDefault();
    zone.classList.add('over');
  });
  zone.addEventListener('dragleave', () => zone.classList.remove('over'));
  zone.addEventListener('drop', (e) => {
    e.preventDefault();
    zone.classList.remove('over');
    if (e.dataTransfer.files.length) setFile(e.dataTransfer.files[0]);
  });
  const remembered = JSON.parse(localStorage.getItem('lessonmesh.teacher_fields') || '{}');
  const form = h('form', {
    class: 'card', id: 'upload-form',
    onsubmit: (e) => {
      e.preventDefault();
      if (!picked) return showError(new Error('请先选择要上传的文件'));
      const fields = {
        title: $('#title').value.trim(), teacher: $('#teacher').value.trim(),
        subject: $('#subject').value, grade: $('#grade').value,
      };
      if (!fields.title) return showError(new Error('请填写课程标题'));
      let chapters;
      try {
        chapters = parseChapterLines($('#chapters').value);
      } catch (err) {
        return showError(err);
      }
      localStorage.setItem('lessonmesh.teacher_fields', JSON.stringify({ teacher: fields.teacher, subject: fields.subject, grade: fields.grade }));
      startUpload(picked, chapters.length ? { ...fields, chapters: JSON.stringify(chapters) } : fields);
    },
  },
  h('h2', {}, '上传一节课'),
  zone,
  fileInput,
  h('div', { class: 'grid2' },
    h('div', {}, h('label', { for: 'title' }, '课程标题'), h('input', { id: 'title', required: true, maxlength: '200' })),
    h('div', {}, h('label', { for: 'teacher' }, '授课教师'), h('input', { id: 'teacher', value: remembered.teacher || '', maxlength: '100' })),
    h('div', {}, h('label', { for: 'subject' }, '学科'),
      h('select', { id: 'subject' }, kSubjects.map((s) => option(s, remembered.subject || '数学')))),
    h('div', {}, h('label', { for: 'grade' }, '年级'),
      h('select', { id: 'grade' }, kGrades.map((g) => option(g, remembered.grade || '三年级'))))),
  h('label', { for: 'chapters' }, '章节（可选，每行一个，如“05:10-12:40 新课”）'),
  h('textarea', { id: 'chapters', rows: '4', placeholder: '00:00-05:10 导入\n05:10-38:00 新课\n38:00-45:00 练习' }),
  h('p', {}, h('button', { type: 'submit', class: 'primary', id: 'start' }, '开始上传')));
  return form;
}

// "[H:]MM:SS" or seconds as seconds; null if it is neither (as the origin reads a clip's range).
function parseSeconds(text) {
  const parts = text.split(':');
  if (parts.length > 3 || parts.some((p) => !/^\d+(\.\d+)?$/.test(p))) return null;
  let seconds = 0;
  for (let i = 0; i < parts.length; i++) {
    const v = Number(parts[i]);
    if (i > 0 && v >= 60) return null;
    seconds = seconds * 60 + v;
  }
  return seconds;
}

// The chapters field, one "05:10-12:40 标题" a line, as the origin's chapter list
// [{start_s, end_s, title}]; an Error naming the line it cannot read. The origin checks the list
// as a whole (order, overlaps, the lesson's end).
function parseChapterLines(text) {
  const chapters = [];
  text.split('\n').forEach((raw, i) => {
    const line = raw.trim();
    if (!line) return;
    const m = /^([0-9:.]+)\s*-\s*([0-9:.]+)\s+(.+)$/.exec(line);
    const start = m ? parseSeconds(m[1]) : null;
    const end = m ? parseSeconds(m[2]) : null;
    if (start === null || end === null || !(end > start)) {
      throw new Error(`章节第 ${i + 1} 行应写成“开始-结束 标题”，如“05:10-12:40 新课”`);
    }
    chapters.push({ start_s: start, end_s: end, title: m[3].trim() });
  });
  return chapters;
}

// The upload's progress card: bytes, percent, rate, remaining time, and what is happening.
function progressCard() {
  return h('section', { class: 'card', id: 'progress-card', hidden: true, 'aria-live': 'polite' },
    h('h2', {}, '上传进度'),
    h('progress', { id: 'progress', max: '1', value: '0' }),
    h('p', { id: 'progress-text' }, ''),
    h('p', { id: 'upload-state', class: 'status' }, ''),
    h('p', { id: 'job-state', class: 'status' }, ''),
    h('div', { id: 'preview' }));
}

function startUpload(file, fields) {
  clearBanner();
  $('#start').disabled = true;
  $('#progress-card').hidden = false;
  const state = $('#upload-state');
  state.className = 'status';
  state.textContent = '正在连接…';
  let lastBytes = 0;
  let lastTime = performance.now();
  let rate = 0;
  const upload = new Upload(file, {
    endpoint: `${location.origin}/uploads`,
    headers: authHeaders(),
    chunkSize: chunkBytes(),
    retryDelays: kRetryDelaysMs,
    metadata: { ...fields, filename: file.name },
    storeFingerprintForResuming: true,
    removeFingerprintOnSuccess: true,
    onShouldRetry: (err, retryAttempt) => {
      const status = err.originalResponse ? err.originalResponse.getStatus() : 0;
      if (status === 400 || status === 401 || status === 403 || status === 413) return false;
      state.className = 'status waiting';
      state.textContent = `连接中断，正在重试（第 ${retryAttempt + 1} 次）…已上传的部分不会丢失`;
      return true;
    },
    onProgress: (sent, total) => {
      const now = performance.now();
      if (now - lastTime >= 1000 || sent === total) {
        const r = ((sent - lastBytes) * 1000) / Math.max(1, now - lastTime);
        rate = rate ? 0.7 * rate + 0.3 * r : r;
        lastBytes = sent;
        lastTime = now;
      }
      state.className = 'status';
      state.textContent = '正在上传';
      $('#progress').value = total ? sent / total : 0;
      $('#progress-text').textContent = `已上传 ${formatSize(sent)} / ${formatSize(total)}（${formatPercent(total ? sent / total : 0)}）` +
        (rate > 0 && sent < total ? ` · ${formatRate(rate)} · ${formatEta((total - sent) / rate)}` : '');
    },
    onError: (err) => {
      $('#start').disabled = false;
      state.className = 'status failed';
      state.textContent = '上传失败';
      const status = err.originalResponse ? err.originalResponse.getStatus() : 0;
      let reason = '';
      try {
        reason = status === 400 ? JSON.parse(err.originalResponse.getBody()).error || '' : '';
      } catch (_) { /* not JSON: the generic message below */ }
      showError(new Error(status === 401 ? '令牌无效或已失效，请重新登录后再上传' :
        status === 413 ? '文件太大，超过了服务器允许的大小' :
        reason ? `上传被拒绝：${reason}` : `上传失败：${err.message}`));
    },
    onSuccess: () => {
      state.className = 'status done';
      state.textContent = '上传完成，等待转码';
      $('#start').disabled = false;
      const uploadId = upload.url.split('/').pop();
      followJob(uploadId);
    },
  });
  upload.findPreviousUploads().then((previous) => {
    if (previous.length) {
      upload.resumeFromPreviousUpload(previous[0]);
      state.textContent = '找到未完成的上传，从服务器已收到的位置继续…';
    }
    upload.start();
  });
}

// Polls the transcode job of an upload until it is done or failed, then shows the preview.
async function followJob(uploadId) {
  const jobState = $('#job-state');
  for (;;) {
    let job = null;
    try {
      job = await api(`/v1/jobs?upload=${uploadId}`);
    } catch (e) {
      if (e.status !== 404 && e.status !== 0) return showError(e);
    }
    if (job) {
      jobState.className = `status ${job.state === 'done' ? 'done' : job.state === 'failed' ? 'failed' : 'waiting'}`;
      jobState.textContent = kStateText[job.state] + (job.state === 'running' ? `（${formatPercent(job.progress)}）` : '') +
        (job.error ? `：${job.error}` : '');
      if (job.state === 'done') {
        showNotice('课程已转码完成，可在下方预览。');
        showPreview($('#preview'), job.lesson_id, $('#title').value);
        refreshMyLessons();
        return;
      }
      if (job.state === 'failed') {
        refreshMyLessons();
        return;
      }
    }
    await new Promise((r) => setTimeout(r, 1000));
  }
}

function showPreview(container, lessonId, title) {
  if (previewPlayer) previewPlayer.destroy();
  const video = h('video', {
    id: 'preview-video', controls: true, playsinline: true, preload: 'auto',
    poster: `/bundles/${lessonId}/poster.jpg`, 'aria-label': `预览：${title}`,
  });
  fill(container, h('h3', {}, `预览：${title}`), video,
    h('p', { class: 'muted' }, `课程编号 ${lessonId}`), clipForm(lessonId, container.id));
  previewPlayer = attachPlayer(video, `/bundles/${lessonId}/master.m3u8`, { onError: showError });
  container.scrollIntoView({ block: 'nearest' });
}

// Cuts a range of the lesson into a micro-course of its own (POST /v1/lessons/ID/clips): the origin
// copies the whole segments and re-encodes only the ends; the clip is a lesson in the catalog.
// `prefix` keeps the ids of the two previews (after an upload, in "my lessons") apart.
function clipForm(lessonId, prefix) {
  const at = h('input', { id: `${prefix}-clip-at`, required: true, placeholder: '05:10-12:40', pattern: '[0-9:.]+-[0-9:.]+' });
  const title = h('input', { id: `${prefix}-clip-title`, placeholder: '如：分数的意义' });
  const made = h('ul', { class: 'clips-made' });
  const form = h('form', {
    class: 'row clip-form',
    onsubmit: (e) => {
      e.preventDefault();
      guarded(async () => {
        const button = form.querySelector('button');
        button.disabled = true;
        try {
          const { clips } = await api(`/v1/lessons/${lessonId}/clips`, {
            method: 'POST', body: { clips: [{ at: at.value.trim(), title: title.value.trim() }] },
          });
          for (const c of clips) {
            made.append(h('li', {}, `${title.value.trim() || '微课'}（${c.start_s}–${c.end_s} 秒）：课程编号 `,
              h('code', { class: 'clip-id' }, c.lesson_id)));
          }
          showNotice('微课已剪辑完成，管理员可以把它加入资源包。');
        } finally {
          button.disabled = false;
        }
      });
    },
  },
  h('label', { for: at.id }, '剪辑微课：时间段'), at,
  h('label', { for: title.id }, '标题'), title,
  h('button', { type: 'submit' }, '剪辑'));
  return h('div', {}, form, made);
}

async function refreshMyLessons() {
  const { jobs } = await api('/v1/jobs');
  const body = $('#my-lessons');
  if (!jobs.length) return fill(body, h('p', { class: 'muted' }, '还没有上传过课程。'));
  fill(body, h('div', { class: 'table-wrap' }, h('table', {},
    h('thead', {}, h('tr', {}, ['标题', '学科', '年级', '大小', '上传时间', '状态', ''].map((t) => h('th', { scope: 'col' }, t)))),
    h('tbody', {}, jobs.map((j) => h('tr', {},
      h('td', {}, j.title || j.filename), h('td', {}, j.subject), h('td', {}, j.grade), h('td', {}, formatSize(j.bytes)),
      h('td', {}, formatDateTime(j.created_at)),
      h('td', { class: `status ${j.state}` }, kStateText[j.state]),
      h('td', {}, j.state === 'done' ? h('button', {
        type: 'button', onclick: () => showPreview($('#my-preview'), j.lesson_id, j.title || j.filename),
      }, '预览') : '')))))));
}

// Uploads this browser started and did not finish (a reload, a closed laptop): picking the same
// file again resumes each from where the origin's bytes stop.
async function showUnfinished() {
  const unfinished = await tusDefaults.urlStorage.findAllUploads();
  if (!unfinished.length) return;
  fill($('#unfinished'), h('div', { class: 'card' },
    h('h2', {}, '未完成的上传'),
    h('p', {}, '以下文件上次没有传完。请重新选择同一个文件，上传会从中断处继续，不必从头开始。'),
    h('ul', {}, unfinished.map((u) => h('li', {},
      `${(u.metadata && (u.metadata.title || u.metadata.filename)) || '未命名'}（${formatSize(u.size)}，开始于 ${formatDateTime(new Date(u.creationTime))}）`)))));
}

function showPage() {
  fill($('#nav'), h('button', { type: 'button', class: 'link', onclick: signOutNow }, '退出登录'));
  fill($('#app'), h('div', { id: 'unfinished' }), uploadForm(), progressCard(),
    h('section', { class: 'card' }, h('h2', {}, '我的课程'), h('div', { id: 'my-lessons' }), h('div', { id: 'my-preview' })));
  guarded(refreshMyLessons);
  guarded(showUnfinished);
}

const signOutNow = signIn($('#app'), {
  who: '教师',
  check: () => api('/v1/jobs'),
  onSignedIn: showPage,
});
