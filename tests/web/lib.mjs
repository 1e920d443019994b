// What the browser tests share: real services started from the built binaries (catalog, origin),
// tokens, headless Debian Chromium through playwright-core (no browser download), waits with a
// deadline, and cleanup of every child process however the test ends.
//
// A test is `node tests/web/X_test.mjs --bin-dir BUILD/bin --web-dir web/dist --out DIR`.
import { execFileSync, spawn } from 'node:child_process';
import { createPublicKey, verify } from 'node:crypto';
import { mkdirSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const { chromium } = await import(resolve(here, '../../web/node_modules/playwright-core/index.mjs'));

export function parseArgs(argv = process.argv.slice(2)) {
  const args = { binDir: resolve(here, '../../build/bin'), webDir: resolve(here, '../../web/dist'), out: null };
  for (let i = 0; i < argv.length; i += 2) {
    const v = argv[i + 1];
    if (argv[i] === '--bin-dir') args.binDir = resolve(v);
    else if (argv[i] === '--web-dir') args.webDir = resolve(v);
    else if (argv[i] === '--out') args.out = resolve(v);
    else throw new Error(`unknown argument ${argv[i]}`);
  }
  args.out = args.out || join(process.cwd(), 'web-artefacts');
  mkdirSync(args.out, { recursive: true });
  return args;
}

const children = new Set();
const cleanups = [];  // browsers
const dirs = [];      // removed last, once every service has stopped

function killAll() {
  for (const c of children) {
    try {
      process.kill(-c.pid, 'SIGKILL');
    } catch {
      // already gone
    }
  }
  children.clear();
}
process.on('exit', killAll);
for (const sig of ['SIGINT', 'SIGTERM']) {
  process.on(sig, () => {
    killAll();
    process.exit(1);
  });
}

export function log(...parts) {
  process.stdout.write(`[${new Date().toISOString().slice(11, 23)}] ${parts.join(' ')}\n`);
}

// Polls `fn` until it returns a truthy value; throws naming `what` at the deadline.
export async function waitFor(what, fn, { timeoutMs = 30000, intervalMs = 100 } = {}) {
  const deadline = Date.now() + timeoutMs;
  let lastError = null;
  for (;;) {
    try {
      const v = await fn();
      if (v) return v;
    } catch (e) {
      lastError = e;
    }
    if (Date.now() > deadline) {
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${lastError ? `: ${lastError.message}` : ''}`);
    }
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}

export function tempDir(name) {
  const dir = mkdtempSync(join(tmpdir(), `lm-web-${name}-`));
  dirs.push(dir);
  return dir;
}

// A TCP port nobody listens on right now (for a service that must come back on the same port).
export function freePort() {
  return new Promise((res, rej) => {
    const s = createServer();
    s.on('error', rej);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => res(port));
    });
  });
}

// A started program in its own process group, stdout and stderr kept in files under `dir`.
export class Service {
  constructor(name, bin, args, dir) {
    this.name = name;
    this.bin = bin;
    this.args = args;
    this.dir = dir;
    this.starts = 0;
  }

  async start({ timeoutMs = 30000 } = {}) {
    const n = this.starts++;
    this.outPath = join(this.dir, `${this.name}.${n}.out`);
    this.errPath = join(this.dir, `${this.name}.${n}.log`);
    writeFileSync(this.outPath, '');
    writeFileSync(this.errPath, '');
    const child = spawn(this.bin, this.args, {
      detached: true,
      stdio: ['ignore', openSync(this.outPath, 'a'), openSync(this.errPath, 'a')],
    });
    this.child = child;
    children.add(child);
    this.exited = new Promise((res) => child.on('exit', (code, signal) => {
      children.delete(child);
      res({ code, signal });
    }));
    let exitedEarly = null;
    this.exited.then((e) => { exitedEarly = e; });
    this.url = await waitFor(`${this.name} to listen`, () => {
      if (exitedEarly) throw new Error(`${this.name} exited (${JSON.stringify(exitedEarly)}): ${this.stderr()}`);
      const m = readFileSync(this.outPath, 'utf8').match(/listening on (http:\/\/[0-9.:]+)/);
      return m && m[1];
    }, { timeoutMs });
    log(`${this.name} listening at ${this.url}`);
    return this.url;
  }

  stderr() {
    try {
      return readFileSync(this.errPath, 'utf8').slice(-4000);
    } catch {
      return '';
    }
  }

  // SIGTERM, then waits for a clean exit.
  async stop({ timeoutMs = 20000 } = {}) {
    if (!this.child || !children.has(this.child)) return;
    process.kill(-this.child.pid, 'SIGTERM');
    const timer = new Promise((_, rej) => setTimeout(() => rej(new Error(`${this.name} did not stop in ${timeoutMs} ms`)), timeoutMs));
    const result = await Promise.race([this.exited, timer]);
    log(`${this.name} stopped (${JSON.stringify(result)})`);
    return result;
  }
}

// `lessonmesh-catalog --data-dir DIR token create ...` -> the token.
export function createToken(binDir, dataDir, role, school = '') {
  const args = ['--data-dir', dataDir, 'token', 'create', '--role', role, '--label', 'browser-test'];
  if (school) args.push('--school', school);
  return execFileSync(join(binDir, 'lessonmesh-catalog'), args, { encoding: 'utf8', timeout: 30000 }).trim();
}

export async function startCatalog(args, dir) {
  const data = join(dir, 'catalog');
  const catalog = new Service('catalog', join(args.binDir, 'lessonmesh-catalog'),
    ['--data-dir', data, '--port', '0', '--web-dir', args.webDir, '--worker-threads', '2'], dir);
  catalog.data = data;
  // Tokens are issued into the store before the service opens it, as an operator would.
  mkdirSync(data, { recursive: true });
  await catalog.start();
  catalog.adminToken = readFileSync(join(data, 'admin.token'), 'utf8').trim();
  return catalog;
}

export async function startOrigin(args, dir, catalog, { port = 0 } = {}) {
  const originToken = createToken(args.binDir, catalog.data, 'origin');
  const origin = new Service('origin', join(args.binDir, 'lessonmesh-origin'), [
    '--data-dir', join(dir, 'origin'), '--port', String(port), '--torrent-port', '0', '--lsd', 'false',
    '--catalog-url', catalog.url, '--catalog-token', originToken, '--web-dir', args.webDir,
  ], dir);
  await origin.start({ timeoutMs: 60000 });
  return origin;
}

// JSON over HTTP with a bearer token; throws on a non-2xx status.
export async function getJson(url, tokenValue, { method = 'GET', body } = {}) {
  const headers = { Authorization: `Bearer ${tokenValue}` };
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  const res = await fetch(url, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
  const text = await res.text();
  if (!res.ok) throw new Error(`${method} ${url}: ${res.status} ${text}`);
  return JSON.parse(text);
}

export async function launchBrowser() {
  const browser = await chromium.launch({
    executablePath: process.env.LM_CHROMIUM || '/usr/bin/chromium',
    args: ['--no-sandbox', '--disable-dev-shm-usage', '--autoplay-policy=no-user-gesture-required'],
    timeout: 60000,
  });
  cleanups.push(() => browser.close().catch(() => {}));
  return browser;
}

// A page that records every request it makes and every console error and page error.
export async function newPage(browser, { width = 1366, height = 768 } = {}) {
  const context = await browser.newContext({ viewport: { width, height }, locale: 'zh-CN', timezoneId: 'Asia/Shanghai' });
  const page = await context.newPage();
  page.requests = [];
  page.errors = [];
  page.on('request', (r) => page.requests.push(r));
  page.on('pageerror', (e) => page.errors.push(`pageerror: ${e.message}`));
  page.on('console', (m) => {
    if (m.type() === 'error') page.errors.push(`console: ${m.text()}`);
  });
  page.setDefaultTimeout(30000);
  return page;
}

// Whether the page comes to fit its viewport's width (no sideways scrolling on a phone) within a few
// seconds of a resize: charts and grids lay themselves out again on the resize event, not at once.
export async function fitsWidth(page, seconds = 10) {
  try {
    await page.waitForFunction(() => document.documentElement.scrollWidth <= window.innerWidth + 1, null,
                               { timeout: seconds * 1000 });
    return true;
  } catch {
    return false;
  }
}

// A JPEG screenshot of the page (test artefacts stay small).
export async function screenshot(page, args, name) {
  const path = join(args.out, `${name}.jpg`);
  await page.screenshot({ path, type: 'jpeg', quality: 60 });
  log(`screenshot ${path}`);
}

// Runs the test body; on failure prints the services' logs; always stops everything.
export async function run(name, body) {
  const started = Date.now();
  let services = [];
  try {
    await body((...s) => { services = services.concat(s); });
    log(`${name}: passed in ${((Date.now() - started) / 1000).toFixed(1)} s`);
  } catch (e) {
    process.exitCode = 1;
    process.stderr.write(`${name}: FAILED: ${e.stack || e}\n`);
    for (const s of services) process.stderr.write(`--- ${s.name} stderr ---\n${s.stderr()}\n`);
  } finally {
    for (const c of cleanups.splice(0).reverse()) await c();
    for (const s of services) await s.stop().catch(() => {});
    killAll();
    if (!process.exitCode || !process.env.LM_KEEP_TEST_DIRS) for (const d of dirs) rmSync(d, { recursive: true, force: true });
  }
  process.exit(process.exitCode || 0);
}

// A short lesson clip made by the ffmpeg CLI: `seconds` of 640x360 test pattern with a tone.
export function makeClip(path, { seconds = 8, videoKbps = 2500 } = {}) {
  execFileSync('ffmpeg', ['-hide_banner', '-loglevel', 'error', '-y',
    '-f', 'lavfi', '-i', `testsrc2=size=640x360:rate=25:duration=${seconds}`,
    '-f', 'lavfi', '-i', `sine=frequency=440:sample_rate=48000:duration=${seconds}`,
    '-c:v', 'libx264', '-preset', 'veryfast', '-b:v', `${videoKbps}k`, '-g', '50', '-pix_fmt', 'yuv420p',
    '-c:a', 'aac', '-b:a', '96k', '-shortest', '-movflags', '+faststart', path], { timeout: 120000 });
  return path;
}

// A courseware document (a small PDF) made into a bundle by lessonmesh-transcode and registered
// in the catalog as the origin would (POST /v1/lessons). Returns the lesson id.
export async function registerDocument(args, catalog, dir, { title, teacher = '王老师', subject = '数学', grade = '三年级' }) {
  const src = join(dir, `${title}.pdf`);
  writeFileSync(src, `%PDF-1.4\n% ${title}\n%%EOF\n`);
  const out = join(dir, 'bundles', title);
  const summary = JSON.parse(execFileSync(join(args.binDir, 'lessonmesh-transcode'),
    [src, '-o', out, '--title', title, '--teacher', teacher, '--subject', subject, '--grade', grade, '--json'],
    { encoding: 'utf8', timeout: 60000 }));
  await getJson(`${catalog.url}/v1/lessons`, catalog.adminToken, {
    method: 'POST',
    body: {
      manifest: JSON.parse(readFileSync(join(out, 'lesson.json'), 'utf8')),
      torrent_base64: readFileSync(join(out, 'lesson.torrent')).toString('base64'),
      info_hash_v1: summary.info_hash_v1,
      info_hash_v2: summary.info_hash_v2,
      school_id: 'tianhe-3',
    },
  });
  return summary.id;
}

// Whether `signatureBase64` is the catalog's Ed25519 signature of `manifest` (its GET /v1/keys key).
export async function verifyPackSignature(catalogUrl, manifest, signatureBase64) {
  const { public_key: raw } = await (await fetch(`${catalogUrl}/v1/keys`)).json();
  const spki = Buffer.concat([Buffer.from('302a300506032b6570032100', 'hex'), Buffer.from(raw, 'base64')]);
  const key = createPublicKey({ key: spki, format: 'der', type: 'spki' });
  return verify(null, Buffer.from(manifest, 'utf8'), key, Buffer.from(signatureBase64, 'base64'));
}

// Schools and a 教共体 made through the API (as an admin).
export async function makeSchools(catalog, schools) {
  for (const s of schools) await getJson(`${catalog.url}/v1/schools`, catalog.adminToken, { method: 'POST', body: s });
}

// A recording uploaded through the origin by the teachers' CLI (`lessonmesh upload --json`), which
// waits for the transcode. Returns the lesson id.
export async function uploadLesson(args, origin, teacherToken, clip, dir, { title, teacher = '王老师', subject = '数学', grade = '三年级' }) {
  const out = await new Promise((res, rej) => {
    const child = spawn(join(args.binDir, 'lessonmesh'), ['upload', clip, '--origin', origin.url, '--token', teacherToken,
      '--title', title, '--teacher', teacher, '--subject', subject, '--grade', grade, '--json',
      '--state-file', join(dir, 'uploads.json')], { stdio: ['ignore', 'pipe', 'pipe'] });
    children.add(child);
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => { stdout += d; });
    child.stderr.on('data', (d) => { stderr += d; });
    const timer = setTimeout(() => child.kill('SIGKILL'), 300000);
    child.on('exit', (code) => {
      clearTimeout(timer);
      children.delete(child);
      if (code === 0) res(stdout);
      else rej(new Error(`lessonmesh upload ${title}: exit ${code}: ${stderr.slice(-2000)}`));
    });
  });
  const { lesson_id: id } = JSON.parse(out.trim().split('\n').pop());
  log(`uploaded ${title} as lesson ${id}`);
  return id;
}

// A pack published by the admin once the catalog knows every lesson (the origin registers a
// lesson shortly after its job is done). Returns the signed pack.
export async function publishPack(catalog, title, lessonIds, targets) {
  return waitFor(`the catalog to publish ${title}`, () => getJson(`${catalog.url}/v1/packs`, catalog.adminToken, {
    method: 'POST', body: { title, items: lessonIds.map((id) => ({ lesson_id: id, needed_by: '2026-12-01' })), targets },
  }), { timeoutMs: 60000, intervalMs: 500 });
}

// A school's edge enrolled as an IT teacher would (its token, the catalog's pinned key in
// edge.toml), listening on loopback; `renditions`: what the school keeps.
export async function startEdge(args, dir, catalog, school, { renditions = ['360p', '240p'] } = {}) {
  const edgeDir = join(dir, 'edge');
  mkdirSync(edgeDir, { recursive: true });
  writeFileSync(join(edgeDir, 'edge.token'), `${createToken(args.binDir, catalog.data, 'edge', school)}\n`, { mode: 0o600 });
  const { public_key: key } = await (await fetch(`${catalog.url}/v1/keys`)).json();
  const toml = [
    `school_id = "${school}"`, `catalog_url = "${catalog.url}"`, `token_file = "${join(edgeDir, 'edge.token')}"`,
    `catalog_key = "${key}"`, `cache_dir = "${join(edgeDir, 'cache')}"`,
    `renditions = [${renditions.map((r) => `"${r}"`).join(', ')}]`,
    'listen = "127.0.0.1"', 'port = 0', 'torrent_port = 0', 'lsd = false', 'poll_wait_seconds = 2',
    'report_interval_seconds = 2', `web_dir = "${args.webDir}"`, '',
  ].join('\n');
  writeFileSync(join(edgeDir, 'edge.toml'), toml);
  const edge = new Service('edge', join(args.binDir, 'lessonmesh-edge'), ['--config', join(edgeDir, 'edge.toml')], dir);
  await edge.start({ timeoutMs: 60000 });
  return edge;
}

// Waits until the edge offers every lesson of `ids` for playing.
export async function waitForPlayable(edge, ids, { timeoutMs = 240000 } = {}) {
  return waitFor(`the edge to hold ${ids.length} lessons`, async () => {
    const { lessons } = await (await fetch(`${edge.url}/v1/lessons`)).json();
    const ready = lessons.filter((l) => l.playable && ids.includes(l.id));
    return ready.length === ids.length && lessons;
  }, { timeoutMs, intervalMs: 500 });
}

// The requests of `page` that went anywhere but `url`'s host (blob: and data: stay in the page).
export function requestsElsewhere(page, url) {
  const host = new URL(url).host;
  return page.requests.map((r) => r.url()).filter((u) => {
    const p = new URL(u);
    if (p.protocol === 'blob:' || p.protocol === 'data:') return false;
    return p.host !== host;
  });
}
