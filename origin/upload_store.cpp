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
#include "common/text_checks.h"
#include "common/unique_fd.h"

namespace lm::origin {

namespace fs = std::filesystem;
using json = nlohmann::json;

namespace {

bool IsUploadId(const std::string& id) { return IsLowerHex(id, 32); }

struct FreeMdCtx {
  void operator()(EVP_MD_CTX* p) const noexcept { EVP_MD_CTX_free(p); }
};

Status NotFound(const std::string& id) { return Status(StatusCode::kNotFound, "no upload " + id); }

}  // namespace

struct UploadAppender::Sha1 {
  std::unique_ptr<EVP_MD_CTX, FreeMdCtx> ctx;
};

UploadAppender::UploadAppender(UploadStore* store, UploadInfo info, UniqueFd fd,
                               std::optional<UploadChecksum> checksum, std::unique_ptr<Sha1> sha1)
    : store_(store),
      info_(std::move(info)),
      fd_(std::move(fd)),
      checksum_(std::move(checksum)),
      sha1_(std::move(sha1)) {}

UploadAppender::~UploadAppender() {
  if (released_) return;
  if (checksum_ && written_ > 0) (void)::ftruncate(fd_.get(), info_.offset);  // unverified: not kept
  Release();
}

void UploadAppender::Release() {
  std::lock_guard lock(store_->mu_);
  store_->appending_.erase(info_.id);
  released_ = true;
}

Status UploadAppender::Drop(Status why) {
  if (::ftruncate(fd_.get(), info_.offset) == 0) (void)::fsync(fd_.get());
  written_ = 0;
  failed_ = why;
  Release();
  return why;
}

Status UploadAppender::Write(std::string_view bytes) {
  if (!failed_.ok()) return failed_;
  if (released_) return Internal("the append to upload " + info_.id + " has ended");
  if (info_.offset + written_ + static_cast<std::int64_t>(bytes.size()) > info_.length) {
    return Drop(InvalidArgument("the body goes past Upload-Length", "body"));
  }
  if (sha1_ && EVP_DigestUpdate(sha1_->ctx.get(), bytes.data(), bytes.size()) != 1) {
    return Drop(Internal("EVP_DigestUpdate failed"));
  }
  if (Status st = WriteAll(fd_.get(), bytes, store_->DataPath(info_.id).string()); !st.ok()) return Drop(st);
  written_ += static_cast<std::int64_t>(bytes.size());
  return Status::Ok();
}

Result<UploadInfo> UploadAppender::Finish(std::int64_t now) {
  if (!failed_.ok()) return failed_;
  if (released_) return Internal("the append to upload " + info_.id + " has ended");
  if (sha1_) {
    unsigned char digest[EVP_MAX_MD_SIZE];
    unsigned int len = 0;
    if (EVP_DigestFinal_ex(sha1_->ctx.get(), digest, &len) != 1) return Drop(Internal("EVP_DigestFinal_ex failed"));
    if (checksum_->digest != std::string_view(reinterpret_cast<const char*>(digest), len)) {
      return Drop(Status(StatusCode::kInvalidArgument, "the body does not match Upload-Checksum", "checksum"));
    }
  }
  return Commit(now);
}

Result<UploadInfo> UploadAppender::Interrupt(std::int64_t now) {
  if (!failed_.ok()) return failed_;
  if (released_) return Internal("the append to upload " + info_.id + " has ended");
  if (checksum_ && written_ > 0) {
    // tus: bytes whose checksum cannot be verified are not kept.
    if (::ftruncate(fd_.get(), info_.offset) != 0) return Drop(ErrnoStatus("truncate " + info_.id, errno));
    written_ = 0;
  }
  return Commit(now);
}

Result<UploadInfo> UploadAppender::Commit(std::int64_t now) {
  if (::fsync(fd_.get()) != 0) return Drop(ErrnoStatus("fsync " + store_->DataPath(info_.id).string(), errno));
  UploadInfo info = info_;
  info.offset += written_;
  info.updated_at = now;
  std::lock_guard lock(store_->mu_);
  Status saved = store_->SaveInfo(info);
  store_->appending_.erase(info_.id);
  released_ = true;
  if (!saved.ok()) return saved;
  return info;
}

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
  if (auto it = appending_.find(id); it != appending_.end() && it->second >= 0) info.offset = it->second;
  return info;
}

Status UploadStore::Locked(const std::string& id) const {
  return Status(StatusCode::kAlreadyExists, "another request is appending to upload " + id, "lock");
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

Result<std::unique_ptr<UploadAppender>> UploadStore::BeginAppend(const std::string& id, std::int64_t offset,
                                                                 std::optional<UploadChecksum> checksum) {
  std::unique_ptr<UploadAppender::Sha1> sha1;
  if (checksum) {
    sha1 = std::make_unique<UploadAppender::Sha1>();
    sha1->ctx.reset(EVP_MD_CTX_new());
    if (!sha1->ctx || EVP_DigestInit_ex(sha1->ctx.get(), EVP_sha1(), nullptr) != 1) {
      return Internal("EVP_DigestInit_ex failed");
    }
  }
  std::lock_guard lock(mu_);
  ASSIGN_OR_RETURN(UploadInfo info, LoadInfo(id));
  if (appending_.count(id)) return Locked(id);
  if (offset != info.offset) {
    return Status(StatusCode::kAlreadyExists,
                  "Upload-Offset " + std::to_string(offset) + " does not match the upload's " +
                      std::to_string(info.offset),
                  "Upload-Offset");
  }
  UniqueFd fd(::open(DataPath(id).c_str(), O_WRONLY | O_APPEND | O_CLOEXEC));
  if (fd.get() < 0) return ErrnoStatus("open " + DataPath(id).string(), errno);
  appending_[id] = checksum ? info.offset : -1;
  return std::unique_ptr<UploadAppender>(
      new UploadAppender(this, std::move(info), std::move(fd), std::move(checksum), std::move(sha1)));
}

Result<UploadInfo> UploadStore::Append(const std::string& id, std::int64_t offset, std::string_view bytes,
                                       const std::optional<UploadChecksum>& checksum, std::int64_t now) {
  ASSIGN_OR_RETURN(std::unique_ptr<UploadAppender> appender, BeginAppend(id, offset, checksum));
  RETURN_IF_ERROR(appender->Write(bytes));
  return appender->Finish(now);
}

Status UploadStore::Terminate(const std::string& id) {
  std::lock_guard lock(mu_);
  ASSIGN_OR_RETURN(UploadInfo info, LoadInfo(id));
  if (appending_.count(id)) return Locked(id);
  if (info.complete()) {
    return Status(StatusCode::kAlreadyExists, "upload " + id + " is finished: a lesson is made from it", "finished");
  }
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
    if (!info.ok() || info->complete() || info->updated_at >= cutoff || appending_.count(id)) continue;
    fs::remove(DataPath(id), ec);
    fs::remove(dir_ / (id + ".json"), ec);
    ++removed;
  }
  return removed;
}

}  // namespace lm::origin
