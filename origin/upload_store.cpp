#include "origin/upload_store.h"

#include <fcntl.h>
#include <openssl/evp.h>
#include <openssl/rand.h>
#include <sys/stat.h>

#include <nlohmann/json.hpp>
#include <algorithm>
#include <cctype>

#include "common/atomic_file.h"
#include "common/hex.h"
#include "common/signing.h"
#include "common/text_checks.h"
#include "common/unique_fd.h"

namespace lm::origin {

namespace fs = std::filesystem;
using json = nlohmann::json;

namespace {

bool IsUploadId(const std::string& id) { return IsLowerHex(id, 32); }

Status NotFound(const std::string& id) { return Status(StatusCode::kNotFound, "no upload " + id); }

}  // namespace

Result<std::unique_ptr<UploadStore>> UploadStore::Open(const fs::path& dir, std::int64_t max_bytes) {
  std::error_code ec;
  fs::create_directories(dir, ec);
  if (ec) return IoError("create " + dir.string() + ": " + ec.message());
  if (max_bytes <= 0) return InvalidArgument("upload size limit must be positive", "max_upload_bytes");
  return std::unique_ptr<UploadStore>(new UploadStore(dir, max_bytes));
}

fs::path UploadStore::DataPath(const std::string& id) const { return dir_ / (id + ".part"); }

Status UploadStore::SaveInfo(const UploadInfo& info) {
  json j = {{"id", info.id},           {"length", info.length},         {"metadata", info.metadata},
            {"owner", info.owner},     {"created_at", info.created_at}, {"updated_at", info.updated_at}};
  return WriteFileAtomically(dir_ / (info.id + ".json"), j.dump(-1, ' ', false, json::error_handler_t::replace));
}

Result<UploadInfo> UploadStore::LoadInfo(const std::string& id) {
  if (!IsUploadId(id)) return NotFound(id);
  std::error_code ec;
  const auto text_size = fs::file_size(dir_ / (id + ".json"), ec);
  if (ec) return NotFound(id);
  std::string text(text_size, '\0');
  {
    UniqueFd fd(::open((dir_ / (id + ".json")).c_str(), O_RDONLY | O_CLOEXEC));
    if (fd.get() < 0 || ::read(fd.get(), text.data(), text.size()) != static_cast<ssize_t>(text.size())) {
      return IoError("read upload " + id);
    }
  }
  json j = json::parse(text, nullptr, false);
  if (!j.is_object()) return Internal("upload " + id + " has a damaged record");
  UploadInfo info;
  info.id = id;
  info.length = j.value("length", std::int64_t{0});
  info.metadata = j.value("metadata", std::map<std::string, std::string>{});
  info.owner = j.value("owner", "");
  info.created_at = j.value("created_at", std::int64_t{0});
  info.updated_at = j.value("updated_at", std::int64_t{0});
  // The bytes on disk are the truth: a crash after writing but before the record was updated
  // loses nothing.
  const auto size = fs::file_size(DataPath(id), ec);
  if (ec) return NotFound(id);
  info.offset = static_cast<std::int64_t>(size);
  return info;
}

Result<UploadInfo> UploadStore::Create(std::int64_t length, std::map<std::string, std::string> metadata,
                                       std::string owner, std::int64_t now) {
  if (length < 0) return InvalidArgument("Upload-Length must be a length in bytes", "Upload-Length");
  if (length > max_bytes_) {
    return InvalidArgument(
        "upload of " + std::to_string(length) + " bytes is over the limit of " + std::to_string(max_bytes_),
        "Upload-Length");
  }
  unsigned char raw[16];
  if (RAND_bytes(raw, sizeof(raw)) != 1) return Internal("RAND_bytes failed");
  UploadInfo info;
  info.id = HexEncode(raw, sizeof(raw));
  info.length = length;
  info.metadata = std::move(metadata);
  info.owner = std::move(owner);
  info.created_at = info.updated_at = now;
  std::lock_guard lock(mu_);
  UniqueFd fd(::open(DataPath(info.id).c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644));
  if (fd.get() < 0) return ErrnoStatus("create " + DataPath(info.id).string(), errno);
  RETURN_IF_ERROR(SaveInfo(info));
  return info;
}

Result<UploadInfo> UploadStore::Get(const std::string& id) {
  std::lock_guard lock(mu_);
  return LoadInfo(id);
}

Result<UploadInfo> UploadStore::Append(const std::string& id, std::int64_t offset, std::string_view bytes,
                                       const std::optional<UploadChecksum>& checksum, std::int64_t now) {
  std::lock_guard lock(mu_);
  ASSIGN_OR_RETURN(UploadInfo info, LoadInfo(id));
  if (offset != info.offset) {
    return Status(StatusCode::kAlreadyExists,
                  "Upload-Offset " + std::to_string(offset) + " does not match the upload's " +
                      std::to_string(info.offset),
                  "Upload-Offset");
  }
  if (info.offset + static_cast<std::int64_t>(bytes.size()) > info.length) {
    return InvalidArgument("the body goes past Upload-Length", "body");
  }
  if (checksum) {
    unsigned char digest[EVP_MAX_MD_SIZE];
    unsigned int len = 0;
    EVP_Digest(bytes.data(), bytes.size(), digest, &len, EVP_sha1(), nullptr);
    if (checksum->digest != std::string_view(reinterpret_cast<const char*>(digest), len)) {
      return Status(StatusCode::kInvalidArgument, "the body does not match Upload-Checksum", "checksum");
    }
  }
  UniqueFd fd(::open(DataPath(id).c_str(), O_WRONLY | O_APPEND | O_CLOEXEC));
  if (fd.get() < 0) return ErrnoStatus("open " + DataPath(id).string(), errno);
  Status written = WriteAll(fd.get(), bytes, DataPath(id).string());
  if (written.ok() && ::fsync(fd.get()) != 0) written = ErrnoStatus("fsync " + DataPath(id).string(), errno);
  if (!written.ok()) {
    // Keep only what was there: a retry starts from the same offset.
    (void)::ftruncate(fd.get(), info.offset);
    return written;
  }
  info.offset += static_cast<std::int64_t>(bytes.size());
  info.updated_at = now;
  RETURN_IF_ERROR(SaveInfo(info));
  return info;
}

Status UploadStore::Terminate(const std::string& id) {
  std::lock_guard lock(mu_);
  RETURN_IF_ERROR(LoadInfo(id).status());
  std::error_code ec;
  fs::remove(DataPath(id), ec);
  fs::remove(dir_ / (id + ".json"), ec);
  return Status::Ok();
}

Result<int> UploadStore::ExpireIdleSince(std::int64_t cutoff) {
  std::vector<std::string> ids;
  std::error_code ec;
  for (const auto& e : fs::directory_iterator(dir_, ec)) {
    if (e.path().extension() == ".json") ids.push_back(e.path().stem().string());
  }
  int removed = 0;
  for (const auto& id : ids) {
    std::lock_guard lock(mu_);
    auto info = LoadInfo(id);
    if (!info.ok() || info->complete() || info->updated_at >= cutoff) continue;
    fs::remove(DataPath(id), ec);
    fs::remove(dir_ / (id + ".json"), ec);
    ++removed;
  }
  return removed;
}

Result<std::map<std::string, std::string>> ParseUploadMetadata(std::string_view header) {
  std::map<std::string, std::string> out;
  while (!header.empty()) {
    const size_t comma = header.find(',');
    std::string_view pair = header.substr(0, comma);
    header = comma == std::string_view::npos ? std::string_view() : header.substr(comma + 1);
    while (!pair.empty() && pair.front() == ' ') pair.remove_prefix(1);
    while (!pair.empty() && pair.back() == ' ') pair.remove_suffix(1);
    if (pair.empty()) continue;
    const size_t space = pair.find(' ');
    const std::string key(pair.substr(0, space));
    if (key.empty() || key.size() > 64 || !std::all_of(key.begin(), key.end(), [](char c) { return std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '.' || c == '-'; })) {
      return InvalidArgument("bad key in Upload-Metadata", "Upload-Metadata");
    }
    std::string value;
    if (space != std::string_view::npos) {
      auto decoded = Base64Decode(pair.substr(space + 1));
      if (!decoded.ok()) return InvalidArgument("value of " + key + " is not base64", "Upload-Metadata");
      value = *decoded;
    }
    out[key] = value;
  }
  return out;
}

Result<UploadChecksum> ParseUploadChecksum(std::string_view header) {
  const size_t space = header.find(' ');
  if (space == std::string_view::npos) return InvalidArgument("Upload-Checksum must be \"sha1 <base64>\"", "Upload-Checksum");
  UploadChecksum c;
  c.algorithm = std::string(header.substr(0, space));
  if (c.algorithm != "sha1") return InvalidArgument("only sha1 checksums are supported", "Upload-Checksum");
  auto digest = Base64Decode(header.substr(space + 1));
  if (!digest.ok() || digest->size() != 20) return InvalidArgument("Upload-Checksum digest is not a sha1", "Upload-Checksum");
  c.digest = *digest;
  return c;
}

}  // namespace lm::origin
