// VaultServer: confidantd's gRPC server over mTLS, with health checking and limits.
#ifndef CONFIDANT_SERVER_VAULT_SERVER_H_
#define CONFIDANT_SERVER_VAULT_SERVER_H_

#include <memory>
#include <optional>
#include <string>

#include "absl/status/statusor.h"
#include "crypto/secret_bytes.h"
#include "grpcpp/server.h"
#include <functional>

#include "absl/synchronization/mutex.h"

#include "server/audit_service.h"
#include "server/custody.h"
#include "server/health_service.h"
#include "server/operator_service.h"
#include "server/policy_gate.h"
#include "server/policy_service.h"
#include "server/record_service.h"
#include "server/reporting_service.h"
#include "server/restore.h"
#include "server/vault_state.h"

namespace confidant::server {

struct ServerOptions {
  std::string listen_address = "127.0.0.1:7443";
  // The reporting listener: ReportingService only, for reporting-only persons. Empty: none.
  std::string reporting_listen_address = "127.0.0.1:7444";
  std::string data_dir;
  std::string server_certificate_pem;
  std::string server_private_key_pem;  // secret
  std::string client_ca_pem;           // the only CA whose client certificates are accepted
  // The policy file (its signatures in policy_path + ".sig") and the governance keys that must
  // have signed it (pinned at the vault's first start).
  std::string policy_path;
  std::string governance_keys_text;
  // Unsealed at start when set (dev mode). Without it the vault stays sealed and every data RPC
  // answers FAILED_PRECONDITION.
  std::optional<crypto::SecretBytes> master_key;
  int max_connection_age_seconds = 300;  // a principal removed from the policy is dropped
  int max_threads = 128;  // sync API: shared with gRPC pollers; requests block on group commit
  // Witnesses to push checkpoints to, and how to reach them.
  std::vector<WitnessEndpoint> witnesses;
  WitnessTls witness_tls;
  // Where backup epoch keys are escrowed (another filesystem than data_dir, unless
  // escrow_same_filesystem_ok, which --dev sets); empty: backups are refused.
  std::string backup_keys_dir;
  bool escrow_same_filesystem_ok = false;
  // Restore mode (--restore): the backup to rebuild the (empty) data directory from, and an
  // optional `confidant audit export` newer than it whose disposal receipts are re-applied too.
  std::string restore_from;
  std::string restore_shred_register;
  bool restore_without_newer_register = false;  // explicit: no export newer than the backup
  // Tests only: wraps the opened RocksDB store (e.g. to inject write failures).
  std::function<std::unique_ptr<store::KvStore>(std::unique_ptr<store::KvStore>)> store_decorator;
};

class VaultServer {
 public:
  // Checks memory locking, opens storage, loads the policy, unseals if a master key is given,
  // and starts serving. Errors name what is wrong (config, storage, policy, keys).
  static absl::StatusOr<std::unique_ptr<VaultServer>> Start(ServerOptions options);

  ~VaultServer();
  VaultServer(const VaultServer&) = delete;
  VaultServer& operator=(const VaultServer&) = delete;

  int port() const { return port_; }
  int reporting_port() const { return reporting_port_; }  // 0 without a reporting listener
  bool sealed() const { return !state_->Open().ok(); }
  // The vault identity public key (raw 32 bytes), or empty while sealed.
  std::string identity_public_key() const;
  // The audit log's origin and its checkpoint key (raw), or empty while sealed: published by
  // the programme so that witnesses and clients can pin them.
  std::string log_origin() const;
  std::string log_public_key() const;

  // Reads the policy again and puts it in force if it is signed by K of N governance keys and
  // newer; writes the outcome (loaded, or rejected and why) to the audit log either way. The
  // vault must be unsealed. `requested_by` is recorded ("SIGHUP" or a principal).
  absl::StatusOr<LoadedPolicy> ReloadPolicy(std::string_view requested_by);

  // Opens the sealed vault with `master_key`: keys, audit log (verified), the policy state's
  // MAC, the policy read and checked again, the entries held while sealed, health SERVING.
  // Any failure leaves the vault sealed. `by` names who did it ("start" or a person id).
  absl::Status UnsealWith(const crypto::SecretBytes& master_key, std::string_view by);
  // Restore mode: records a custodian's approval (FAILED_PRECONDITION when none is pending).
  absl::StatusOr<size_t> ApproveRestore(const std::string& person_id);
  ::confidant::server::RestoreProgress RestoreProgress() const;

  // Wipes every key (see VaultState::Seal); health NOT_SERVING.
  absl::Status Seal();

  // Marks health NOT_SERVING, then stops accepting calls and waits up to 5 s for running ones.
  void Shutdown();
  void Wait();

 private:
  VaultServer() = default;
  absl::Status BindPolicyGate(const OpenVault& open);

  std::unique_ptr<PolicyGate> gate_;
  // Kept to build the gate again over a restored store.
  std::string governance_keys_text_;
  std::string policy_path_;
  // Set while a restore waits for approvals and shares (guarded by reload_mu_ once serving).
  std::unique_ptr<PendingRestore> restore_;
  bool restore_written_ = false;  // its storage half is done; only Finish is left
  mutable absl::Mutex reload_mu_;  // one reload at a time: load, audit, mark in force, swap
  std::unique_ptr<VaultState> state_;
  std::unique_ptr<RecordServiceImpl> record_service_;
  std::unique_ptr<LogServiceImpl> log_service_;
  std::unique_ptr<AuditServiceImpl> audit_service_;
  std::unique_ptr<PolicyServiceImpl> policy_service_;
  std::unique_ptr<Custody> custody_;
  std::unique_ptr<OperatorServiceImpl> operator_service_;
  std::unique_ptr<ReportingServiceImpl> reporting_service_;
  std::unique_ptr<HealthServiceImpl> health_service_;
  std::unique_ptr<grpc::Server> server_;
  std::unique_ptr<grpc::Server> reporting_server_;  // its own listener: no other service
  int port_ = 0;
  int reporting_port_ = 0;
};

}  // namespace confidant::server

#endif  // CONFIDANT_SERVER_VAULT_SERVER_H_
