// Starting a program in a child process from a multi-threaded test (gRPC threads run in it):
// everything is prepared before fork(), and the child makes only async-signal-safe calls.
#ifndef CONFIDANT_TESTS_E2E_CHILD_PROCESS_H_
#define CONFIDANT_TESTS_E2E_CHILD_PROCESS_H_

#include <sys/types.h>

#include <string>
#include <utility>
#include <vector>

namespace confidant::testing {

// Forks and execs `args` (args[0] is the program's path), appending stdout to `out_path` and
// stderr to `err_path` (which may be the same file). The child's environment is this process's,
// without the variables named in `unset` and with `set` added. Returns the pid, or -1 if fork
// failed; a child that cannot exec exits with 127.
pid_t SpawnProcess(std::vector<std::string> args, const std::string& out_path,
                   const std::string& err_path,
                   const std::vector<std::pair<std::string, std::string>>& set = {},
                   const std::vector<std::string>& unset = {});

// Waits up to 30 s for the child `pid` to write its port number into `port_file`. Returns
// kServing (with `port` set), kExited (the child exited first; `exit_status` as from waitpid,
// and the child is reaped) or kTimedOut.
enum class StartResult { kServing, kExited, kTimedOut };
StartResult WaitForPort(pid_t pid, const std::string& port_file, int& port, int& exit_status);

}  // namespace confidant::testing

#endif  // CONFIDANT_TESTS_E2E_CHILD_PROCESS_H_
