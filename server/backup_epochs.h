// BackupEpochs: the backup epoch keys. Every backup window (settings.backup_epoch_days) gets a
// new random key, kept in the keys space as "backup-epoch/<N>" wrapped under the key-wrapping
// key like every other key; backups taken in that window are encrypted under it. Once
// settings.backup_retention_days have passed since the window ended, the key is deleted (and
// the keys space compacted), so no backup of that epoch can be opened any more: this is how
// crypto-shredding reaches old backups. With a BackupKeyEscrow (--backup_keys_dir) every epoch
// key is also kept there, outside the data directory, so a backup can be restored after the data
// directory is lost; the escrowed copy is destroyed with the stored one. An epoch belongs to the
// custody share set under whose master key it was created: after a re-share the next backup
// starts a new epoch.
#ifndef CONFIDANT_SERVER_BACKUP_EPOCHS_H_
#define CONFIDANT_SERVER_BACKUP_EPOCHS_H_

#include <cstdint>
#include <functional>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "crypto/secret_bytes.h"
#include "server/audit_recorder.h"
#include "server/backup_key_escrow.h"
#include "server/store/kv_store.h"
#include "server/vault_keys.h"

namespace confidant::server {

struct BackupEpochKey {
  uint32_t epoch = 0;
  int64_t started_unix_seconds = 0;
  crypto::SecretBytes key;  // 32 bytes, XChaCha20-Poly1305
};

// The window lengths in force (from the policy).
struct BackupWindow {
  int64_t epoch_seconds = 0;
  int64_t retention_seconds = 0;
};

// Thread-safe (creation and destruction are serialised). Borrows `store`, `keys` and
// `recorder`, which must outlive it.
class BackupEpochs {
 public:
  BackupEpochs(store::KvStore& store, const VaultKeys& keys, AuditRecorder& recorder,
               const BackupKeyEscrow* escrow = nullptr)
      : store_(store), keys_(keys), recorder_(recorder), escrow_(escrow) {}

  // Null without --backup_keys_dir.
  const BackupKeyEscrow* escrow() const { return escrow_; }
  BackupEpochs(const BackupEpochs&) = delete;
  BackupEpochs& operator=(const BackupEpochs&) = delete;

  // The key for a backup taken at `now`: the newest epoch's if its window still runs, else a
  // new epoch's, created now (stored in one batch with a "backup_epoch_created" audit entry).
  // Epoch numbers are never reused, even after every key was destroyed.
  absl::StatusOr<BackupEpochKey> Current(int64_t now, const BackupWindow& window)
      ABSL_LOCKS_EXCLUDED(mu_);

  // The key of `epoch` (from the keys space, else from the escrow); NOT_FOUND when it was
  // destroyed (or never existed); DATA_LOSS when the stored key does not open.
  absl::StatusOr<BackupEpochKey> Find(uint32_t epoch) const;

  // Destroys every epoch key whose window ended at least `window.retention_seconds` before
  // `now` (in the keys space or the escrow): the escrowed copy is destroyed first, then each
  // deletion is committed with its "backup_epoch_destroyed" audit entry, then the keys space is
  // compacted so the wrapped key leaves the data files. Returns the epochs
  // destroyed, oldest first.
  absl::StatusOr<std::vector<uint32_t>> DestroyExpired(int64_t now, const BackupWindow& window)
      ABSL_LOCKS_EXCLUDED(mu_);

  // Runs `body` with epoch keys neither created nor destroyed meanwhile (a re-share re-wraps
  // every stored key at once), and returns its status.
  absl::Status Exclusive(const std::function<absl::Status()>& body) ABSL_LOCKS_EXCLUDED(mu_);

 private:
  struct Stored {
    uint32_t epoch = 0;
    int64_t started = 0;
    bool in_keys_space = false;
  };
  // Every stored epoch (keys space and escrow), oldest first.
  absl::StatusOr<std::vector<Stored>> List() const;
  // The share set of the master key in use (0 for a --dev vault).
  absl::StatusOr<uint32_t> ShareSetId() const;

  store::KvStore& store_;
  const VaultKeys& keys_;
  AuditRecorder& recorder_;
  const BackupKeyEscrow* escrow_;
  absl::Mutex mu_;
};

}  // namespace confidant::server

#endif  // CONFIDANT_SERVER_BACKUP_EPOCHS_H_
