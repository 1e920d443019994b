#!/usr/bin/env bash
# The LessonMesh demo, the whole chain on one machine: a teacher uploads a recorded lesson to the
# origin (resumable), the origin transcodes it into a bundle, registers it in the catalog and
# seeds it; an admin publishes a signed resource pack for a 教共体; a teaching point's edge box
# receives the pack, downloads the bundle peer-to-peer, verifies it and serves the classroom page. Then the services keep
# running and the demo prints each web page's address (with sign-in links) until Ctrl-C.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-deps.sh
cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build build -j "$(nproc)"
bin=./build/bin

work=${LM_DEMO_DIR:-demo-data}
mkdir -p "$work"
clip="$work/lesson-source.mp4"
if [ ! -s "$clip" ]; then
  echo "making a 30 s lesson clip at $clip"
  bash bench/make_lesson_clip.sh "$clip" 30 1280x720
fi

pids=()
stop_services() {
  kill "${pids[@]}" 2>/dev/null || true
  wait "${pids[@]}" 2>/dev/null || true
}
trap stop_services EXIT
# Waits for "listening on http://..." in a service's stdout and prints the URL.
url_of() {
  for _ in $(seq 300); do grep -q listening "$1" 2>/dev/null && break; sleep 0.1; done
  grep -o 'http://[0-9.:]*' "$1" | head -1
}

# The catalog, with tokens for the origin, a city teacher and a teaching point's edge.
catalog_data="$work/catalog"
origin_token=$($bin/lessonmesh-catalog --data-dir "$catalog_data" token create --role origin --label demo)
teacher_token=$($bin/lessonmesh-catalog --data-dir "$catalog_data" token create --role teacher --school tianhe-3)
edge_token=$($bin/lessonmesh-catalog --data-dir "$catalog_data" token create --role edge --school conghua-sl)
supervisor_token=$($bin/lessonmesh-catalog --data-dir "$catalog_data" token create --role supervisor --label demo)
$bin/lessonmesh-catalog --data-dir "$catalog_data" --port 0 > "$work/catalog.out" 2> "$work/catalog.log" &
pids+=($!)
catalog_url=$(url_of "$work/catalog.out")
echo "catalog at $catalog_url (data in $catalog_data)"

# The origin: uploads, transcodes, registers, seeds, web seed and tracker.
$bin/lessonmesh-origin --data-dir "$work/origin" --port 0 --torrent-port 0 --lsd false \
  --catalog-url "$catalog_url" --catalog-token "$origin_token" > "$work/origin.out" 2> "$work/origin.log" &
pids+=($!)
origin_url=$(url_of "$work/origin.out")
echo "origin at $origin_url (data in $work/origin, log in $work/origin.log)"

# A teacher uploads; the CLI follows the transcode job and prints the lesson id.
echo
echo "王老师 uploads the recording:"
$bin/lessonmesh upload "$clip" --origin "$origin_url" --token "$teacher_token" \
  --title "分数的初步认识" --teacher "王老师" --subject "数学" --grade "三年级" \
  --state-file "$work/uploads.json" | tee "$work/upload.out"
lesson_id=$(awk '/^lesson /{print $2}' "$work/upload.out")
bundle="$work/origin/bundles/$lesson_id"

echo
python3 scripts/demo_catalog.py "$catalog_url" "$(cat "$catalog_data/admin.token")" "$edge_token" "$lesson_id"

# The school's side: the teaching point's edge box is enrolled (the catalog's key is pinned), then
# follows its packs, fetches the lesson peer-to-peer from the origin, verifies it and serves the
# classroom page.
echo
echo "石岭教学点's edge box:"
rm -rf "$work/edge"
mkdir -p "$work/edge"
$bin/lessonmesh-edge enrol --catalog "$catalog_url" --token "$edge_token" --school conghua-sl \
  --out "$work/edge/edge.toml" --cache-dir "$work/edge/cache"
$bin/lessonmesh-edge --config "$work/edge/edge.toml" --listen 127.0.0.1 --port 0 --torrent-port 0 --lsd false \
  --schedule "" > "$work/edge.out" 2> "$work/edge.log" &
pids+=($!)
edge_url=$(url_of "$work/edge.out")
python3 - "$edge_url" "$lesson_id" <<'PY'
import json, sys, time, urllib.request
edge, lesson = sys.argv[1], sys.argv[2]
for _ in range(600):
    with urllib.request.urlopen(edge + "/v1/lessons") as r:
        held = [l for l in json.load(r)["lessons"] if l["id"] == lesson]
    if held:
        l = held[0]
        print(f"  the edge holds {l['title']} ({', '.join(l['renditions'])}), verified against lesson.json")
        break
    time.sleep(0.5)
else:
    sys.exit("the edge did not receive the lesson within 5 minutes; see demo-data/edge.log")
PY

cat <<MSG

The bundle is in $bundle (served at $origin_url/bundles/$lesson_id/ while the origin runs):
  master.m3u8          HLS master playlist (open it in VLC, Safari or ffplay)
  <rung>.mp4/.m3u8     one CMAF fragmented MP4 per rendition, addressed by byte range
  poster.jpg           the poster frame
  lesson.json          manifest: metadata, renditions, every file with its XXH3-128
  lesson.torrent       hybrid v1+v2 torrent of the bundle (web seed and tracker: the origin)

Play it:   ffplay $bundle/master.m3u8
Inspect:   cat $bundle/lesson.json
MSG

# The pages, served by the running services; the links sign in with the demo's tokens.
cat <<MSG

The web pages (the services keep running; Ctrl-C stops everything):
  教师上传页 (teacher, origin):      $origin_url/#token=$teacher_token
  资源包管理 (admin, catalog):       $catalog_url/admin#token=$(cat "$catalog_data/admin.token")
  督导看板   (supervisor, catalog):  $catalog_url/dashboard#token=$supervisor_token
  教室播放页 (classroom, edge):       $edge_url/
MSG
trap 'echo; echo "stopping the catalog, the origin and the edge"; exit 0' INT TERM
wait "${pids[@]}"
