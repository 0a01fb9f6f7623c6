// Backup files: a consistent snapshot of the store, written encrypted under a backup epoch key.
//
// A backup is a directory holding MANIFEST (format and epoch number: nothing secret) and
// entries.cbk, a sequence of chunks. Each chunk is a 4-byte little-endian length followed by
// XChaCha20-Poly1305 (crypto/aead.h) of at most kBackupChunkBytes of the entry stream, with
// associated data binding the format, epoch, file name, chunk index and whether it is the last
// chunk (BackupChunkAssociatedData): chunks cannot be reordered, moved between backups of
// different epochs or files, or cut off at the end without the read failing. Backup epoch keys
// themselves are never written (a restored vault must not bring destroyed epoch keys back).
#ifndef CONFIDANT_SERVER_BACKUP_FILES_H_
#define CONFIDANT_SERVER_BACKUP_FILES_H_

#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "server/backup_epochs.h"
#include "server/store/kv_store.h"

namespace confidant::server {

inline constexpr size_t kBackupChunkBytes = 1 << 20;
inline constexpr char kBackupManifestFile[] = "MANIFEST";
inline constexpr char kBackupEntriesFile[] = "entries.cbk";

// The associated data of one chunk, byte for byte.
std::string BackupChunkAssociatedData(uint32_t epoch, std::string_view file, uint64_t chunk,
                                      bool last);

struct BackupSummary {
  uint32_t epoch = 0;
  uint64_t entries = 0;
  uint64_t chunks = 0;
  uint64_t bytes = 0;  // of entries.cbk
};

// What MANIFEST says besides the format: nothing secret. A restore needs the custody record (the
// share set and share hashes, so that the vault's own unseal shares are checked before anything
// is decrypted) and names the audit log size the backup holds at least. Not authenticated on its
// own: a forged custody record only leads to a master key that opens nothing.
struct BackupManifest {
  uint32_t epoch = 0;
  std::string custody_record;  // storage.v1.CustodyRecord, serialized; empty for a --dev vault
  uint64_t audit_tree_size = 0;
};

// Checks that `directory` may receive a backup: an absolute path, absent or an empty directory,
// on another filesystem (st_dev) than `data_directory`. INVALID_ARGUMENT or
// FAILED_PRECONDITION naming the problem.
absl::Status CheckBackupTarget(const std::string& directory, const std::string& data_directory);

// Writes a snapshot of `store` (every space; no backup epoch keys) into `directory` (checked
// with CheckBackupTarget, created 0700; files 0600 and fsynced). `progress` (may be null) is
// called after each chunk with the counts so far. On failure the directory may hold a partial
// backup, which no read accepts (its last chunk is missing).
absl::StatusOr<BackupSummary> WriteBackup(
    const store::KvStore& store, const BackupEpochKey& key, const std::string& directory,
    const std::string& data_directory,
    const std::function<void(const BackupSummary&)>& progress,
    const BackupManifest& manifest = {});

// The MANIFEST of the backup in `directory`; INVALID_ARGUMENT if it is not a backup.
absl::StatusOr<BackupManifest> ReadBackupManifest(const std::string& directory);
// Its epoch.
absl::StatusOr<uint32_t> BackupEpochOf(const std::string& directory);

// Decrypts every chunk of the backup in `directory` with `key` and calls `visit` for each entry
// (arguments valid during the call). DATA_LOSS "decryption failed" for a wrong key or any
// tampering, DATA_LOSS naming truncation for a missing end.
absl::StatusOr<BackupSummary> ReadBackup(
    const std::string& directory, const BackupEpochKey& key,
    const std::function<void(store::Space, std::string_view key, std::string_view value)>& visit);

// Writes every entry of the backup in `directory` into `target`, which must be empty
// (FAILED_PRECONDITION otherwise). The whole backup is decrypted and checked first (errors as
// ReadBackup, nothing written); then entries are committed in batches, so on a later failure
// `target` holds part of the backup and must be discarded. The restored store opens with the
// master key of the vault the backup came from; it holds no backup epoch keys. This is the
// storage half of a restore only: custodian approval, the restore audit entry and re-applying
// the shred register are not done here.
//
// `first_batch` is committed with the first batch of entries (a restore marker). Entries of
// `target` listed in `may_exist` (meta keys written before the restore, e.g. the pinned
// governance keys) do not count as content, but the backup must hold the same value for each
// (FAILED_PRECONDITION naming the key otherwise, nothing written).
absl::StatusOr<BackupSummary> RestoreBackup(const std::string& directory,
                                            const BackupEpochKey& key, store::KvStore& target,
                                            const store::Mutation& first_batch = {},
                                            const std::vector<std::string>& may_exist = {});

}  // namespace confidant::server

#endif  // CONFIDANT_SERVER_BACKUP_FILES_H_
