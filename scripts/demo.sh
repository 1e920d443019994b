#!/usr/bin/env bash
# The LessonMesh demo, the whole chain on one machine: a teacher uploads a recorded lesson to the
# origin (resumable), the origin transcodes it into a bundle, registers it in the catalog and
# seeds it; an admin publishes a signed resource pack for a 教共体; two rural schools' edge boxes
# (a teaching point and a town school) receive the pack, download the bundle peer-to-peer, verify
# it and serve their classroom pages. As root, each box runs in a network namespace of its own,
# joined to the catalog and origin by a bridge (their county network), so every byte crosses a real
# interface; otherwise everything runs on loopback ports (LM_DEMO_LOOPBACK=1 asks for that as
# root too). Then the services keep running and the demo prints each web page's address (with
# sign-in links) until Ctrl-C; LM_DEMO_ONCE=1 stops them at that point instead.
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

started=$(date +%s)
# The schools' network: two namespaces on a bridge when root, loopback otherwise.
boxes=(conghua-sl conghua-lk)
declare -A box_ns box_addr
net_addr=127.0.0.1
catalog_port=0
origin_port=0
if [ "$(id -u)" = 0 ] && [ -z "${LM_DEMO_LOOPBACK:-}" ] && ip netns list >/dev/null 2>&1; then
  net_addr=10.203.0.1
  # Fixed ports on the demo's own network: the torrents name the origin's address, so a second
  # run of the demo over the same data finds the origin where the first left it.
  catalog_port=8090
  origin_port=8070
  box_ns=([conghua-sl]=lmdemo-sl [conghua-lk]=lmdemo-lk)
  box_addr=([conghua-sl]=10.203.0.2 [conghua-lk]=10.203.0.3)
fi
remove_network() {
  for ns in "${box_ns[@]}"; do ip netns del "$ns" 2>/dev/null || true; done
  if [ -n "${box_ns[*]}" ]; then ip link del lmdemo0 2>/dev/null || true; fi
}
if [ -n "${box_ns[*]}" ]; then
  remove_network  # a demo killed before it could clean up
  ip link add lmdemo0 type bridge
  ip addr add 10.203.0.1/24 dev lmdemo0
  ip link set lmdemo0 up
  for box in "${boxes[@]}"; do
    ns=${box_ns[$box]}
    ip netns add "$ns"
    ip link add "${ns#lmdemo-}-demo" type veth peer name eth0 netns "$ns"
    ip link set "${ns#lmdemo-}-demo" master lmdemo0 up
    ip -n "$ns" addr add "${box_addr[$box]}/24" dev eth0
    ip -n "$ns" link set eth0 up
    ip -n "$ns" link set lo up
  done
  echo "the schools' boxes run in network namespaces ${box_ns[*]} on bridge lmdemo0 (10.203.0.0/24)"
fi

pids=()
stop_services() {
  kill "${pids[@]}" 2>/dev/null || true
  wait "${pids[@]}" 2>/dev/null || true
  remove_network
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
declare -A edge_token
for box in "${boxes[@]}"; do
  edge_token[$box]=$($bin/lessonmesh-catalog --data-dir "$catalog_data" token create --role edge --school "$box")
done
supervisor_token=$($bin/lessonmesh-catalog --data-dir "$catalog_data" token create --role supervisor --label demo)
$bin/lessonmesh-catalog --data-dir "$catalog_data" --listen "$net_addr" --port "$catalog_port" > "$work/catalog.out" 2> "$work/catalog.log" &
pids+=($!)
catalog_url=$(url_of "$work/catalog.out")
echo "catalog at $catalog_url (data in $catalog_data)"

# The origin: uploads, transcodes, registers, seeds, web seed and tracker.
$bin/lessonmesh-origin --data-dir "$work/origin" --listen "$net_addr" --port "$origin_port" --torrent-port 0 --lsd false \
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
python3 scripts/demo_catalog.py "$catalog_url" "$(cat "$catalog_data/admin.token")" "${edge_token[conghua-sl]}" "$lesson_id"

# The schools' side: each box is enrolled (the catalog's key is pinned), then follows its packs,
# fetches the lesson peer-to-peer (from the origin's seeder and from the other box, found on their
# shared network by local service discovery), verifies it and serves its classroom page.
declare -A edge_url
declare -A names=([conghua-sl]="石岭教学点" [conghua-lk]="良口镇中心小学")
for box in "${boxes[@]}"; do
  dir="$work/edge-$box"
  rm -rf "$dir"
  mkdir -p "$dir"
  $bin/lessonmesh-edge enrol --catalog "$catalog_url" --token "${edge_token[$box]}" --school "$box" \
    --out "$dir/edge.toml" --cache-dir "$dir/cache" > /dev/null
  if [ -n "${box_ns[*]}" ]; then
    ip netns exec "${box_ns[$box]}" $bin/lessonmesh-edge --config "$dir/edge.toml" --listen 0.0.0.0 --port 8080 \
      --torrent-port 6881 --lsd true --schedule "" > "$dir/edge.out" 2> "$dir/edge.log" &
    pids+=($!)
    edge_url[$box]="http://${box_addr[$box]}:8080"
  else
    $bin/lessonmesh-edge --config "$dir/edge.toml" --listen 127.0.0.1 --port 0 --torrent-port 0 --lsd false \
      --schedule "" > "$dir/edge.out" 2> "$dir/edge.log" &
    pids+=($!)
    edge_url[$box]=$(url_of "$dir/edge.out")
  fi
done
echo
for box in "${boxes[@]}"; do
  python3 - "${edge_url[$box]}" "$lesson_id" "${names[$box]}" "$work/edge-$box/edge.log" <<'PY'
import json, sys, time, urllib.request
edge, lesson, name, log = sys.argv[1:5]
for _ in range(600):
    try:
        with urllib.request.urlopen(edge + "/v1/lessons", timeout=5) as r:
            held = [l for l in json.load(r)["lessons"] if l["id"] == lesson]
    except OSError:
        held = []
    if held:
        l = held[0]
        print(f"{name}'s edge box holds {l['title']} ({', '.join(l['renditions'])}), verified against lesson.json")
        break
    time.sleep(0.5)
else:
    sys.exit(f"{name}'s edge box did not receive the lesson within 5 minutes; see {log}")
PY
done
echo "from starting the services to both schools holding the lesson: $(( $(date +%s) - started )) s"

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
  教室播放页 (classroom, edge):       ${edge_url[conghua-sl]}/   (石岭教学点)
                                     ${edge_url[conghua-lk]}/   (良口镇中心小学)
MSG
if [ -n "${LM_DEMO_ONCE:-}" ]; then exit 0; fi
trap 'echo; echo "stopping the catalog, the origin and the edge"; exit 0' INT TERM
wait "${pids[@]}"
