#include "tests/e2e/child_process.h"

#include <fcntl.h>
#include <unistd.h>

#include <sys/wait.h>

#include <chrono>
#include <cstring>
#include <thread>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "base/files.h"

extern char** environ;

namespace confidant::testing {
namespace {

bool Named(const char* entry, const std::string& name) {
  return std::strncmp(entry, name.c_str(), name.size()) == 0 && entry[name.size()] == '=';
}

}  // namespace

pid_t SpawnProcess(std::vector<std::string> args, const std::string& out_path,
                   const std::string& err_path,
                   const std::vector<std::pair<std::string, std::string>>& set,
                   const std::vector<std::string>& unset) {
  std::vector<std::string> env;
  for (char** e = environ; *e != nullptr; ++e) {
    bool drop = false;
    for (const std::string& name : unset) drop = drop || Named(*e, name);
    for (const auto& [name, value] : set) drop = drop || Named(*e, name);
    if (!drop) env.emplace_back(*e);
  }
  for (const auto& [name, value] : set) env.push_back(name + "=" + value);
  std::vector<char*> argv, envp;
  for (std::string& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  for (std::string& e : env) envp.push_back(e.data());
  envp.push_back(nullptr);
  const bool same = out_path == err_path;
  const pid_t pid = fork();
  if (pid != 0) return pid;
  // The child: async-signal-safe calls only.
  const int out = ::open(out_path.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0600);
  const int err = same ? out : ::open(err_path.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0600);
  dup2(out, 1);
  dup2(err, 2);
  execve(argv[0], argv.data(), envp.data());
  _exit(127);
}

StartResult WaitForPort(pid_t pid, const std::string& port_file, int& port, int& exit_status) {
  for (int i = 0; i < 300; ++i) {
    absl::StatusOr<std::string> text = ReadFile(port_file);
    if (text.ok() && absl::SimpleAtoi(absl::StripAsciiWhitespace(*text), &port)) {
      return StartResult::kServing;
    }
    if (waitpid(pid, &exit_status, WNOHANG) == pid) return StartResult::kExited;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  return StartResult::kTimedOut;
}

}  // namespace confidant::testing
