#pragma once
// A file, or a byte range of it, as an HTTP reply, the way RFC 9110 says conditional and range
// requests work: If-None-Match with a list, `*` or weak tags (weak comparison) -> 304; Range with
// one range, an open end or a suffix -> 206 with Content-Range; several ranges that join into one
// are served as that one, others as the whole file (a server may ignore Range; no multipart);
// If-Range with a strong ETag that differs -> the whole file; a range past the end -> 416 with
// `Content-Range: bytes */N`; HEAD -> the headers a GET would carry. The body is a FileBody that the
// server sends with sendfile. Used for bundle files (origin web seed, edge) and the web pages.

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>

#include "common/http/http_types.h"

namespace lm::http {

// Whether an If-None-Match value names `etag` ("*", a comma-separated list, W/ prefixes ignored).
bool IfNoneMatchHolds(std::string_view if_none_match, std::string_view etag);

// An inclusive byte range of a representation.
struct ByteRange {
  std::uint64_t first = 0;
  std::uint64_t last = 0;
};
// What a Range header asks of a representation of `size` bytes.
struct RangeAsk {
  enum Kind { kWhole, kPart, kUnsatisfiable } kind = kWhole;
  ByteRange range;  // for kPart
};
RangeAsk ParseRangeHeader(std::string_view range, std::uint64_t size);

// An open file with what the reply says about it.
struct ReplyFile {
  UniqueFd fd;  // none (-1): the representation is `size` zero bytes (BEP 47 pad files)
  std::uint64_t size = 0;
  std::string etag;  // quoted, as sent: "\"abc\""; empty: none
  std::string content_type;
};

// Opens `path` for a reply (O_RDONLY|O_CLOEXEC), with its size. kNotFound if it is not a regular file.
Result<ReplyFile> OpenReplyFile(const std::filesystem::path& path);

// The reply to a GET or HEAD of `file`. `headers` are added to every reply but 416.
Reply FileReply(const Request& request, ReplyFile file, std::vector<std::pair<std::string, std::string>> headers = {});

// The bytes a reply carries, whether in `body` or a file (tests, and small files that are rewritten).
Result<std::string> ReplyBytes(const Reply& reply);

}  // namespace lm::http
