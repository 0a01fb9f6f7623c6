// RocksDbStore: KvStore on an embedded RocksDB, one column family per Space.
#ifndef CONFIDANT_SERVER_STORE_ROCKSDB_STORE_H_
#define CONFIDANT_SERVER_STORE_ROCKSDB_STORE_H_

#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "server/store/kv_store.h"

namespace rocksdb {
class ColumnFamilyHandle;
class DB;
}  // namespace rocksdb

namespace confidant::store {

// Thread-safe (RocksDB is). Every Commit is one synced WriteBatch. The directory is created 0700
// and RocksDB is set so deleted data does not linger in recycled or archived WAL files (Open
// checks the settings in force and refuses otherwise).
class RocksDbStore final : public KvStore {
 public:
  // Opens (creating if missing) the database in `directory`. FAILED_PRECONDITION if the directory
  // is readable by group or others; UNAVAILABLE if RocksDB cannot open it (e.g. locked by another
  // process).
  static absl::StatusOr<std::unique_ptr<RocksDbStore>> Open(const std::string& directory);

  ~RocksDbStore() override;
  RocksDbStore(const RocksDbStore&) = delete;
  RocksDbStore& operator=(const RocksDbStore&) = delete;

  absl::StatusOr<std::optional<std::string>> Get(Space space, std::string_view key) const override;
  absl::Status Scan(Space space, std::string_view prefix,
                    const std::function<bool(std::string_view, std::string_view)>& visit)
      const override;
  absl::Status ScanSnapshot(
      const std::function<bool(Space, std::string_view, std::string_view)>& visit) const override;
  absl::Status Commit(const Mutation& mutation) override;
  // Flushes every column family (so no write-ahead log still holds the deleted values), compacts
  // [first, last] of `space` through the bottommost level (tombstones and the values they hide
  // are dropped), then purges obsolete files at once.
  //
  // A snapshot open meanwhile (a backup in progress) pins the compacted values in its files, so
  // the range is compacted again once the last open snapshot is released.
  absl::Status CompactRange(Space space, std::string_view first, std::string_view last) override;

  // Flushes memtables to SST files (tests use it to check what reaches disk).
  absl::Status Flush() const;

 private:
  RocksDbStore() = default;
  rocksdb::ColumnFamilyHandle* Handle(Space space) const;
  absl::Status CompactNow(Space space, std::string_view first, std::string_view last) const;
  // Runs the compactions deferred while snapshots were open (those that fail stay pending).
  void CompactDeferred() const;

  struct Range {
    Space space;
    std::string first;
    std::string last;
  };
  mutable std::mutex snapshot_mu_;
  mutable int open_snapshots_ = 0;            // guarded by snapshot_mu_
  mutable std::vector<Range> deferred_;       // guarded by snapshot_mu_

  std::mutex commit_mu_;  // makes check-expectations-then-write atomic among conditional commits
  std::unique_ptr<rocksdb::DB> db_;
  std::vector<rocksdb::ColumnFamilyHandle*> handles_;  // index = Space, then "default" last
};

}  // namespace confidant::store

#endif  // CONFIDANT_SERVER_STORE_ROCKSDB_STORE_H_
