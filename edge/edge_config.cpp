#include "edge/edge_config.h"

#include <cmath>
#include <cstdlib>

#include "common/http/http_client.h"
#include "edge/bandwidth_schedule.h"
#include "edge/network_range.h"

namespace lm::edge {

void DeclareEdgeKeys(EdgeConfig* c, ConfigKeys* keys) {
  keys->Add("school_id", &c->school_id, "this school's id in the catalog");
  keys->Add("catalog_url", &c->catalog_url, "the catalog, e.g. http://catalog.county.edu.cn:8090");
  keys->Add("ca_file", &c->ca_file, "PEM file of the CAs to trust for an https catalog_url (default: the system's)");
  keys->Add("token_file", &c->token_file, "file holding this school's edge token");
  keys->Add("catalog_key", &c->catalog_key, "the catalog's pack-signing public key (base64), pinned at enrolment");
  keys->Add("cache_dir", &c->cache_dir, "where lessons and state are kept");
  keys->Add("quota", &c->quota, "the most lesson bytes kept, e.g. 200GB");
  keys->Add("min_free", &c->min_free, "free disk never used, e.g. 2GB");
  keys->Add("renditions", &c->renditions, "renditions kept, e.g. [\"480p\", \"240p\", \"audio\"]");
  keys->Add("schedule", &c->schedule, "bandwidth rules, e.g. [\"Mon-Fri 07:30-17:30 256/64\"]");
  keys->Add("lan_networks", &c->lan_networks, "networks whose peers the schedule does not cap (CIDR)");
  keys->Add("listen", &c->listen_address, "HTTP listen address for classrooms");
  keys->Add("port", &c->port, 0, 65535, "HTTP port (0 = any free port)");
  keys->Add("torrent_port", &c->torrent_port, 0, 65535, "BitTorrent port, TCP and uTP (0 = any)");
  keys->Add("max_active_downloads", &c->max_active_downloads, 1, 100, "lessons downloading at once");
  keys->Add("poll_wait_seconds", &c->poll_wait_seconds, 1, 300, "long poll at the catalog, seconds");
  keys->Add("report_interval_seconds", &c->report_interval_seconds, 1, 86400, "reports to the catalog, seconds");
  keys->Add("scrub_kbps", &c->scrub_kbps, 0, 10000000, "background re-hash rate of held files, kbit/s (0 = off)");
  keys->Add("scrub_interval_seconds", &c->scrub_interval_seconds, 1, 86400 * 7,
            "pause between re-hashing two held lessons, seconds");
  keys->Add("lsd", &c->lsd, "local service discovery (true/false)");
  keys->Add("peer_to_peer", &c->peer_to_peer,
            "share with other schools and the origin's BitTorrent seeder (true/false); false: the origin's web seed only");
  keys->Add("web_seed_wait_seconds", &c->web_seed_wait_seconds, 0, 86400,
            "with peer_to_peer: seconds a downloading lesson may receive nothing from peers before it also uses the origin's web seed");
  keys->Add("lan_group", &c->lan_group,
            "the county or school network's name (letters, digits, . _ -): the tracker leaves its boxes out of each "
            "other's peer lists, as they meet on the LAN");
  keys->Add("http_threads", &c->http_threads, 1, 256, "HTTP handler threads");
  AddWebDirKey(keys, &c->web_dir);
  keys->Add("lan_name", &c->lan_name,
            "the community's LAN name of a school's edge in printed QR codes, e.g. lessonmesh.local:8080");
}

Result<std::int64_t> ParseByteSize(const std::string& text) {
  std::string t;
  for (char ch : text) {
    if (ch != ' ') t += static_cast<char>(ch >= 'a' && ch <= 'z' ? ch - 'a' + 'A' : ch);
  }
  size_t digits = 0;
  while (digits < t.size() && ((t[digits] >= '0' && t[digits] <= '9') || t[digits] == '.')) ++digits;
  if (digits == 0) return InvalidArgument("\"" + text + "\" is not a size like 200GB");
  const double number = std::strtod(t.substr(0, digits).c_str(), nullptr);
  const std::string unit = t.substr(digits);
  double scale = 0;
  if (unit.empty() || unit == "B") scale = 1;
  else if (unit == "KB" || unit == "K") scale = 1e3;
  else if (unit == "MB" || unit == "M") scale = 1e6;
  else if (unit == "GB" || unit == "G") scale = 1e9;
  else if (unit == "TB" || unit == "T") scale = 1e12;
  else if (unit == "KIB") scale = 1024.0;
  else if (unit == "MIB") scale = 1024.0 * 1024;
  else if (unit == "GIB") scale = 1024.0 * 1024 * 1024;
  else if (unit == "TIB") scale = 1024.0 * 1024 * 1024 * 1024;
  else return InvalidArgument("\"" + text + "\": unknown unit " + unit + " (B, MB, GB, TB, MiB, GiB, TiB)");
  const double bytes = number * scale;
  if (!(bytes >= 0) || bytes > 9e18) return InvalidArgument("\"" + text + "\" is out of range");
  return static_cast<std::int64_t>(std::llround(bytes));
}

Status ValidateEdgeConfig(const EdgeConfig& c) {
  if (c.school_id.empty()) return InvalidArgument("school_id is required", "school_id");
  if (auto url = http::ParseHttpUrl(c.catalog_url); !url.ok()) {
    return InvalidArgument("catalog_url: " + url.status().message(), "catalog_url");
  }
  if (c.catalog_key.empty()) {
    return InvalidArgument("catalog_key (the catalog's public key, from `lessonmesh-edge enrol`) is required",
                           "catalog_key");
  }
  if (c.cache_dir.empty()) return InvalidArgument("cache_dir must not be empty", "cache_dir");
  if (auto q = ParseByteSize(c.quota); !q.ok()) return InvalidArgument("quota: " + q.status().message(), "quota");
  if (auto f = ParseByteSize(c.min_free); !f.ok()) {
    return InvalidArgument("min_free: " + f.status().message(), "min_free");
  }
  if (c.renditions.empty()) return InvalidArgument("renditions must name at least one rendition", "renditions");
  if (auto s = BandwidthSchedule::Parse(c.schedule); !s.ok()) return s.status();
  for (const auto& cidr : c.lan_networks) {
    if (auto r = NetworkRange(cidr); !r.ok()) return r.status();
  }
  if (!IsLanName(c.lan_name)) {
    return InvalidArgument("lan_name must be a host name with an optional :port, e.g. lessonmesh.local:8080",
                           "lan_name");
  }
  if (c.lan_group.size() > 64 || c.lan_group.find_first_not_of("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
                                                                "0123456789._-") != std::string::npos) {
    return InvalidArgument("lan_group: up to 64 letters, digits, '.', '_' or '-'", "lan_group");
  }
  return Status::Ok();
}

}  // namespace lm::edge
