#include "origin/origin_config.h"

#include "common/http/http_client.h"
#include "origin/job_queue.h"
#include "origin/seeder.h"
#include "common/postgres_uri.h"

namespace lm::origin {

void DeclareOriginKeys(OriginConfig* c, ConfigKeys* keys) {
  keys->Add("role", &c->role, "serve (uploads, seeding, web seed, tracker) or worker (only transcodes, from a shared queue)");
  keys->Add("queue", &c->queue, "the job queue: empty = jobs.db in data_dir, or postgresql://... shared with workers");
  keys->Add("lease_seconds", &c->lease_seconds, 2, 86400, "shared queue: a silent worker's job goes to another after this");
  keys->Add("listen", &c->listen_address, "HTTP listen address");
  keys->Add("port", &c->port, 0, 65535, "HTTP port (0 = any free port)");
  keys->Add("data_dir", &c->data_dir, "data directory: uploads, bundles, job queue, resume data");
  keys->Add("catalog_url", &c->catalog_url, "the catalog, e.g. http://127.0.0.1:8090");
  keys->Add("catalog_token", &c->catalog_token, "a catalog token with role origin");
  keys->Add("ca_file", &c->ca_file, "PEM file of the CAs to trust for an https catalog_url (default: the system's)");
  keys->Add("public_url", &c->public_url, "how edges reach this origin (web seed and tracker URLs)");
  keys->Add("workers", &c->workers, 0, 64, "transcodes at once (0 = none here: worker processes do them)");
  keys->Add("max_upload_bytes", &c->max_upload_bytes, 1, std::int64_t{1} << 50, "largest upload accepted");
  keys->Add("torrent_port", &c->torrent_port, 0, 65535, "libtorrent listen port (TCP and uTP; 0 = any)");
  keys->Add("upload_rate_kbps", &c->upload_rate_kbps, 0, 10000000, "seeding rate limit, kbit/s (0 = none)");
  keys->Add("max_connections", &c->max_connections, 2, 100000, "peer connections at most");
  keys->Add("super_seeding", &c->super_seeding,
            "off, on (offer each school only pieces the swarm lacks) or strict (the next once it has passed one on)");
  keys->Add("dht", &c->dht, "use the BitTorrent DHT (true/false)");
  keys->Add("lsd", &c->lsd, "local service discovery (true/false)");
  keys->Add("http_threads", &c->http_threads, 1, 256, "HTTP handler threads");
  keys->Add("upload_expire_hours", &c->upload_expire_hours, 1, 24 * 365, "unfinished uploads are removed after this");
  AddWebDirKey(keys, &c->web_dir);
  DeclareServingKeys(&c->serving, keys);
}

Status LoadOriginToml(const std::string& path, OriginConfig* c) {
  ConfigKeys keys;
  DeclareOriginKeys(c, &keys);
  return keys.LoadFile(path);
}

Status ValidateOriginConfig(const OriginConfig& c) {
  if (c.data_dir.empty()) return InvalidArgument("data_dir must not be empty", "data_dir");
  if (auto url = http::ParseHttpUrl(c.catalog_url); !url.ok()) {
    return InvalidArgument("catalog_url: " + url.status().message(), "catalog_url");
  }
  if (c.role != "serve" && c.role != "worker") return InvalidArgument("role must be serve or worker", "role");
  if (!c.queue.empty() && !pg::IsPostgresUri(c.queue)) {
    return InvalidArgument("queue must be empty (jobs.db in data_dir) or a postgresql:// URI", "queue");
  }
  if (IsWorkerRole(c)) {
    if (c.queue.empty()) return InvalidArgument("role worker needs queue = \"postgresql://...\", shared with the serving origin", "queue");
    // Every worker writes the serving origin's web seed and tracker into its torrents, so that
    // a job redone elsewhere makes the same bundle.
    if (c.public_url.empty()) return InvalidArgument("role worker needs public_url: the serving origin's", "public_url");
    if (c.workers < 1) return InvalidArgument("workers must be 1 or more for role worker", "workers");
  } else if (c.workers < 1 && c.queue.empty()) {
    return InvalidArgument("workers = 0 needs a shared queue (postgresql://...) that worker processes serve", "workers");
  }
  if (c.lease_seconds < 2) return InvalidArgument("lease_seconds must be 2 or more", "lease_seconds");
  if (IsWorkerRole(c)) return ValidateServingConfig(c.serving);  // no catalog, no HTTP of its own
  if (c.catalog_token.empty()) {
    return InvalidArgument("catalog_token (a catalog token with role origin) is required", "catalog_token");
  }
  if (!c.public_url.empty()) {
    if (auto url = http::ParseHttpUrl(c.public_url); !url.ok()) {
      return InvalidArgument("public_url: " + url.status().message(), "public_url");
    }
  }
  if (c.max_upload_bytes < 1) return InvalidArgument("max_upload_bytes must be positive", "max_upload_bytes");
  if (c.upload_rate_kbps < 0) return InvalidArgument("upload_rate_kbps must be 0 (no limit) or more", "upload_rate_kbps");
  if (c.max_connections < 2) return InvalidArgument("max_connections must be 2 or more", "max_connections");
  if (!ParseSuperSeeding(c.super_seeding)) {
    return InvalidArgument("super_seeding must be off, on or strict", "super_seeding");
  }
  return ValidateServingConfig(c.serving);
}

std::string PublicUrl(const OriginConfig& c, std::uint16_t bound_port) {
  std::string url = c.public_url;
  if (url.empty()) {
    const std::string host = c.listen_address == "0.0.0.0" || c.listen_address == "::" ? "127.0.0.1" : c.listen_address;
    url = "http://" + (host.find(':') != std::string::npos ? "[" + host + "]" : host) + ":" + std::to_string(bound_port);
  }
  while (!url.empty() && url.back() == '/') url.pop_back();
  return url;
}

}  // namespace lm::origin
