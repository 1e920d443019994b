// Bundles the pages into dist/: one HTML file per page (pages/*.html), its script (src/pages/*.js
// with hls.js, echarts and tus-js-client inside) and the shared style sheet. The services serve
// dist/ (their `web_dir`): the HTML at a page path ("/admin"), everything else under /web/.
// Nothing is fetched at run time.
//
//   node build.mjs [--outdir DIR]
import { build } from 'esbuild';
import { copyFileSync, mkdirSync, readdirSync, renameSync, rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const outIndex = process.argv.indexOf('--outdir');
const outdir = outIndex > 0 ? process.argv[outIndex + 1] : join(here, 'dist');
// Built beside dist/ and swapped in whole, so a service never serves a half-written page.
const staging = `${outdir}.tmp-${process.pid}`;

const pages = readdirSync(join(here, 'src/pages')).filter((f) => f.endsWith('.js'));
rmSync(staging, { recursive: true, force: true });
mkdirSync(staging, { recursive: true });
try {
  await build({
    entryPoints: Object.fromEntries([
      ...pages.map((f) => [f.replace(/\.js$/, ''), join(here, 'src/pages', f)]),
      ['style', join(here, 'src/shared/style.css')],
    ]),
    outdir: staging,
    bundle: true,
    minify: true,
    sourcemap: false,
    format: 'esm',
    target: ['es2020', 'chrome80', 'safari13'],
    legalComments: 'none',
    logLevel: 'warning',
  });
  for (const f of readdirSync(join(here, 'pages'))) {
    if (f.endsWith('.html')) copyFileSync(join(here, 'pages', f), join(staging, f));
  }
  rmSync(outdir, { recursive: true, force: true });
  renameSync(staging, outdir);
} catch (e) {
  rmSync(staging, { recursive: true, force: true });
  process.stderr.write(`web build failed: ${e.message}\n`);
  process.exit(1);
}
