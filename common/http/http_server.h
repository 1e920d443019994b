#pragma once
// An asynchronous HTTP/1.1 server (Boost.Beast): keep-alive, read and idle timeouts, a body-size
// limit chosen per request from its method and target, handlers run on a worker pool so slow work
// never blocks the network thread, and a graceful Stop(). Shared by the catalog and the origin.
// Optionally, a stream route takes chosen request bodies piece by piece as they arrive (tus PATCH)
// instead of whole. Start/Stop from one owning thread; Responders may be called from any thread.

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "common/http/http_types.h"
#include "common/status.h"

namespace lm::http {

struct ServerOptions {
  std::string address = "127.0.0.1";
  std::uint16_t port = 0;         // 0 = any free port (tests)
  int worker_threads = 2;         // handler pool
  int network_threads = 1;        // threads that read requests and write replies (file replies'
                                  // sendfile runs here): more than one only for heavy file serving
  int read_timeout_ms = 30000;    // to receive a whole request once it has started; for a
                                  // streamed body, the longest wait for its next piece; for a
                                  // reply, the longest the client may take no bytes of it
  int idle_timeout_ms = 60000;    // between requests on a kept-alive connection
  std::size_t max_header_bytes = 16 * 1024;
};

// Runs on a worker thread. May respond later (long polls) by keeping the Responder.
using Handler = std::function<void(Request request, Responder respond)>;
// The largest body accepted for this method and target (before the body is read).
using BodyLimit = std::function<std::size_t(const std::string& method, const std::string& target)>;
// Runs on a worker thread once a request's header has arrived (`head.body` is empty; the body
// limit has been checked). nullopt: not streamed, the Handler gets the request whole as usual. A
// BodyStream: the body goes to it as it arrives (the Handler never sees the request). A Reply: sent
// at once, the body unread, and the connection closes.
using StreamRoute = std::function<std::optional<StreamOrReply>(const Request& head)>;

class HttpServer {
 public:
  // Without a `stream_route`, every body is read whole before the Handler runs.
  static Result<std::unique_ptr<HttpServer>> Start(const ServerOptions& options, Handler handler,
                                                   BodyLimit body_limit, StreamRoute stream_route = {});
  ~HttpServer();
  HttpServer(const HttpServer&) = delete;
  HttpServer& operator=(const HttpServer&) = delete;

  std::uint16_t port() const;

  // Runs `fn` on a worker thread after `delay` (for long-poll deadlines), unless stopped first.
  void RunAfter(std::chrono::milliseconds delay, std::function<void()> fn);

  // Stops accepting, lets requests in flight finish (up to `grace`), then closes everything. A body
  // stream still unfinished then is destroyed without on_end: its owner must treat that as a cut.
  void Stop(std::chrono::milliseconds grace = std::chrono::milliseconds(5000));

  struct Impl;  // opaque: sessions in the .cpp reach it

 private:
  explicit HttpServer(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace lm::http
