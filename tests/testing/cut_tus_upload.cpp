#include "tests/testing/cut_tus_upload.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/time.h>

#include <openssl/evp.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <memory>
#include <random>
#include <thread>
#include <vector>

#include "common/base64.h"
#include "common/unique_fd.h"
#include "tests/testing/http_client.h"
#include "tests/testing/wait_for.h"

namespace lm::testing {

namespace {

using Clock = std::chrono::steady_clock;
using MdCtxPtr = std::unique_ptr<EVP_MD_CTX, decltype(&EVP_MD_CTX_free)>;

std::string Header(std::uint64_t seed) {
  char h[64];
  std::snprintf(h, sizeof(h), "%%PDF-1.4\n%% LessonMesh courseware %016llx\n", static_cast<unsigned long long>(seed));
  return h;
}

std::uint64_t SplitMix64(std::uint64_t x) {
  x += 0x9e3779b97f4a7c15ULL;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
  return x ^ (x >> 31);
}

class Sha256 {
 public:
  Sha256() : ctx_(EVP_MD_CTX_new(), &EVP_MD_CTX_free) { EVP_DigestInit_ex(ctx_.get(), EVP_sha256(), nullptr); }
  void Update(std::string_view bytes) { EVP_DigestUpdate(ctx_.get(), bytes.data(), bytes.size()); }
  std::string Hex() {
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int n = 0;
    EVP_DigestFinal_ex(ctx_.get(), md, &n);
    std::string hex;
    char two[3];
    for (unsigned int i = 0; i < n; ++i) {
      std::snprintf(two, sizeof(two), "%02x", md[i]);
      hex += two;
    }
    return hex;
  }

 private:
  MdCtxPtr ctx_;
};

constexpr std::size_t kPieceBytes = 1 << 20;  // generated and sent at a time

bool SendAll(int fd, std::string_view bytes) {
  while (!bytes.empty()) {
    const ssize_t n = ::send(fd, bytes.data(), bytes.size(), MSG_NOSIGNAL);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    bytes.remove_prefix(static_cast<std::size_t>(n));
  }
  return true;
}

// The status and headers (lower-cased names) of one reply without a body; status 0 if none came.
int ReadReplyHead(int fd, std::map<std::string, std::string>* headers, std::string* body_start) {
  std::string buffer;
  char chunk[4096];
  std::size_t end;
  while ((end = buffer.find("\r\n\r\n")) == std::string::npos) {
    const ssize_t n = ::recv(fd, chunk, sizeof(chunk), 0);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return 0;
    buffer.append(chunk, static_cast<std::size_t>(n));
  }
  if (buffer.compare(0, 9, "HTTP/1.1 ") != 0) return 0;
  std::size_t line = buffer.find("\r\n") + 2;
  while (line < end) {
    const std::size_t eol = buffer.find("\r\n", line);
    const std::size_t colon = buffer.find(':', line);
    if (colon != std::string::npos && colon < eol) {
      std::string name = buffer.substr(line, colon - line);
      std::transform(name.begin(), name.end(), name.begin(), [](unsigned char c) { return std::tolower(c); });
      std::size_t v = colon + 1;
      while (v < eol && buffer[v] == ' ') ++v;
      (*headers)[name] = buffer.substr(v, eol - v);
    }
    line = eol + 2;
  }
  *body_start = buffer.substr(end + 4);
  return std::atoi(buffer.c_str() + 9);
}

// One PATCH from `offset` to the end on a fresh connection, cut after `cut_at` body bytes if that
// is short of the end. The reply's status (0 when cut or without a reply) and Upload-Offset.
struct PatchOutcome {
  int status = 0;
  std::int64_t offset = -1;
  std::string body;
  bool cut = false;
};
PatchOutcome Patch(const CutUploadOptions& o, const std::string& id, std::int64_t offset, std::int64_t cut_at,
                   std::mt19937_64& rng, std::int64_t* bytes_sent) {
  PatchOutcome out;
  UniqueFd fd(::socket(AF_INET, SOCK_STREAM, 0));
  if (fd.get() < 0) return out;
  timeval timeout{static_cast<time_t>(Scaled(120)), 0};
  ::setsockopt(fd.get(), SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof(timeout));
  ::setsockopt(fd.get(), SOL_SOCKET, SO_SNDTIMEO, &timeout, sizeof(timeout));
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(o.port);
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::connect(fd.get(), reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0) return out;
  const std::int64_t left = o.length - offset;
  // Expect: 100-continue: the origin checks the header (offset, lock, token) before any byte of the
  // body is sent, as curl does for large bodies; a refusal costs no body.
  const std::string head = "PATCH /uploads/" + id + " HTTP/1.1\r\nHost: 127.0.0.1\r\nTus-Resumable: 1.0.0\r\n" +
                           "Authorization: Bearer " + o.token + "\r\nContent-Type: application/offset+octet-stream\r\n" +
                           "Upload-Offset: " + std::to_string(offset) + "\r\nContent-Length: " + std::to_string(left) +
                           "\r\nExpect: 100-continue\r\n\r\n";
  if (!SendAll(fd.get(), head)) return out;
  {
    std::map<std::string, std::string> headers;
    const int status = ReadReplyHead(fd.get(), &headers, &out.body);
    if (status != 100) {
      out.status = status;
      if (auto it = headers.find("upload-offset"); it != headers.end()) out.offset = std::stoll(it->second);
      return out;
    }
  }
  const std::int64_t stop = cut_at < left ? cut_at : left;
  for (std::int64_t sent = 0; sent < stop;) {
    const auto n = static_cast<std::size_t>(std::min<std::int64_t>(kPieceBytes, stop - sent));
    if (!SendAll(fd.get(), CoursewareBytes(o.seed, offset + sent, n))) break;  // refused while it came
    sent += static_cast<std::int64_t>(n);
    *bytes_sent += static_cast<std::int64_t>(n);
  }
  if (stop < left) {
    if (rng() % 2) {  // a reset rather than a clean close
      linger hard{1, 0};
      ::setsockopt(fd.get(), SOL_SOCKET, SO_LINGER, &hard, sizeof(hard));
    }
    out.cut = true;
    return out;  // closes the connection mid-body
  }
  std::map<std::string, std::string> headers;
  out.status = ReadReplyHead(fd.get(), &headers, &out.body);
  if (auto it = headers.find("upload-offset"); it != headers.end()) out.offset = std::stoll(it->second);
  return out;
}

}  // namespace

std::string CoursewareBytes(std::uint64_t seed, std::int64_t offset, std::size_t n) {
  const std::string header = Header(seed);
  std::string out;
  out.reserve(n);
  std::int64_t p = offset;
  const std::int64_t end = offset + static_cast<std::int64_t>(n);
  for (; p < end && p < static_cast<std::int64_t>(header.size()); ++p) out += header[static_cast<std::size_t>(p)];
  const std::uint64_t base = seed * 0x100000001b3ULL;
  while (p < end) {
    const std::int64_t q = p - static_cast<std::int64_t>(header.size());
    std::uint64_t word = SplitMix64(base + static_cast<std::uint64_t>(q / 8));
    char bytes[8];
    std::memcpy(bytes, &word, 8);
    const auto from = static_cast<std::size_t>(q % 8);
    const auto take = static_cast<std::size_t>(std::min<std::int64_t>(static_cast<std::int64_t>(8 - from), end - p));
    out.append(bytes + from, take);
    p += static_cast<std::int64_t>(take);
  }
  return out;
}

std::string CoursewareSha256(std::uint64_t seed, std::int64_t length) {
  Sha256 sha;
  for (std::int64_t at = 0; at < length;) {
    const auto n = static_cast<std::size_t>(std::min<std::int64_t>(kPieceBytes, length - at));
    sha.Update(CoursewareBytes(seed, at, n));
    at += static_cast<std::int64_t>(n);
  }
  return sha.Hex();
}

std::string FileSha256(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return "";
  Sha256 sha;
  std::vector<char> buf(kPieceBytes);
  while (in) {
    in.read(buf.data(), static_cast<std::streamsize>(buf.size()));
    if (in.gcount() > 0) sha.Update({buf.data(), static_cast<std::size_t>(in.gcount())});
  }
  return sha.Hex();
}

CutUploadResult CutTusUpload(const CutUploadOptions& o) {
  CutUploadResult result;
  const auto deadline = Clock::now() + ScaledDuration(o.seconds);
  std::mt19937_64 rng(o.seed * 7919 + 17);
  // The offsets at which a connection is cut, in order.
  std::vector<std::int64_t> cuts;
  for (int i = 0; i < o.cuts && o.length > 1; ++i) {
    cuts.push_back(1 + static_cast<std::int64_t>(rng() % static_cast<std::uint64_t>(o.length - 1)));
  }
  std::sort(cuts.begin(), cuts.end());
  std::string metadata;
  for (const auto& [k, v] : o.metadata) metadata += (metadata.empty() ? "" : ",") + k + " " + Base64Encode(v);
  const std::map<std::string, std::string> tus = {{"Tus-Resumable", "1.0.0"}, {"Authorization", "Bearer " + o.token}};
  auto create = tus;
  create["Upload-Length"] = std::to_string(o.length);
  create["Upload-Metadata"] = metadata;
  auto created = HttpClient(o.port).Request("POST", "/uploads", "", create);
  if (created.status != 201) {
    result.error = "create: " + std::to_string(created.status) + " " + created.body;
    return result;
  }
  const std::string location = created.Header("location");
  const std::string id = location.substr(location.rfind('/') + 1);

  std::int64_t offset = 0;
  std::size_t next_cut = 0;
  int pause_ms = 20;  // after a 409/423, doubling to 1 s
  while (Clock::now() < deadline) {
    while (next_cut < cuts.size() && cuts[next_cut] <= offset) ++next_cut;  // passed already
    const std::int64_t cut_at = next_cut < cuts.size() ? cuts[next_cut] - offset : o.length;
    const PatchOutcome patch = Patch(o, id, offset, cut_at, rng, &result.bytes_sent);
    if (patch.status == 204 && patch.offset == o.length) {
      result.upload_id = id;
      return result;
    }
    if (patch.cut) {
      pause_ms = 20;
      ++result.cuts;
      ++next_cut;
    } else if (patch.status == 409 || patch.status == 423) {
      ++result.retries;  // the origin is still taking the cut PATCH: a moment, then ask again
      std::this_thread::sleep_for(std::chrono::milliseconds(pause_ms));
      pause_ms = std::min(pause_ms * 2, 1000);
    } else if (patch.status != 204) {
      result.error = "PATCH at " + std::to_string(offset) + ": " + std::to_string(patch.status) + " " + patch.body;
      return result;
    }
    // Where the origin's copy ends now.
    auto head = HttpClient(o.port).Request("HEAD", location, "", tus);
    if (head.status != 200) {
      result.error = "HEAD: " + std::to_string(head.status) + " " + head.body;
      return result;
    }
    offset = std::stoll(head.Header("upload-offset"));
  }
  result.error = "not complete before the deadline (at " + std::to_string(offset) + " of " +
                 std::to_string(o.length) + ")";
  return result;
}

}  // namespace lm::testing
