// Browser test: the teacher's page (origin, "/"). A teacher signs in with a link carrying a token,
// picks a clip, fills in the lesson and its chapters and uploads it; the origin is stopped in the middle of the
// upload and started again on the same port; the page resumes from the origin's offset (its HEAD
// after the restart answers an offset above zero and the next PATCH starts there), shows the
// transcode job done, and the preview plays (currentTime passes 2 s with no player error); a
// micro-course cut from it on the page becomes a lesson naming its parent and range. The
// lesson is then listed under "my lessons", and the page fits a phone's width. A second upload
// survives a page reload: the page lists it as unfinished, and picking the same file again goes on
// from the origin's offset.
import { statSync } from 'node:fs';
import { join } from 'node:path';

import {
  createToken, fitsWidth, freePort, getJson, launchBrowser, log, makeClip, newPage, parseArgs, run, screenshot,
  startCatalog, startOrigin, tempDir, waitFor,
} from './lib.mjs';

const args = parseArgs();

await run('teacher_page', async (track) => {
  const dir = tempDir('teacher');
  const clip = makeClip(join(dir, '分数的初步认识.mp4'), { seconds: 8, videoKbps: 2500 });
  const size = statSync(clip).size;
  const catalog = await startCatalog(args, dir);
  track(catalog);
  const teacherToken = createToken(args.binDir, catalog.data, 'teacher', 'tianhe-3');
  const port = await freePort();
  const origin = await startOrigin(args, dir, catalog, { port });
  track(origin);

  const browser = await launchBrowser();
  const page = await newPage(browser);
  await page.goto(`${origin.url}/#token=${teacherToken}`);
  await page.getByRole('heading', { name: '上传一节课' }).waitFor();
  if (page.url().includes('token=')) throw new Error('the sign-in link left the token in the address bar');
  await page.getByText('还没有上传过课程').waitFor();

  // Keyboard: every field reached with Tab after the file is picked.
  await page.setInputFiles('#file', clip);
  await page.fill('#title', '分数的初步认识');
  await page.focus('#title');
  await page.keyboard.press('Tab');
  await page.keyboard.type('王老师');
  await page.keyboard.press('Tab');
  await page.keyboard.press('Tab');
  await page.selectOption('#grade', '三年级');
  // Chapters, one a line: a line the page cannot read is refused there, before anything is sent.
  await page.fill('#chapters', '导入 00:00-00:03');
  await page.click('#start');
  await page.getByText('章节第 1 行').waitFor();
  await page.fill('#chapters', '00:00-00:03 导入\n0:03-0:08 新课');

  // The link is slow (throttled in the browser), so the upload is still going when the origin stops.
  const cdp = await page.context().newCDPSession(page);
  await cdp.send('Network.enable');
  await cdp.send('Network.emulateNetworkConditions', {
    offline: false, latency: 20, downloadThroughput: -1, uploadThroughput: 250 * 1024,
  });
  const created = page.waitForResponse((r) => r.request().method() === 'POST' && r.url().endsWith('/uploads'));
  await page.focus('#start');
  await page.keyboard.press('Enter');
  const location = (await created).headers().location;
  const uploadUrl = new URL(location, origin.url).href;
  log(`upload ${uploadUrl}, ${size} bytes`);

  const originOffset = async () => {
    const res = await fetch(uploadUrl, { method: 'HEAD', headers: { 'Tus-Resumable': '1.0.0', Authorization: `Bearer ${teacherToken}` } });
    return Number(res.headers.get('upload-offset'));
  };
  await waitFor('the origin to hold a quarter of the upload', async () => (await originOffset()) >= size / 4, { timeoutMs: 60000, intervalMs: 50 });
  const requestsBeforeStop = page.requests.length;
  await origin.stop();
  await page.getByText('连接中断，正在重试').waitFor({ timeout: 30000 });
  await origin.start({ timeoutMs: 60000 });
  const offsetAtRestart = await originOffset();
  log(`origin restarted holding ${offsetAtRestart} of ${size} bytes`);
  if (!(offsetAtRestart > 0 && offsetAtRestart < size)) throw new Error(`offset after restart ${offsetAtRestart}`);
  await cdp.send('Network.emulateNetworkConditions', { offline: false, latency: 0, downloadThroughput: -1, uploadThroughput: -1 });

  await page.getByText('转码完成').first().waitFor({ timeout: 180000 });

  // After the restart the page asked the origin where to go on (HEAD) and sent only the rest.
  const after = page.requests.slice(requestsBeforeStop).filter((r) => r.url() === uploadUrl);
  const heads = [];
  for (const r of after) {
    if (r.method() !== 'HEAD') continue;
    const resp = await r.response();
    if (resp && resp.status() === 200) heads.push(Number(resp.headers()['upload-offset']));
  }
  const patches = after.filter((r) => r.method() === 'PATCH');
  if (!heads.length || !patches.length) throw new Error(`no HEAD (${heads}) or PATCH (${patches.length}) after the restart`);
  const resumedAt = Number((await patches[0].allHeaders())['upload-offset']);
  log(`resumed: HEAD said ${heads[0]}, PATCH from ${resumedAt}`);
  if (resumedAt !== heads[0] || resumedAt !== offsetAtRestart || resumedAt === 0) {
    throw new Error(`the upload did not resume from the origin's offset ${offsetAtRestart}: HEAD ${heads[0]}, PATCH ${resumedAt}`);
  }
  const posts = page.requests.filter((r) => r.method() === 'POST' && r.url().endsWith('/uploads'));
  if (posts.length !== 1) throw new Error(`the upload was created ${posts.length} times`);

  // The job is done and the preview plays.
  const uploadId = uploadUrl.split('/').pop();
  const job = await getJson(`${origin.url}/v1/jobs?upload=${uploadId}`, teacherToken);
  if (job.state !== 'done' || !job.lesson_id) throw new Error(`job ${JSON.stringify(job)}`);
  const manifest = await getJson(`${origin.url}/bundles/${job.lesson_id}/lesson.json`, teacherToken);
  const chapters = (manifest.chapters || []).map((c) => `${c.start_s}-${c.title}`).join(',');
  if (chapters !== '0-导入,3-新课') throw new Error(`lesson.json chapters ${JSON.stringify(manifest.chapters)}`);
  const video = page.locator('#preview-video');
  await video.waitFor();
  await page.evaluate(() => {
    const v = document.querySelector('#preview-video');
    v.muted = true;
    return v.play();
  });
  await waitFor('the preview to pass 2 s', () => page.evaluate(() => document.querySelector('#preview-video').currentTime > 2),
    { timeoutMs: 60000 });
  const videoError = await page.evaluate(() => document.querySelector('#preview-video').error);
  if (videoError) throw new Error(`video error ${JSON.stringify(videoError)}`);

  // A micro-course cut from it on the page: a lesson of its own whose lesson.json names the range.
  await page.fill('#preview-clip-at', '00:01-00:03');
  await page.fill('#preview-clip-title', '分数的意义');
  await page.locator('#preview .clip-form button').click();
  const clipId = (await page.locator('#preview .clip-id').first().innerText({ timeout: 60000 })).trim();
  const clipManifest = await getJson(`${origin.url}/bundles/${clipId}/lesson.json`, teacherToken);
  if (clipManifest.title !== '分数的意义' || !clipManifest.parent || clipManifest.parent.lesson_id !== job.lesson_id ||
      clipManifest.parent.start_s !== 1 || clipManifest.parent.end_s !== 3) {
    throw new Error(`clip lesson.json ${JSON.stringify({ title: clipManifest.title, parent: clipManifest.parent })}`);
  }

  // "My lessons" lists it, from the origin's GET /v1/jobs.
  const mine = await getJson(`${origin.url}/v1/jobs`, teacherToken);
  if (mine.jobs.length !== 1 || mine.jobs[0].lesson_id !== job.lesson_id || mine.jobs[0].title !== '分数的初步认识' ||
      mine.jobs[0].teacher !== '王老师') {
    throw new Error(`my lessons: ${JSON.stringify(mine)}`);
  }
  await page.locator('#my-lessons').getByText('分数的初步认识').waitFor();
  const bannerErrors = await page.locator('.banner.error:visible').count();
  if (bannerErrors) throw new Error(`error banner shown: ${await page.locator('.banner.error').innerText()}`);
  await screenshot(page, args, 'teacher');
  const unexpected = page.errors.filter((e) => !/Failed to load resource|ERR_CONNECTION_REFUSED|ERR_EMPTY_RESPONSE|net::/.test(e));
  if (unexpected.length) throw new Error(`page errors: ${unexpected.join('\n')}`);

  await page.setViewportSize({ width: 390, height: 844 });
  if (!(await fitsWidth(page))) throw new Error('the teacher page is wider than a phone');
  await page.setViewportSize({ width: 1366, height: 768 });

  // A reload in the middle of an upload.
  const second = makeClip(join(dir, '小数的初步认识.mp4'), { seconds: 6, videoKbps: 2500 });
  const secondSize = statSync(second).size;
  await page.setInputFiles('#file', second);
  await page.fill('#title', '小数的初步认识');
  await cdp.send('Network.emulateNetworkConditions', { offline: false, latency: 20, downloadThroughput: -1, uploadThroughput: 250 * 1024 });
  const created2 = page.waitForResponse((r) => r.request().method() === 'POST' && r.url().endsWith('/uploads'));
  await page.locator('#start').click();
  const secondUrl = new URL((await created2).headers().location, origin.url).href;
  const secondOffset = async () => Number((await fetch(secondUrl, { method: 'HEAD', headers: { 'Tus-Resumable': '1.0.0', Authorization: `Bearer ${teacherToken}` } })).headers.get('upload-offset'));
  await waitFor('the origin to hold a quarter of the second upload', async () => (await secondOffset()) >= secondSize / 4, { timeoutMs: 60000, intervalMs: 50 });
  await page.reload();
  const heldAtReload = await secondOffset();
  await page.locator('#unfinished').getByText('小数的初步认识').waitFor();
  const beforeRepick = page.requests.length;
  await page.setInputFiles('#file', second);
  await page.locator('#start').click();
  await page.getByText('上传完成，等待转码').waitFor({ timeout: 60000 });
  const afterReload = page.requests.slice(beforeRepick).filter((r) => r.url() === secondUrl);
  const firstPatch = afterReload.find((r) => r.method() === 'PATCH');
  const from = Number((await firstPatch.allHeaders())['upload-offset']);
  log(`after the reload: the origin held ${heldAtReload} of ${secondSize}, the page went on from ${from}`);
  if (!(from >= heldAtReload && from > 0) || !afterReload.some((r) => r.method() === 'HEAD')) {
    throw new Error(`after the reload the upload went on from ${from}, the origin held ${heldAtReload}`);
  }
  if (page.requests.slice(beforeRepick).some((r) => r.method() === 'POST' && r.url().endsWith('/uploads'))) {
    throw new Error('after the reload the page created a new upload instead of resuming');
  }
});
