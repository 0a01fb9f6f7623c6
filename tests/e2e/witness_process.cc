#include "tests/e2e/witness_process.h"

#include "tests/e2e/child_process.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <thread>

#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "base/files.h"
#include "crypto/signed_note.h"

namespace confidant::testing {
namespace {

// The rest of the last line of `text` that starts with `prefix`, or "" if none does.
std::string LastValue(const std::string& text, const std::string& prefix) {
  std::string value;
  size_t at = 0;
  while ((at = text.find(prefix, at)) != std::string::npos) {
    if (at == 0 || text[at - 1] == '\n') {
      const size_t end = text.find('\n', at);
      value = text.substr(at + prefix.size(),
                          end == std::string::npos ? std::string::npos : end - at - prefix.size());
    }
    at += prefix.size();
  }
  return std::string(absl::StripAsciiWhitespace(value));
}

std::string MakeTempDir(const char* prefix) {
  std::string pattern = std::string("/tmp/") + prefix + "-XXXXXX";
  return mkdtemp(pattern.data()) == nullptr ? std::string() : pattern;
}

}  // namespace

absl::StatusOr<LogPin> ParseLogPin(const std::string& server_output) {
  LogPin pin{LastValue(server_output, "audit log origin: "),
             LastValue(server_output, "audit log key (Ed25519, base64): ")};
  if (pin.origin.empty() || pin.key_base64.empty()) {
    return absl::NotFoundError("no audit log origin and key in the server's output");
  }
  return pin;
}

absl::StatusOr<std::unique_ptr<WitnessProcess>> WitnessProcess::Start(const std::string& name,
                                                                      const LogPin& pin,
                                                                      const std::string& dev_dir) {
  std::unique_ptr<WitnessProcess> w(new WitnessProcess());
  w->root_ = MakeTempDir("confidant-witness");
  if (w->root_.empty()) return absl::InternalError("mkdtemp failed");
  w->name_ = name;
  const std::string port_file = w->root_ + "/port";
  const std::string log_file = w->root_ + "/witness.log";
  w->pid_ = SpawnProcess({CONFIDANT_WITNESS_PATH,
                   "--init",
                   "--pusher",
                   "spiffe://confidant.example/dev/vault",
                   "--state-dir",
                   w->root_ + "/state",
                   "--name",
                   name,
                   "--log-origin",
                   pin.origin,
                   "--log-key",
                   pin.key_base64,
                   "--tls-cert",
                   dev_dir + "/witness/witness.crt",
                   "--tls-key",
                   dev_dir + "/witness/witness.key",
                   "--client-ca",
                   dev_dir + "/ca/ca.crt",
                   "--listen",
                   "127.0.0.1:0",
                   "--port-file",
                   port_file},
                  log_file, log_file);
  if (w->pid_ < 0) return absl::InternalError("fork failed");
  int status = 0;
  switch (WaitForPort(w->pid_, port_file, w->port_, status)) {
    case StartResult::kServing: {
      const std::string key = LastValue(w->log(), "witness key (Ed25519, base64): ");
      if (!absl::Base64Unescape(key, &w->public_key_) || w->public_key_.size() != 32) {
        return absl::InternalError("the witness printed no valid key:\n" + w->log());
      }
      return w;
    }
    case StartResult::kExited:
      w->pid_ = -1;
      return absl::InternalError("confidant-witness exited at start:\n" + w->log());
    case StartResult::kTimedOut:
      break;
  }
  return absl::DeadlineExceededError("confidant-witness did not start:\n" + w->log());
}

WitnessProcess::~WitnessProcess() {
  Stop();
  std::error_code ec;
  if (std::getenv("CONFIDANT_KEEP_E2E") == nullptr) std::filesystem::remove_all(root_, ec);
}

int WitnessProcess::Stop() {
  if (pid_ <= 0) return -1;
  kill(pid_, SIGTERM);
  int status = 0;
  waitpid(pid_, &status, 0);
  pid_ = -1;
  return status;
}

std::string WitnessProcess::VaultFlag() const {
  return absl::StrCat("--witness=", name_, "@127.0.0.1:", port_, "=",
                      absl::Base64Escape(public_key_));
}

std::string WitnessProcess::log() const {
  absl::StatusOr<std::string> text = ReadFile(root_ + "/witness.log", 16 << 20);
  return text.ok() ? *text : std::string();
}

absl::StatusOr<client::VerifiedCheckpoint> WaitForCosigned(client::LogClient& log,
                                                           const client::TrustedWitness& witness,
                                                           uint64_t min_size, int timeout_ms) {
  absl::Status last = absl::NotFoundError("no checkpoint fetched");
  uint64_t last_size = 0;
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
  do {
    absl::StatusOr<client::VerifiedCheckpoint> checkpoint = log.FetchCheckpoint();
    if (checkpoint.ok()) {
      last_size = checkpoint->body.tree_size;
      last = crypto::VerifyCosignature(checkpoint->note, witness.name, witness.public_key).status();
      if (last.ok() && last_size >= min_size) return checkpoint;
    } else {
      last = checkpoint.status();
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  } while (std::chrono::steady_clock::now() < deadline);
  return absl::DeadlineExceededError(absl::StrCat("no checkpoint of size >= ", min_size,
                                                  " cosigned by ", witness.name, "; last size ",
                                                  last_size, ", last status ", last.ToString()));
}

CommandResult RunCommand(const std::vector<std::string>& args) {
  CommandResult result;
  const std::string dir = MakeTempDir("confidant-cmd");
  if (dir.empty()) return result;
  const pid_t pid = SpawnProcess(args, dir + "/out", dir + "/err");
  int status = 0;
  if (pid > 0 && waitpid(pid, &status, 0) == pid && WIFEXITED(status)) {
    result.exit_code = WEXITSTATUS(status);
  }
  result.out = ReadFile(dir + "/out", 64 << 20).value_or("");
  result.err = ReadFile(dir + "/err", 64 << 20).value_or("");
  std::error_code ec;
  std::filesystem::remove_all(dir, ec);
  return result;
}

}  // namespace confidant::testing
