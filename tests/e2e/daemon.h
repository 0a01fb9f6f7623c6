// Daemon: a confidantd started by hand (production flags, or unusual ones) for end-to-end
// tests, and the gRPC health check. Header-only.
#ifndef CONFIDANT_TESTS_E2E_DAEMON_H_
#define CONFIDANT_TESTS_E2E_DAEMON_H_

#include <signal.h>
#include <sys/wait.h>

#include <future>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "base/files.h"
#include "grpcpp/generic/generic_stub.h"
#include "grpcpp/support/byte_buffer.h"
#include "gtest/gtest.h"
#include "tests/e2e/child_process.h"
#include "tests/e2e/identity_helpers.h"

namespace confidant::testing {

// A confidantd started by hand with `args` (after the binary) and extra environment `env`.
struct Daemon {
  pid_t pid = -1;
  int port = 0;
  int exit_status = -1;  // as from waitpid, once exited
  std::string log_path;

  std::string log() const {
    absl::StatusOr<std::string> text = ReadFile(log_path, 1 << 20);
    return text.ok() ? *text : std::string();
  }
  ~Daemon() { Stop(); }
  // SIGTERM and wait, if running.
  void Stop() {
    if (pid <= 0) return;
    kill(pid, SIGTERM);
    waitpid(pid, &exit_status, 0);
    pid = -1;
  }
};

// Starts confidantd and waits up to 30 s until it writes `port_file` or exits.
inline void Launch(std::vector<std::string> args, const std::string& port_file, const std::string& log,
            const std::vector<std::pair<std::string, std::string>>& env, Daemon& daemon) {
  daemon.log_path = log;
  args.insert(args.begin(), CONFIDANTD_PATH);
  daemon.pid = SpawnProcess(std::move(args), log, log, env, {"GRPC_TRACE"});
  ASSERT_GE(daemon.pid, 0);
  switch (WaitForPort(daemon.pid, port_file, daemon.port, daemon.exit_status)) {
    case StartResult::kServing:
      return;
    case StartResult::kExited:
      daemon.pid = -1;
      return;
    case StartResult::kTimedOut:
      break;
  }
  FAIL() << "confidantd neither served nor exited:\n" << daemon.log();
}

inline bool ExitedWithFailure(const Daemon& daemon) {
  return daemon.pid == -1 && WIFEXITED(daemon.exit_status) && WEXITSTATUS(daemon.exit_status) != 0;
}

// The gRPC health service's answer for the whole server: the serialized HealthCheckResponse.
inline std::string HealthCheck(const std::shared_ptr<grpc::Channel>& channel) {
  grpc::GenericStub stub(channel);
  grpc::Slice empty("");
  grpc::ByteBuffer request(&empty, 1);
  grpc::ByteBuffer response;
  grpc::ClientContext context;
  SetTestDeadline(context);
  std::promise<grpc::Status> done;
  stub.UnaryCall(&context, "/grpc.health.v1.Health/Check", grpc::StubOptions(), &request,
                 &response, [&](grpc::Status s) { done.set_value(std::move(s)); });
  const grpc::Status status = done.get_future().get();
  if (!status.ok()) return "error: " + status.error_message();
  std::vector<grpc::Slice> slices;
  if (!response.Dump(&slices).ok()) return "error: dump";
  std::string out;
  for (const grpc::Slice& slice : slices) {
    out.append(reinterpret_cast<const char*>(slice.begin()), slice.size());
  }
  return out;
}

inline const std::string kServing("\x08\x01", 2);
inline const std::string kNotServing("\x08\x02", 2);

}  // namespace confidant::testing

#endif  // CONFIDANT_TESTS_E2E_DAEMON_H_
