#include "common/read_file.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>

#include "common/unique_fd.h"

namespace lm {

Result<std::string> ReadFileBytes(const std::filesystem::path& path, std::int64_t max_bytes) {
  UniqueFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (fd.get() < 0) {
    if (errno == ENOENT) return Status(StatusCode::kNotFound, "no such file: " + path.string());
    return ErrnoStatus("open " + path.string(), errno);
  }
  struct stat st {};
  if (::fstat(fd.get(), &st) != 0) return ErrnoStatus("stat " + path.string(), errno);
  if (!S_ISREG(st.st_mode)) return InvalidArgument(path.string() + " is not a regular file");
  if (st.st_size > max_bytes) {
    return InvalidArgument(path.string() + " is larger than " + std::to_string(max_bytes) + " bytes");
  }
  std::string out(static_cast<size_t>(st.st_size), '\0');
  size_t got = 0;
  for (;;) {
    if (got == out.size()) {  // the file may have grown since fstat
      if (static_cast<std::int64_t>(got) >= max_bytes) {
        return InvalidArgument(path.string() + " is larger than " + std::to_string(max_bytes) + " bytes");
      }
      out.resize(std::min<size_t>(static_cast<size_t>(max_bytes) + 1, got + 64 * 1024));
    }
    const ssize_t n = ::read(fd.get(), out.data() + got, out.size() - got);
    if (n < 0) {
      if (errno == EINTR) continue;
      return ErrnoStatus("read " + path.string(), errno);
    }
    if (n == 0) break;
    got += static_cast<size_t>(n);
  }
  out.resize(got);
  return out;
}

}  // namespace lm
