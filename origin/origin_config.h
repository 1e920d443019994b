#pragma once
// lessonmesh-origin's settings: a TOML file, then command-line flags on top, then checks that name
// the bad key.

#include <cstdint>
#include <string>

#include "common/config_keys.h"
#include "common/serving_config.h"
#include "common/status.h"

namespace lm::origin {

struct OriginConfig {
  std::string role = "serve";  // "serve": uploads, jobs, seeding, web seed, tracker, catalog
                               // registration (and transcodes, unless workers = 0);
                               // "worker": only transcodes, from a shared (PostgreSQL) queue
  std::string queue;           // the job queue: "" = jobs.db in data_dir (SQLite, one process), or
                               // postgresql://... shared by the serving origin and its workers
  int lease_seconds = 60;      // shared queue: a worker that stops renewing for this long loses
                               // its job to another worker
  std::string listen_address = "127.0.0.1";  // "0.0.0.0" to serve teachers and edges
  std::uint16_t port = 8070;                 // uploads, jobs, web seed, tracker
  std::string data_dir = "origin-data";      // uploads/, bundles/, jobs.db, torrent resume data;
                                             // with workers, one directory they all share
  std::string catalog_url = "http://127.0.0.1:8090";
  std::string catalog_token;                 // a catalog token with role origin
  std::string ca_file;                       // PEM CAs to trust for an https catalog_url instead
                                             // of the system's (a bureau's own CA)
  std::string public_url;                    // how edges reach this origin; "" = http://listen:port
  int workers = 1;                           // transcodes at once (each uses every core); 0 = none
                                             // here (serve with a shared queue: workers do them)
  std::int64_t max_upload_bytes = 8LL << 30;  // one recording of a 45-minute class fits
  std::uint16_t torrent_port = 6881;         // libtorrent's TCP and uTP listen port; 0 = any
  int upload_rate_kbps = 0;                  // seeding limit; 0 = unlimited
  int max_connections = 200;                 // libtorrent peer connections
  std::string super_seeding = "off";         // "on" or "strict": hand out pieces the swarm lacks
                                             // (origin/seeder.h, SuperSeeding)
  bool dht = false;
  bool lsd = true;                           // local service discovery: edges on the same LAN
  int http_threads = 2;
  int upload_expire_hours = 168;             // unfinished uploads are removed after this
  std::string web_dir = DefaultWebDir();     // built pages: the teacher's page at /
  ServingConfig serving{8473, 512, 64};     // HTTPS (off without a certificate), connection limits
};

// Declares every setting (TOML key and flag) with `config`'s field behind it; the keys are the
// field names above ("listen" for listen_address), and the serving keys (serving_config.h).
void DeclareOriginKeys(OriginConfig* config, ConfigKeys* keys);
// Whether this process only transcodes (role = "worker").
inline bool IsWorkerRole(const OriginConfig& config) { return config.role == "worker"; }
// Reads `path` (TOML) into `config`. Unknown keys are an error.
Status LoadOriginToml(const std::string& path, OriginConfig* config);
Status ValidateOriginConfig(const OriginConfig& config);
// public_url, or one made from the listen address and port.
std::string PublicUrl(const OriginConfig& config, std::uint16_t bound_port);

}  // namespace lm::origin
