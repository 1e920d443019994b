// The supervisor's dashboard, served by the catalog at "/dashboard": coverage of a community's
// schools per pack (share complete; schools not heard from for over a week stand out), plays and
// minutes month by month and, for one month, by county, subject or grade; the monthly report
// (月报) with its CSV download; each school's last contact and free disk.
import { api, authHeaders, errorOf } from '../shared/api.js';
import { guarded, showError } from '../shared/banner.js';
import { drawChart } from '../shared/charts.js';
import { $, fill, h } from '../shared/dom.js';
import { formatAgo, formatDateTime, formatMonth, formatPercent, formatSize } from '../shared/format.js';
import { kSchoolKinds } from '../shared/labels.js';
import { signIn } from '../shared/signin.js';

const kStaleSeconds = 7 * 86400;  // a school not heard from for longer stands out
const kMonthsShown = 6;
const kDimensions = { county: '区县', subject: '学科', grade: '年级', community: '教共体' };

const state = { schools: [], communities: [], packs: [], edges: [] };

function monthOf(date) {
  return `${date.getFullYear()}-${String(date.getMonth() + 1).padStart(2, '0')}`;
}

// The `count` months up to and including `last` ("YYYY-MM"), oldest first.
function monthsUpTo(last, count) {
  const [y, m] = last.split('-').map(Number);
  return Array.from({ length: count }, (_, i) => monthOf(new Date(y, m - 1 - (count - 1 - i), 1)));
}

const isStale = (lastContact) => !lastContact || Date.now() / 1000 - lastContact > kStaleSeconds;

// ---------------------------------------------------------------- coverage

async function drawCoverage() {
  const community = $('#community').value;
  if (!community) return;
  const report = await api(`/v1/reports/coverage?community=${encodeURIComponent(community)}`);
  const packIds = [...new Set(report.schools.flatMap((s) => s.packs.map((p) => `${p.pack_id}`)))];
  const packLabel = (id) => {
    const p = state.packs.find((x) => `${x.pack_id}` === id);
    return p ? `#${id} ${JSON.parse(p.manifest).title}` : `#${id}`;
  };
  const schools = report.schools;
  const data = [];
  schools.forEach((s, y) => {
    for (const p of s.packs) data.push([packIds.indexOf(`${p.pack_id}`), y, Math.round(p.share_complete * 1000) / 10]);
  });
  const el = $('#coverage-chart');
  el.style.height = `${Math.max(260, 110 + schools.length * 48)}px`;
  drawChart('coverage', el, {
    tooltip: {
      formatter: (p) => `${schools[p.value[1]].name}<br>${packLabel(packIds[p.value[0]])}<br>已完成 ${p.value[2]}%`,
    },
    grid: { left: 260, right: 30, top: 20, bottom: 90 },
    xAxis: { type: 'category', data: packIds.map(packLabel), axisLabel: { fontSize: 15, interval: 0, width: 180, overflow: 'truncate' } },
    yAxis: {
      type: 'category',
      data: schools.map((s) => (isStale(s.last_contact) ? `⚠ ${s.name}（${formatAgo(s.last_contact)}）` : s.name)),
      inverse: true,  // the first school on top
      axisLabel: { fontSize: 15, color: (_, i) => (isStale(schools[i].last_contact) ? '#b3261e' : '#1d2a24') },
    },
    visualMap: {
      min: 0, max: 100, calculable: false, orient: 'horizontal', left: 'center', bottom: 10, text: ['100%', '0%'],
      inRange: { color: ['#f4d6d2', '#f2e3a6', '#1f6f54'] },
    },
    series: [{
      name: '完成比例（%）', type: 'heatmap', data,
      label: { show: true, fontSize: 16, formatter: (p) => `${p.value[2]}%` },
    }],
  });
  fill($('#coverage-stale'), schools.filter((s) => isStale(s.last_contact)).length
    ? h('p', { class: 'field-error' }, `超过一周未联系：${schools.filter((s) => isStale(s.last_contact)).map((s) => `${s.name}（${formatAgo(s.last_contact)}）`).join('、')}`)
    : h('p', { class: 'muted' }, '所有学校一周内都有联系。'));
}

// ---------------------------------------------------------------- plays and the monthly report

function monthlyUrl(month, county, csv = false) {
  const q = new URLSearchParams({ month });
  if (county) q.set('county', county);
  if (csv) q.set('format', 'csv');
  return `/v1/reports/monthly?${q}`;
}

async function drawPlays() {
  const month = $('#month').value;
  const county = $('#county').value;
  const months = monthsUpTo(month, kMonthsShown);
  const reports = await Promise.all(months.map((m) => api(monthlyUrl(m, county))));
  const sum = (r, key) => r.rows.reduce((t, row) => t + row[key], 0);
  drawChart('plays', $('#plays-chart'), {
    tooltip: { trigger: 'axis' },
    legend: { data: ['播放次数', '播放分钟'], top: 0 },
    grid: { left: 70, right: 70, top: 50, bottom: 40 },
    xAxis: { type: 'category', data: months.map(formatMonth) },
    yAxis: [{ type: 'value', name: '次数', minInterval: 1 }, { type: 'value', name: '分钟' }],
    series: [
      { name: '播放次数', type: 'bar', data: reports.map((r) => sum(r, 'plays')), label: { show: true, position: 'top' } },
      { name: '播放分钟', type: 'line', yAxisIndex: 1, data: reports.map((r) => Math.round(sum(r, 'minutes') * 10) / 10), label: { show: true } },
    ],
  });
  const current = reports[reports.length - 1];
  drawBreakdown(current);
  showMonthly(current);
}

function drawBreakdown(report) {
  const dim = $('#dimension').value;
  const groups = new Map();
  for (const row of report.rows) {
    const key = row[dim] || '（未填写）';
    const g = groups.get(key) || { plays: 0, minutes: 0 };
    g.plays += row.plays;
    g.minutes += row.minutes;
    groups.set(key, g);
  }
  const keys = [...groups.keys()];
  drawChart('breakdown', $('#breakdown-chart'), {
    tooltip: { trigger: 'axis' },
    legend: { data: ['播放次数', '播放分钟'], top: 0 },
    grid: { left: 70, right: 70, top: 50, bottom: 60 },
    xAxis: { type: 'category', data: keys, axisLabel: { interval: 0 } },
    yAxis: [{ type: 'value', name: '次数', minInterval: 1 }, { type: 'value', name: '分钟' }],
    series: [
      { name: '播放次数', type: 'bar', data: keys.map((k) => groups.get(k).plays), label: { show: true, position: 'top' } },
      { name: '播放分钟', type: 'bar', yAxisIndex: 1, data: keys.map((k) => Math.round(groups.get(k).minutes * 10) / 10), label: { show: true, position: 'top' } },
    ],
  });
}

function showMonthly(report) {
  fill($('#monthly'),
    h('div', { class: 'row' },
      h('p', { class: 'grow' }, h('strong', {}, `${formatMonth(report.month)}${report.county ? ` · ${report.county}` : ''}：`),
        '新发布课程 ', h('strong', { id: 'lessons-published' }, report.lessons_published), ' 节，',
        '送达资源包 ', h('strong', { id: 'packs-delivered' }, report.packs_delivered), ' 个（校次）'),
      h('button', { type: 'button', class: 'primary', id: 'csv', onclick: () => guarded(downloadCsv) }, '下载 CSV')),
    report.rows.length ? h('div', { class: 'table-wrap' }, h('table', { id: 'monthly-table' },
      h('thead', {}, h('tr', {}, ['教共体', '区县', '学科', '年级', '播放次数', '播放分钟'].map((t) => h('th', { scope: 'col' }, t)))),
      h('tbody', {}, report.rows.map((r) => h('tr', {},
        h('td', {}, communityName(r.community)), h('td', {}, r.county), h('td', {}, r.subject), h('td', {}, r.grade),
        h('td', {}, r.plays), h('td', {}, r.minutes.toFixed(1)))))))
      : h('p', { class: 'muted' }, '本月没有播放记录。'));
}

// The CSV comes from the catalog with the bearer token, then is saved as a file.
async function downloadCsv() {
  const month = $('#month').value;
  const res = await fetch(monthlyUrl(month, $('#county').value, true), { headers: authHeaders() });
  if (!res.ok) throw await errorOf(res);
  const blob = await res.blob();
  const a = h('a', { href: URL.createObjectURL(blob), download: `lessonmesh-${month}.csv` });
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(a.href), 60000);
}

const communityName = (id) => (state.communities.find((c) => c.id === id) || { name: id || '—' }).name;

// ---------------------------------------------------------------- schools' edges

function showEdges() {
  const byId = new Map(state.edges.map((e) => [e.school_id, e]));
  fill($('#edges'), h('div', { class: 'table-wrap' }, h('table', { id: 'edges-table' },
    h('thead', {}, h('tr', {}, ['学校', '区县', '类型', '最近联系', '剩余磁盘'].map((t) => h('th', { scope: 'col' }, t)))),
    h('tbody', {}, state.schools.map((s) => {
      const e = byId.get(s.id);
      const last = e ? e.last_contact : 0;
      return h('tr', { dataset: { school: s.id } },
        h('td', {}, s.name), h('td', {}, s.county), h('td', {}, kSchoolKinds[s.kind] || s.kind),
        h('td', {}, h('span', { class: `pill${isStale(last) ? ' stale' : ''}` }, last ? `${formatDateTime(last)}（${formatAgo(last)}）` : '从未联系')),
        h('td', {}, e && last ? formatSize(e.free_bytes) : '—'));
    })))));
}

// ---------------------------------------------------------------- page

function showPage() {
  fill($('#nav'),
    h('a', { href: '#coverage' }, '覆盖情况'), h('a', { href: '#plays' }, '播放统计'), h('a', { href: '#report' }, '月报'),
    h('a', { href: '#edges-card' }, '学校设备'),
    h('button', { type: 'button', class: 'link', onclick: signOutNow }, '退出登录'));
  const counties = [...new Set(state.schools.map((s) => s.county).filter(Boolean))];
  fill($('#app'),
    h('section', { class: 'card', id: 'coverage' },
      h('h2', {}, '资源包覆盖情况'),
      h('div', { class: 'row' }, h('label', { for: 'community' }, '教共体'),
        h('select', { id: 'community', class: 'grow', onchange: () => guarded(drawCoverage) },
          state.communities.map((c) => h('option', { value: c.id }, c.name)))),
      h('div', { id: 'coverage-chart', class: 'chart', role: 'img', 'aria-label': '各学校各资源包的完成比例' }),
      h('div', { id: 'coverage-stale' })),
    h('section', { class: 'card', id: 'plays' },
      h('h2', {}, '播放统计'),
      h('div', { class: 'row' },
        h('label', { for: 'month' }, '月份'), h('input', { id: 'month', type: 'month', value: monthOf(new Date()), onchange: () => guarded(drawPlays) }),
        h('label', { for: 'county' }, '区县'),
        h('select', { id: 'county', onchange: () => guarded(drawPlays) }, h('option', { value: '' }, '全部'), counties.map((c) => h('option', { value: c }, c)))),
      h('div', { id: 'plays-chart', class: 'chart', role: 'img', 'aria-label': '近六个月的播放次数和分钟' }),
      h('div', { class: 'row' }, h('label', { for: 'dimension' }, '本月按'),
        h('select', { id: 'dimension', onchange: () => guarded(drawPlays) },
          Object.entries(kDimensions).map(([v, t]) => h('option', { value: v }, t)))),
      h('div', { id: 'breakdown-chart', class: 'chart', role: 'img', 'aria-label': '本月播放按区县、学科或年级' })),
    h('section', { class: 'card', id: 'report' }, h('h2', {}, '月报'), h('div', { id: 'monthly', 'aria-live': 'polite' })),
    h('section', { class: 'card', id: 'edges-card' }, h('h2', {}, '学校设备：最近联系与剩余磁盘'), h('div', { id: 'edges' })));
  showEdges();
  guarded(drawCoverage);
  guarded(drawPlays);
}

async function load() {
  const [{ schools }, { communities }, { packs }, { edges }] = await Promise.all([
    api('/v1/schools'), api('/v1/communities'), api('/v1/packs'), api('/v1/edges')]);
  Object.assign(state, { schools, communities, packs, edges });
}

const signOutNow = signIn($('#app'), {
  who: '督导',
  check: load,
  onSignedIn: showPage,
});
window.addEventListener('unhandledrejection', (e) => showError(e.reason));
