#include "edge/lesson_verifier.h"

#include <fcntl.h>
#include <unistd.h>

#include <chrono>
#include <thread>

#include "common/unique_fd.h"
#include "common/xxh3.h"
#include "edge/transfer.h"

namespace lm::edge {

namespace {

Result<std::string> HashFile(const std::filesystem::path& path, std::int64_t expected_size,
                             std::int64_t bytes_per_second) {
  UniqueFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (fd.get() < 0) return ErrnoStatus("open " + path.string(), errno);
  Xxh3Hasher hasher;
  std::vector<char> buf(1 << 20);
  std::int64_t total = 0;
  const auto started = std::chrono::steady_clock::now();
  for (;;) {
    const ssize_t n = ::read(fd.get(), buf.data(), buf.size());
    if (n < 0) {
      if (errno == EINTR) continue;
      return ErrnoStatus("read " + path.string(), errno);
    }
    if (n == 0) break;
    hasher.Update(buf.data(), static_cast<size_t>(n));
    total += n;
    if (total > expected_size) break;
    if (bytes_per_second > 0) {
      const auto due = started + std::chrono::microseconds(total * 1'000'000 / bytes_per_second);
      std::this_thread::sleep_until(due);  // pacing, not synchronisation
    }
  }
  if (total != expected_size) {
    return InvalidArgument(path.filename().string() + " has " + std::to_string(total) + " bytes, lesson.json says " +
                           std::to_string(expected_size));
  }
  return hasher.Digest().Hex();
}

}  // namespace

Result<VerifiedLesson> VerifyLesson(const std::filesystem::path& bundle_dir, const std::string& lesson_id,
                                    const std::vector<std::string>& renditions, std::int64_t bytes_per_second) {
  ASSIGN_OR_RETURN(bundle::LessonManifest manifest, bundle::ReadLessonManifest(bundle_dir));
  if (manifest.id != lesson_id) return InvalidArgument("lesson.json names lesson " + manifest.id);
  VerifiedLesson out;
  for (const bundle::BundleFile& f : manifest.files) {
    if (!KeepsFile(f.path, renditions)) continue;
    ASSIGN_OR_RETURN(std::string digest, HashFile(bundle_dir / f.path, f.size_bytes, bytes_per_second));
    if (digest != f.xxh3_128) return InvalidArgument(f.path + " does not match its XXH3-128 in lesson.json");
    out.bytes += f.size_bytes;
  }
  for (const auto& r : manifest.renditions) {
    if (KeepsFile(r.file, renditions)) out.renditions.push_back(r.name);
  }
  out.manifest = std::move(manifest);
  return out;
}

}  // namespace lm::edge
