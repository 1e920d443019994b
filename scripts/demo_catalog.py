#!/usr/bin/env python3
"""Demo, second half: registers a bundle in a running catalog as the origin would, defines a
school community, publishes a signed resource pack and fetches it as a rural school's edge.
Usage: demo_catalog.py CATALOG_URL ADMIN_TOKEN ORIGIN_TOKEN EDGE_TOKEN BUNDLE_DIR SUMMARY_JSON"""
import base64
import json
import sys
import urllib.error
import urllib.request

url, admin, origin, edge, bundle, summary_path = sys.argv[1:7]


def call(method, path, token, body=None):
    data = json.dumps(body).encode() if body is not None else None
    req = urllib.request.Request(url + path, data=data, method=method,
                                 headers={"Authorization": "Bearer " + token})
    try:
        with urllib.request.urlopen(req) as r:
            return r.status, json.loads(r.read() or b"null")
    except urllib.error.HTTPError as e:
        return e.code, json.loads(e.read() or b"null")


summary = json.load(open(summary_path))
manifest = json.load(open(bundle + "/lesson.json"))
torrent = base64.b64encode(open(bundle + "/lesson.torrent", "rb").read()).decode()
for school in [{"id": "tianhe-3", "name": "天河第三小学", "county": "天河区", "kind": "urban", "pupils": 1800},
               {"id": "conghua-lk", "name": "良口镇中心小学", "county": "从化区", "kind": "rural", "pupils": 260},
               {"id": "conghua-sl", "name": "石岭教学点", "county": "从化区", "kind": "teaching_point", "pupils": 35}]:
    call("POST", "/v1/schools", admin, school)
call("POST", "/v1/communities", admin, {"id": "th-ch", "name": "天河—从化城乡教共体", "model": "fusion",
                                        "level": "cross_county", "core_school": "tianhe-3",
                                        "members": ["conghua-lk", "conghua-sl"]})
status, reg = call("POST", "/v1/lessons", origin, {
    "manifest": manifest, "torrent_base64": torrent, "info_hash_v1": summary["info_hash_v1"],
    "info_hash_v2": summary["info_hash_v2"], "school_id": "tianhe-3", "tags": ["名师课堂", "微课"]})
print(f"registered lesson {manifest['id']}: HTTP {status} {reg}")
status, found = call("GET", "/v1/lessons?q=" + urllib.parse.quote("分数"), admin)
print(f"search 分数: {[l['title'] for l in found['lessons']]}")
status, pack = call("POST", "/v1/packs", admin, {
    "title": "三年级数学 第三单元资源包", "items": [{"lesson_id": manifest["id"], "needed_by": "2026-12-01"}],
    "targets": {"communities": ["th-ch"]}})
print(f"published pack {pack['pack_id']} version {pack['version']}, signature {pack['signature'][:16]}...")
status, packs = call("GET", "/v1/edges/conghua-sl/packs", edge)
m = json.loads(packs["packs"][0]["manifest"])
print(f"石岭教学点's edge receives: {m['title']}: {len(m['items'])} lesson(s), "
      f"{m['items'][0]['total_bytes']} bytes, needed by {m['items'][0]['needed_by']}")
