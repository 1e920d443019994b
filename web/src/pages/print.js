// The printable page of a pack's QR codes (微课二维码), served by the edge at "/print?pack=ID": one
// code per lesson the edge holds in that pack, drawn by the edge (GET /lessons/ID/qr.svg) and
// pointing at this edge's page for the lesson (/#lesson=ID), with its title, teacher and duration
// underneath, laid out for A4. Without a pack it lists the packs to choose from.
import { api } from '../shared/api.js';
import { showError } from '../shared/banner.js';
import { $, fill, h } from '../shared/dom.js';
import { formatDuration } from '../shared/format.js';

function card(lesson) {
  return h('figure', { class: 'qr-card', dataset: { lesson: lesson.id } },
    h('img', { class: 'qr', src: `/lessons/${lesson.id}/qr.svg`, alt: `《${lesson.title}》的二维码`, width: 240, height: 240 }),
    h('figcaption', {},
      h('span', { class: 'qr-title' }, lesson.title),
      h('span', {}, [lesson.teacher, lesson.duration_s ? formatDuration(lesson.duration_s) : ''].filter(Boolean).join(' · '))));
}

async function main() {
  const app = $('#app');
  const pack = new URLSearchParams(location.search).get('pack');
  const { lessons, packs } = await api(pack ? `/v1/lessons?pack=${encodeURIComponent(pack)}` : '/v1/lessons');
  if (!pack) {
    fill(app, h('section', { class: 'card' }, h('h2', {}, '选择要打印二维码的资源包'),
      packs.length ? h('ul', {}, packs.map((p) => h('li', {}, h('a', { href: `/print?pack=${p.pack_id}` }, p.title))))
        : h('p', { class: 'muted' }, '本校服务器还没有资源包。')));
    return;
  }
  const info = packs.find((p) => String(p.pack_id) === pack);
  const title = info ? info.title : `资源包 ${pack}`;
  document.title = `${title} · 微课二维码`;
  fill(app,
    h('div', { class: 'row no-print' },
      h('p', { class: 'grow muted' }, '用手机或平板扫码，在本校网络内打开对应的微课。'),
      h('button', { type: 'button', class: 'primary', id: 'print', onclick: () => window.print() }, '打印')),
    h('h2', { id: 'pack-title' }, `${title}（${lessons.length} 节微课）`),
    lessons.length ? h('div', { class: 'qr-grid' }, lessons.map(card))
      : h('p', { class: 'muted' }, '这个资源包里还没有下载完成的课程。'));
}

main().catch((e) => {
  fill($('#app'), h('p', { class: 'muted' }, '无法读取资源包。'));
  showError(e);
});
