// Browser test: the printable page of a pack's QR codes (edge, "/print?pack=ID"). Two lessons go
// through the origin into a pack and onto a school's edge; with the catalog and the origin
// stopped, the page shows one code per lesson with its title, teacher and duration under it; each
// code, as rendered for printing, decodes (jsQR) to this edge's URL for that lesson
// (http://HOST/#lesson=ID), the edge answers that lesson there, and the URL opens its player.
import { join, resolve } from 'node:path';

import {
  createToken, getJson, launchBrowser, log, makeClip, makeSchools, newPage, parseArgs, publishPack, requestsElsewhere,
  run, screenshot, startCatalog, startEdge, startOrigin, tempDir, uploadLesson, waitFor, waitForPlayable,
} from './lib.mjs';

const args = parseArgs();
const jsQrPath = resolve(new URL('.', import.meta.url).pathname, '../../web/node_modules/jsqr/dist/jsQR.js');

await run('qr_print_page', async (track) => {
  const dir = tempDir('qr');
  const catalog = await startCatalog(args, dir);
  track(catalog);
  await makeSchools(catalog, [
    { id: 'tianhe-3', name: '天河第三小学', county: '天河区', kind: 'urban', pupils: 1800 },
    { id: 'conghua-sl', name: '石岭教学点', county: '从化区', kind: 'teaching_point', pupils: 35 },
  ]);
  const origin = await startOrigin(args, dir, catalog);
  track(origin);
  const teacher = createToken(args.binDir, catalog.data, 'teacher', 'tianhe-3');
  const lessons = [
    { title: '分数的初步认识', teacher: '王老师' },
    { title: '古诗两首', teacher: '李老师', subject: '语文', grade: '四年级' },
  ];
  for (const [i, l] of lessons.entries()) {
    l.id = await uploadLesson(args, origin, teacher, makeClip(join(dir, `clip${i}.mp4`), { seconds: 5 + i, videoKbps: 800 }), dir, l);
  }
  const pack = await publishPack(catalog, '城乡共享微课', lessons.map((l) => l.id), { schools: ['conghua-sl'] });
  const edge = await startEdge(args, dir, catalog, 'conghua-sl', { renditions: ['240p'] });
  track(edge);
  const held = await waitForPlayable(edge, lessons.map((l) => l.id));
  await origin.stop();
  await catalog.stop();

  const browser = await launchBrowser();
  const page = await newPage(browser);
  await page.goto(`${edge.url}/print?pack=${pack.pack_id}`);
  await page.getByRole('heading', { name: '城乡共享微课（2 节微课）' }).waitFor();
  await waitFor('every code to load', () => page.evaluate(() => {
    const imgs = [...document.querySelectorAll('img.qr')];
    return imgs.length === 2 && imgs.every((i) => i.complete && i.naturalWidth > 0);
  }));
  await page.emulateMedia({ media: 'print' });
  await screenshot(page, args, 'qr_print');

  // Each code as printed, decoded by jsQR in a blank page (it makes no request).
  const decoder = await newPage(browser, { width: 800, height: 600 });
  await decoder.addScriptTag({ path: jsQrPath });
  const cards = page.locator('figure.qr-card');
  const seen = [];
  for (let i = 0; i < (await cards.count()); ++i) {
    const card = cards.nth(i);
    const id = await card.getAttribute('data-lesson');
    const caption = await card.locator('figcaption').innerText();
    const png = (await card.locator('img.qr').screenshot({ type: 'png' })).toString('base64');
    const text = await decoder.evaluate(async (b64) => {
      const img = new Image();
      img.src = `data:image/png;base64,${b64}`;
      await img.decode();
      const canvas = document.createElement('canvas');
      canvas.width = img.naturalWidth;
      canvas.height = img.naturalHeight;
      const ctx = canvas.getContext('2d');
      ctx.drawImage(img, 0, 0);
      const data = ctx.getImageData(0, 0, canvas.width, canvas.height);
      const code = window.jsQR(data.data, canvas.width, canvas.height);
      return code ? code.data : null;
    }, png);
    log(`code ${i}: ${JSON.stringify(caption)} -> ${text}`);
    const lesson = lessons.find((l) => l.id === id);
    if (!lesson) throw new Error(`card ${i} names lesson ${id}, not one of the pack's`);
    if (text !== `${edge.url}/#lesson=${id}`) throw new Error(`code ${i} decodes to ${text}, want ${edge.url}/#lesson=${id}`);
    const duration = held.find((l) => l.id === id).duration_s;
    if (!caption.includes(lesson.title) || !caption.includes(lesson.teacher) || !(duration > 0) || !caption.includes('秒')) {
      throw new Error(`caption ${JSON.stringify(caption)} for ${JSON.stringify(lesson)}`);
    }
    // The edge answers that URL: its page, and the lesson behind the fragment.
    const pageRes = await fetch(text);
    if (pageRes.status !== 200 || !(await pageRes.text()).includes('/web/classroom.js')) throw new Error(`${text}: ${pageRes.status}`);
    const answered = await getJson(`${edge.url}/v1/lessons/${id}`, '');
    if (answered.title !== lesson.title || !answered.playable) throw new Error(`edge answers ${JSON.stringify(answered)}`);
    seen.push(id);
  }
  if (JSON.stringify([...seen].sort()) !== JSON.stringify(lessons.map((l) => l.id).sort())) throw new Error(`codes for ${seen}`);

  // A scanned code opens the lesson's player on the classroom page.
  await page.emulateMedia({ media: 'screen' });
  await page.goto(`${edge.url}/#lesson=${lessons[1].id}`);
  await page.locator('#player-title', { hasText: lessons[1].title }).waitFor();

  if (page.errors.length || decoder.errors.length) throw new Error(`page errors: ${[...page.errors, ...decoder.errors].join('\n')}`);
  const elsewhere = requestsElsewhere(page, edge.url);
  if (elsewhere.length) throw new Error(`requests left the edge: ${elsewhere.join(', ')}`);
});
