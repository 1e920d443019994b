// The admin's page, served by the catalog at "/admin": schools and communities (list, create,
// edit), and the pack builder: search lessons in Chinese, add and order them, set needed-by and
// pinned-until dates per item, targets and rendition policy, publish (a new signed version), and
// the version history of each pack with what changed between versions.
import { api } from '../shared/api.js';
import { guarded, showError, showNotice } from '../shared/banner.js';
import { $, fill, h } from '../shared/dom.js';
import { formatDateTime, formatDay, formatDuration, formatSize, isoDay } from '../shared/format.js';
import {
  kCommunityLevels, kCommunityModels, kGrades, kRenditionPolicies, kSchoolKinds, kSubjects,
} from '../shared/labels.js';
import { signIn } from '../shared/signin.js';

const state = {
  schools: [],
  communities: [],
  packs: [],
  // The pack being built: a new one (packId null) or the next version of an existing one.
  draft: { packId: null, title: '', description: '', policy: 'all', items: [], communities: new Set(), schools: new Set() },
};

function field(id, label, input) {
  input.id = id;
  return h('div', {}, h('label', { for: id }, label), input);
}

function select(options, selected) {
  return h('select', {}, Object.entries(options).map(([v, text]) => h('option', { value: v, selected: v === selected }, text)));
}

// ---------------------------------------------------------------- schools and communities

async function loadDirectory() {
  const [{ schools }, { communities }] = await Promise.all([api('/v1/schools'), api('/v1/communities')]);
  state.schools = schools;
  state.communities = communities;
  renderSchools();
  renderCommunities();
  renderTargets();
}

const schoolName = (id) => (state.schools.find((s) => s.id === id) || { name: id }).name;

function renderSchools() {
  fill($('#schools-table'), h('table', {},
    h('thead', {}, h('tr', {}, ['编号', '名称', '区县', '类型', '学生数', ''].map((t) => h('th', { scope: 'col' }, t)))),
    h('tbody', {}, state.schools.map((s) => h('tr', {},
      h('td', {}, s.id), h('td', {}, s.name), h('td', {}, s.county), h('td', {}, kSchoolKinds[s.kind] || s.kind),
      h('td', {}, s.pupils),
      h('td', {}, h('button', { type: 'button', onclick: () => editSchool(s) }, '编辑')))))));
}

function editSchool(s) {
  $('#school-id').value = s.id;
  $('#school-name').value = s.name;
  $('#school-province').value = s.province || '';
  $('#school-city').value = s.city || '';
  $('#school-county').value = s.county || '';
  $('#school-kind').value = s.kind;
  $('#school-pupils').value = s.pupils || 0;
  $('#school-name').focus();
}

function schoolForm() {
  return h('form', {
    class: 'card', id: 'school-form',
    onsubmit: (e) => {
      e.preventDefault();
      guarded(async () => {
        const body = {
          id: $('#school-id').value.trim(), name: $('#school-name').value.trim(),
          province: $('#school-province').value.trim(), city: $('#school-city').value.trim(),
          county: $('#school-county').value.trim(), kind: $('#school-kind').value,
          pupils: Number($('#school-pupils').value) || 0,
        };
        await api('/v1/schools', { method: 'POST', body });
        showNotice(`已保存学校：${body.name}`);
        e.target.reset();
        await loadDirectory();
      });
    },
  },
  h('h3', {}, '新增或修改学校'),
  h('div', { class: 'grid2' },
    field('school-id', '编号（字母、数字、-）', h('input', { required: true, maxlength: '64', pattern: '[A-Za-z0-9._\\-]+' })),
    field('school-name', '名称', h('input', { required: true })),
    field('school-province', '省', h('input', {})),
    field('school-city', '市', h('input', {})),
    field('school-county', '区县', h('input', {})),
    field('school-kind', '类型', select(kSchoolKinds, 'rural')),
    field('school-pupils', '学生数', h('input', { type: 'number', min: '0', value: '0' }))),
  h('p', {}, h('button', { type: 'submit', class: 'primary' }, '保存学校')));
}

function renderCommunities() {
  fill($('#communities-table'), state.communities.length ? h('table', {},
    h('thead', {}, h('tr', {}, ['编号', '名称', '模式', '层级', '核心校', '成员校', ''].map((t) => h('th', { scope: 'col' }, t)))),
    h('tbody', {}, state.communities.map((c) => h('tr', {},
      h('td', {}, c.id), h('td', {}, c.name), h('td', {}, kCommunityModels[c.model] || c.model),
      h('td', {}, kCommunityLevels[c.level] || c.level), h('td', {}, schoolName(c.core_school)),
      h('td', {}, c.members.filter((m) => m !== c.core_school).map(schoolName).join('、')),
      h('td', {}, h('button', { type: 'button', onclick: () => editCommunity(c) }, '编辑'))))))
    : h('p', { class: 'muted' }, '还没有教共体。'));
  // The form's school choices follow the list of schools.
  fill($('#community-core'), state.schools.map((s) => h('option', { value: s.id }, s.name)));
  fill($('#community-members'), state.schools.map((s) => h('label', { class: 'row' },
    h('input', { type: 'checkbox', value: s.id, name: 'member' }), `${s.name}（${kSchoolKinds[s.kind] || s.kind}）`)));
}

function editCommunity(c) {
  $('#community-id').value = c.id;
  $('#community-name').value = c.name;
  $('#community-model').value = c.model;
  $('#community-level').value = c.level;
  $('#community-core').value = c.core_school;
  for (const box of document.querySelectorAll('#community-members input')) box.checked = c.members.includes(box.value);
  $('#community-name').focus();
}

function communityForm() {
  return h('form', {
    class: 'card', id: 'community-form',
    onsubmit: (e) => {
      e.preventDefault();
      guarded(async () => {
        const body = {
          id: $('#community-id').value.trim(), name: $('#community-name').value.trim(),
          model: $('#community-model').value, level: $('#community-level').value, core_school: $('#community-core').value,
          members: [...document.querySelectorAll('#community-members input:checked')].map((b) => b.value),
        };
        await api('/v1/communities', { method: 'POST', body });
        showNotice(`已保存教共体：${body.name}`);
        e.target.reset();
        await loadDirectory();
      });
    },
  },
  h('h3', {}, '新增或修改教共体'),
  h('div', { class: 'grid2' },
    field('community-id', '编号', h('input', { required: true, maxlength: '64', pattern: '[A-Za-z0-9._\\-]+' })),
    field('community-name', '名称', h('input', { required: true })),
    field('community-model', '模式', select(kCommunityModels, 'fusion')),
    field('community-level', '层级', select(kCommunityLevels, 'county')),
    field('community-core', '核心校', h('select', {}))),
  h('fieldset', { id: 'community-members' }, h('legend', {}, '成员校')),
  h('p', {}, h('button', { type: 'submit', class: 'primary' }, '保存教共体')));
}

// ---------------------------------------------------------------- pack builder

async function search(e) {
  e.preventDefault();
  await guarded(async () => {
    const q = new URLSearchParams();
    if ($('#search-q').value.trim()) q.set('q', $('#search-q').value.trim());
    if ($('#search-subject').value) q.set('subject', $('#search-subject').value);
    if ($('#search-grade').value) q.set('grade', $('#search-grade').value);
    const { lessons } = await api(`/v1/lessons?${q}`);
    fill($('#search-results'), lessons.length ? h('ul', { class: 'results' }, lessons.map((l) => h('li', { class: 'row' },
      h('span', { class: 'grow' }, h('strong', {}, l.title), ` · ${l.teacher || '—'} · ${l.subject} ${l.grade} · `,
        l.kind === 'document' ? '课件' : formatDuration(l.duration_s), ` · ${formatSize(l.total_bytes)}`),
      h('button', {
        type: 'button', 'aria-label': `加入资源包：${l.title}`, disabled: state.draft.items.some((i) => i.lesson_id === l.id),
        onclick: (ev) => {
          addItem(l);
          ev.target.disabled = true;
        },
      }, '加入'))))
      : h('p', { class: 'muted' }, '没有找到课程。'));
  });
}

function addItem(lesson) {
  const d = state.draft;
  if (d.items.some((i) => i.lesson_id === lesson.id)) return;
  d.items.push({ lesson_id: lesson.id, title: lesson.title, needed_by: isoDay(7), pinned_until: '' });
  renderItems();
}

function moveItem(index, delta) {
  const items = state.draft.items;
  const j = index + delta;
  if (j < 0 || j >= items.length) return;
  [items[index], items[j]] = [items[j], items[index]];
  renderItems();
  const buttons = document.querySelectorAll(`#pack-items li:nth-child(${j + 1}) button`);
  if (buttons.length) buttons[delta < 0 ? 0 : 1].focus();
}

function renderItems() {
  const items = state.draft.items;
  fill($('#pack-items'), items.length ? h('ol', { class: 'items' }, items.map((item, i) => h('li', { dataset: { lesson: item.lesson_id } },
    h('div', { class: 'row' },
      h('strong', { class: 'grow' }, item.title),
      h('button', { type: 'button', 'aria-label': `上移：${item.title}`, disabled: i === 0, onclick: () => moveItem(i, -1) }, '上移'),
      h('button', { type: 'button', 'aria-label': `下移：${item.title}`, disabled: i === items.length - 1, onclick: () => moveItem(i, 1) }, '下移'),
      h('button', {
        type: 'button', 'aria-label': `移除：${item.title}`,
        onclick: () => {
          items.splice(i, 1);
          renderItems();
        },
      }, '移除')),
    h('div', { class: 'row' },
      h('label', { class: 'row' }, '需要日期', h('input', {
        type: 'date', required: true, value: item.needed_by, 'aria-label': `需要日期：${item.title}`, class: 'needed-by',
        onchange: (e) => { item.needed_by = e.target.value; },
      })),
      h('label', { class: 'row' }, '保留至', h('input', {
        type: 'date', value: item.pinned_until, 'aria-label': `保留至：${item.title}`, class: 'pinned-until',
        onchange: (e) => { item.pinned_until = e.target.value; },
      }))))))
    : h('p', { class: 'muted' }, '从上方搜索结果中加入课程。'));
}

function renderTargets() {
  const d = state.draft;
  const box = (kind, set, id, text) => h('label', { class: 'row' }, h('input', {
    type: 'checkbox', value: id, checked: set.has(id), dataset: { kind },
    onchange: (e) => (e.target.checked ? set.add(id) : set.delete(id)),
  }), text);
  fill($('#pack-targets'),
    h('fieldset', {}, h('legend', {}, '面向教共体'),
      state.communities.length ? state.communities.map((c) => box('community', d.communities, c.id, c.name)) : h('p', { class: 'muted' }, '无')),
    h('fieldset', {}, h('legend', {}, '面向学校'),
      state.schools.map((s) => box('school', d.schools, s.id, s.name))));
}

function renderDraftHeader() {
  const d = state.draft;
  $('#pack-title').value = d.title;
  $('#pack-description').value = d.description;
  $('#pack-policy').value = d.policy;
  $('#draft-kind').textContent = d.packId ? `正在编辑资源包 #${d.packId}（发布后成为新版本）` : '新建资源包';
}

async function publish(e) {
  e.preventDefault();
  const d = state.draft;
  d.title = $('#pack-title').value.trim();
  d.description = $('#pack-description').value.trim();
  d.policy = $('#pack-policy').value;
  if (!d.items.length) return showError(new Error('资源包里还没有课程'));
  if (!d.communities.size && !d.schools.size) return showError(new Error('请至少选择一个教共体或学校'));
  const body = {
    title: d.title,
    description: d.description,
    rendition_policy: d.policy,
    items: d.items.map(({ lesson_id, needed_by, pinned_until }) => ({ lesson_id, needed_by, pinned_until })),
    targets: { communities: [...d.communities], schools: [...d.schools] },
  };
  await guarded(async () => {
    const v = d.packId ? await api(`/v1/packs/${d.packId}`, { method: 'PUT', body }) : await api('/v1/packs', { method: 'POST', body });
    showNotice(`已发布资源包 #${v.pack_id} 第 ${v.version} 版，已签名`);
    fill($('#publish-result'), h('p', { class: 'status done', id: 'published' }, `已发布：资源包 #${v.pack_id} 第 ${v.version} 版`));
    d.packId = v.pack_id;
    renderDraftHeader();
    await loadPacks();
  });
}

function newDraft() {
  state.draft = { packId: null, title: '', description: '', policy: 'all', items: [], communities: new Set(), schools: new Set() };
  fill($('#publish-result'));
  renderDraftHeader();
  renderItems();
  renderTargets();
}

// Loads a published version into the builder, to publish the pack's next version.
function editPack(manifest) {
  state.draft = {
    packId: manifest.pack_id, title: manifest.title, description: manifest.description, policy: manifest.rendition_policy,
    items: manifest.items.map((i) => ({ lesson_id: i.lesson_id, title: i.title, needed_by: i.needed_by, pinned_until: i.pinned_until })),
    communities: new Set(manifest.targets.communities), schools: new Set(manifest.targets.schools),
  };
  fill($('#publish-result'));
  renderDraftHeader();
  renderItems();
  renderTargets();
  $('#pack-title').focus();
}

function builder() {
  return h('section', { class: 'card', id: 'builder' },
    h('h2', {}, '资源包'),
    h('p', { id: 'draft-kind', class: 'status' }, '新建资源包'),
    h('form', { class: 'row', id: 'search-form', role: 'search', onsubmit: search },
      h('label', { for: 'search-q', class: 'sr-only' }, '搜索课程'),
      h('input', { id: 'search-q', type: 'search', placeholder: '搜索课程：标题、教师、关键词', class: 'grow' }),
      h('label', { for: 'search-subject', class: 'sr-only' }, '学科'),
      h('select', { id: 'search-subject' }, h('option', { value: '' }, '全部学科'), kSubjects.map((s) => h('option', { value: s }, s))),
      h('label', { for: 'search-grade', class: 'sr-only' }, '年级'),
      h('select', { id: 'search-grade' }, h('option', { value: '' }, '全部年级'), kGrades.map((g) => h('option', { value: g }, g))),
      h('button', { type: 'submit', class: 'primary' }, '搜索')),
    h('div', { id: 'search-results', 'aria-live': 'polite' }),
    h('form', { id: 'pack-form', onsubmit: publish },
      h('h3', {}, '包内课程（按顺序）'),
      h('div', { id: 'pack-items' }),
      h('div', { class: 'grid2' },
        field('pack-title', '资源包名称', h('input', { required: true })),
        field('pack-policy', '清晰度', select(kRenditionPolicies, 'all'))),
      field('pack-description', '说明', h('textarea', { rows: '2' })),
      h('h3', {}, '发送对象'),
      h('div', { id: 'pack-targets', class: 'grid2' }),
      h('p', { class: 'row' },
        h('button', { type: 'submit', class: 'primary', id: 'publish' }, '签名并发布'),
        h('button', { type: 'button', onclick: newDraft }, '新建另一个资源包')),
      h('div', { id: 'publish-result', 'aria-live': 'polite' })));
}

// ---------------------------------------------------------------- published packs and history

async function loadPacks() {
  const { packs } = await api('/v1/packs');
  state.packs = packs;
  fill($('#packs-table'), packs.length ? h('table', {},
    h('thead', {}, h('tr', {}, ['编号', '名称', '版本', '课程数', '发布时间', ''].map((t) => h('th', { scope: 'col' }, t)))),
    h('tbody', {}, packs.map((p) => {
      const m = JSON.parse(p.manifest);
      return h('tr', {},
        h('td', {}, `#${p.pack_id}`), h('td', {}, m.title), h('td', {}, `第 ${p.version} 版`), h('td', {}, m.items.length),
        h('td', {}, formatDateTime(p.published_at)),
        h('td', { class: 'row' },
          h('button', { type: 'button', onclick: () => guarded(() => showHistory(p.pack_id, p.version)) }, '版本历史'),
          h('button', { type: 'button', class: 'qr-sheet', onclick: () => guarded(() => downloadQrSheet(p.pack_id)) },
            '打印二维码（PDF）'),
          h('button', { type: 'button', onclick: () => editPack(m) }, '编辑并发布新版本')));
    })))
    : h('p', { class: 'muted' }, '还没有发布过资源包。'));
}

// The pack's QR sheet (微课二维码, A4 PDF): fetched with the token, saved as a file to print.
async function downloadQrSheet(packId) {
  const pdf = await api(`/v1/packs/${packId}/qr.pdf`, { as: 'blob' });
  const url = URL.createObjectURL(pdf);
  const link = h('a', { href: url, download: `资源包${packId}-微课二维码.pdf` });
  document.body.append(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(url), 60000);
}

// What changed from manifest `a` to `b`, as lines of Chinese.
function changes(a, b) {
  const out = [];
  const byId = (m) => new Map(m.items.map((i) => [i.lesson_id, i]));
  const before = byId(a);
  const after = byId(b);
  for (const [id, i] of after) {
    const old = before.get(id);
    if (!old) out.push(`加入《${i.title}》（需要日期 ${formatDay(i.needed_by)}）`);
    else {
      if (old.needed_by !== i.needed_by) out.push(`《${i.title}》需要日期 ${formatDay(old.needed_by)} → ${formatDay(i.needed_by)}`);
      if (old.pinned_until !== i.pinned_until) out.push(`《${i.title}》保留至 ${formatDay(old.pinned_until)} → ${formatDay(i.pinned_until)}`);
    }
  }
  for (const [id, i] of before) if (!after.has(id)) out.push(`移除《${i.title}》`);
  const order = (m) => m.items.map((i) => i.lesson_id).filter((id) => before.has(id) && after.has(id)).join();
  if (order(a) !== order(b)) out.push('调整了课程顺序');
  if (a.title !== b.title) out.push(`名称 “${a.title}” → “${b.title}”`);
  if (a.rendition_policy !== b.rendition_policy) {
    out.push(`清晰度 ${kRenditionPolicies[a.rendition_policy]} → ${kRenditionPolicies[b.rendition_policy]}`);
  }
  const targets = (m) => [...m.targets.communities.map((c) => `教共体 ${c}`), ...m.targets.schools.map((s) => `学校 ${schoolName(s)}`)];
  const ta = targets(a);
  const tb = targets(b);
  for (const t of tb) if (!ta.includes(t)) out.push(`新增发送对象：${t}`);
  for (const t of ta) if (!tb.includes(t)) out.push(`取消发送对象：${t}`);
  return out.length ? out : ['没有变化'];
}

async function showHistory(packId, latest) {
  const versions = await Promise.all(Array.from({ length: latest }, (_, i) => api(`/v1/packs/${packId}/versions/${i + 1}`)));
  const manifests = versions.map((v) => JSON.parse(v.manifest));
  fill($('#history'), h('h3', {}, `资源包 #${packId} 的版本历史`),
    h('ol', { class: 'items' }, versions.map((v, i) => h('li', {},
      h('strong', {}, `第 ${v.version} 版 · ${formatDateTime(v.published_at)} · ${manifests[i].items.length} 节课`),
      h('ul', {}, (i === 0 ? [`首次发布：${manifests[0].items.map((it) => `《${it.title}》`).join('、')}`] : changes(manifests[i - 1], manifests[i]))
        .map((line) => h('li', {}, line)))))));
  $('#history').scrollIntoView({ block: 'nearest' });
}

// ---------------------------------------------------------------- page

function showPage() {
  fill($('#nav'),
    h('a', { href: '#builder' }, '资源包'), h('a', { href: '#packs' }, '已发布'), h('a', { href: '#directory' }, '学校与教共体'),
    h('a', { href: '/dashboard' }, '督导看板'),
    h('button', { type: 'button', class: 'link', onclick: signOutNow }, '退出登录'));
  fill($('#app'),
    builder(),
    h('section', { class: 'card', id: 'packs' }, h('h2', {}, '已发布的资源包'), h('div', { id: 'packs-table', class: 'table-wrap' }),
      h('div', { id: 'history', 'aria-live': 'polite' })),
    h('section', { class: 'card', id: 'directory' },
      h('h2', {}, '学校与教共体'),
      h('h3', {}, '学校'), h('div', { id: 'schools-table', class: 'table-wrap' }), schoolForm(),
      h('h3', {}, '教共体'), h('div', { id: 'communities-table', class: 'table-wrap' }), communityForm()));
  renderItems();
  guarded(async () => {
    await loadDirectory();
    await loadPacks();
  });
}

const signOutNow = signIn($('#app'), {
  who: '管理员',
  check: () => api('/v1/schools'),
  onSignedIn: showPage,
});
