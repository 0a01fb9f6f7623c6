// BackupKeyEscrow: the backup epoch keys kept outside the data directory, so that a backup can
// be restored onto a new machine when the data directory (and its keys space) is lost.
//
// One file per epoch, DIR/epoch-<N>.key (0600, written atomically and fsynced with its
// directory), holding a storage.v1.BackupKeyEscrow: the epoch key wrapped under the
// key-wrapping key of the master key, so the file alone opens nothing; K unseal shares of the
// vault are needed. When an epoch's key is destroyed its file is overwritten with zeros, synced
// and unlinked. The directory must be on another filesystem than the data directory (a disk
// failure must not take both) and must never be copied with the backups: it is what makes
// destroying an epoch key reach every copy of that epoch's backups.
#ifndef CONFIDANT_SERVER_BACKUP_KEY_ESCROW_H_
#define CONFIDANT_SERVER_BACKUP_KEY_ESCROW_H_

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "server/store/storage.pb.h"

namespace confidant::server {

// Checks that `directory` may hold escrowed epoch keys: an absolute path to an existing
// directory, on another filesystem than `data_directory` unless `same_filesystem_ok` (--dev).
// FAILED_PRECONDITION or INVALID_ARGUMENT naming the problem.
absl::Status CheckEscrowDirectory(const std::string& directory, const std::string& data_directory,
                                  bool same_filesystem_ok);

// Thread-compatible (BackupEpochs serialises its calls).
class BackupKeyEscrow {
 public:
  explicit BackupKeyEscrow(std::string directory) : directory_(std::move(directory)) {}

  const std::string& directory() const { return directory_; }

  // Writes (or replaces) the file of `entry.epoch()`.
  absl::Status Put(const storage::v1::BackupKeyEscrow& entry) const;
  // The entry of `epoch`; nullopt if there is none; DATA_LOSS if the file is malformed or names
  // another epoch.
  absl::StatusOr<std::optional<storage::v1::BackupKeyEscrow>> Get(uint32_t epoch) const;
  // Every entry, oldest epoch first. Files that are not epoch keys are ignored.
  absl::StatusOr<std::vector<storage::v1::BackupKeyEscrow>> List() const;
  // Overwrites the file of `epoch` with zeros, syncs, unlinks it and syncs the directory. OK if
  // there is none.
  absl::Status Remove(uint32_t epoch) const;

 private:
  std::string PathOf(uint32_t epoch) const;
  std::string directory_;
};

}  // namespace confidant::server

#endif  // CONFIDANT_SERVER_BACKUP_KEY_ESCROW_H_
