#include "edge/usb_copy.h"

#include <fcntl.h>
#include <unistd.h>

#include <cstring>
#include <vector>

#include "common/progress_bar.h"
#include "common/unique_fd.h"
#include "common/xxh3.h"

namespace lm::edge {

namespace fs = std::filesystem;

namespace {

Status ReadError(const fs::path& source, int err) {
  return IoError("cannot read " + source.string() + ": " + std::strerror(err));
}

}  // namespace

Result<CopiedFile> CopyFileDurably(const fs::path& source, const fs::path& dest,
                                   const std::function<Status(const CopiedFile&)>& check,
                                   const std::function<void(std::int64_t)>& on_bytes) {
  UniqueFd in(::open(source.c_str(), O_RDONLY | O_CLOEXEC));
  if (in.get() < 0) return ReadError(source, errno);
  fs::path part = dest;
  part += ".part";
  UniqueFd out(::open(part.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644));
  if (out.get() < 0) return ErrnoStatus("create " + part.string(), errno);
  auto fail = [&](Status st) {
    std::error_code ec;
    fs::remove(part, ec);
    return st;
  };
  Xxh3Hasher hasher;
  CopiedFile copied;
  std::vector<char> buf(1 << 20);
  for (;;) {
    const ssize_t n = ::read(in.get(), buf.data(), buf.size());
    if (n < 0) {
      if (errno == EINTR) continue;
      return fail(ReadError(source, errno));
    }
    if (n == 0) break;
    hasher.Update(buf.data(), static_cast<size_t>(n));
    if (Status st = WriteAll(out.get(), std::string_view(buf.data(), static_cast<size_t>(n)), part.string());
        !st.ok()) {
      return fail(st);
    }
    copied.size_bytes += n;
    if (on_bytes) on_bytes(n);
  }
  copied.xxh3_128 = hasher.Digest().Hex();
  if (check) {
    if (Status st = check(copied); !st.ok()) return fail(st);
  }
  if (::fsync(out.get()) != 0) return fail(ErrnoStatus("fsync " + part.string(), errno));
  if (::close(out.release()) != 0) return fail(ErrnoStatus("close " + part.string(), errno));
  if (::rename(part.c_str(), dest.c_str()) != 0) return fail(ErrnoStatus("rename " + dest.string(), errno));
  return copied;
}

CopyProgress::CopyProgress(std::FILE* out, std::int64_t total_bytes)
    : bar_(out ? std::make_unique<ProgressBar>(out) : nullptr), total_bytes_(total_bytes) {}

CopyProgress::~CopyProgress() = default;

void CopyProgress::Add(std::int64_t bytes) {
  done_bytes_ += bytes;
  if (!bar_) return;
  const auto now = std::chrono::steady_clock::now();
  if (now - last_update_ < std::chrono::milliseconds(200) && done_bytes_ < total_bytes_) return;
  last_update_ = now;
  const double wall = std::chrono::duration<double>(now - started_).count();
  const double rate = wall > 0 ? static_cast<double>(done_bytes_) / wall : 0;
  ProgressLine line;
  line.fraction = total_bytes_ > 0 ? static_cast<double>(done_bytes_) / static_cast<double>(total_bytes_) : 1;
  line.done = BytesText(static_cast<double>(done_bytes_));
  line.total = BytesText(static_cast<double>(total_bytes_));
  line.rate = BytesText(rate) + "/s";
  line.eta_seconds = rate > 0 ? static_cast<double>(total_bytes_ - done_bytes_) / rate : -1;
  line.wall_seconds = wall;
  bar_->Update(line);
}

void CopyProgress::Finish() {
  if (bar_) bar_->Finish();
}

}  // namespace lm::edge
