#pragma once
// Runs one of our executables as an operator would, for tests: its stdout read line by line with
// a deadline, signals (SIGTERM, SIGKILL), and its exit code. The child is killed if the test ends
// first.

#include <sys/types.h>

#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace lm::testing {

class ChildProcess {
 public:
  // argv[0] is the program's path. stderr is inherited (it shows in the test log).
  static std::unique_ptr<ChildProcess> Start(const std::vector<std::string>& argv);
  ~ChildProcess();

  // The first stdout line containing `text`, read within `seconds`; nullopt otherwise.
  std::optional<std::string> WaitForLine(const std::string& text, double seconds);
  // All of stdout until the child closes it or `seconds` pass.
  std::string ReadAll(double seconds);
  void Signal(int sig);
  // The exit code; -1 if it did not end within `seconds` (then it is killed) or died by a signal.
  int Wait(double seconds);
  pid_t pid() const { return pid_; }

 private:
  ChildProcess(pid_t pid, int out_fd) : pid_(pid), out_fd_(out_fd) {}
  // Reads what is available within `seconds` into buffer_; false at end of file or timeout.
  bool ReadSome(double seconds);

  pid_t pid_;
  int out_fd_;
  bool reaped_ = false;
  std::string buffer_;
};

}  // namespace lm::testing
