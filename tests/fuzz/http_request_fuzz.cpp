// What every service reads of a request before any route sees it, and the one table of
// conditional and range requests (common/http): the target split into path and query
// (http::SetTarget, ParseQuery, PercentDecode), Range (ParseRangeHeader), If-None-Match
// (IfNoneMatchHolds), If-Range, and the reply FileReply makes of them for a 1000-byte file and for
// a file of zeros of any size (BEP 47 pad files). The input is lines:
//   METHOD / Range / If-None-Match / If-Range / size of the zeros file / target
// Properties: decoded text encoded again decodes to itself, and a query encoded again parses to the
// same pairs; a range is never outside the file, and a plain "bytes=N-M" means exactly those bytes;
// a reply is 200, 206, 304, 405 or 416 as RFC 9110 says, its Content-Range, Content-Length and
// body agree with each other and with the file, and its bytes are the file's.

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "common/http/file_reply.h"
#include "common/http/http_types.h"
#include "tests/fuzz/fuzz_check.h"

namespace fs = std::filesystem;
using lm::http::RangeAsk;
using lm::http::Reply;

namespace {

constexpr std::uint64_t kFileSize = 1000;
constexpr char kEtag[] = "\"0123456789abcdef0123456789abcdef\"";

// The 1000-byte file every input reads: byte i is i % 251.
const fs::path& FilePath() {
  static const fs::path path = [] {
    const fs::path p = lm::fuzz::TempDir("http") / "lesson.bin";
    std::string bytes;
    for (std::uint64_t i = 0; i < kFileSize; ++i) bytes += static_cast<char>(i % 251);
    FILE* f = std::fopen(p.c_str(), "wb");
    FUZZ_CHECK(f != nullptr && std::fwrite(bytes.data(), 1, bytes.size(), f) == bytes.size() && std::fclose(f) == 0,
               "the file is written");
    return p;
  }();
  return path;
}

std::string Encode(std::string_view bytes) {
  static const char* kHex = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : bytes) {
    out += '%';
    out += kHex[c >> 4];
    out += kHex[c & 15];
  }
  return out;
}

std::string HeaderOf(const Reply& r, std::string_view name) {
  for (const auto& [k, v] : r.headers) {
    if (k == name) return v;
  }
  return {};
}

std::optional<std::uint64_t> Digits(std::string_view s) {
  if (s.empty() || s.size() > 18 || s.find_first_not_of("0123456789") != std::string_view::npos) return std::nullopt;
  return std::stoull(std::string(s));
}

void CheckTarget(std::string_view target) {
  std::string decoded;
  if (lm::http::PercentDecode(target, &decoded, false)) {
    std::string again;
    FUZZ_CHECK(lm::http::PercentDecode(Encode(decoded), &again, false) && again == decoded,
               "decoded text encoded again decodes to itself");
  }
  lm::http::Request request;
  if (!lm::http::SetTarget(target, &request)) return;
  FUZZ_CHECK(request.target == target, "the target is kept as received");
  std::string query;
  for (const auto& [key, value] : request.query) query += (query.empty() ? "" : "&") + Encode(key) + "=" + Encode(value);
  FUZZ_CHECK(lm::http::ParseQuery(query) == request.query, "a query encoded again parses to the same pairs");
}

void CheckRange(std::string_view header, std::uint64_t size) {
  const RangeAsk ask = lm::http::ParseRangeHeader(header, size);
  if (ask.kind == RangeAsk::kPart) {
    FUZZ_CHECK(ask.range.first <= ask.range.last && ask.range.last < size, "a range is inside the file");
  }
  // "bytes=N-M" (or "bytes=N-") with nothing else: exactly those bytes.
  if (header.substr(0, 6) != "bytes=") return;
  const std::string_view spec = header.substr(6);
  const std::size_t dash = spec.find('-');
  if (dash == std::string_view::npos) return;
  const auto first = Digits(spec.substr(0, dash));
  const std::string_view last_text = spec.substr(dash + 1);
  const auto last = last_text.empty() ? std::optional<std::uint64_t>(UINT64_MAX) : Digits(last_text);
  if (!first || !last || *first > *last) return;
  if (*first >= size) {
    FUZZ_CHECK(ask.kind == RangeAsk::kUnsatisfiable, "a range past the end is unsatisfiable");
  } else {
    FUZZ_CHECK(ask.kind == RangeAsk::kPart && ask.range.first == *first && ask.range.last == std::min(*last, size - 1),
               "bytes=N-M is bytes N to M");
  }
}

// The reply to `request` for a file of `size` bytes whose bytes are `content` (zeros when empty).
void CheckReply(const lm::http::Request& request, const Reply& r, std::uint64_t size, const std::string& content) {
  if (request.method != "GET" && request.method != "HEAD") {
    FUZZ_CHECK(r.status == 405, "only GET and HEAD read a file");
    return;
  }
  FUZZ_CHECK(r.status == 200 || r.status == 206 || r.status == 304 || r.status == 413 || r.status == 416,
             "a file reply is 200, 206, 304 or 416");
  if (lm::http::IfNoneMatchHolds(request.Header("if-none-match"), kEtag)) {
    FUZZ_CHECK(r.status == 304, "a matching If-None-Match is 304");
  }
  if (request.Header("if-none-match") == kEtag || request.Header("if-none-match") == "*") {
    FUZZ_CHECK(r.status == 304, "the file's own tag, or *, is 304");
  }
  if (r.status == 304 || r.status == 413) return;
  if (r.status == 416) {
    FUZZ_CHECK(HeaderOf(r, "Content-Range") == "bytes */" + std::to_string(size), "416 says the size");
    FUZZ_CHECK(!request.Header("range").empty(), "416 only for a Range");
    return;
  }
  std::uint64_t first = 0, length = size;
  if (r.status == 206) {
    const std::string cr = HeaderOf(r, "Content-Range");
    unsigned long long a = 0, b = 0, total = 0;
    FUZZ_CHECK(std::sscanf(cr.c_str(), "bytes %llu-%llu/%llu", &a, &b, &total) == 3, "206 has a Content-Range");
    FUZZ_CHECK(a <= b && b < size && total == size, "the Content-Range is inside the file");
    first = a;
    length = b - a + 1;
  } else {
    FUZZ_CHECK(HeaderOf(r, "Content-Range").empty(), "200 is the whole file");
  }
  if (request.method == "HEAD") {
    FUZZ_CHECK(HeaderOf(r, "Content-Length") == std::to_string(length), "HEAD says the length a GET would send");
    FUZZ_CHECK(!r.file && r.body.empty(), "HEAD has no body");
    return;
  }
  auto bytes = lm::http::ReplyBytes(r);
  FUZZ_CHECK(bytes.ok() && bytes->size() == length, "the body is as long as the range");
  if (!content.empty()) {
    FUZZ_CHECK(*bytes == content.substr(first, length), "the body is the file's bytes");
  } else {
    FUZZ_CHECK(bytes->find_first_not_of('\0') == std::string::npos, "a zeros file is zeros");
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::vector<std::string_view> parts;
  std::string_view text = lm::fuzz::Text(data, size);
  for (int i = 0; i < 5; ++i) {
    const std::size_t nl = text.find('\n');
    parts.push_back(text.substr(0, nl));
    text = nl == std::string_view::npos ? std::string_view() : text.substr(nl + 1);
  }
  const std::string_view target = text;

  lm::http::Request request;
  request.method = std::string(parts[0]);
  if (!parts[1].empty()) request.headers["range"] = std::string(parts[1]);
  if (!parts[2].empty()) request.headers["if-none-match"] = std::string(parts[2]);
  if (!parts[3].empty()) request.headers["if-range"] = std::string(parts[3]);
  const std::uint64_t zeros_size = Digits(parts[4]).value_or(0);

  CheckTarget(target);
  CheckRange(parts[1], kFileSize);
  CheckRange(parts[1], zeros_size);

  auto file = lm::http::OpenReplyFile(FilePath());
  FUZZ_CHECK(file.ok() && file->size == kFileSize, "the file opens");
  file->etag = kEtag;
  std::string content;
  for (std::uint64_t i = 0; i < kFileSize; ++i) content += static_cast<char>(i % 251);
  CheckReply(request, lm::http::FileReply(request, std::move(*file), {}), kFileSize, content);

  // Zeros are made in memory: a large file is asked with HEAD only, to keep each run fast.
  lm::http::ReplyFile zeros;
  zeros.size = zeros_size;
  zeros.etag = kEtag;
  if (zeros_size > (1 << 20) && request.method == "GET") request.method = "HEAD";
  CheckReply(request, lm::http::FileReply(request, std::move(zeros), {}), zeros_size, "");
  return 0;
}
