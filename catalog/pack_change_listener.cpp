#include "catalog/pack_change_listener.h"

#include <poll.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <spdlog/spdlog.h>

#include <atomic>
#include <cerrno>
#include <thread>

#include "catalog/detail/postgres_schema.h"
#include "common/logging.h"
#include "common/postgres_db.h"
#include "common/unique_fd.h"

namespace lm::catalog {

namespace {

using NotifyPtr = std::unique_ptr<PGnotify, pg::Free<PQfreemem>>;

// A connection that dies without a word (a cut cable, a NAT that forgot it) is noticed by TCP
// keepalives within about a minute; a Unix socket ignores these.
const std::vector<std::pair<std::string, std::string>> kKeepalives = {
    {"keepalives", "1"}, {"keepalives_idle", "30"}, {"keepalives_interval", "10"}, {"keepalives_count", "3"}};

Result<pg::ConnPtr> ConnectAndListen(const std::string& uri) {
  ASSIGN_OR_RETURN(pg::ConnPtr conn, pg::Connect(uri, kKeepalives));
  RETURN_IF_ERROR(pg::ExecScript(conn.get(), std::string("LISTEN \"") + kPackChangesChannel + "\""));
  return conn;
}

enum class Woken { kStop, kInput };

}  // namespace

struct PackChangeListener::Impl {
  std::string uri;
  OnChange on_change;
  Options options;
  std::shared_ptr<spdlog::logger> log = AreaLogger("catalog");
  UniqueFd stop_fd;     // an eventfd: readable once the owner wants the thread to end
  pg::ConnPtr conn;     // the listening connection; the thread's alone once it runs
  std::atomic<std::int64_t> reconnects{0};
  std::jthread thread;  // last: started when the rest is in place

  // Waits until the stop eventfd or (with `fd` >= 0) `fd` is readable, or `timeout_ms` (-1: no
  // limit) passes; kStop when the owner asked to stop.
  Woken Wait(int fd, int timeout_ms) {
    pollfd fds[2] = {{stop_fd.get(), POLLIN, 0}, {fd, POLLIN, 0}};
    for (;;) {
      const int n = ::poll(fds, fd >= 0 ? 2 : 1, timeout_ms);
      if (n < 0 && errno == EINTR) continue;
      if (n < 0 || (fds[0].revents & POLLIN)) return Woken::kStop;  // poll failing is no way to go on
      return Woken::kInput;
    }
  }

  void Run() {
    bool failing = false;  // log a run of failed tries once
    for (;;) {
      if (!conn) {
        auto again = ConnectAndListen(uri);
        if (!again.ok()) {
          if (!failing) log->warn("pack_listener_connect_failed error=\"{}\"", again.status().message());
          failing = true;
          if (Wait(-1, static_cast<int>(options.retry.count())) == Woken::kStop) return;
          continue;
        }
        conn = std::move(*again);
        failing = false;
        reconnects.fetch_add(1);
        log->info("pack_listener_reconnected");
        on_change();  // whatever was published while nobody listened
      }
      const int socket = PQsocket(conn.get());
      if (socket >= 0 && Wait(socket, -1) == Woken::kStop) return;
      if (socket < 0 || PQconsumeInput(conn.get()) == 0 || PQstatus(conn.get()) != CONNECTION_OK) {
        std::string message = PQerrorMessage(conn.get());
        while (!message.empty() && message.back() == '\n') message.pop_back();
        log->warn("pack_listener_disconnected error=\"{}\"", message);
        conn.reset();
        continue;
      }
      // Several publishes heard at once make one call: it rereads every parked poll's packs.
      bool heard = false;
      while (NotifyPtr n{PQnotifies(conn.get())}) heard = true;
      if (heard) on_change();
    }
  }
};

Result<std::unique_ptr<PackChangeListener>> PackChangeListener::Start(const std::string& uri, OnChange on_change,
                                                                      Options options) {
  auto impl = std::make_unique<Impl>();
  impl->uri = uri;
  impl->on_change = std::move(on_change);
  impl->options = options;
  impl->stop_fd = UniqueFd(::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK));
  if (impl->stop_fd.get() < 0) return ErrnoStatus("eventfd", errno);
  ASSIGN_OR_RETURN(impl->conn, ConnectAndListen(uri));
  Impl* self = impl.get();
  impl->thread = std::jthread([self] { self->Run(); });
  return std::unique_ptr<PackChangeListener>(new PackChangeListener(std::move(impl)));
}

PackChangeListener::PackChangeListener(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

PackChangeListener::~PackChangeListener() {
  const std::uint64_t one = 1;
  [[maybe_unused]] const ssize_t n = ::write(impl_->stop_fd.get(), &one, sizeof one);
  impl_->thread.join();
}

std::int64_t PackChangeListener::reconnects() const { return impl_->reconnects.load(); }

}  // namespace lm::catalog
