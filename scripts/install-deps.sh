#!/usr/bin/env bash
# Installs every build, test and demo dependency of LessonMesh from Debian 12 packages
# (and, for the web player, from npm). Safe to run again: apt skips what is present.
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
  # config, CLI, JSON, logging, QR
  libtomlplusplus-dev libcli11-dev nlohmann-json3-dev libspdlog-dev libfmt-dev libqrencode-dev
  # tests
  googletest libgtest-dev libgmock-dev
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
