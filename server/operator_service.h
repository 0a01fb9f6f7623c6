// OperatorService over gRPC: vault status, init, unseal by shares, reset, seal, shredding
// records past retention, key rotation and the rewrap job, and encrypted backups. Served
// while the vault is sealed (shredding refuses then); custodians only (may_operate_vault). See
// proto/confidant/v1/operator.proto.
#ifndef CONFIDANT_SERVER_OPERATOR_SERVICE_H_
#define CONFIDANT_SERVER_OPERATOR_SERVICE_H_

#include <functional>
#include <string>
#include <string_view>

#include "confidant/v1/operator.grpc.pb.h"
#include "crypto/secret_bytes.h"
#include "server/custody.h"
#include "server/vault_state.h"

namespace confidant::server {

// What the service asks of the server: open the vault with a master key (keys, audit log,
// policy state, held entries, health), and seal it.
// Where a pending restore stands (--restore).
struct RestoreProgress {
  bool pending = false;
  uint32_t approvals = 0;
  uint32_t epoch = 0;  // of the backup
};

struct VaultControl {
  std::function<absl::Status(const crypto::SecretBytes& master_key, std::string_view by)> unseal;
  std::function<absl::Status()> seal;
  std::string data_dir;  // where the store lives: backups must go to another filesystem
  // Restore mode: a custodian's approval (the count so far), and the progress.
  std::function<absl::StatusOr<size_t>(const std::string& person_id)> approve_restore;
  std::function<RestoreProgress()> restore_progress;
};

// Thread-safe; borrows `state` and `custody`.
class OperatorServiceImpl final : public v1::OperatorService::Service {
 public:
  OperatorServiceImpl(VaultState& state, Custody& custody, VaultControl control)
      : state_(state), custody_(custody), control_(std::move(control)) {}

  grpc::Status GetStatus(grpc::ServerContext* context, const v1::GetStatusRequest* request,
                         v1::VaultStatus* response) override;
  grpc::Status Init(grpc::ServerContext* context, const v1::InitRequest* request,
                    v1::InitResponse* response) override;
  grpc::Status Unseal(grpc::ServerContext* context, const v1::UnsealRequest* request,
                      v1::VaultStatus* response) override;
  grpc::Status ResetUnseal(grpc::ServerContext* context, const v1::ResetUnsealRequest* request,
                           v1::VaultStatus* response) override;
  grpc::Status Seal(grpc::ServerContext* context, const v1::SealRequest* request,
                    v1::VaultStatus* response) override;
  grpc::Status ShredExpired(grpc::ServerContext* context, const v1::ShredExpiredRequest* request,
                            v1::ShredExpiredResponse* response) override;
  grpc::Status Rotate(grpc::ServerContext* context, const v1::RotateRequest* request,
                      v1::RotateResponse* response) override;
  grpc::Status Rewrap(grpc::ServerContext* context, const v1::RewrapRequest* request,
                      v1::RewrapStatus* response) override;
  grpc::Status GetRewrapStatus(grpc::ServerContext* context,
                               const v1::GetRewrapStatusRequest* request,
                               v1::RewrapStatus* response) override;
  grpc::Status Backup(grpc::ServerContext* context, const v1::BackupRequest* request,
                      v1::BackupResponse* response) override;
  grpc::Status VerifyBackup(grpc::ServerContext* context, const v1::VerifyBackupRequest* request,
                            v1::BackupResponse* response) override;
  grpc::Status ApproveRestore(grpc::ServerContext* context,
                              const v1::ApproveRestoreRequest* request,
                              v1::VaultStatus* response) override;
  // Re-share (server/operator_reshare.cc).
  grpc::Status Reshare(grpc::ServerContext* context, const v1::ReshareRequest* request,
                       v1::ReshareResponse* response) override;
  grpc::Status ResetReshare(grpc::ServerContext* context, const v1::ResetReshareRequest* request,
                            v1::ReshareResponse* response) override;
  // Revisions of released catalogue tables (server/operator_revision.cc).
  grpc::Status RequestRevision(grpc::ServerContext* context,
                               const v1::RequestRevisionRequest* request,
                               v1::RequestRevisionResponse* response) override;

 private:
  absl::StatusOr<v1::VaultStatus> CurrentStatus() const;

  VaultState& state_;
  Custody& custody_;
  VaultControl control_;
};

}  // namespace confidant::server

#endif  // CONFIDANT_SERVER_OPERATOR_SERVICE_H_
