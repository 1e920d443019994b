// Browser test: the supervisor's dashboard (catalog, "/dashboard"). With two packs published for a
// 教共体 and its schools' edges having reported inventories, free disk and plays (this month and the
// month before), the coverage chart and the plays charts draw exactly the API's numbers
// (GET /v1/reports/coverage, /v1/reports/monthly), the school never heard from stands out, the
// edges table shows last contact and free disk, and the CSV the page downloads is the monthly
// report: the same bytes as the API's CSV and the same numbers as its JSON, lessons_published and
// packs_delivered included.
import { readFileSync } from 'node:fs';

import {
  createToken, fitsWidth, getJson, launchBrowser, log, makeSchools, newPage, parseArgs, registerDocument, run,
  screenshot, startCatalog, tempDir, waitFor,
} from './lib.mjs';

const args = parseArgs();
const utcMonth = (d) => `${d.getUTCFullYear()}-${String(d.getUTCMonth() + 1).padStart(2, '0')}`;

function parseCsv(text) {
  const lines = text.replace(/^\uFEFF/, '').trimEnd().split('\n');
  const header = lines[0].split(',');
  return lines.slice(1).map((l) => Object.fromEntries(l.split(',').map((v, i) => [header[i], v])));
}

await run('dashboard_page', async (track) => {
  const dir = tempDir('dashboard');
  const catalog = await startCatalog(args, dir);
  track(catalog);
  const admin = catalog.adminToken;
  await makeSchools(catalog, [
    { id: 'tianhe-3', name: '天河第三小学', county: '天河区', kind: 'urban', pupils: 1800 },
    { id: 'conghua-lk', name: '良口镇中心小学', county: '从化区', kind: 'rural', pupils: 260 },
    { id: 'conghua-sl', name: '石岭教学点', county: '从化区', kind: 'teaching_point', pupils: 35 },
  ]);
  await getJson(`${catalog.url}/v1/communities`, admin, {
    method: 'POST',
    body: { id: 'th-ch', name: '天河—从化城乡教共体', model: 'fusion', level: 'cross_county', core_school: 'tianhe-3', members: ['conghua-lk', 'conghua-sl'] },
  });
  const math = await registerDocument(args, catalog, dir, { title: '分数的初步认识', subject: '数学', grade: '三年级' });
  const chinese = await registerDocument(args, catalog, dir, { title: '古诗两首', subject: '语文', grade: '四年级' });
  const publish = (title, items, targets) => getJson(`${catalog.url}/v1/packs`, admin, {
    method: 'POST', body: { title, items: items.map((id) => ({ lesson_id: id, needed_by: '2026-12-01' })), targets },
  });
  await publish('三年级数学资源包', [math], { communities: ['th-ch'] });
  await publish('四年级语文资源包', [chinese, math], { communities: ['th-ch'] });

  const now = new Date();
  const thisMonth = Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), 1, 12) / 1000;
  const lastMonth = Date.UTC(now.getUTCFullYear(), now.getUTCMonth() - 1, 15) / 1000;
  const report = (school, body) => getJson(`${catalog.url}/v1/edges/${school}/report`, createToken(args.binDir, catalog.data, 'edge', school),
    { method: 'POST', body });
  await report('conghua-lk', {
    report_id: 'lk-1', free_bytes: 50e9,
    inventory: [{ lesson_id: math, state: 'complete', bytes: 1 }, { lesson_id: chinese, state: 'complete', bytes: 1 }],
    plays: [{ lesson_id: math, started_at: thisMonth, seconds: 600 }, { lesson_id: math, started_at: thisMonth + 60, seconds: 300 },
      { lesson_id: chinese, started_at: thisMonth + 120, seconds: 1200 }, { lesson_id: math, started_at: lastMonth, seconds: 900 }],
  });
  await report('conghua-sl', {
    report_id: 'sl-1', free_bytes: 3e9,
    inventory: [{ lesson_id: math, state: 'complete', bytes: 1 }, { lesson_id: chinese, state: 'partial', bytes: 100 }],
    plays: [{ lesson_id: math, started_at: thisMonth + 180, seconds: 1500 }],
  });
  const supervisor = createToken(args.binDir, catalog.data, 'supervisor');

  const browser = await launchBrowser();
  const page = await newPage(browser);
  await page.goto(`${catalog.url}/dashboard#token=${supervisor}`);
  await page.getByRole('heading', { name: '资源包覆盖情况' }).waitFor();
  const month = utcMonth(now);
  await page.fill('#month', month);
  await page.dispatchEvent('#month', 'change');
  await page.locator('#lessons-published').waitFor();

  // Coverage: every cell is the API's share complete.
  const coverage = await getJson(`${catalog.url}/v1/reports/coverage?community=th-ch`, supervisor);
  const option = (name) => page.evaluate((n) => {
    const chart = window.lessonmesh.charts[n];
    if (!chart) return null;
    const o = chart.getOption();
    return { x: o.xAxis[0].data, y: o.yAxis[0].data, series: o.series.map((s) => s.data) };
  }, name);
  const cov = await waitFor('the coverage chart', () => option('coverage'));
  const want = [];
  coverage.schools.forEach((s, y) => s.packs.forEach((p) => want.push([cov.x.findIndex((l) => l.startsWith(`#${p.pack_id} `)), y,
    Math.round(p.share_complete * 1000) / 10])));
  const drawn = cov.series[0].map((d) => (Array.isArray(d) ? d : d.value));
  const key = (cells) => JSON.stringify([...cells].sort());
  if (key(drawn) !== key(want) || want.length !== 6) throw new Error(`coverage drawn ${JSON.stringify(drawn)}, API ${JSON.stringify(want)}`);
  const shares = want.map((c) => c[2]).sort((a, b) => a - b);
  if (JSON.stringify(shares) !== JSON.stringify([0, 0, 50, 100, 100, 100])) throw new Error(`shares ${shares}`);
  const staleLabels = cov.y.filter((l) => l.startsWith('⚠'));
  if (staleLabels.length !== 1 || !staleLabels[0].includes('天河第三小学')) throw new Error(`stale labels ${JSON.stringify(cov.y)}`);
  await page.locator('#coverage-stale').getByText('天河第三小学（从未联系）').waitFor();
  log('coverage chart matches the API');

  // Plays month by month, and this month by county.
  const plays = await waitFor('the plays chart', async () => {
    const o = await option('plays');
    return o && o.x[o.x.length - 1] === `${Number(month.slice(0, 4))}年${Number(month.slice(5))}月` && o;
  });
  const months = [];
  for (let i = 5; i >= 0; --i) months.push(utcMonth(new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth() - i, 1))));
  const monthly = await Promise.all(months.map((m) => getJson(`${catalog.url}/v1/reports/monthly?month=${m}`, supervisor)));
  const sum = (r, k) => r.rows.reduce((t, row) => t + row[k], 0);
  const wantPlays = monthly.map((r) => sum(r, 'plays'));
  const wantMinutes = monthly.map((r) => Math.round(sum(r, 'minutes') * 10) / 10);
  if (JSON.stringify(plays.series[0]) !== JSON.stringify(wantPlays) || JSON.stringify(plays.series[1]) !== JSON.stringify(wantMinutes)) {
    throw new Error(`plays drawn ${JSON.stringify(plays.series)}, API ${JSON.stringify([wantPlays, wantMinutes])}`);
  }
  if (wantPlays[5] !== 4 || wantPlays[4] !== 1) throw new Error(`plays per month ${wantPlays}`);
  const current = monthly[5];
  const byCounty = await option('breakdown');
  const countyPlays = byCounty.x.map((c) => current.rows.filter((r) => r.county === c).reduce((t, r) => t + r.plays, 0));
  if (JSON.stringify(byCounty.x) !== JSON.stringify(['从化区']) || JSON.stringify(byCounty.series[0]) !== JSON.stringify(countyPlays)) {
    throw new Error(`by county ${JSON.stringify(byCounty)}`);
  }
  log('plays charts match the API');

  // The monthly report and its CSV.
  const shown = Number(await page.locator('#lessons-published').innerText());
  const delivered = Number(await page.locator('#packs-delivered').innerText());
  if (shown !== current.lessons_published || delivered !== current.packs_delivered || current.lessons_published !== 2 ||
      current.packs_delivered !== 3) {
    throw new Error(`report shows ${shown}/${delivered}, API ${current.lessons_published}/${current.packs_delivered}`);
  }
  const [download] = await Promise.all([page.waitForEvent('download'), page.locator('#csv').press('Enter')]);
  const csvBytes = readFileSync(await download.path());
  const apiCsv = Buffer.from(await (await fetch(`${catalog.url}/v1/reports/monthly?month=${month}&format=csv`,
    { headers: { Authorization: `Bearer ${supervisor}` } })).arrayBuffer());
  if (!csvBytes.equals(apiCsv)) throw new Error(`the downloaded CSV differs from the API's:\n${csvBytes}\n${apiCsv}`);
  const csvText = csvBytes.toString('utf8');
  const csvRows = parseCsv(csvText);
  const fromJson = current.rows.map((r) => ({
    month: current.month, lessons_published: String(current.lessons_published), packs_delivered: String(current.packs_delivered),
    community: r.community, county: r.county, subject: r.subject, grade: r.grade, plays: String(r.plays), minutes: r.minutes.toFixed(1),
  }));
  if (JSON.stringify(csvRows) !== JSON.stringify(fromJson)) {
    throw new Error(`CSV ${JSON.stringify(csvRows)} is not the report ${JSON.stringify(fromJson)}`);
  }
  log(`CSV (${csvRows.length} rows) equals the monthly report`);

  // Edges: last contact and free disk.
  const lk = await page.locator('#edges-table tr[data-school="conghua-lk"]').innerText();
  const th = await page.locator('#edges-table tr[data-school="tianhe-3"]').innerText();
  if (!lk.includes('46.6 GB') || !lk.includes('今天') || !th.includes('从未联系')) throw new Error(`edges table: ${lk} / ${th}`);

  if (await page.locator('.banner.error:visible').count()) throw new Error(await page.locator('.banner.error').innerText());
  if (page.errors.length) throw new Error(`page errors: ${page.errors.join('\n')}`);
  await page.evaluate(() => window.scrollTo(0, 0));
  await screenshot(page, args, 'dashboard');
  await page.setViewportSize({ width: 390, height: 844 });
  if (!(await fitsWidth(page))) throw new Error('the dashboard is wider than a phone');
  const outside = page.requests.filter((r) => !r.url().startsWith(catalog.url) && !r.url().startsWith('blob:'));
  if (outside.length) throw new Error(`requests outside the catalog: ${outside.map((r) => r.url()).join(' ')}`);
});
