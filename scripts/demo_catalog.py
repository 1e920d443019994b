#!/usr/bin/env python3
"""Demo, catalog part: defines the schools of a 教共体, finds the lesson the origin registered,
publishes a signed resource pack for the community and fetches it as a rural school's edge.
Usage: demo_catalog.py CATALOG_URL ADMIN_TOKEN EDGE_TOKEN LESSON_ID"""
import datetime
import json
import sys
import time
import urllib.error
import urllib.parse
import urllib.request

url, admin, edge, lesson_id = sys.argv[1:5]


def call(method, path, token, body=None):
    data = json.dumps(body).encode() if body is not None else None
    req = urllib.request.Request(url + path, data=data, method=method,
                                 headers={"Authorization": "Bearer " + token})
    try:
        with urllib.request.urlopen(req) as r:
            return r.status, json.loads(r.read() or b"null")
    except urllib.error.HTTPError as e:
        return e.code, json.loads(e.read() or b"null")


for school in [{"id": "tianhe-3", "name": "天河第三小学", "county": "天河区", "kind": "urban", "pupils": 1800},
               {"id": "conghua-lk", "name": "良口镇中心小学", "county": "从化区", "kind": "rural", "pupils": 260},
               {"id": "conghua-sl", "name": "石岭教学点", "county": "从化区", "kind": "teaching_point", "pupils": 35}]:
    call("POST", "/v1/schools", admin, school)
call("POST", "/v1/communities", admin, {"id": "th-ch", "name": "天河—从化城乡教共体", "model": "fusion",
                                        "level": "cross_county", "core_school": "tianhe-3",
                                        "members": ["conghua-lk", "conghua-sl"]})
# The origin registers the lesson right after the transcode; give it a moment.
for _ in range(100):
    status, lesson = call("GET", "/v1/lessons/" + lesson_id, admin)
    if status == 200:
        break
    time.sleep(0.2)
print(f"catalog has lesson {lesson_id}: {lesson['title']} ({lesson['teacher']}, {lesson['school_id']})")
status, found = call("GET", "/v1/lessons?q=" + urllib.parse.quote("分数"), admin)
print(f"search 分数: {[l['title'] for l in found['lessons']]}")
# Needed for next week's class: a date ahead of whenever the demo runs.
needed_by = (datetime.date.today() + datetime.timedelta(days=7)).isoformat()
status, pack = call("POST", "/v1/packs", admin, {
    "title": "三年级数学 第三单元资源包", "items": [{"lesson_id": lesson_id, "needed_by": needed_by}],
    "targets": {"communities": ["th-ch"]}})
print(f"published pack {pack['pack_id']} version {pack['version']}, signature {pack['signature'][:16]}...")
status, packs = call("GET", "/v1/edges/conghua-sl/packs", edge)
# The pack just published (a demo run again on its data directory publishes one more).
m = next((json.loads(p["manifest"]) for p in packs.get("packs", []) if p["pack_id"] == pack["pack_id"]), None)
if m is None:
    sys.exit(f"demo: 石岭教学点's edge was not offered pack {pack['pack_id']} ({status}: {packs})")
print(f"石岭教学点's edge receives: {m['title']}: {len(m['items'])} lesson(s), "
      f"{m['items'][0]['total_bytes']} bytes, needed by {m['items'][0]['needed_by']}")
# The school's edge reports what it holds and what was played (the supervisor's dashboard shows it).
status, _ = call("POST", "/v1/edges/conghua-sl/report", edge, {
    "report_id": "demo-1", "free_bytes": 120 * 10**9,
    "inventory": [{"lesson_id": lesson_id, "state": "complete", "bytes": m["items"][0]["total_bytes"]}],
    "plays": [{"lesson_id": lesson_id, "started_at": int(time.time()) - 3600, "seconds": 1800}]})
print(f"石岭教学点's edge reports: 1 lesson held, 1 play of 30 minutes ({status})")
