#include "edge/reporter.h"

#include <nlohmann/json.hpp>
#include <spdlog/spdlog.h>

#include <atomic>
#include <condition_variable>
#include <mutex>
#include <random>
#include <thread>

#include "common/hex.h"
#include "common/http/http_client.h"
#include "common/logging.h"

namespace lm::edge {

using nlohmann::json;

namespace {

std::string NewReportId() {
  std::random_device rd;
  std::uint64_t words[2] = {(std::uint64_t{rd()} << 32) | rd(), (std::uint64_t{rd()} << 32) | rd()};
  return HexEncode(words, sizeof(words));
}

}  // namespace

struct Reporter::Impl {
  ReporterOptions options;
  EdgeStore& store;
  std::function<ReportContent()> content;
  std::shared_ptr<spdlog::logger> log = AreaLogger("edge.report");

  std::mutex mu;
  std::condition_variable wake;
  bool stopping = false;
  bool now = false;
  std::atomic<bool> cancel{false};
  std::atomic<std::int64_t> sent{0};
  std::thread thread;

  Impl(ReporterOptions o, EdgeStore& s, std::function<ReportContent()> c)
      : options(std::move(o)), store(s), content(std::move(c)) {}

  Status SendOnce() {
    ASSIGN_OR_RETURN(auto batch, store.PlaysToReport(NewReportId()));
    const auto& [report_id, plays] = batch;
    const ReportContent c = content();
    json inventory = json::array();
    for (const auto& i : c.inventory) {
      inventory.push_back({{"lesson_id", i.lesson_id}, {"state", i.state}, {"bytes", i.bytes},
                           {"bytes_missing", i.bytes_missing}});
    }
    json play_list = json::array();
    for (const auto& p : plays) {
      play_list.push_back({{"lesson_id", p.lesson_id}, {"started_at", p.started_at}, {"seconds", p.seconds},
                           {"rendition", p.rendition}, {"event_id", p.event_id}, {"kind", p.kind}});
    }
    http::ClientRequest req;
    req.method = "POST";
    req.url = options.catalog_url + "/v1/edges/" + options.school_id + "/report";
    req.ca_file = options.ca_file;
    req.headers["Authorization"] = "Bearer " + options.token;
    req.headers["Content-Type"] = "application/json";
    req.body = json{{"report_id", report_id},
                    {"free_bytes", c.free_bytes},
                    {"inventory", inventory},
                    {"plays", play_list},
                    {"errors", c.errors}}
                   .dump();
    req.timeout_ms = 30000;
    req.cancel = &cancel;
    ASSIGN_OR_RETURN(http::ClientReply reply, http::Fetch(req));
    if (reply.status != 200 && reply.status != 201) return IoError("catalog report: " + http::ReasonOf(reply));
    RETURN_IF_ERROR(store.AckPlays(report_id));
    ++sent;
    log->info("report_sent report_id={} lessons={} plays={}", report_id, inventory.size(), plays.size());
    return Status::Ok();
  }

  void Run() {
    for (;;) {
      {
        std::lock_guard lock(mu);
        if (stopping) return;
        now = false;
      }
      const Status st = SendOnce();
      if (!st.ok() && st.code() != StatusCode::kCancelled) {
        log->warn("report_failed error=\"{}\"", st.message());
      }
      std::unique_lock lock(mu);
      // After a failure, try again sooner than the interval (the link may be back).
      const auto wait = st.ok() ? options.interval : std::min<std::chrono::seconds>(options.interval, std::chrono::seconds(30));
      wake.wait_for(lock, wait, [&] { return stopping || now; });
    }
  }
};

std::unique_ptr<Reporter> Reporter::Start(ReporterOptions options, EdgeStore& store,
                                          std::function<ReportContent()> content) {
  while (!options.catalog_url.empty() && options.catalog_url.back() == '/') options.catalog_url.pop_back();
  auto impl = std::make_unique<Impl>(std::move(options), store, std::move(content));
  Impl* raw = impl.get();
  impl->thread = std::thread([raw] { raw->Run(); });
  return std::unique_ptr<Reporter>(new Reporter(std::move(impl)));
}

Reporter::Reporter(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Reporter::~Reporter() { Stop(); }

void Reporter::Stop() {
  {
    std::lock_guard lock(impl_->mu);
    impl_->stopping = true;
  }
  impl_->cancel = true;
  impl_->wake.notify_all();
  if (impl_->thread.joinable()) impl_->thread.join();
}

void Reporter::ReportNow() {
  {
    std::lock_guard lock(impl_->mu);
    impl_->now = true;
  }
  impl_->wake.notify_all();
}

std::int64_t Reporter::reports_sent() const { return impl_->sent.load(); }

}  // namespace lm::edge
