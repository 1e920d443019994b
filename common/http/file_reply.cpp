#include "common/http/file_reply.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>

namespace lm::http {

namespace {

constexpr std::uint64_t kMaxZeroBytes = 64 * 1024 * 1024;  // a pad file larger than this is not one

std::string_view Trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

std::string_view Opaque(std::string_view tag) {
  if (tag.substr(0, 2) == "W/") tag.remove_prefix(2);
  return tag;
}

// Digits only, at most 18 of them (no overflow); nullopt otherwise.
std::optional<std::uint64_t> Number(std::string_view s) {
  if (s.empty() || s.size() > 18) return std::nullopt;
  std::uint64_t v = 0;
  for (char c : s) {
    if (c < '0' || c > '9') return std::nullopt;
    v = v * 10 + static_cast<std::uint64_t>(c - '0');
  }
  return v;
}

// One range-spec against `size`: nullopt if malformed; `satisfiable` false if it asks past the end.
std::optional<ByteRange> OneRange(std::string_view spec, std::uint64_t size, bool* satisfiable) {
  const size_t dash = spec.find('-');
  if (dash == std::string_view::npos) return std::nullopt;
  const std::string_view a = Trim(spec.substr(0, dash)), b = Trim(spec.substr(dash + 1));
  *satisfiable = true;
  if (a.empty()) {  // suffix: the last n bytes
    const auto n = Number(b);
    if (!n) return std::nullopt;
    if (*n == 0 || size == 0) {
      *satisfiable = false;
      return ByteRange{};
    }
    return ByteRange{size - std::min(*n, size), size - 1};
  }
  const auto first = Number(a);
  if (!first) return std::nullopt;
  std::uint64_t last = size == 0 ? 0 : size - 1;
  if (!b.empty()) {
    const auto l = Number(b);
    if (!l || *l < *first) return std::nullopt;
    last = std::min(*l, last);
  }
  if (*first >= size) *satisfiable = false;
  return ByteRange{*first, last};
}

}  // namespace

bool IfNoneMatchHolds(std::string_view header, std::string_view etag) {
  header = Trim(header);
  if (header.empty()) return false;
  if (header == "*") return true;
  if (etag.empty()) return false;
  const std::string_view ours = Opaque(etag);
  while (!header.empty()) {
    const size_t comma = header.find(',');
    if (Opaque(Trim(header.substr(0, comma))) == ours) return true;
    if (comma == std::string_view::npos) break;
    header.remove_prefix(comma + 1);
  }
  return false;
}

RangeAsk ParseRangeHeader(std::string_view header, std::uint64_t size) {
  header = Trim(header);
  constexpr std::string_view kUnit = "bytes=";
  if (header.substr(0, kUnit.size()) != kUnit) return {};  // another unit: ignored
  header.remove_prefix(kUnit.size());
  std::vector<ByteRange> ranges;
  bool any_satisfiable = false;
  while (true) {
    const size_t comma = header.find(',');
    bool satisfiable = false;
    const auto r = OneRange(Trim(header.substr(0, comma)), size, &satisfiable);
    if (!r) return {};  // malformed: ignored, the whole representation
    if (satisfiable) {
      ranges.push_back(*r);
      any_satisfiable = true;
    }
    if (comma == std::string_view::npos) break;
    header.remove_prefix(comma + 1);
  }
  if (!any_satisfiable) return {RangeAsk::kUnsatisfiable, {}};
  std::sort(ranges.begin(), ranges.end(), [](const ByteRange& x, const ByteRange& y) { return x.first < y.first; });
  ByteRange joined = ranges.front();
  for (const ByteRange& r : ranges) {
    if (r.first > joined.last + 1) return {};  // disjoint ranges would need multipart: whole instead
    joined.last = std::max(joined.last, r.last);
  }
  return {RangeAsk::kPart, joined};
}

Result<ReplyFile> OpenReplyFile(const std::filesystem::path& path) {
  UniqueFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (fd.get() < 0) {
    if (errno == ENOENT || errno == ENOTDIR) return Status(StatusCode::kNotFound, "no such file " + path.string());
    return ErrnoStatus("open " + path.string(), errno);
  }
  struct stat st {};
  if (::fstat(fd.get(), &st) != 0) return ErrnoStatus("stat " + path.string(), errno);
  if (!S_ISREG(st.st_mode)) return Status(StatusCode::kNotFound, "not a file: " + path.string());
  ReplyFile file;
  file.fd = std::move(fd);
  file.size = static_cast<std::uint64_t>(st.st_size);
  return file;
}

Reply FileReply(const Request& req, ReplyFile file, std::vector<std::pair<std::string, std::string>> headers) {
  if (req.method != "GET" && req.method != "HEAD") {
    Reply r = ErrorReply(405, "method_not_allowed", "read with GET or HEAD");
    r.headers.push_back({"Allow", "GET, HEAD"});
    return r;
  }
  Reply r;
  r.content_type = file.content_type;
  r.headers = std::move(headers);
  r.headers.push_back({"Accept-Ranges", "bytes"});
  if (!file.etag.empty()) {
    r.headers.push_back({"ETag", file.etag});
    if (IfNoneMatchHolds(req.Header("if-none-match"), file.etag)) {
      r.status = 304;
      return r;
    }
  }
  ByteRange range{0, file.size == 0 ? 0 : file.size - 1};
  std::uint64_t length = file.size;
  const std::string range_header = req.Header("range");
  const std::string if_range = req.Header("if-range");
  // If-Range needs a strong match (a weak tag never matches); a date, which we never send, never does.
  const bool range_applies = if_range.empty() || (!file.etag.empty() && if_range == file.etag && if_range.rfind("W/", 0) != 0);
  if (!range_header.empty() && range_applies) {
    const RangeAsk ask = ParseRangeHeader(range_header, file.size);
    if (ask.kind == RangeAsk::kUnsatisfiable) {
      Reply bad = ErrorReply(416, "range_not_satisfiable", "the range is outside the file", "Range");
      bad.headers.push_back({"Content-Range", "bytes */" + std::to_string(file.size)});
      return bad;
    }
    if (ask.kind == RangeAsk::kPart) {
      range = ask.range;
      length = range.last - range.first + 1;
      r.status = 206;
      r.headers.push_back({"Content-Range", "bytes " + std::to_string(range.first) + "-" + std::to_string(range.last) +
                                                "/" + std::to_string(file.size)});
    }
  }
  if (req.method == "HEAD") {
    r.headers.push_back({"Content-Length", std::to_string(length)});  // what a GET would carry
    return r;
  }
  if (file.fd.get() < 0) {
    if (length > kMaxZeroBytes) return ErrorReply(413, "too_large", "ask for at most 64 MiB of zeros", "Range");
    r.body.assign(static_cast<size_t>(length), '\0');
    return r;
  }
  r.file = FileBody{std::make_shared<const UniqueFd>(std::move(file.fd)), range.first, length};
  return r;
}

Result<std::string> ReplyBytes(const Reply& reply) {
  if (!reply.file) return reply.body;
  std::string out(static_cast<size_t>(reply.file->length), '\0');
  std::uint64_t done = 0;
  while (done < reply.file->length) {
    const ssize_t n = ::pread(reply.file->fd->get(), out.data() + done, reply.file->length - done,
                              static_cast<off_t>(reply.file->offset + done));
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return ErrnoStatus("pread", errno);
    if (n == 0) return IoError("the file is shorter than its reply");
    done += static_cast<std::uint64_t>(n);
  }
  return out;
}

}  // namespace lm::http
