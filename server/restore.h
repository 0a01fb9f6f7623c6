// PendingRestore: a vault being rebuilt from a backup (`confidantd --restore DIR`) into an empty
// data directory.
//
// The server starts sealed with the backup's custody record (from its MANIFEST), so the vault's
// own unseal shares are checked as at any unseal. Two different custodians must approve the
// restore (operator approve-restore) before a share is taken. At the threshold the master key
// opens the backup's epoch key from the escrow (--backup_keys_dir), the backup is decrypted,
// checked whole and written, with a marker that makes an interrupted restore refuse to start.
// Before the restored vault serves, the shred register is re-applied (the restored log's own and,
// from a newer `confidant audit export`, the receipts written after the backup), and a
// "vault_restored" entry names the backup, the approvers, the register's sources, and the last
// witnessed checkpoints (the witnesses' own word, and the export's); the marker is deleted with
// it. Entries written after the backup and before the loss are gone: the entry makes the gap
// visible, and the witnesses refuse to cosign the shorter log until their operators re-pin it.
#ifndef CONFIDANT_SERVER_RESTORE_H_
#define CONFIDANT_SERVER_RESTORE_H_

#include <memory>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "crypto/secret_bytes.h"
#include "server/backup_files.h"
#include "server/backup_key_escrow.h"
#include "confidant/v1/audit.pb.h"
#include "server/store/kv_store.h"
#include "server/store/storage.pb.h"

namespace confidant::server {

struct OpenVault;

// Meta key present while a restore has written part of the backup.
inline constexpr char kRestoreMarkerKey[] = "restore/in-progress";
inline constexpr size_t kRestoreApprovalsNeeded = 2;

// FAILED_PRECONDITION if `store` holds an interrupted restore.
absl::Status CheckNoInterruptedRestore(const store::KvStore& store);

// Thread-safe.
class PendingRestore {
 public:
  // Checks the backup's MANIFEST (it must name its vault's custody record: backups of a --dev
  // vault cannot be restored this way), that `store` holds nothing but `may_exist` meta keys, and
  // that the escrow holds the backup's epoch key. `shred_register_export` may be empty.
  static absl::StatusOr<std::unique_ptr<PendingRestore>> Prepare(
      std::string backup_dir, std::string shred_register_export, const store::KvStore& store,
      const BackupKeyEscrow* escrow, std::vector<std::string> may_exist);

  const BackupManifest& manifest() const { return manifest_; }
  const storage::v1::CustodyRecord& custody() const { return custody_; }
  const std::string& backup_dir() const { return backup_dir_; }

  // Records `person_id`'s approval. INVALID_ARGUMENT if that person already approved.
  absl::StatusOr<size_t> Approve(const std::string& person_id) ABSL_LOCKS_EXCLUDED(mu_);
  size_t approvals() const ABSL_LOCKS_EXCLUDED(mu_);
  bool approved() const { return approvals() >= kRestoreApprovalsNeeded; }

  // Writes the backup into `store` under `master_key` (the epoch key from the escrow). NOT_FOUND
  // when the epoch key is gone, DATA_LOSS when it or the backup does not open, nothing written
  // then. FAILED_PRECONDITION before two approvals.
  absl::Status RestoreStorage(const crypto::SecretBytes& master_key, store::KvStore& store)
      ABSL_LOCKS_EXCLUDED(mu_);

  // On the restored vault before it serves: re-applies the shred register and writes the
  // "vault_restored" entry (deleting the marker with it). Errors leave the vault sealed; the
  // marker then stays.
  absl::Status Finish(OpenVault& open) ABSL_LOCKS_EXCLUDED(mu_);

 private:
  PendingRestore() = default;

  std::string backup_dir_;
  std::string shred_register_export_;
  const BackupKeyEscrow* escrow_ = nullptr;
  std::vector<std::string> may_exist_;
  BackupManifest manifest_;
  storage::v1::CustodyRecord custody_;
  uint64_t entries_restored_ ABSL_GUARDED_BY(mu_) = 0;
  v1::Checkpoint backup_log_ ABSL_GUARDED_BY(mu_);  // the restored log's head, before any append
  mutable absl::Mutex mu_;
  std::vector<std::string> approvers_ ABSL_GUARDED_BY(mu_);
};

}  // namespace confidant::server

#endif  // CONFIDANT_SERVER_RESTORE_H_
