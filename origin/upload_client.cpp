#include "origin/upload_client.h"

#include <openssl/sha.h>
#include <sys/stat.h>

#include <nlohmann/json.hpp>

#include <chrono>
#include <fstream>
#include <thread>

#include "common/atomic_file.h"
#include "common/http/http_client.h"
#include "common/tus_headers.h"
#include "common/tus_metadata.h"

namespace lm::origin {

namespace fs = std::filesystem;
using nlohmann::json;

namespace {

// The state file maps a key naming the file (origin, path, size, mtime) to its upload URL.
std::string StateKey(const UploadSpec& spec, std::int64_t size, std::int64_t mtime) {
  return spec.origin_url + " " + fs::absolute(spec.file).string() + " " + std::to_string(size) + " " +
         std::to_string(mtime);
}

json LoadState(const fs::path& path) {
  std::ifstream in(path);
  if (!in) return json::object();
  json j = json::parse(in, nullptr, false);
  return j.is_object() ? j : json::object();
}

void SaveState(const fs::path& path, const json& state) {
  if (path.empty()) return;
  std::error_code ec;
  fs::create_directories(path.parent_path(), ec);
  (void)WriteFileAtomically(path, state.dump(2), 0600);
}


// Maps a refusal by the origin to the error the CLI reports.
Status Refused(const http::ClientReply& r, const std::string& what) {
  const std::string msg = what + ": " + http::ReasonOf(r);
  if (r.status >= 500) return IoError(msg);
  return InvalidArgument(msg);
}

class Session {
 public:
  explicit Session(const UploadSpec& spec) : spec_(spec) {}

  http::ClientRequest Request(const std::string& method, const std::string& url) const {
    http::ClientRequest r;
    r.method = method;
    r.url = url;
    r.ca_file = spec_.ca_file;
    r.headers["Tus-Resumable"] = "1.0.0";
    r.headers["Authorization"] = "Bearer " + spec_.token;
    r.timeout_ms = 120000;
    return r;
  }

  // The offset the origin has for `url`; kNotFound if the upload is gone.
  Result<std::int64_t> Offset(const std::string& url) const {
    ASSIGN_OR_RETURN(http::ClientReply r, http::Fetch(Request("HEAD", url)));
    if (r.status == 404 || r.status == 410) return Status(StatusCode::kNotFound, "the origin no longer has it");
    if (r.status != 200) return Refused(r, "resume");
    const auto offset = ParseTusLength(r.Header("upload-offset"));
    if (!offset) return IoError("the origin sent no Upload-Offset");
    return *offset;
  }

  Result<std::string> Create(std::int64_t size) const {
    http::ClientRequest req = Request("POST", spec_.origin_url + "/uploads");
    req.headers["Upload-Length"] = std::to_string(size);
    std::map<std::string, std::string> metadata;
    for (const auto& [key, value] : spec_.metadata) {
      if (!value.empty()) metadata[key] = value;  // an empty field is left out, not sent empty
    }
    req.headers["Upload-Metadata"] = EncodeUploadMetadata(metadata);
    ASSIGN_OR_RETURN(http::ClientReply r, http::Fetch(req));
    if (r.status != 201) return Refused(r, "create upload");
    std::string location = r.Header("location");
    if (location.empty()) return IoError("the origin sent no Location for the new upload");
    if (location.front() == '/') location = spec_.origin_url + location;
    return location;
  }

  // Sends `bytes` at `offset`; the origin's new offset.
  Result<std::int64_t> Patch(const std::string& url, std::int64_t offset, const std::string& bytes) const {
    http::ClientRequest req = Request("PATCH", url);
    req.headers["Upload-Offset"] = std::to_string(offset);
    req.headers["Content-Type"] = "application/offset+octet-stream";
    unsigned char digest[SHA_DIGEST_LENGTH];
    SHA1(reinterpret_cast<const unsigned char*>(bytes.data()), bytes.size(), digest);
    req.headers["Upload-Checksum"] =
        EncodeUploadChecksum({"sha1", std::string(reinterpret_cast<const char*>(digest), sizeof(digest))});
    req.body = bytes;
    ASSIGN_OR_RETURN(http::ClientReply r, http::Fetch(req));
    if (r.status == 409 || r.status == 460) return IoError("offset or checksum mismatch; asking the origin again");
    if (r.status != 204) return Refused(r, "upload");
    const auto next = ParseTusLength(r.Header("upload-offset"));
    if (!next) return IoError("the origin sent no Upload-Offset");
    return *next;
  }

 private:
  const UploadSpec& spec_;
};

}  // namespace

Result<std::string> UploadFile(const UploadSpec& spec, const std::function<void(const UploadProgress&)>& progress) {
  const auto started = std::chrono::steady_clock::now();
  ASSIGN_OR_RETURN(http::Url parsed, http::ParseHttpUrl(spec.origin_url));
  (void)parsed;
  struct stat sb {};
  if (::stat(spec.file.c_str(), &sb) != 0) return ErrnoStatus(spec.file.string(), errno);
  if (!S_ISREG(sb.st_mode)) return InvalidArgument(spec.file.string() + " is not a regular file", "file");
  const std::int64_t size = sb.st_size;
  if (size == 0) return UnsupportedInput(spec.file.string() + " is empty");
  std::ifstream in(spec.file, std::ios::binary);
  if (!in) return IoError("cannot read " + spec.file.string());

  Session session(spec);
  json state = spec.state_file.empty() ? json::object() : LoadState(spec.state_file);
  const std::string key = StateKey(spec, size, static_cast<std::int64_t>(sb.st_mtime));

  // Resume what an earlier run started, if the origin still has it.
  std::string url;
  std::int64_t offset = 0;
  if (state.contains(key) && state[key].is_string()) {
    auto at = session.Offset(state[key].get<std::string>());
    if (at.ok()) {
      url = state[key].get<std::string>();
      offset = *at;
    } else if (at.status().code() != StatusCode::kNotFound) {
      return at.status();
    }
  }
  if (url.empty()) {
    ASSIGN_OR_RETURN(url, session.Create(size));
    state[key] = url;
    SaveState(spec.state_file, state);
  }

  UploadProgress p;
  p.total_bytes = size;
  p.resumed_from = offset;
  auto report = [&] {
    p.sent_bytes = offset;
    p.wall_seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
    if (progress) progress(p);
  };
  report();
  int failures = 0;
  std::string chunk;
  while (offset < size) {
    if (spec.cancel && spec.cancel->load()) return Cancelled("upload interrupted; run again to resume");
    const auto n = static_cast<std::size_t>(std::min<std::int64_t>(spec.chunk_bytes, size - offset));
    chunk.resize(n);
    in.seekg(offset);
    if (!in.read(chunk.data(), static_cast<std::streamsize>(n))) return IoError("cannot read " + spec.file.string());
    auto next = session.Patch(url, offset, chunk);
    if (next.ok()) {
      offset = *next;
      failures = 0;
      report();
      continue;
    }
    if (next.status().code() != StatusCode::kIo || ++failures > spec.max_retries) return next.status();
    // A dropped link: wait, then ask the origin how much it kept.
    std::this_thread::sleep_for(std::chrono::milliseconds(spec.first_retry_ms << std::min(failures - 1, 6)));
    auto at = session.Offset(url);
    if (at.ok()) offset = *at;
  }
  state.erase(key);
  SaveState(spec.state_file, state);
  return url.substr(url.rfind('/') + 1);
}

}  // namespace lm::origin
