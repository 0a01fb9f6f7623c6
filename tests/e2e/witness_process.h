// WitnessProcess: a real confidant-witness (mTLS, loopback, port 0) in a child process, for
// end-to-end tests of the audit log's witnessing (docs/ARCHITECTURE.md "Audit log", threat 5); plus the
// small helpers those tests share: reading the log pin confidantd prints, waiting for a
// cosigned checkpoint, and running a command line. Not thread-safe; one test thread per object.
#ifndef CONFIDANT_TESTS_E2E_WITNESS_PROCESS_H_
#define CONFIDANT_TESTS_E2E_WITNESS_PROCESS_H_

#include <sys/types.h>

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "client/audit_commands.h"
#include "client/log_client.h"

namespace confidant::testing {

// What confidantd prints for witnesses and clients to pin its audit log.
struct LogPin {
  std::string origin;      // "audit log origin: X"
  std::string key_base64;  // "audit log key (Ed25519, base64): K"
};

// The last pin printed in `server_output`. NOT_FOUND if there is none.
absl::StatusOr<LogPin> ParseLogPin(const std::string& server_output);

class WitnessProcess {
 public:
  // Starts `confidant-witness --init` in a fresh temporary folder (its state and output live
  // there), named `name`, pinned to `pin`, serving with DEV_DIR/witness/witness.{crt,key} and
  // accepting clients that chain to DEV_DIR/ca/ca.crt. Waits (up to 30 s) for its port file.
  static absl::StatusOr<std::unique_ptr<WitnessProcess>> Start(const std::string& name,
                                                               const LogPin& pin,
                                                               const std::string& dev_dir);
  // Stops the witness (SIGTERM) and removes its folder.
  ~WitnessProcess();
  WitnessProcess(const WitnessProcess&) = delete;
  WitnessProcess& operator=(const WitnessProcess&) = delete;

  // SIGTERM and wait; the exit status (as from waitpid), or -1 if not running.
  int Stop();

  int port() const { return port_; }
  const std::string& name() const { return name_; }
  const std::string& public_key() const { return public_key_; }  // raw Ed25519, 32 bytes
  // "--witness=NAME@127.0.0.1:PORT=BASE64KEY", the flag that makes confidantd push to it.
  std::string VaultFlag() const;
  // The witness as `audit verify` trusts it.
  client::TrustedWitness Trusted() const { return {name_, public_key_}; }
  std::string log() const;  // everything the witness printed so far

 private:
  WitnessProcess() = default;

  std::string root_;
  std::string name_;
  std::string public_key_;
  pid_t pid_ = -1;
  int port_ = 0;
};

// Polls `log.FetchCheckpoint()` every 100 ms for up to `timeout_ms` until the checkpoint has at
// least `min_size` entries and a valid cosignature by `witness`; returns it. DEADLINE_EXCEEDED
// (naming the last size and status seen) otherwise.
absl::StatusOr<client::VerifiedCheckpoint> WaitForCosigned(client::LogClient& log,
                                                           const client::TrustedWitness& witness,
                                                           uint64_t min_size,
                                                           int timeout_ms = 10000);

// What a finished child process left.
struct CommandResult {
  int exit_code = -1;  // -1 if it could not be run or was killed by a signal
  std::string out;
  std::string err;
};

// Runs args[0] with args (no shell) and waits for it, capturing stdout and stderr.
CommandResult RunCommand(const std::vector<std::string>& args);

}  // namespace confidant::testing

#endif  // CONFIDANT_TESTS_E2E_WITNESS_PROCESS_H_
