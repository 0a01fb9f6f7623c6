// OperatorService: Backup and VerifyBackup (see proto/confidant/v1/operator.proto).
#include <filesystem>
#include <string>
#include <system_error>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "base/log.h"
#include "base/status_macros.h"
#include "server/backup_epochs.h"
#include "server/backup_files.h"
#include "server/call.h"
#include "server/clock.h"
#include "server/custody.h"
#include "server/operator_service.h"

namespace confidant::server {
namespace {

constexpr size_t kMaxDirectoryBytes = 4096;

// Authenticates, names the audit action, authorises the custodian, and needs an unsealed vault
// whose clock is not behind its log (epoch windows are counted on it).
absl::Status BeginBackupCall(VaultState& state, grpc::ServerContext& context, Call& call,
                             std::string_view action, const std::string& directory) {
  call.event.set_action(std::string(action));
  RETURN_IF_ERROR(BeginEvenIfSealed(state, context, call));
  RETURN_IF_ERROR(Authorize(call, policy::Action::kOperateVault));
  if (call.vault == nullptr) {
    return absl::FailedPreconditionError("the vault is sealed; unseal it first");
  }
  if (absl::Status clock = CheckClockNotBehindLog(*call.vault->log); !clock.ok()) {
    call.vault.reset();  // as ShredExpired: the refusal goes to the operational log only
    call.held_by = nullptr;
    return clock;
  }
  if (directory.empty() || directory.size() > kMaxDirectoryBytes) {
    return absl::InvalidArgumentError("directory: an absolute path on the vault's host");
  }
  return absl::OkStatus();
}

BackupWindow WindowOf(const Call& call) {
  const policy::Policy& policy = call.authorizer->policy();
  return BackupWindow{policy.backup_epoch_seconds(), policy.backup_retention_seconds()};
}

// Destroys the epoch keys past the window; each destruction is audited on its own.
absl::Status DestroyExpiredEpochs(Call& call, int64_t now) {
  ASSIGN_OR_RETURN(std::vector<uint32_t> destroyed,
                   call.vault->backup_epochs.DestroyExpired(now, WindowOf(call)));
  for (uint32_t epoch : destroyed) {
    LogEvent(LogLevel::kInfo, "backup_epoch_destroyed", {{"epoch", absl::StrCat(epoch)}});
  }
  return absl::OkStatus();
}

void Summarise(const BackupSummary& summary, const BackupEpochKey& key, const BackupWindow& window,
               v1::BackupResponse& response) {
  response.set_epoch(summary.epoch);
  response.set_entries(summary.entries);
  response.set_chunks(summary.chunks);
  response.set_bytes(summary.bytes);
  response.set_epoch_key_destroyed_at_unix_seconds(key.started_unix_seconds + window.epoch_seconds +
                                                   window.retention_seconds);
}

// Removes what WriteBackup wrote into `directory` (and the directory, if then empty).
void RemoveBackup(const std::string& directory) {
  std::error_code ec;
  std::filesystem::remove(absl::StrCat(directory, "/", kBackupEntriesFile), ec);
  std::filesystem::remove(absl::StrCat(directory, "/", kBackupManifestFile), ec);
  std::filesystem::remove(directory, ec);
}

}  // namespace

grpc::Status OperatorServiceImpl::Backup(grpc::ServerContext* context,
                                         const v1::BackupRequest* request,
                                         v1::BackupResponse* response) {
  return Serve(context, *request, "Backup", policy::Action::kOperateVault, [&](Call& call) -> absl::Status {
    RETURN_IF_ERROR(BeginBackupCall(state_, *context, call, "backup_taken", request->directory()));
    RETURN_IF_ERROR(CheckBackupTarget(request->directory(), control_.data_dir));
    if (call.vault->backup_epochs.escrow() == nullptr) {
      return absl::FailedPreconditionError(
          "no --backup_keys_dir: a backup needs its epoch key kept outside the data directory, "
          "or it could not be restored once the data directory is lost");
    }
    ASSIGN_OR_RETURN(std::optional<storage::v1::CustodyRecord> custody,
                     LoadCustodyRecord(state_.store()));
    const int64_t now = WallSeconds();
    RETURN_IF_ERROR(DestroyExpiredEpochs(call, now));
    const BackupWindow window = WindowOf(call);
    ASSIGN_OR_RETURN(BackupEpochKey key, call.vault->backup_epochs.Current(now, window));
    // Taken before the snapshot: the backup holds at least this much of the log.
    const v1::Checkpoint checkpoint = call.vault->log->LatestCheckpoint();
    LogEvent(LogLevel::kInfo, "backup_started", {{"epoch", absl::StrCat(key.epoch)}});
    BackupManifest manifest;
    manifest.epoch = key.epoch;
    manifest.audit_tree_size = checkpoint.tree_size();
    if (custody.has_value()) {
      custody->clear_emergency();
      manifest.custody_record = custody->SerializeAsString();
    }
    ASSIGN_OR_RETURN(
        BackupSummary summary,
        WriteBackup(state_.store(), key, request->directory(), control_.data_dir,
                    [](const BackupSummary& so_far) {
                      LogEvent(LogLevel::kInfo, "backup_progress",
                               {{"entries", absl::StrCat(so_far.entries)},
                                {"chunks", absl::StrCat(so_far.chunks)},
                                {"bytes", absl::StrCat(so_far.bytes)}});
                    },
                    manifest));
    LogEvent(LogLevel::kInfo, "backup_written",
             {{"epoch", absl::StrCat(key.epoch)}, {"entries", absl::StrCat(summary.entries)},
              {"chunks", absl::StrCat(summary.chunks)}, {"bytes", absl::StrCat(summary.bytes)}});
    // A re-share between reading the custody record and the snapshot would leave a backup whose
    // MANIFEST names the wrong share set: it could never be restored.
    ASSIGN_OR_RETURN(std::optional<storage::v1::CustodyRecord> after,
                     LoadCustodyRecord(state_.store()));
    if (after.has_value() != custody.has_value() ||
        (after.has_value() && after->share_set_id() != custody->share_set_id())) {
      RemoveBackup(request->directory());
      return absl::AbortedError("a re-share ran during the backup; take it again");
    }
    Summarise(summary, key, window, *response);
    response->set_audit_tree_size(checkpoint.tree_size());
    call.event.set_detail(absl::StrCat(
        "backup epoch ", key.epoch, ": ", summary.entries, " entries in ", summary.chunks,
        " chunks (", summary.bytes, " bytes); contains the audit log up to checkpoint size ",
        checkpoint.tree_size(), " at ", checkpoint.time_unix_seconds(),
        "; epoch key destroyed by ", response->epoch_key_destroyed_at_unix_seconds()));
    // Fails closed: a backup that could not be audited is removed again.
    if (absl::Status audited = RecordAllowed(call).status(); !audited.ok()) {
      RemoveBackup(request->directory());
      return audited;
    }
    return absl::OkStatus();
  });
}

grpc::Status OperatorServiceImpl::VerifyBackup(grpc::ServerContext* context,
                                               const v1::VerifyBackupRequest* request,
                                               v1::BackupResponse* response) {
  return Serve(context, *request, "VerifyBackup", policy::Action::kOperateVault,
               [&](Call& call) -> absl::Status {
    RETURN_IF_ERROR(
        BeginBackupCall(state_, *context, call, "backup_verified", request->directory()));
    RETURN_IF_ERROR(DestroyExpiredEpochs(call, WallSeconds()));
    ASSIGN_OR_RETURN(uint32_t epoch, BackupEpochOf(request->directory()));
    call.event.set_detail(absl::StrCat("backup epoch ", epoch));
    ASSIGN_OR_RETURN(BackupEpochKey key, call.vault->backup_epochs.Find(epoch));
    ASSIGN_OR_RETURN(BackupSummary summary,
                     ReadBackup(request->directory(), key,
                                [](store::Space, std::string_view, std::string_view) {}));
    Summarise(summary, key, WindowOf(call), *response);
    call.event.set_detail(absl::StrCat("backup epoch ", epoch, " opens: ", summary.entries,
                                       " entries in ", summary.chunks, " chunks"));
    return absl::OkStatus();
  });
}

}  // namespace confidant::server
