#pragma once
// An asynchronous HTTP/1.1 server (Boost.Beast): keep-alive, read and idle timeouts, a body-size
// limit chosen per request from its method and target, handlers run on a worker pool so slow work
// never blocks the network thread, and a graceful Stop(). Shared by the catalog and the origin.
// Optionally, a stream route takes chosen request bodies piece by piece as they arrive (tus PATCH)
// instead of whole. Optionally a second listener speaks HTTPS (OpenSSL), its certificate reloadable
// without dropping connections. Connection limits (in all, per client address) and the header and
// handshake timeouts keep slow or idle clients from holding the server. Start/Stop from one owning
// thread; Responders and ReloadTls may be called from any thread.

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

// A listener that speaks HTTPS, beside the plain one.
struct TlsListenerOptions {
  std::string address = "0.0.0.0";
  std::uint16_t port = 0;  // 0 = any free port (tests)
  std::string cert_file;   // PEM: the server's certificate, then any intermediates
  std::string key_file;    // PEM: its private key
};

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
  int header_timeout_ms = 10000;     // to receive a new connection's first request header, whole
                                    // (at most read_timeout_ms): a client trickling it is cut
  int handshake_timeout_ms = 10000;  // to complete a TLS handshake
  std::size_t max_header_bytes = 16 * 1024;
  // Connections held at once, in all and from one client address (both listeners together); the
  // excess is refused at once (plain HTTP: a 503, then closed). 0 = no limit.
  int max_connections = 512;
  int max_connections_per_client = 64;
  std::optional<TlsListenerOptions> tls;  // set: also listen for HTTPS
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
  // The HTTPS listener's port; 0 without one.
  std::uint16_t tls_port() const;

  // Loads the TLS certificate and key again from their files (after a renewal; SIGHUP): new
  // connections get the new ones, connections already up keep theirs. On failure (kInvalidArgument)
  // the old ones stay in use. kInvalidArgument too without a TLS listener.
  Status ReloadTls();
  // Connections open now (both listeners).
  int open_connections() const;

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
