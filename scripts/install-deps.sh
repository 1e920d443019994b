#!/usr/bin/env bash
# Installs every build, test and demo dependency of LessonMesh from Debian 12 packages
# (and, for the web pages and the stock tus client test, from npm). Safe to run again: apt skips
# what is present, npm runs only when tests/tus_js's lock is newer than its node_modules.
set -euo pipefail

SUDO=""
if [ "$(id -u)" != 0 ]; then SUDO="sudo"; fi

packages=(
  build-essential cmake ninja-build ccache pkg-config git python3
  # media
  libavformat-dev libavcodec-dev libavutil-dev libswscale-dev libswresample-dev libavfilter-dev
  ffmpeg fonts-wqy-microhei fontconfig
  # transfer, HTTP, storage, crypto, hashing
  libtorrent-rasterbar-dev libboost-dev libboost-system-dev libsqlite3-dev libssl-dev libxxhash-dev
  # the catalog's PostgreSQL store (libpq) and the server its tests start (initdb, postgres; setpriv
  # from util-linux runs it unprivileged when the tests run as root)
  libpq-dev postgresql util-linux
  # config, CLI, JSON, logging, QR
  libtomlplusplus-dev libcli11-dev nlohmann-json3-dev libspdlog-dev libfmt-dev libqrencode-dev
  # the printed QR sheets: PDF (cairo) with Chinese text (pango, the CJK font above), JPEG posters
  libcairo2-dev libpango1.0-dev libturbojpeg0-dev
  # tests; stock clients the origin must work with (BitTorrent)
  googletest libgtest-dev libgmock-dev aria2 transmission-cli
  # the QR sheets read back: pages rasterised and text extracted (poppler), codes decoded (zbar)
  poppler-utils zbar-tools
  # the fuzz harnesses (tests/fuzz): clang with libFuzzer and the sanitizers' runtimes
  clang libclang-rt-14-dev
  # bench/edge_serve serves the same file with it, side by side with the edge
  nginx
  # the web pages' browser tests (playwright-core drives it; no browser is downloaded)
  chromium
  # the network lab (tests/netlab): namespaces, veth and HTB (ip, tc), loss and the delay
  # lines' queues (iptables, libnetfilter-queue), no segmentation offload on its links (ethtool)
  iproute2 iptables ethtool libnetfilter-queue-dev
)

export DEBIAN_FRONTEND=noninteractive
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  $SUDO apt-get update -qq
  $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi

# node and npm (the stock tus client test; the web player). A nodesource nodejs bundles npm and
# conflicts with Debian's npm package, so apt installs them only when the commands are missing.
if ! command -v node >/dev/null 2>&1 || ! command -v npm >/dev/null 2>&1; then
  $SUDO apt-get update -qq
  $SUDO apt-get install -y -qq --no-install-recommends nodejs npm
fi

# tests/tus_js: tus-js-client, pinned by its lock; installed again only when the lock is newer.
tus_js="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)/tests/tus_js"
if [ ! -d "$tus_js/node_modules" ] || [ "$tus_js/package-lock.json" -nt "$tus_js/node_modules" ] \
   || [ "$tus_js/package.json" -nt "$tus_js/node_modules" ]; then
  if [ -f "$tus_js/package-lock.json" ]; then
    (cd "$tus_js" && npm ci --no-audit --no-fund --loglevel=error >/dev/null)
  else
    (cd "$tus_js" && npm install --no-audit --no-fund --loglevel=error >/dev/null)
  fi
  touch "$tus_js/node_modules"
fi

# web/: the pages' npm packages (hls.js, echarts, tus-js-client; esbuild bundles them into web/dist
# at build time; playwright-core drives Debian's chromium in the browser tests), pinned by the
# lock; installed again only when the lock is newer. No browser download.
web="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)/web"
if [ ! -d "$web/node_modules" ] || [ "$web/package-lock.json" -nt "$web/node_modules" ] \
   || [ "$web/package.json" -nt "$web/node_modules" ]; then
  (cd "$web" && PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 npm ci --no-audit --no-fund --loglevel=error >/dev/null)
  touch "$web/node_modules"
fi
