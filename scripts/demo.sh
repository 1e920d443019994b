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
./build/bin/lessonmesh-transcode "$clip" -o "$work/bundles/demo" --json \
  --title "分数的初步认识" --teacher "王老师" --subject "数学" --grade "三年级" \
  --web-seed http://127.0.0.1:8080/bundles/ --tracker http://127.0.0.1:8080/announce > "$work/summary.json"

# The catalog: register the lesson, publish a signed pack, fetch it as a rural school's edge.
catalog_data="$work/catalog"
origin_token=$(./build/bin/lessonmesh-catalog --data-dir "$catalog_data" token create --role origin --label demo)
edge_token=$(./build/bin/lessonmesh-catalog --data-dir "$catalog_data" token create --role edge --school conghua-sl)
./build/bin/lessonmesh-catalog --data-dir "$catalog_data" --port 0 > "$work/catalog.out" 2> "$work/catalog.log" &
catalog_pid=$!
trap 'kill $catalog_pid 2>/dev/null || true' EXIT
for _ in $(seq 100); do grep -q listening "$work/catalog.out" 2>/dev/null && break; sleep 0.1; done
catalog_url=$(grep -o 'http://[0-9.:]*' "$work/catalog.out" | head -1)
echo
echo "catalog at $catalog_url (data in $catalog_data)"
python3 scripts/demo_catalog.py "$catalog_url" "$(cat "$catalog_data/admin.token")" "$origin_token" "$edge_token" \
  "$work/bundles/demo" "$work/summary.json"
kill $catalog_pid
wait $catalog_pid 2>/dev/null || true
trap - EXIT

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
