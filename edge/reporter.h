#pragma once
// Tells the catalog, whenever the link is up, what this school holds: each lesson complete or
// partial with the bytes missing, free disk, the errors a supervisor should see (a full disk,
// refused packs) and the classroom's play events not yet acknowledged. A report is idempotent by
// its report_id; play events are deleted here only after the catalog acknowledged the report
// that carried them, so a week offline and a restart lose none and none counts twice.
// Owns its thread; thread-safe.

#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "common/status.h"
#include "edge/edge_store.h"

namespace lm::edge {

struct InventoryItem {
  std::string lesson_id;
  std::string state;  // complete | partial | missing
  std::int64_t bytes = 0;          // held
  std::int64_t bytes_missing = 0;
};

struct ReportContent {
  std::vector<InventoryItem> inventory;
  std::int64_t free_bytes = 0;
  std::vector<std::string> errors;
};

struct ReporterOptions {
  std::string catalog_url;
  std::string ca_file;  // https: the CAs to trust ("" = the system's)
  std::string token;
  std::string school_id;
  std::chrono::seconds interval{300};
};

class Reporter {
 public:
  // `content` is asked on the reporter's thread each time a report is due.
  static std::unique_ptr<Reporter> Start(ReporterOptions options, EdgeStore& store,
                                         std::function<ReportContent()> content);
  ~Reporter();
  Reporter(const Reporter&) = delete;
  Reporter& operator=(const Reporter&) = delete;

  // Sends a report now (the reporter's thread does it).
  void ReportNow();
  // Reports acknowledged since start.
  std::int64_t reports_sent() const;
  void Stop();

 private:
  struct Impl;
  explicit Reporter(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace lm::edge
