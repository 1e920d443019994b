// Browser test: the classroom page (edge, "/"). A teacher's recording goes through the origin, an
// admin publishes it in a pack for a 教共体, and a rural school's edge fetches it; then the catalog
// and the origin are stopped. Offline, the edge's page finds the lesson by a Chinese word, opens it
// by keyboard and plays it (currentTime passes 2 s, no player error) with a quality choice offering
// exactly the renditions the edge holds; its play events (start, then end when the player is
// closed) reach the edge's store; the chapters the teacher set through the origin are listed beside
// the player and a click on one seeks to it; opened again from its link (/#lesson=ID, what the QR codes
// carry) it resumes where the class stopped; it fits a phone; and no request the page made left
// the edge's host.
import { join } from 'node:path';

import {
  createToken, fitsWidth, getJson, launchBrowser, log, makeClip, makeSchools, newPage, parseArgs, publishPack,
  requestsElsewhere, run, screenshot, startCatalog, startEdge, startOrigin, tempDir, uploadLesson, waitFor,
  waitForPlayable,
} from './lib.mjs';

const args = parseArgs();

await run('classroom_page', async (track) => {
  const dir = tempDir('classroom');
  const catalog = await startCatalog(args, dir);
  track(catalog);
  await makeSchools(catalog, [
    { id: 'tianhe-3', name: '天河第三小学', county: '天河区', kind: 'urban', pupils: 1800 },
    { id: 'conghua-lk', name: '良口镇中心小学', county: '从化区', kind: 'rural', pupils: 260 },
  ]);
  await getJson(`${catalog.url}/v1/communities`, catalog.adminToken, {
    method: 'POST',
    body: { id: 'th-ch', name: '天河—从化城乡教共体', model: 'fusion', level: 'cross_county', core_school: 'tianhe-3', members: ['conghua-lk'] },
  });
  const origin = await startOrigin(args, dir, catalog);
  track(origin);
  const teacher = createToken(args.binDir, catalog.data, 'teacher', 'tianhe-3');
  const clip = makeClip(join(dir, 'clip.mp4'), { seconds: 12, videoKbps: 1500 });
  const uploadedId = await uploadLesson(args, origin, teacher, clip, dir, { title: '分数的初步认识', teacher: '王老师' });
  // The teacher marks chapters: a new version of the lesson, which the pack carries.
  const version = await getJson(`${origin.url}/v1/lessons/${uploadedId}/chapters`, teacher, {
    method: 'PUT',
    body: { chapters: [{ start_s: 0, end_s: 6, title: '复习导入' }, { start_s: 6, end_s: 12, title: '分数的意义' }] },
  });
  const lessonId = version.lesson_id;
  const pack = await publishPack(catalog, '三年级数学 分数单元', [lessonId], { communities: ['th-ch'] });
  log(`pack ${pack.pack_id} published`);

  const edge = await startEdge(args, dir, catalog, 'conghua-lk', { renditions: ['360p', '240p'] });
  track(edge);
  const held = (await waitForPlayable(edge, [lessonId])).find((l) => l.id === lessonId);
  log(`edge holds ${lessonId} with ${held.renditions.join(', ')}`);
  await origin.stop();
  await catalog.stop();
  const statusBefore = await (await fetch(`${edge.url}/v1/status`)).json();
  if (statusBefore.plays_pending !== 0) throw new Error(`plays pending before the class: ${statusBefore.plays_pending}`);

  const browser = await launchBrowser();
  const page = await newPage(browser);
  await page.goto(`${edge.url}/`);
  await page.getByRole('heading', { name: '三年级数学 分数单元' }).waitFor();
  await page.locator('#lessons img.poster').evaluate((img) => img.decode());
  await screenshot(page, args, 'classroom_lessons');

  // The edge's own Chinese search, then the lesson opened from its tile by keyboard.
  await page.focus('#search');
  await page.keyboard.type('分数');
  await page.keyboard.press('Enter');
  await page.getByRole('heading', { name: '搜索“分数”：1 节课' }).waitFor();
  const tiles = page.locator('#lessons button.tile');
  if ((await tiles.count()) !== 1) throw new Error(`search found ${await tiles.count()} tiles`);
  const tileText = await tiles.first().innerText();
  if (!tileText.includes('分数的初步认识') || !tileText.includes('王老师') || !tileText.includes('秒')) {
    throw new Error(`tile shows ${JSON.stringify(tileText)}`);
  }
  await tiles.first().focus();
  await page.keyboard.press('Enter');
  await page.locator('#player-title', { hasText: '分数的初步认识' }).waitFor();
  if (!page.url().endsWith(`#lesson=${lessonId}`)) throw new Error(`address ${page.url()}`);

  const video = page.locator('#video');
  await video.waitFor();
  await page.evaluate(() => {
    const v = document.querySelector('#video');
    v.muted = true;
    return v.play().catch(() => {});
  });
  await waitFor('the lesson to pass 2 s', () => page.evaluate(() => document.querySelector('#video').currentTime > 2),
    { timeoutMs: 60000 });
  const videoError = await page.evaluate(() => document.querySelector('#video').error);
  if (videoError) throw new Error(`video error ${JSON.stringify(videoError)}`);

  // The quality choice offers exactly what the edge holds (its master playlist lists no other).
  const qualities = await page.locator('#quality option').allTextContents();
  const wantQualities = ['自动（流畅优先）', ...[...held.renditions].sort((a, b) => parseInt(b, 10) - parseInt(a, 10))];
  if (JSON.stringify(qualities) !== JSON.stringify(wantQualities)) {
    throw new Error(`quality choice ${JSON.stringify(qualities)}, the edge holds ${JSON.stringify(held.renditions)}`);
  }
  await page.selectOption('#quality', { label: '240p' });
  await screenshot(page, args, 'classroom_player');

  // The start event reached the edge's store (the catalog is down, so it waits there).
  await waitFor('the start event at the edge', async () => (await (await fetch(`${edge.url}/v1/status`)).json()).plays_pending >= 1,
    { timeoutMs: 30000 });
  await page.evaluate(() => document.querySelector('#video').pause());
  const stoppedAt = await page.evaluate(() => document.querySelector('#video').currentTime);
  await page.keyboard.press('Escape');
  await page.locator('#player-section').waitFor({ state: 'hidden' });
  await waitFor('the end event at the edge', async () => (await (await fetch(`${edge.url}/v1/status`)).json()).plays_pending >= 2,
    { timeoutMs: 30000 });
  const queued = await page.evaluate(() => window.lessonmesh.plays.pending().length);
  if (queued !== 0) throw new Error(`${queued} play events still queued in the page`);

  // Opened from its link (what the QR code carries), it goes on where the class stopped.
  await page.goto(`${edge.url}/?from=qr#lesson=${lessonId}`);
  await page.locator('#player-title', { hasText: '分数的初步认识' }).waitFor();
  await page.getByText('从上次停下的').waitFor();
  const resumedAt = await waitFor('the player to resume', () => page.evaluate(() => {
    const v = document.querySelector('#video');
    return v && v.readyState >= 1 && v.currentTime > 0 ? v.currentTime : 0;
  }), { timeoutMs: 30000 });
  log(`stopped at ${stoppedAt.toFixed(1)} s, resumed at ${resumedAt.toFixed(1)} s`);
  if (Math.abs(resumedAt - Math.floor(stoppedAt)) > 1.5) throw new Error(`resumed at ${resumedAt}, stopped at ${stoppedAt}`);

  // The chapters, from the lesson's lesson.json: a click seeks there and marks the chapter.
  const chapters = page.locator('#chapters button.chapter');
  await chapters.first().waitFor();
  const chapterTexts = await chapters.allInnerTexts();
  if (JSON.stringify(chapterTexts) !== JSON.stringify(['00:00 复习导入', '00:06 分数的意义'])) {
    throw new Error(`chapters shown ${JSON.stringify(chapterTexts)}`);
  }
  await chapters.nth(1).click();
  await waitFor('the player at the second chapter', () => page.evaluate(() => {
    const t = document.querySelector('#video').currentTime;
    return t >= 6 && t < 8;
  }), { timeoutMs: 30000 });
  await page.locator('#chapters button.chapter[aria-current]', { hasText: '分数的意义' }).waitFor();


  await page.setViewportSize({ width: 390, height: 844 });
  if (!(await fitsWidth(page))) throw new Error('the classroom page is wider than a phone');

  const bannerErrors = await page.locator('.banner.error:visible').count();
  if (bannerErrors) throw new Error(`error banner shown: ${await page.locator('.banner.error').innerText()}`);
  if (page.errors.length) throw new Error(`page errors: ${page.errors.join('\n')}`);
  const elsewhere = requestsElsewhere(page, edge.url);
  if (elsewhere.length) throw new Error(`requests left the edge: ${elsewhere.join(', ')}`);
  log(`${page.requests.length} requests, all to ${new URL(edge.url).host}`);
});
