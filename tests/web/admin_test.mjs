// Browser test: the admin's page (catalog, "/admin"). An admin signs in with a link, creates a
// 教共体 with the form, searches lessons in Chinese, adds two results, puts them in order, sets their
// needed-by and pinned-until dates, chooses the rendition policy and the community, and publishes;
// the catalog's signed manifest (signature checked with GET /v1/keys) holds exactly the items, order
// and dates the page set. Then the pack is edited (a date moved) and published again, and the
// version history shows what changed, and the pack's QR sheet downloads as a PDF with its titles.
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import {
  fitsWidth, getJson, launchBrowser, log, makeSchools, newPage, parseArgs, registerDocument, requestsElsewhere, run,
  screenshot, startCatalog, tempDir, verifyPackSignature,
} from './lib.mjs';

const args = parseArgs();

await run('admin_page', async (track) => {
  const dir = tempDir('admin');
  const catalog = await startCatalog(args, dir);
  track(catalog);
  await makeSchools(catalog, [
    { id: 'tianhe-3', name: '天河第三小学', county: '天河区', kind: 'urban', pupils: 1800 },
    { id: 'conghua-lk', name: '良口镇中心小学', county: '从化区', kind: 'rural', pupils: 260 },
    { id: 'conghua-sl', name: '石岭教学点', county: '从化区', kind: 'teaching_point', pupils: 35 },
  ]);
  const fractions = await registerDocument(args, catalog, dir, { title: '分数的初步认识' });
  const fractionSums = await registerDocument(args, catalog, dir, { title: '分数的简单计算' });
  await registerDocument(args, catalog, dir, { title: '小数的初步认识', grade: '四年级' });

  const browser = await launchBrowser();
  const page = await newPage(browser);
  await page.goto(`${catalog.url}/admin#token=${catalog.adminToken}`);
  await page.getByRole('heading', { name: '资源包', exact: true }).waitFor();

  // A 教共体 made with the form.
  await page.fill('#community-id', 'th-ch');
  await page.fill('#community-name', '天河—从化城乡教共体');
  await page.selectOption('#community-model', 'fusion');
  await page.selectOption('#community-level', 'cross_county');
  await page.selectOption('#community-core', 'tianhe-3');
  await page.locator('#community-members').getByLabel('良口镇中心小学').check();
  await page.locator('#community-members').getByLabel('石岭教学点').check();
  await page.locator('#community-form button[type=submit]').press('Enter');
  await page.locator('#communities-table').getByText('天河—从化城乡教共体').waitFor();
  const community = await getJson(`${catalog.url}/v1/communities/th-ch`, catalog.adminToken);
  if (JSON.stringify(community.members) !== JSON.stringify(['conghua-lk', 'conghua-sl', 'tianhe-3'])) {
    throw new Error(`community members ${JSON.stringify(community.members)}`);
  }

  // Search in Chinese, by keyboard: type and press Enter.
  await page.fill('#search-q', '分数');
  await page.press('#search-q', 'Enter');
  await page.getByRole('button', { name: '加入资源包：分数的简单计算' }).waitFor();
  const found = await page.locator('#search-results li').count();
  if (found !== 2) throw new Error(`search 分数 found ${found} lessons, expected 2`);
  await page.getByRole('button', { name: '加入资源包：分数的初步认识' }).click();
  await page.getByRole('button', { name: '加入资源包：分数的简单计算' }).click();
  // Ordered: the second one first.
  await page.getByRole('button', { name: '上移：分数的简单计算' }).press('Enter');
  await page.getByLabel('需要日期：分数的简单计算').fill('2026-12-07');
  await page.getByLabel('需要日期：分数的初步认识').fill('2026-12-14');
  await page.getByLabel('保留至：分数的初步认识').fill('2027-06-30');
  await page.fill('#pack-title', '三年级数学 第八单元 分数');
  await page.selectOption('#pack-policy', 'low');
  await page.locator('#pack-targets').getByLabel('天河—从化城乡教共体').check();
  await page.locator('#publish').press('Enter');
  await page.locator('#published').getByText('资源包 #1 第 1 版').waitFor();

  // The signed manifest holds what the page set.
  const v1 = await getJson(`${catalog.url}/v1/packs/1`, catalog.adminToken);
  if (!(await verifyPackSignature(catalog.url, v1.manifest, v1.signature))) throw new Error('bad signature on version 1');
  const m1 = JSON.parse(v1.manifest);
  const items = m1.items.map((i) => [i.lesson_id, i.title, i.needed_by, i.pinned_until]);
  const want = [[fractionSums, '分数的简单计算', '2026-12-07', ''], [fractions, '分数的初步认识', '2026-12-14', '2027-06-30']];
  if (JSON.stringify(items) !== JSON.stringify(want)) throw new Error(`manifest items ${JSON.stringify(items)}`);
  if (m1.title !== '三年级数学 第八单元 分数' || m1.rendition_policy !== 'low' ||
      JSON.stringify(m1.targets) !== JSON.stringify({ communities: ['th-ch'], schools: [] })) {
    throw new Error(`manifest ${JSON.stringify({ title: m1.title, policy: m1.rendition_policy, targets: m1.targets })}`);
  }
  log('version 1 signed and as set');

  // Edit: move a date, add a school, publish version 2; the history says what changed.
  await page.getByRole('button', { name: '编辑并发布新版本' }).click();
  await page.getByLabel('需要日期：分数的初步认识').fill('2026-12-10');
  await page.locator('#pack-targets').getByLabel('石岭教学点').check();
  await page.locator('#publish').click();
  await page.locator('#published').getByText('资源包 #1 第 2 版').waitFor();
  const v2 = await getJson(`${catalog.url}/v1/packs/1`, catalog.adminToken);
  const m2 = JSON.parse(v2.manifest);
  if (!(await verifyPackSignature(catalog.url, v2.manifest, v2.signature))) throw new Error('bad signature on version 2');
  if (v2.version !== 2 || m2.items[1].needed_by !== '2026-12-10' || m2.items[0].needed_by !== '2026-12-07' ||
      JSON.stringify(m2.targets.schools) !== JSON.stringify(['conghua-sl'])) {
    throw new Error(`version 2 ${JSON.stringify(m2.items.map((i) => i.needed_by))} ${JSON.stringify(m2.targets)}`);
  }
  await page.getByRole('button', { name: '版本历史' }).click();
  await page.locator('#history').getByText('《分数的初步认识》需要日期 2026年12月14日 → 2026年12月10日').waitFor();
  await page.locator('#history').getByText('新增发送对象：学校 石岭教学点').waitFor();

  // The pack's QR sheet: a PDF with the lessons' titles in it (decoding the codes is the C++ tests').
  const [download] = await Promise.all([page.waitForEvent('download'),
    page.getByRole('button', { name: '打印二维码（PDF）' }).click()]);
  const pdf = readFileSync(await download.path());
  if (pdf.subarray(0, 5).toString() !== '%PDF-') throw new Error('the QR sheet is not a PDF');
  const text = execFileSync('pdftotext', ['-enc', 'UTF-8', await download.path(), '-']).toString().replace(/\s/g, '');
  if (!text.includes('分数的初步认识') || !text.includes('分数的简单计算')) throw new Error(`QR sheet text: ${text}`);

  if (await page.locator('.banner.error:visible').count()) throw new Error(await page.locator('.banner.error').innerText());
  if (page.errors.length) throw new Error(`page errors: ${page.errors.join('\n')}`);
  await page.locator('#history').scrollIntoViewIfNeeded();
  await screenshot(page, args, 'admin');
  await page.setViewportSize({ width: 390, height: 844 });
  if (!(await fitsWidth(page))) throw new Error('the admin page is wider than a phone');
  const outside = requestsElsewhere(page, catalog.url);
  if (outside.length) throw new Error(`requests outside the catalog: ${outside.join(' ')}`);
});
