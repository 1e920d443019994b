#include "tests/testing/child_process.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstring>

#include "tests/testing/temp_dir.h"
#include "tests/testing/wait_for.h"

extern char** environ;

namespace lm::testing {

namespace {
using Clock = std::chrono::steady_clock;

// `seconds` from now, scaled for this build.
Clock::time_point DeadlineIn(double seconds) { return Clock::now() + ScaledDuration(seconds); }
double SecondsLeft(Clock::time_point deadline) {
  return std::chrono::duration<double>(deadline - Clock::now()).count();
}
}  // namespace

ChildProcess::~ChildProcess() {
  Stop(0);
  if (out_fd_ >= 0) ::close(out_fd_);
}

std::string ChildProcess::Start(const std::vector<std::string>& argv, const std::filesystem::path& out,
                                const std::filesystem::path& err) {
  out_ = out;
  err_ = err;
  return Spawn(argv, -1, &out, &err);
}

std::string ChildProcess::StartPiped(const std::vector<std::string>& argv) {
  int fds[2];
  if (::pipe2(fds, O_CLOEXEC) != 0) return std::string("pipe: ") + std::strerror(errno);
  std::string error = Spawn(argv, fds[1], nullptr, nullptr);
  ::close(fds[1]);
  if (!error.empty()) {
    ::close(fds[0]);
    return error;
  }
  out_fd_ = fds[0];
  return "";
}

std::string ChildProcess::Spawn(const std::vector<std::string>& argv, int stdout_fd, const std::filesystem::path* out,
                                const std::filesystem::path* err) {
  if (argv.empty()) return "nothing to run";
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, STDIN_FILENO, "/dev/null", O_RDONLY, 0);
  if (stdout_fd >= 0) posix_spawn_file_actions_adddup2(&actions, stdout_fd, STDOUT_FILENO);
  if (out) posix_spawn_file_actions_addopen(&actions, STDOUT_FILENO, out->c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
  if (err) posix_spawn_file_actions_addopen(&actions, STDERR_FILENO, err->c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
  posix_spawnattr_t attr;
  posix_spawnattr_init(&attr);
  posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETPGROUP);
  posix_spawnattr_setpgroup(&attr, 0);
  std::vector<char*> args;
  for (const std::string& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  const int rc = ::posix_spawnp(&pid_, args[0], &actions, &attr, args.data(), environ);
  posix_spawnattr_destroy(&attr);
  posix_spawn_file_actions_destroy(&actions);
  if (rc != 0) {
    pid_ = -1;
    return "posix_spawnp " + argv[0] + ": " + std::strerror(rc);
  }
  return "";
}

bool ChildProcess::ReadSome(double seconds) {
  if (out_fd_ < 0) return false;
  pollfd pfd{out_fd_, POLLIN, 0};
  const int ready = ::poll(&pfd, 1, static_cast<int>(std::max(0.0, seconds) * 1000));
  if (ready <= 0) return false;
  char buf[4096];
  const ssize_t n = ::read(out_fd_, buf, sizeof(buf));
  if (n <= 0) return false;
  buffer_.append(buf, static_cast<size_t>(n));
  return true;
}

std::optional<std::string> ChildProcess::WaitForLine(const std::string& text, double seconds) {
  const auto deadline = DeadlineIn(seconds);
  for (;;) {
    size_t start = 0;
    for (size_t nl; (nl = buffer_.find('\n', start)) != std::string::npos; start = nl + 1) {
      std::string line = buffer_.substr(start, nl - start);
      if (line.find(text) != std::string::npos) {
        buffer_.erase(0, nl + 1);
        return line;
      }
    }
    buffer_.erase(0, start);
    if (SecondsLeft(deadline) <= 0 || !ReadSome(SecondsLeft(deadline))) return std::nullopt;
  }
}

std::string ChildProcess::ReadAll(double seconds) {
  const auto deadline = DeadlineIn(seconds);
  while (SecondsLeft(deadline) > 0 && ReadSome(SecondsLeft(deadline))) {
  }
  std::string out;
  out.swap(buffer_);
  return out;
}

void ChildProcess::Signal(int sig) {
  if (pid_ > 0 && !status_) ::kill(pid_, sig);
}

bool ChildProcess::Reap(int flags) {
  if (status_) return true;
  if (pid_ <= 0) return false;
  int raw = 0;
  if (::waitpid(pid_, &raw, flags) != pid_) return false;
  status_ = WIFEXITED(raw) ? WEXITSTATUS(raw) : 128 + WTERMSIG(raw);
  return true;
}

std::optional<int> ChildProcess::Wait(double seconds) {
  WaitFor([&] { return Reap(WNOHANG); }, seconds);
  return status_;
}

std::optional<int> ChildProcess::Stop(double grace_seconds) {
  if (pid_ <= 0 || status_) return status_;
  if (grace_seconds > 0) {
    ::kill(-pid_, SIGTERM);
    if (Wait(grace_seconds)) return status_;
  }
  ::kill(-pid_, SIGKILL);
  Reap(0);
  return status_;
}

std::string ChildProcess::out() const { return out_.empty() ? "" : ReadFile(out_); }
std::string ChildProcess::err() const { return err_.empty() ? "" : ReadFile(err_); }

}  // namespace lm::testing
