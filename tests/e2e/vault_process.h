// VaultProcess: a real confidantd (--dev, mTLS, loopback, port 0) in a child process, for
// end-to-end tests. Each instance owns a fresh temporary folder: ROOT/dev is the dev folder and
// ROOT/server.log the server's stdout and stderr.
#ifndef CONFIDANT_TESTS_E2E_VAULT_PROCESS_H_
#define CONFIDANT_TESTS_E2E_VAULT_PROCESS_H_

#include <sys/types.h>

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "client/vault_client.h"

namespace confidant::testing {

class VaultProcess {
 public:
  // Starts confidantd and waits (up to 30 s) until it has written its port file.
  static absl::StatusOr<std::unique_ptr<VaultProcess>> Start(std::vector<std::string> extra_args = {});
  // The same, with the dev clock hook on: the server adds the seconds in clock_offset_file()
  // (absent at first: 0) to every clock reading (--dev_clock_offset_file).
  static absl::StatusOr<std::unique_ptr<VaultProcess>> StartWithDevClock(
      std::vector<std::string> extra_args = {});
  // Stops the server (SIGTERM) and removes the temporary folder.
  ~VaultProcess();
  VaultProcess(const VaultProcess&) = delete;
  VaultProcess& operator=(const VaultProcess&) = delete;

  // SIGTERM and wait; returns the exit status (as from waitpid), or -1 if not running.
  int Stop();
  // SIGKILL (a crash: nothing is flushed or closed) and wait; as Stop otherwise.
  int Kill();
  // Starts the server again over the same dev folder and data.
  absl::Status Restart();
  // Arguments added to every later start (e.g. before a Restart).
  void AddArgs(const std::vector<std::string>& args) {
    extra_args_.insert(extra_args_.end(), args.begin(), args.end());
  }

  std::string address() const;  // "127.0.0.1:PORT"
  // The reporting listener's address (its own port, written by the server at start).
  std::string reporting_address() const;
  const std::string& root() const { return root_; }
  std::string dev_dir() const { return root_ + "/dev"; }
  std::string data_dir() const { return root_ + "/dev/data"; }
  std::string identity_dir(const std::string& role) const;
  std::string log() const;  // everything the server printed so far

  // ROOT/clock_offset, and writing it: the server's clock then reads `seconds` ahead (or
  // behind, if negative) of the host's, from its next reading on.
  std::string clock_offset_file() const { return root_ + "/clock_offset"; }
  absl::Status SetClockOffsetSeconds(int64_t seconds) const;

  // A client with the dev identity of `role` (e.g. "case_officer").
  std::unique_ptr<client::VaultClient> ClientAs(const std::string& role) const;
  // A client from an explicit identity.
  std::unique_ptr<client::VaultClient> ClientWith(client::ClientIdentity identity) const;

 private:
  VaultProcess() = default;
  // A fresh temporary folder, not yet launched.
  static absl::StatusOr<std::unique_ptr<VaultProcess>> Prepare(std::vector<std::string> extra_args);
  absl::Status Launch();

  std::string root_;
  std::vector<std::string> extra_args_;
  pid_t pid_ = -1;
  int port_ = 0;
};

// A valid synthetic record; `text` is placed in every free-text field (for canary tests).
v1::InterviewRecord SyntheticRecord(const std::string& text = "synthetic");

// Every file below `dir`, recursively.
std::vector<std::string> FilesBelow(const std::string& dir);

}  // namespace confidant::testing

#endif  // CONFIDANT_TESTS_E2E_VAULT_PROCESS_H_
