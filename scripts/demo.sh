#!/usr/bin/env bash
# The LessonMesh demo on one machine: makes a lesson-like clip (a slide with Chinese text, a
# moving region, speech-like audio) and turns it into a lesson bundle.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-deps.sh
cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build build -j "$(nproc)"

work=${LM_DEMO_DIR:-demo-data}
mkdir -p "$work"
clip="$work/lesson-source.mp4"
if [ ! -s "$clip" ]; then
  echo "making a 30 s lesson clip at $clip"
  bash bench/make_lesson_clip.sh "$clip" 30 1280x720
fi

./build/bin/lessonmesh-transcode "$clip" -o "$work/bundles/demo" \
  --title "分数的初步认识" --teacher "王老师" --subject "数学" --grade "三年级" \
  --web-seed http://127.0.0.1:8080/bundles/ --tracker http://127.0.0.1:8080/announce

cat <<MSG

The bundle is in $work/bundles/demo:
  master.m3u8          HLS master playlist (open it in VLC, Safari or ffplay)
  <rung>.mp4/.m3u8     one CMAF fragmented MP4 per rendition, addressed by byte range
  poster.jpg           the poster frame
  lesson.json          manifest: metadata, renditions, every file with its XXH3-128
  lesson.torrent       hybrid v1+v2 torrent of the bundle

Play it:   ffplay $work/bundles/demo/master.m3u8
Inspect:   cat $work/bundles/demo/lesson.json
MSG
