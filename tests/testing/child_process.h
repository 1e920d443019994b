#pragma once
// Runs a program for a test, as an operator or a school would: one of our executables, or a stock
// client (aria2c, transmission-cli, node). Its output goes to files (out(), err()) or, piped, is
// read line by line with a deadline (WaitForLine). Signals, a wait with a deadline, and the exit
// status. Every deadline is scaled for the sanitizer build (Scaled in wait_for.h). The child runs
// in its own process group, which is killed if the test ends first (an ASSERT that returns early
// included), so no child outlives its test.

#include <sys/types.h>

#include <filesystem>
#include <optional>
#include <string>
#include <vector>

namespace lm::testing {

class ChildProcess {
 public:
  ChildProcess() = default;
  ~ChildProcess();  // Stop(0)
  ChildProcess(const ChildProcess&) = delete;
  ChildProcess& operator=(const ChildProcess&) = delete;

  // argv[0] is looked up in PATH. stdout and stderr go to the files. "" or why it did not start.
  std::string Start(const std::vector<std::string>& argv, const std::filesystem::path& out,
                    const std::filesystem::path& err);
  // stdout goes to a pipe read by WaitForLine/ReadAll; stderr is inherited (the test's log).
  std::string StartPiped(const std::vector<std::string>& argv);

  // Piped: the first stdout line containing `text`, read within `seconds`; nullopt otherwise.
  std::optional<std::string> WaitForLine(const std::string& text, double seconds);
  // Piped: all of stdout until the child closes it or `seconds` pass.
  std::string ReadAll(double seconds);

  void Signal(int sig);
  // The exit status (128 + signal if a signal ended it) once it has ended, waiting at most
  // `seconds`; nullopt if it is still running.
  std::optional<int> Wait(double seconds);
  // SIGTERM, up to `grace_seconds` to end, then SIGKILL to the group; how it ended.
  std::optional<int> Stop(double grace_seconds);

  // Its process id (-1 before Start): e.g. to reach its mount namespace through /proc/PID/root.
  pid_t pid() const { return pid_; }
  std::string out() const;  // what it wrote to stdout (file mode)
  std::string err() const;

 private:
  std::string Spawn(const std::vector<std::string>& argv, int stdout_fd, const std::filesystem::path* out,
                    const std::filesystem::path* err);
  bool Reap(int flags);
  // Piped: reads what is available within `seconds` into buffer_; false at end of file or timeout.
  bool ReadSome(double seconds);

  pid_t pid_ = -1;
  std::optional<int> status_;
  int out_fd_ = -1;
  std::string buffer_;
  std::filesystem::path out_, err_;
};

}  // namespace lm::testing
