// The settings files of the catalog, the origin and the edge (TomlReader::ParseText, then each
// program's declared keys, then its Validate), fed the same TOML text. A file that does not parse
// is refused naming "config"; one that loads holds only keys the program declares, each number
// within its declared range; a refusal names the key. For the edge, a configuration that validates
// has sizes that are byte counts, a bandwidth schedule whose rules are well formed (days, a time
// span within the day, rates not negative) and that answers for every minute of the week, and LAN
// networks that are address ranges. And any UTF-8 text written as a TOML string (TomlString, what
// `lessonmesh-edge enrol` writes) reads back as itself.

#include <chrono>
#include <set>
#include <string>

#include "catalog/catalog_config.h"
#include "common/text_checks.h"
#include "common/toml_reader.h"
#include "edge/bandwidth_schedule.h"
#include "edge/edge_config.h"
#include "edge/network_range.h"
#include "origin/origin_config.h"
#include "tests/fuzz/fuzz_check.h"

namespace {

// The keys each program declares (the README lists them).
// The serving keys (common/serving_config.h) that the catalog and the origin both declare.
#define LM_SERVING_KEYS                                                                                   \
  "tls_cert_file", "tls_key_file", "tls_listen", "tls_port", "header_timeout_ms", "handshake_timeout_ms", \
      "http_max_connections", "http_max_connections_per_client"
const std::set<std::string> kCatalogKeys = {"listen", "port", "data_dir", "store", "signing_key_file", "worker_threads",
                                            "read_timeout_ms", "idle_timeout_ms", "max_wait_seconds", "lan_name",
                                            "web_dir", LM_SERVING_KEYS};
const std::set<std::string> kOriginKeys = {
    "listen", "port", "data_dir", "catalog_url", "catalog_token", "public_url", "workers", "max_upload_bytes",
    "torrent_port", "upload_rate_kbps", "super_seeding", "max_connections", "dht", "lsd", "http_threads", "upload_expire_hours",
    "web_dir", "ca_file", LM_SERVING_KEYS};
const std::set<std::string> kEdgeKeys = {
    "school_id",        "catalog_url",       "ca_file",     "token_file",  "catalog_key",          "cache_dir",
    "quota",            "min_free",          "renditions",  "schedule",             "lan_networks",
    "listen",           "port",              "torrent_port", "max_active_downloads", "poll_wait_seconds",
    "report_interval_seconds", "scrub_kbps", "scrub_interval_seconds", "lsd",       "peer_to_peer",
    "web_seed_wait_seconds", "lan_group", "http_threads", "lan_name", "web_dir"};

bool Within(std::int64_t v, std::int64_t lo, std::int64_t hi) { return v >= lo && v <= hi; }

// Loads `file` into a fresh config of one program; checks what a load promises.
template <typename Config, typename Declare>
bool Load(const lm::TomlReader& file, Declare declare, const std::set<std::string>& declared, Config* config) {
  lm::ConfigKeys keys;
  declare(config, &keys);
  const lm::Status st = keys.Load(file);
  bool all_declared = true;
  for (const auto& key : file.Keys()) all_declared = all_declared && declared.count(key) > 0;
  if (st.ok()) {
    FUZZ_CHECK(all_declared, "a file that loads holds only declared keys");
    return true;
  }
  FUZZ_CHECK(st.code() == lm::StatusCode::kInvalidArgument, "a bad setting is kInvalidArgument");
  FUZZ_CHECK(file.Has(st.field()), "a refusal names a key of the file");
  return false;
}

void CheckSchedule(const lm::edge::BandwidthSchedule& schedule) {
  for (const auto& r : schedule.rules()) {
    FUZZ_CHECK(r.days != 0 && r.days < (1u << 7), "a rule holds on some days of the week");
    FUZZ_CHECK(r.from_minute >= 0 && r.from_minute < r.to_minute && r.to_minute <= 1440, "a rule spans part of a day");
    FUZZ_CHECK(r.down_kbps >= 0 && r.up_kbps >= 0, "rates are not negative");
  }
  const auto now = std::chrono::system_clock::time_point(std::chrono::hours(24 * 365 * 50));
  for (int minute = 0; minute < 7 * 1440; minute += 37) {
    const lm::edge::BandwidthNow at = schedule.At(minute, now);
    FUZZ_CHECK(at.rule == nullptr || (at.rule >= schedule.rules().data() &&
                                      at.rule < schedule.rules().data() + schedule.rules().size()),
               "the rule in force is one of the schedule's");
    FUZZ_CHECK(at.next_change > now, "the next change is later");
  }
}

// What `lessonmesh-edge enrol` writes: any UTF-8 text as a TOML string reads back as itself.
void CheckTomlString(std::string_view text) {
  if (!lm::IsUtf8(text)) return;
  auto file = lm::TomlReader::ParseText("cache_dir = " + lm::TomlString(text) + "\n", "enrol.toml");
  FUZZ_CHECK(file.ok(), "a written string parses");
  std::string back;
  FUZZ_CHECK(file->Get("cache_dir", &back).ok() && back == text, "a written string reads back as itself");
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  CheckTomlString(lm::fuzz::Text(data, size));
  auto file = lm::TomlReader::ParseText(lm::fuzz::Text(data, size), "fuzz.toml");
  if (!file.ok()) {
    FUZZ_CHECK(file.status().field() == "config", "a file that does not parse is refused as config");
    return 0;
  }

  lm::catalog::CatalogConfig catalog;
  if (Load(*file, lm::catalog::DeclareCatalogKeys, kCatalogKeys, &catalog)) {
    FUZZ_CHECK(Within(catalog.worker_threads, 0, 256) && Within(catalog.read_timeout_ms, 100, 3600000) &&
                   Within(catalog.idle_timeout_ms, 100, 3600000) && Within(catalog.max_wait_seconds, 0, 3600),
               "catalog numbers are within their ranges");
    (void)lm::catalog::ValidateCatalogConfig(catalog);
  }

  lm::origin::OriginConfig origin;
  if (Load(*file, lm::origin::DeclareOriginKeys, kOriginKeys, &origin)) {
    FUZZ_CHECK(Within(origin.workers, 1, 64) && Within(origin.max_upload_bytes, 1, std::int64_t{1} << 50) &&
                   Within(origin.upload_rate_kbps, 0, 10000000) && Within(origin.max_connections, 2, 100000) &&
                   Within(origin.http_threads, 1, 256) && Within(origin.upload_expire_hours, 1, 24 * 365),
               "origin numbers are within their ranges");
    if (lm::origin::ValidateOriginConfig(origin).ok()) (void)lm::origin::PublicUrl(origin, 8070);
  }

  lm::edge::EdgeConfig edge;
  if (Load(*file, lm::edge::DeclareEdgeKeys, kEdgeKeys, &edge)) {
    FUZZ_CHECK(Within(edge.max_active_downloads, 1, 100) && Within(edge.poll_wait_seconds, 1, 300) &&
                   Within(edge.report_interval_seconds, 1, 86400) && Within(edge.scrub_kbps, 0, 10000000) &&
                   Within(edge.scrub_interval_seconds, 1, 86400 * 7) && Within(edge.http_threads, 1, 256),
               "edge numbers are within their ranges");
    for (const std::string* size_text : {&edge.quota, &edge.min_free}) {
      if (auto bytes = lm::edge::ParseByteSize(*size_text); bytes.ok()) {
        FUZZ_CHECK(*bytes >= 0, "a size is a byte count");
      }
    }
    if (auto schedule = lm::edge::BandwidthSchedule::Parse(edge.schedule); schedule.ok()) CheckSchedule(*schedule);
    if (lm::edge::ValidateEdgeConfig(edge).ok()) {
      for (const auto& cidr : edge.lan_networks) FUZZ_CHECK(lm::edge::NetworkRange(cidr).ok(), "LAN networks are ranges");
    }
  }
  return 0;
}
