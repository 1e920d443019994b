#pragma once
// The tus 1.0 resumable-upload protocol over HTTP (core, creation, checksum, termination,
// expiration) in front of an UploadStore: OPTIONS/POST /uploads, HEAD/PATCH/DELETE /uploads/{id}.
// Knows no sockets: TusRoutes::Handle maps a Request to a Reply, and TusRoutes::Stream lets the
// server write a PATCH's body to disk as it arrives. Thread-safe. Must outlive the server using it.

#include <atomic>
#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <variant>

#include "common/http/http_types.h"
#include "origin/upload_store.h"

namespace lm::origin {

struct TusOptions {
  std::string base_path = "/uploads";  // where uploads live in the URL space
  std::int64_t expire_after_seconds = 7 * 24 * 3600;  // unfinished uploads are removed after this
  // Refuses metadata the uploads' consumer could not use (POST /uploads gets 400 naming the Status's
  // field, before any byte is sent); empty = any well-formed metadata.
  std::function<Status(const std::map<std::string, std::string>& metadata)> check_metadata;
};

class TusRoutes {
 public:
  // Who may upload: returns the uploader's name for a bearer token, or an error Status
  // (kNotFound: unknown token -> 401; kInvalidArgument: wrong role -> 403; kIo: cannot tell now
  // -> 503).
  using Authenticate = std::function<Result<std::string>(const std::string& bearer_token)>;
  // Called once when an upload's last byte has arrived.
  using OnComplete = std::function<void(const UploadInfo&)>;

  TusRoutes(UploadStore& store, TusOptions options, Authenticate authenticate, OnComplete on_complete,
            std::function<std::int64_t()> now);

  // True if the path belongs to the upload protocol.
  bool Owns(const std::string& path) const;
  // Answers a request whose body was read whole (any tus request, PATCH included).
  http::Reply Handle(const http::Request& request);

  // The stream route for HttpServer::Start: a PATCH's body goes to the upload as it arrives, so a
  // cut connection keeps every byte received (with Upload-Checksum: none of them). The header is
  // checked first (Tus-Resumable, token, owner, Content-Type, Upload-Offset, Content-Length against
  // Upload-Length, Upload-Checksum) and a bad one refused without reading the body. A second PATCH
  // to an upload while one is being received gets 423. nullopt for other requests: Handle's.
  std::optional<http::StreamOrReply> Stream(const http::Request& head);

 private:
  template <typename T>
  using OrReply = std::variant<T, http::Reply>;
  struct PatchHeaders {
    std::int64_t offset = 0;
    std::optional<UploadChecksum> checksum;
  };

  OrReply<std::string> Authorize(const http::Request& request);  // the uploader's name
  OrReply<UploadInfo> FindUpload(const http::Request& request, const std::string& who);
  OrReply<PatchHeaders> ParsePatch(const http::Request& request) const;
  http::Reply Options() const;
  http::Reply Create(const http::Request& request, const std::string& owner);
  http::Reply Head(const std::string& id);
  http::Reply Patch(const http::Request& request, const std::string& id);
  // 204; reports the upload finished when this PATCH, which began at `from`, brought it to its end.
  http::Reply Patched(const UploadInfo& info, std::int64_t from);
  http::Reply PatchError(const Status& status) const;
  http::Reply Error(int status, std::string_view code, const std::string& message, std::string_view field = {}) const;
  void AddCommonHeaders(http::Reply& reply) const;
  void AddExpires(http::Reply& reply, const UploadInfo& info) const;  // Upload-Expires, if unfinished

  UploadStore& store_;
  TusOptions options_;
  Authenticate authenticate_;
  OnComplete on_complete_;
  std::function<std::int64_t()> now_;
  std::atomic<std::int64_t> last_expiry_{0};  // abandoned uploads are swept at most once a minute
};

}  // namespace lm::origin
