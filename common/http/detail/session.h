#pragma once
// One HTTP connection of an HttpServer, plain (Stream = beast::tcp_stream) or TLS (Stream =
// beast::ssl_stream<beast::tcp_stream>, the handshake first). Private to lm_http: only
// http_server.cpp creates them. Everything a Session does runs on its connection's strand.

#include <boost/asio/dispatch.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl/ssl_stream.hpp>

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/sendfile.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cctype>
#include <cerrno>
#include <limits>
#include <memory>
#include <optional>
#include <string>
#include <type_traits>
#include <variant>

#include "common/http/detail/connection_limits.h"
#include "common/logging.h"

#include <spdlog/spdlog.h>
#include "common/http/detail/server_impl.h"

namespace lm::http::detail {

// A handler or stream route that throws (a bug) answers 500 and is logged, instead of ending the
// whole service from a worker thread.
inline Reply HandlerThrew(const std::string& method, const std::string& path, const char* what) {
  static const auto log = AreaLogger("http");
  log->error("handler_threw method={} path=\"{}\" error=\"{}\"", method, path, what);
  return ErrorReply(500, "internal", "the server failed on this request");
}

namespace beast = boost::beast;
namespace bhttp = boost::beast::http;
namespace net = boost::asio;
using tcp = net::ip::tcp;
using TlsStream = beast::ssl_stream<beast::tcp_stream>;


// A streamed body is read this much at a time; reading waits while a piece is taken.
inline constexpr std::size_t kPieceBytes = 64 * 1024;
// After an error reply to a request whose body was not read, the rest is read and dropped for up to
// this long, so that the client's unsent body does not turn our close into a reset that destroys
// the reply before the client reads it.
inline constexpr int kLingerMs = 5000;
// The most one sendfile call is asked for, so one client's large range does not hold the network
// thread while other connections wait (the socket's buffer usually takes less anyway).
inline constexpr std::uint64_t kSendfileChunk = 1 << 20;
// A paced file reply (FileBody::pace) is sent this much at a time, so it keeps to its rate in
// small steps rather than in bursts of a whole chunk.
inline constexpr std::uint64_t kPacedChunk = 16 * 1024;
// A reply's bytes queued in the kernel but not yet sent, at most (TCP_NOTSENT_LOWAT).
inline constexpr std::size_t kUnsentBytes = 256 * 1024;

// The request's header as a handler sees it; false if the path's percent-encoding is malformed.
inline bool ToRequest(const bhttp::request_header<>& msg, tcp::socket& socket, Request* req) {
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
inline bool IsDisconnect(beast::error_code ec) {
  return ec == bhttp::error::end_of_stream || ec == bhttp::error::partial_message || ec == beast::error::timeout ||
         ec == net::error::operation_aborted || ec == net::error::connection_reset || ec == net::error::eof ||
         ec == net::error::broken_pipe;
}

// One connection: reads a request's header, then either its whole body (then the Handler runs on a
// worker) or, if the stream route takes it, its body piece by piece (each piece handed to a worker,
// reading resumed once it was taken). Everything here runs on the connection's strand.
template <class Stream>
class Session : public std::enable_shared_from_this<Session<Stream>> {
 public:
  static constexpr bool kTls = std::is_same_v<Stream, TlsStream>;

  Session(tcp::socket&& socket, HttpServer::Impl* server, ConnectionLimits::Ticket ticket)
    requires(!kTls)
      : ticket_(std::move(ticket)), stream_(std::move(socket)), server_(server) {
    SetUnsentLimit();
  }
  // Keeps `tls` for as long as the connection lasts: a reload swaps the server's, not this one's.
  Session(tcp::socket&& socket, HttpServer::Impl* server, ConnectionLimits::Ticket ticket,
          std::shared_ptr<net::ssl::context> tls)
    requires(kTls)
      : ticket_(std::move(ticket)), tls_(std::move(tls)), stream_(std::move(socket), *tls_), server_(server) {
    SetUnsentLimit();
  }

  void Start() {
    net::dispatch(stream_.get_executor(), beast::bind_front_handler(&Session::Open, this->shared_from_this()));
  }

 private:
  std::chrono::milliseconds ms(int v) { return std::chrono::milliseconds(v); }
  beast::tcp_stream& Tcp() { return beast::get_lowest_layer(stream_); }

  void SetUnsentLimit() {
    // The kernel takes a reply's bytes (written or sendfile'd) only while fewer than this many wait
    // unsent, so each write or wait for the socket ends as the client takes that much (the progress
    // the reply's timeout measures), and a slow client does not hold megabytes of send buffer.
    const int low_water = static_cast<int>(kUnsentBytes);
    ::setsockopt(Tcp().socket().native_handle(), IPPROTO_TCP, TCP_NOTSENT_LOWAT, &low_water, sizeof low_water);
  }

  // A TLS connection first completes its handshake, within handshake_timeout_ms: a client that
  // stalls in it is dropped as one that stalls in its header is.
  void Open() {
    if constexpr (kTls) {
      Tcp().expires_after(ms(server_->options.handshake_timeout_ms));
      stream_.async_handshake(net::ssl::stream_base::server, [self = this->shared_from_this()](beast::error_code ec) {
        if (ec) return;  // not TLS, no common cipher, a client that refused our certificate, or a stall
        self->handshaken_ = true;
        self->ReadHeader();
      });
    } else {
      ReadHeader();
    }
  }

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
    // The whole header must arrive within header_timeout_ms of the connection's start (a client that
    // trickles it a byte at a time is cut then), or of the previous reply within idle_timeout_ms.
    Tcp().expires_after(ms(first_ ? std::min(server_->options.header_timeout_ms, server_->options.read_timeout_ms)
                                  : server_->options.idle_timeout_ms));
    bhttp::async_read_header(stream_, buffer_, *head_parser_,
                             beast::bind_front_handler(&Session::OnHeader, this->shared_from_this()));
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
    if (!ToRequest(msg, Tcp().socket(), &head)) {
      return Reject(400, "invalid_argument", "malformed percent-encoding in the path");
    }
    if (!server_->stream_route) return ReadWholeBody(std::move(head));
    // The route may look things up (a token, a file): it runs on a worker, as handlers do.
    Begin();
    Tcp().expires_never();
    auto self = this->shared_from_this();
    net::post(*server_->workers, [self, head = std::move(head)]() mutable {
      std::optional<StreamOrReply> decision;
      try {
        decision = self->server_->stream_route(head);
      } catch (const std::exception& e) {
        decision = HandlerThrew(head.method, head.path, e.what());
      }
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
    Tcp().expires_after(ms(server_->options.read_timeout_ms));
    bhttp::async_write(stream_, *continue_, [self = this->shared_from_this()](beast::error_code ec, std::size_t) {
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
    Tcp().expires_after(ms(server_->options.read_timeout_ms));
    bhttp::async_read(stream_, buffer_, *parser_, beast::bind_front_handler(&Session::OnBody, this->shared_from_this()));
  }

  void OnBody(beast::error_code ec, std::size_t) {
    if (ec == bhttp::error::body_limit) return Reject(413, "too_large", "request body is too large");
    if (ec) return FailRead(ec);
    Request req = std::move(head_request_);
    req.body = std::move(parser_->get().body());
    keep_alive_ = parser_->get().keep_alive();
    parser_.reset();
    Tcp().expires_never();  // the handler may take long (a long poll); the write sets a deadline

    Begin();
    auto self = this->shared_from_this();
    auto answered = std::make_shared<std::atomic<bool>>(false);
    Responder respond = [self, answered](Reply reply) {
      if (answered->exchange(true)) return;  // exactly once
      net::post(self->stream_.get_executor(),
                [self, reply = std::move(reply)]() mutable { self->Write(std::move(reply)); });
    };
    net::post(*server_->workers, [handler = server_->handler, req = std::move(req), respond]() mutable {
      const std::string method = req.method, path = req.path;
      try {
        handler(std::move(req), respond);
      } catch (const std::exception& e) {
        respond(HandlerThrew(method, path, e.what()));  // ignored if the handler had answered
      }
    });
  }

  void ReadPiece() {
    auto& body = stream_parser_->get().body();
    body.data = piece_.data();
    body.size = piece_.size();
    body.more = true;
    Tcp().expires_after(ms(server_->options.read_timeout_ms));
    bhttp::async_read_some(stream_, buffer_, *stream_parser_,
                           beast::bind_front_handler(&Session::OnPiece, this->shared_from_this()));
  }

  void OnPiece(beast::error_code ec, std::size_t) {
    if (ec == bhttp::error::need_buffer) ec = {};  // the piece buffer is full: a normal stop
    const std::size_t got = piece_.size() - stream_parser_->get().body().size;
    const bool done = !ec && stream_parser_->is_done();
    if (got == 0) return AfterPiece(Status::Ok(), ec, done);
    // Bytes that arrived before an error are still handed over: a cut keeps them.
    Tcp().expires_never();
    auto self = this->shared_from_this();
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
    Tcp().expires_never();
    auto self = this->shared_from_this();
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
    Tcp().expires_after(ms(server_->options.read_timeout_ms));
    bhttp::async_write_some(stream_, *serializer_,
                            beast::bind_front_handler(&Session::OnWriteSome, this->shared_from_this()));
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
    Tcp().expires_after(ms(server_->options.read_timeout_ms));
    bhttp::async_write_header(stream_, *file_head_, [self = this->shared_from_this()](beast::error_code ec, std::size_t) {
      self->file_head_.reset();
      if (ec) return self->EndFile(ec);
      if constexpr (kTls) {
        self->SendFileRecords();
      } else {
        self->Tcp().expires_never();  // the file's writes keep their own deadline (send_timer_)
        self->SendFileBytes();
      }
    });
  }

  // Over TLS the bytes must pass through OpenSSL: read a piece of the file (from the page cache, as
  // sendfile would), write it encrypted, repeat; the same progress timeout per write.
  void SendFileRecords() {
    if (file_.length == 0) return EndFile({});
    if (!PaceAllows()) return;  // SendFileRecords again once it does
    piece_.resize(kPieceBytes);
    const std::size_t want =
        static_cast<std::size_t>(std::min<std::uint64_t>(file_.length, file_.pace ? pace_allowance_ : piece_.size()));
    ssize_t got;
    do {
      got = ::pread(file_.fd->get(), piece_.data(), want, static_cast<off_t>(file_.offset));
    } while (got < 0 && errno == EINTR);
    if (got <= 0) return EndFile(got == 0 ? net::error::eof : beast::error_code(errno, beast::system_category()));
    Tcp().expires_after(ms(server_->options.read_timeout_ms));
    net::async_write(stream_, net::buffer(piece_.data(), static_cast<std::size_t>(got)),
                     [self = this->shared_from_this()](beast::error_code ec, std::size_t n) {
                       if (ec) return self->EndFile(ec);
                       self->file_.offset += n;
                       self->file_.length -= n;
                       if (self->file_.pace) self->pace_allowance_ -= n;
                       self->SendFileRecords();
                     });
  }

  void SendFileBytes() {
    tcp::socket& socket = Tcp().socket();
    beast::error_code nb;
    socket.native_non_blocking(true, nb);  // sendfile must return EAGAIN, never block the network thread
    while (file_.length > 0) {
      if (!PaceAllows()) return;  // SendFileBytes again once it does
      auto offset = static_cast<off_t>(file_.offset);
      const std::size_t want =
          static_cast<std::size_t>(std::min<std::uint64_t>(file_.length, file_.pace ? pace_allowance_ : kSendfileChunk));
      const ssize_t sent = ::sendfile(socket.native_handle(), file_.fd->get(), &offset, want);
      if (sent > 0) {
        file_.offset += static_cast<std::uint64_t>(sent);
        file_.length -= static_cast<std::uint64_t>(sent);
        if (file_.pace) pace_allowance_ -= static_cast<std::uint64_t>(sent);
        continue;
      }
      if (sent < 0 && errno == EINTR) continue;
      if (sent < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
        // The socket is full: wait until the client takes some, for as long as a read may take.
        send_timer_.expires_after(ms(server_->options.read_timeout_ms));
        send_timer_.async_wait([self = this->shared_from_this()](beast::error_code ec) {
          if (!ec) self->Tcp().socket().cancel();  // stalled: the wait below ends with an error
        });
        socket.async_wait(tcp::socket::wait_write, [self = this->shared_from_this()](beast::error_code ec) {
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

  // Whether a paced reply may send now: the next kPacedChunk bytes are taken from the shared rate
  // before they go (pace_allowance_, what is taken and not sent yet); when the rate asks for a
  // wait, a timer of this connection (never a blocked thread) sends them after it, and this says
  // false. Always true for a reply without a pace.
  bool PaceAllows() {
    if (!file_.pace || pace_allowance_ > 0) return true;
    pace_allowance_ = std::min<std::uint64_t>(file_.length, kPacedChunk);
    const std::chrono::nanoseconds wait = file_.pace->Take(static_cast<std::int64_t>(pace_allowance_));
    if (wait.count() <= 0) return true;
    pace_timer_.expires_after(wait);
    pace_timer_.async_wait([self = this->shared_from_this()](beast::error_code ec) {
      if (ec) return self->EndFile(ec);
      if constexpr (kTls) {
        self->SendFileRecords();
      } else {
        self->SendFileBytes();
      }
    });
    return false;
  }

  void Cork(bool on) {
    const int value = on ? 1 : 0;
    (void)::setsockopt(Tcp().socket().native_handle(), IPPROTO_TCP, TCP_CORK, &value, sizeof value);
  }

  void EndFile(beast::error_code ec) {
    Cork(false);  // sends the last partial packet now
    const bool keep = file_res_->keep_alive();
    file_res_.reset();
    file_ = {};
    pace_allowance_ = 0;
    AfterWrite(ec, keep);
  }

  void AfterWrite(beast::error_code ec, bool keep) {
    End();
    if (ec || !keep) return body_unread_ && !ec ? Linger() : Close();
    first_ = false;
    ReadHeader();
  }

  // Ends the connection from our side. TLS says close_notify first (for at most kLingerMs, the peer
  // given that long to answer it), so that a client reading to the end sees a clean end.
  void Close() {
    End();
    if constexpr (kTls) {
      if (handshaken_ && !closing_) {
        closing_ = true;
        Tcp().expires_after(ms(std::min(server_->options.read_timeout_ms, kLingerMs)));
        stream_.async_shutdown([self = this->shared_from_this()](beast::error_code) { self->ShutdownSend(); });
        return;
      }
    }
    ShutdownSend();
  }

  void ShutdownSend() {
    beast::error_code ec;
    Tcp().socket().shutdown(tcp::socket::shutdown_send, ec);
  }

  // Closes our side, then reads and drops what the client still sends until it closes or time is up.
  // Over TLS the dropped bytes must be decrypted to find where the client stops, so the close comes
  // after them.
  void Linger() {
    if constexpr (kTls) {
      End();
    } else {
      Close();
    }
    piece_.resize(kPieceBytes);
    Tcp().expires_after(ms(std::min(server_->options.read_timeout_ms, kLingerMs)));  // for all the reads
    Drain();
  }
  void Drain() {
    stream_.async_read_some(net::buffer(piece_), [self = this->shared_from_this()](beast::error_code ec, std::size_t) {
      if (!ec) return self->Drain();
      if constexpr (kTls) self->Close();
    });
  }

  ConnectionLimits::Ticket ticket_;         // this connection's place, given back as it ends
  std::shared_ptr<net::ssl::context> tls_;  // TLS only: the context this connection began with
  Stream stream_;
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
  net::steady_timer pace_timer_{stream_.get_executor()};
  std::uint64_t pace_allowance_ = 0;
  std::size_t limit_ = 0;
  bool first_ = true;
  bool keep_alive_ = true;
  bool head_ = false;
  bool expect_continue_ = false;
  bool body_unread_ = false;  // an error reply left some of the body in the socket
  bool in_flight_ = false;
  bool handshaken_ = false;  // TLS: the handshake completed
  bool closing_ = false;     // TLS: close_notify begun
  unsigned version_ = 11;
};


}  // namespace lm::http::detail
