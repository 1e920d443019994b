#include "common/http/http_server.h"

#include <boost/asio/dispatch.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/thread_pool.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <signal.h>
#include <sys/sendfile.h>
#include <sys/socket.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <condition_variable>
#include <limits>
#include <mutex>
#include <optional>
#include <thread>
#include <variant>
#include <vector>

namespace lm::http {

namespace beast = boost::beast;
namespace bhttp = boost::beast::http;
namespace net = boost::asio;
using tcp = net::ip::tcp;

struct HttpServer::Impl {
  ServerOptions options;
  Handler handler;
  BodyLimit body_limit;
  StreamRoute stream_route;  // may be empty
  net::io_context ioc;
  // Keeps the network thread running until Stop: a request whose handler is still working (a long
  // poll) has no operation pending on ioc, and once Stop has closed the acceptor nothing else would
  // be; run() would return and that request's reply, posted later, would never be written.
  net::executor_work_guard<net::io_context::executor_type> work{ioc.get_executor()};
  // The acceptor's own strand: with several network threads, Stop's close must not race an accept.
  tcp::acceptor acceptor{net::make_strand(ioc)};
  std::unique_ptr<net::thread_pool> workers;
  std::vector<std::thread> io_threads;
  std::atomic<bool> stopping{false};
  std::mutex mu;
  std::condition_variable idle;
  int in_flight = 0;  // requests read but not yet answered; guarded by mu

  void BeginRequest() {
    std::lock_guard lock(mu);
    ++in_flight;
  }
  void EndRequest() {
    std::lock_guard lock(mu);
    if (--in_flight == 0) idle.notify_all();
  }
  void Accept();
};

namespace {

// A streamed body is read this much at a time; reading waits while a piece is taken.
constexpr std::size_t kPieceBytes = 64 * 1024;
// After an error reply to a request whose body was not read, the rest is read and dropped for up to
// this long, so that the client's unsent body does not turn our close into a reset that destroys
// the reply before the client reads it.
constexpr int kLingerMs = 5000;
// The most one sendfile call is asked for, so one client's large range does not hold the network
// thread while other connections wait (the socket's buffer usually takes less anyway).
constexpr std::uint64_t kSendfileChunk = 1 << 20;
// A reply's bytes queued in the kernel but not yet sent, at most (TCP_NOTSENT_LOWAT).
constexpr std::size_t kUnsentBytes = 256 * 1024;

// The request's header as a handler sees it; false if the path's percent-encoding is malformed.
bool ToRequest(const bhttp::request_header<>& msg, tcp::socket& socket, Request* req) {
  req->method = std::string(msg.method_string());
  if (!SetTarget(std::string_view(msg.target().data(), msg.target().size()), req)) return false;
  for (const auto& field : msg) {
    std::string name(field.name_string());
    for (auto& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    req->headers[name] = std::string(field.value());
  }
  beast::error_code ec;
  const auto endpoint = socket.remote_endpoint(ec);
  if (!ec) req->peer = endpoint.address().to_string() + ":" + std::to_string(endpoint.port());
  return true;
}

// The peer went away or stalled, as opposed to sending something malformed.
bool IsDisconnect(beast::error_code ec) {
  return ec == bhttp::error::end_of_stream || ec == bhttp::error::partial_message || ec == beast::error::timeout ||
         ec == net::error::operation_aborted || ec == net::error::connection_reset || ec == net::error::eof ||
         ec == net::error::broken_pipe;
}

// One connection: reads a request's header, then either its whole body (then the Handler runs on a
// worker) or, if the stream route takes it, its body piece by piece (each piece handed to a worker,
// reading resumed once it was taken). Everything here runs on the connection's strand.
class Session : public std::enable_shared_from_this<Session> {
 public:
  Session(tcp::socket&& socket, HttpServer::Impl* server) : stream_(std::move(socket)), server_(server) {
    // The kernel takes a reply's bytes (written or sendfile'd) only while fewer than this many wait
    // unsent, so each write or wait for the socket ends as the client takes that much (the progress
    // the reply's timeout measures), and a slow client does not hold megabytes of send buffer.
    const int low_water = static_cast<int>(kUnsentBytes);
    ::setsockopt(stream_.socket().native_handle(), IPPROTO_TCP, TCP_NOTSENT_LOWAT, &low_water, sizeof low_water);
  }

  void Start() {
    net::dispatch(stream_.get_executor(), beast::bind_front_handler(&Session::ReadHeader, shared_from_this()));
  }

 private:
  std::chrono::milliseconds ms(int v) { return std::chrono::milliseconds(v); }

  // Counts this request as in flight (for Stop) until its reply is written or the connection ends.
  void Begin() {
    if (!in_flight_) server_->BeginRequest();
    in_flight_ = true;
  }
  void End() {
    if (in_flight_) server_->EndRequest();
    in_flight_ = false;
  }

  void ReadHeader() {
    body_unread_ = false;
    head_parser_.emplace();
    head_parser_->header_limit(static_cast<std::uint32_t>(server_->options.max_header_bytes));
    // Beast's default (1 MiB) would refuse a larger Content-Length as the header completes; the
    // route's limit is applied once the header is here.
    head_parser_->body_limit(std::numeric_limits<std::uint64_t>::max());
    stream_.expires_after(ms(first_ ? server_->options.read_timeout_ms : server_->options.idle_timeout_ms));
    bhttp::async_read_header(stream_, buffer_, *head_parser_,
                             beast::bind_front_handler(&Session::OnHeader, shared_from_this()));
  }

  void OnHeader(beast::error_code ec, std::size_t) {
    if (ec) return FailRead(ec);
    const auto& msg = head_parser_->get();
    limit_ = server_->body_limit(std::string(msg.method_string()), std::string(msg.target()));
    keep_alive_ = msg.keep_alive();
    version_ = msg.version();
    head_ = msg.method() == bhttp::verb::head;
    expect_continue_ = version_ >= 11 && beast::iequals(msg[bhttp::field::expect], "100-continue");
    if (head_parser_->content_length() && *head_parser_->content_length() > limit_) {
      return Reject(413, "too_large", "request body is larger than " + std::to_string(limit_) + " bytes");
    }
    Request head;
    if (!ToRequest(msg, stream_.socket(), &head)) {
      return Reject(400, "invalid_argument", "malformed percent-encoding in the path");
    }
    if (!server_->stream_route) return ReadWholeBody(std::move(head));
    // The route may look things up (a token, a file): it runs on a worker, as handlers do.
    Begin();
    stream_.expires_never();
    auto self = shared_from_this();
    net::post(*server_->workers, [self, head = std::move(head)]() mutable {
      std::optional<StreamOrReply> decision = self->server_->stream_route(head);
      net::post(self->stream_.get_executor(), [self, head = std::move(head), decision = std::move(decision)]() mutable {
        self->OnDecision(std::move(head), std::move(decision));
      });
    });
  }

  void OnDecision(Request head, std::optional<StreamOrReply> decision) {
    if (!decision) return ReadWholeBody(std::move(head));
    if (auto* reply = std::get_if<Reply>(&*decision)) {
      body_unread_ = !head_parser_->is_done();
      if (body_unread_) keep_alive_ = false;
      return Write(std::move(*reply));
    }
    body_stream_ = std::move(std::get<BodyStream>(*decision));
    stream_parser_.emplace(std::move(*head_parser_));
    head_parser_.reset();
    stream_parser_->body_limit(limit_);
    if (stream_parser_->is_done()) return EndStream(Status::Ok(), std::nullopt, false);  // no body
    piece_.resize(kPieceBytes);
    if (!expect_continue_) return ReadPiece();
    // The client waits for our word before it sends the body.
    continue_ = std::make_shared<bhttp::response<bhttp::empty_body>>(bhttp::status::continue_, version_);
    stream_.expires_after(ms(server_->options.read_timeout_ms));
    bhttp::async_write(stream_, *continue_, [self = shared_from_this()](beast::error_code ec, std::size_t) {
      self->continue_.reset();
      if (ec) return self->EndStream(Cancelled("connection lost: " + ec.message()), std::nullopt, true);
      self->ReadPiece();
    });
  }

  void ReadWholeBody(Request head) {
    head_request_ = std::move(head);
    parser_.emplace(std::move(*head_parser_));
    head_parser_.reset();
    parser_->body_limit(limit_);
    stream_.expires_after(ms(server_->options.read_timeout_ms));
    bhttp::async_read(stream_, buffer_, *parser_, beast::bind_front_handler(&Session::OnBody, shared_from_this()));
  }

  void OnBody(beast::error_code ec, std::size_t) {
    if (ec == bhttp::error::body_limit) return Reject(413, "too_large", "request body is too large");
    if (ec) return FailRead(ec);
    Request req = std::move(head_request_);
    req.body = std::move(parser_->get().body());
    keep_alive_ = parser_->get().keep_alive();
    parser_.reset();
    stream_.expires_never();  // the handler may take long (a long poll); the write sets a deadline

    Begin();
    auto self = shared_from_this();
    auto answered = std::make_shared<std::atomic<bool>>(false);
    Responder respond = [self, answered](Reply reply) {
      if (answered->exchange(true)) return;  // exactly once
      net::post(self->stream_.get_executor(),
                [self, reply = std::move(reply)]() mutable { self->Write(std::move(reply)); });
    };
    net::post(*server_->workers, [handler = server_->handler, req = std::move(req), respond]() mutable {
      handler(std::move(req), std::move(respond));
    });
  }

  void ReadPiece() {
    auto& body = stream_parser_->get().body();
    body.data = piece_.data();
    body.size = piece_.size();
    body.more = true;
    stream_.expires_after(ms(server_->options.read_timeout_ms));
    bhttp::async_read_some(stream_, buffer_, *stream_parser_,
                           beast::bind_front_handler(&Session::OnPiece, shared_from_this()));
  }

  void OnPiece(beast::error_code ec, std::size_t) {
    if (ec == bhttp::error::need_buffer) ec = {};  // the piece buffer is full: a normal stop
    const std::size_t got = piece_.size() - stream_parser_->get().body().size;
    const bool done = !ec && stream_parser_->is_done();
    if (got == 0) return AfterPiece(Status::Ok(), ec, done);
    // Bytes that arrived before an error are still handed over: a cut keeps them.
    stream_.expires_never();
    auto self = shared_from_this();
    net::post(*server_->workers, [self, got, ec, done] {
      Status taken = self->body_stream_.on_data(std::string_view(self->piece_.data(), got));
      net::post(self->stream_.get_executor(),
                [self, taken = std::move(taken), ec, done]() mutable { self->AfterPiece(std::move(taken), ec, done); });
    });
  }

  void AfterPiece(Status taken, beast::error_code ec, bool done) {
    if (!taken.ok()) return EndStream(std::move(taken), std::nullopt, false);
    if (ec == bhttp::error::body_limit) {
      return EndStream(Cancelled("request body is too large"),
                       ErrorReply(413, "too_large", "request body is larger than " + std::to_string(limit_) + " bytes"),
                       false);
    }
    if (ec && IsDisconnect(ec)) return EndStream(Cancelled("connection lost: " + ec.message()), std::nullopt, true);
    if (ec) {
      return EndStream(Cancelled("malformed request body: " + ec.message()),
                       ErrorReply(400, "invalid_argument", "malformed HTTP request: " + ec.message()), false);
    }
    if (done) return EndStream(Status::Ok(), std::nullopt, false);
    ReadPiece();
  }

  // Tells the stream how its body ended (on a worker), then sends its reply, or `own_reply`, or
  // nothing if the connection is gone.
  void EndStream(Status outcome, std::optional<Reply> own_reply, bool gone) {
    body_unread_ = !outcome.ok();
    if (body_unread_) keep_alive_ = false;
    if (outcome.ok()) keep_alive_ = stream_parser_->get().keep_alive();
    stream_parser_.reset();
    stream_.expires_never();
    auto self = shared_from_this();
    net::post(*server_->workers, [self, outcome = std::move(outcome), own_reply = std::move(own_reply), gone]() mutable {
      Reply reply = self->body_stream_.on_end(outcome);
      self->body_stream_ = {};  // what it holds is released here, off the network thread
      if (own_reply) reply = std::move(*own_reply);
      net::post(self->stream_.get_executor(), [self, reply = std::move(reply), gone]() mutable {
        if (gone) return self->Close();
        self->Write(std::move(reply));
      });
    });
  }

  void FailRead(beast::error_code ec) {
    if (IsDisconnect(ec)) return Close();
    // A malformed request: say so once and close.
    Reject(400, "invalid_argument", "malformed HTTP request: " + ec.message());
  }

  // Answers without reading the body, and closes.
  void Reject(int status, std::string_view code, const std::string& message) {
    keep_alive_ = false;
    body_unread_ = true;
    Write(ErrorReply(status, code, message));
  }

  template <class Body>
  void SetHeader(bhttp::response<Body>& res, const Reply& reply, std::string* head_length) {
    res.set(bhttp::field::server, "LessonMesh");
    res.set(bhttp::field::content_type, reply.content_type);
    for (const auto& [name, value] : reply.headers) {
      if (head_ && beast::iequals(name, "Content-Length")) {
        *head_length = value;  // a HEAD reply states the length its GET would have
        continue;
      }
      res.set(name, value);
    }
    res.keep_alive(keep_alive_ && !server_->stopping.load());
  }

  void Write(Reply reply) {
    Begin();
    if (reply.file && !head_) return WriteFile(std::move(reply));
    res_ = std::make_shared<bhttp::response<bhttp::string_body>>(static_cast<bhttp::status>(reply.status), version_);
    std::string head_length;
    SetHeader(*res_, reply, &head_length);
    res_->body() = std::move(reply.body);
    res_->prepare_payload();
    if (!head_length.empty()) res_->set(bhttp::field::content_length, head_length);
    serializer_.emplace(*res_);
    WriteSome();
  }

  // A string reply goes out as fast as the client takes it, and the timeout is for progress, as
  // for a file's: each write the socket accepts (kUnsentBytes at most) restarts it. A reader that
  // keeps taking bytes gets the whole reply however long that takes; one that takes nothing for
  // read_timeout_ms is dropped.
  void WriteSome() {
    stream_.expires_after(ms(server_->options.read_timeout_ms));
    bhttp::async_write_some(stream_, *serializer_,
                            beast::bind_front_handler(&Session::OnWriteSome, shared_from_this()));
  }

  void OnWriteSome(beast::error_code ec, std::size_t) {
    if (!ec && !serializer_->is_done()) return WriteSome();
    serializer_.reset();
    const bool keep = res_->keep_alive();
    res_.reset();
    AfterWrite(ec, keep);
  }

  // A body from a file: the header through Beast, then the bytes straight from the page cache to the
  // socket with sendfile(2), as nginx does, waiting for the socket to take more whenever it is full.
  // Nothing is copied into memory, so one worker thread is not tied up per large range.
  void WriteFile(Reply reply) {
    file_ = std::move(*reply.file);
    file_res_ = std::make_shared<bhttp::response<bhttp::empty_body>>(static_cast<bhttp::status>(reply.status), version_);
    std::string unused;
    SetHeader(*file_res_, reply, &unused);
    file_res_->content_length(file_.length);
    file_head_.emplace(*file_res_);
    Cork(true);  // the header goes out with the first of the file's bytes, not in a packet of its own
    stream_.expires_after(ms(server_->options.read_timeout_ms));
    bhttp::async_write_header(stream_, *file_head_, [self = shared_from_this()](beast::error_code ec, std::size_t) {
      self->file_head_.reset();
      if (ec) return self->EndFile(ec);
      self->stream_.expires_never();  // the file's writes keep their own deadline (send_timer_)
      self->SendFileBytes();
    });
  }

  void SendFileBytes() {
    tcp::socket& socket = stream_.socket();
    beast::error_code nb;
    socket.native_non_blocking(true, nb);  // sendfile must return EAGAIN, never block the network thread
    while (file_.length > 0) {
      auto offset = static_cast<off_t>(file_.offset);
      const std::size_t want = static_cast<std::size_t>(std::min<std::uint64_t>(file_.length, kSendfileChunk));
      const ssize_t sent = ::sendfile(socket.native_handle(), file_.fd->get(), &offset, want);
      if (sent > 0) {
        file_.offset += static_cast<std::uint64_t>(sent);
        file_.length -= static_cast<std::uint64_t>(sent);
        continue;
      }
      if (sent < 0 && errno == EINTR) continue;
      if (sent < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
        // The socket is full: wait until the client takes some, for as long as a read may take.
        send_timer_.expires_after(ms(server_->options.read_timeout_ms));
        send_timer_.async_wait([self = shared_from_this()](beast::error_code ec) {
          if (!ec) self->stream_.socket().cancel();  // stalled: the wait below ends with an error
        });
        socket.async_wait(tcp::socket::wait_write, [self = shared_from_this()](beast::error_code ec) {
          self->send_timer_.cancel();
          if (ec) return self->EndFile(ec);
          self->SendFileBytes();
        });
        return;
      }
      // The file ended early (cut short under us) or the socket failed: the reply cannot be completed.
      return EndFile(sent == 0 ? net::error::eof : beast::error_code(errno, beast::system_category()));
    }
    EndFile({});
  }

  void Cork(bool on) {
    const int value = on ? 1 : 0;
    (void)::setsockopt(stream_.socket().native_handle(), IPPROTO_TCP, TCP_CORK, &value, sizeof value);
  }

  void EndFile(beast::error_code ec) {
    Cork(false);  // sends the last partial packet now
    const bool keep = file_res_->keep_alive();
    file_res_.reset();
    file_ = {};
    AfterWrite(ec, keep);
  }

  void AfterWrite(beast::error_code ec, bool keep) {
    End();
    if (ec || !keep) return body_unread_ && !ec ? Linger() : Close();
    first_ = false;
    ReadHeader();
  }

  void Close() {
    End();
    beast::error_code ec;
    stream_.socket().shutdown(tcp::socket::shutdown_send, ec);
  }

  // Closes our side, then reads and drops what the client still sends until it closes or time is up.
  void Linger() {
    Close();
    piece_.resize(kPieceBytes);
    stream_.expires_after(ms(std::min(server_->options.read_timeout_ms, kLingerMs)));  // for all the reads
    Drain();
  }
  void Drain() {
    stream_.async_read_some(net::buffer(piece_), [self = shared_from_this()](beast::error_code ec, std::size_t) {
      if (!ec) self->Drain();
    });
  }

  beast::tcp_stream stream_;
  HttpServer::Impl* server_;
  beast::flat_buffer buffer_;
  // One request's parser: the header's first, then, converted from it, one for the whole body or
  // one for a streamed body.
  std::optional<bhttp::request_parser<bhttp::empty_body>> head_parser_;
  std::optional<bhttp::request_parser<bhttp::string_body>> parser_;
  std::optional<bhttp::request_parser<bhttp::buffer_body>> stream_parser_;
  Request head_request_;    // while its whole body is read
  BodyStream body_stream_;  // while a streamed body is read; touched by one thread at a time
  std::string piece_;       // a streamed body's piece in transit; also the drain buffer
  std::shared_ptr<bhttp::response<bhttp::empty_body>> continue_;
  std::shared_ptr<bhttp::response<bhttp::string_body>> res_;
  std::optional<bhttp::response_serializer<bhttp::string_body>> serializer_;  // of *res_, while it is written
  // A file reply in transit: its header (and its serializer while the header is written), the rest.
  std::shared_ptr<bhttp::response<bhttp::empty_body>> file_res_;
  std::optional<bhttp::response_serializer<bhttp::empty_body>> file_head_;
  FileBody file_;
  net::steady_timer send_timer_{stream_.get_executor()};
  std::size_t limit_ = 0;
  bool first_ = true;
  bool keep_alive_ = true;
  bool head_ = false;
  bool expect_continue_ = false;
  bool body_unread_ = false;  // an error reply left some of the body in the socket
  bool in_flight_ = false;
  unsigned version_ = 11;
};

}  // namespace

void HttpServer::Impl::Accept() {
  acceptor.async_accept(net::make_strand(ioc), [this](beast::error_code ec, tcp::socket socket) {
    if (ec) {
      if (!acceptor.is_open()) return;  // stopped
    } else {
      beast::error_code nodelay;
      socket.set_option(tcp::no_delay(true), nodelay);  // a reply's last packet is not held for an ACK
      std::make_shared<Session>(std::move(socket), this)->Start();
    }
    Accept();
  });
}

HttpServer::HttpServer(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

Result<std::unique_ptr<HttpServer>> HttpServer::Start(const ServerOptions& options, Handler handler,
                                                      BodyLimit body_limit, StreamRoute stream_route) {
  auto impl = std::make_unique<Impl>();
  impl->options = options;
  impl->handler = std::move(handler);
  impl->body_limit = std::move(body_limit);
  impl->stream_route = std::move(stream_route);
  beast::error_code ec;
  const auto address = net::ip::make_address(options.address, ec);
  if (ec) return InvalidArgument("bad listen address \"" + options.address + "\": " + ec.message(), "listen");
  const tcp::endpoint endpoint(address, options.port);
  impl->acceptor.open(endpoint.protocol(), ec);
  if (!ec) impl->acceptor.set_option(net::socket_base::reuse_address(true), ec);
  if (!ec) impl->acceptor.bind(endpoint, ec);
  if (!ec) impl->acceptor.listen(net::socket_base::max_listen_connections, ec);
  if (ec) {
    return Status(StatusCode::kIo, "listen on " + options.address + ":" + std::to_string(options.port) + ": " +
                                       ec.message());
  }
  impl->workers = std::make_unique<net::thread_pool>(static_cast<std::size_t>(std::max(1, options.worker_threads)));
  impl->Accept();
  Impl* raw = impl.get();
  for (int i = 0; i < std::max(1, options.network_threads); ++i) {
    impl->io_threads.emplace_back([raw] {
      // sendfile(2) has no MSG_NOSIGNAL: a client that closed its end while a file reply was going
      // out (libtorrent drops a web seed connection whose piece came from a peer) raises SIGPIPE in
      // the thread that calls it, and SIGPIPE's default ends the process. Blocked here, on the only
      // threads that write to clients, it stays pending on this thread and sendfile says EPIPE.
      sigset_t pipe;
      sigemptyset(&pipe);
      sigaddset(&pipe, SIGPIPE);
      pthread_sigmask(SIG_BLOCK, &pipe, nullptr);
      raw->ioc.run();
    });
  }
  return std::unique_ptr<HttpServer>(new HttpServer(std::move(impl)));
}

HttpServer::~HttpServer() { Stop(std::chrono::milliseconds(0)); }

std::uint16_t HttpServer::port() const {
  beast::error_code ec;
  return impl_->acceptor.local_endpoint(ec).port();
}

void HttpServer::RunAfter(std::chrono::milliseconds delay, std::function<void()> fn) {
  if (impl_->stopping.load()) return;
  auto timer = std::make_shared<net::steady_timer>(impl_->ioc, delay);
  Impl* impl = impl_.get();
  timer->async_wait([timer, impl, fn = std::move(fn)](beast::error_code ec) mutable {
    if (ec || impl->stopping.load()) return;
    net::post(*impl->workers, std::move(fn));
  });
}

void HttpServer::Stop(std::chrono::milliseconds grace) {
  if (!impl_ || impl_->stopping.exchange(true)) return;
  net::post(impl_->acceptor.get_executor(), [impl = impl_.get()] {
    beast::error_code ec;
    impl->acceptor.close(ec);
  });
  {
    std::unique_lock lock(impl_->mu);
    impl_->idle.wait_for(lock, grace, [&] { return impl_->in_flight == 0; });
  }
  impl_->ioc.stop();
  for (auto& thread : impl_->io_threads) thread.join();
  impl_->io_threads.clear();
  // The posted close may not have run before the stop; the network threads are gone now.
  beast::error_code ec;
  impl_->acceptor.close(ec);
  impl_->workers->join();
}

}  // namespace lm::http
