#include "server/store/rocksdb_store.h"

#include <sys/stat.h>

#include <filesystem>
#include <system_error>

#include "absl/strings/str_cat.h"
#include "rocksdb/db.h"
#include "rocksdb/options.h"
#include "rocksdb/write_batch.h"

namespace confidant::store {
namespace {

absl::Status FromRocks(const rocksdb::Status& s, std::string_view what) {
  if (s.ok()) return absl::OkStatus();
  // RocksDB messages carry file names, never keys or values we pass; still keep them short.
  const std::string message = absl::StrCat("storage ", std::string(what), " failed: ", s.ToString());
  if (s.IsCorruption()) return absl::DataLossError(message);
  if (s.IsIOError() || s.IsBusy() || s.IsTryAgain() || s.IsTimedOut()) {
    return absl::UnavailableError(message);
  }
  return absl::InternalError(message);
}

absl::Status PrepareDirectory(const std::string& directory) {
  std::error_code ec;
  const bool created = std::filesystem::create_directories(directory, ec);
  if (ec) return absl::UnavailableError(absl::StrCat("cannot create data directory: ", ec.message()));
  // A directory we create is ours to make private; an existing one must already be.
  if (created && ::chmod(directory.c_str(), 0700) != 0) {
    return absl::UnavailableError("cannot make the data directory private (chmod 700)");
  }
  struct stat st {};
  if (stat(directory.c_str(), &st) != 0) return absl::UnavailableError("cannot stat data directory");
  if ((st.st_mode & 077) != 0) {
    return absl::FailedPreconditionError(
        "data directory is accessible to group or others; chmod 700 it");
  }
  return absl::OkStatus();
}

rocksdb::Options MakeOptions() {
  rocksdb::Options options;
  options.create_if_missing = true;
  options.create_missing_column_families = true;
  options.paranoid_checks = true;
  // Deleted data must not linger: no recycled or archived WAL files.
  options.recycle_log_file_num = 0;
  options.WAL_ttl_seconds = 0;
  options.WAL_size_limit_MB = 0;
  options.keep_log_file_num = 4;
  options.max_open_files = 256;
  // Values are ciphertext, which does not compress; uncompressed files also let the canary
  // tests see any plaintext that would ever leak into an SST.
  options.compression = rocksdb::kNoCompression;
  return options;
}

// The settings that keep deleted data from lingering, read back from the open database.
absl::Status CheckNoLingeringData(rocksdb::DB& db) {
  const rocksdb::DBOptions in_force = db.GetDBOptions();
  if (in_force.recycle_log_file_num != 0 || in_force.WAL_ttl_seconds != 0 ||
      in_force.WAL_size_limit_MB != 0) {
    return absl::InternalError(
        "storage settings would keep deleted data (WAL recycling or archiving is on)");
  }
  return absl::OkStatus();
}

rocksdb::ColumnFamilyOptions FamilyOptions() {
  rocksdb::ColumnFamilyOptions options;
  options.compression = rocksdb::kNoCompression;
  return options;
}

}  // namespace

std::string_view SpaceName(Space space) {
  switch (space) {
    case Space::kRecords:
      return "records";
    case Space::kSections:
      return "sections";
    case Space::kWraps:
      return "wraps";
    case Space::kKeys:
      return "keys";
    case Space::kIndex:
      return "index";
    case Space::kMeta:
      return "meta";
    case Space::kAudit:
      return "audit";
    case Space::kFacts:
      return "facts";
  }
  return "unknown";
}

absl::StatusOr<std::unique_ptr<RocksDbStore>> RocksDbStore::Open(const std::string& directory) {
  if (absl::Status s = PrepareDirectory(directory); !s.ok()) return s;
  std::vector<rocksdb::ColumnFamilyDescriptor> families;
  for (Space space : kAllSpaces) {
    families.emplace_back(std::string(SpaceName(space)), FamilyOptions());
  }
  families.emplace_back(rocksdb::kDefaultColumnFamilyName, FamilyOptions());
  std::unique_ptr<RocksDbStore> store(new RocksDbStore());
  rocksdb::DB* db = nullptr;
  rocksdb::Status s = rocksdb::DB::Open(MakeOptions(), directory, families, &store->handles_, &db);
  if (!s.ok()) return FromRocks(s, "open");
  store->db_.reset(db);
  if (absl::Status checked = CheckNoLingeringData(*store->db_); !checked.ok()) return checked;
  return store;
}

RocksDbStore::~RocksDbStore() {
  if (!db_) return;
  for (rocksdb::ColumnFamilyHandle* handle : handles_) db_->DestroyColumnFamilyHandle(handle);
  db_->Close();
}

rocksdb::ColumnFamilyHandle* RocksDbStore::Handle(Space space) const {
  return handles_[static_cast<size_t>(space)];
}

absl::StatusOr<std::optional<std::string>> RocksDbStore::Get(Space space,
                                                             std::string_view key) const {
  std::string value;
  rocksdb::Status s = db_->Get(rocksdb::ReadOptions(), Handle(space), key, &value);
  if (s.IsNotFound()) return std::nullopt;
  if (!s.ok()) return FromRocks(s, "read");
  return value;
}

absl::Status RocksDbStore::Scan(
    Space space, std::string_view prefix,
    const std::function<bool(std::string_view, std::string_view)>& visit) const {
  std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(rocksdb::ReadOptions(), Handle(space)));
  for (it->Seek(prefix); it->Valid() && it->key().starts_with(prefix); it->Next()) {
    if (!visit(std::string_view(it->key().data(), it->key().size()),
               std::string_view(it->value().data(), it->value().size()))) {
      break;
    }
  }
  return FromRocks(it->status(), "scan");
}

absl::Status RocksDbStore::ScanSnapshot(
    const std::function<bool(Space, std::string_view, std::string_view)>& visit) const {
  const rocksdb::Snapshot* snapshot;
  {
    std::lock_guard<std::mutex> lock(snapshot_mu_);
    snapshot = db_->GetSnapshot();
    ++open_snapshots_;
  }
  rocksdb::ReadOptions options;
  options.snapshot = snapshot;
  options.fill_cache = false;
  absl::Status status;
  bool go_on = true;
  for (Space space : kAllSpaces) {
    if (!go_on) break;
    std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(options, Handle(space)));
    for (it->SeekToFirst(); it->Valid(); it->Next()) {
      if (!visit(space, std::string_view(it->key().data(), it->key().size()),
                 std::string_view(it->value().data(), it->value().size()))) {
        go_on = false;
        break;
      }
    }
    status = FromRocks(it->status(), "snapshot scan");
    if (!status.ok()) break;
  }
  bool last = false;
  {
    std::lock_guard<std::mutex> lock(snapshot_mu_);
    db_->ReleaseSnapshot(snapshot);
    last = --open_snapshots_ == 0 && !deferred_.empty();
  }
  if (last) CompactDeferred();
  return status;
}

void RocksDbStore::CompactDeferred() const {
  std::vector<Range> ranges;
  {
    std::lock_guard<std::mutex> lock(snapshot_mu_);
    if (open_snapshots_ > 0) return;  // the next release runs them
    ranges.swap(deferred_);
  }
  std::vector<Range> failed;
  for (Range& range : ranges) {
    if (!CompactNow(range.space, range.first, range.last).ok()) {
      failed.push_back(std::move(range));
    }
  }
  std::lock_guard<std::mutex> lock(snapshot_mu_);
  for (Range& range : failed) deferred_.push_back(std::move(range));
}

absl::Status RocksDbStore::Commit(const Mutation& mutation) {
  rocksdb::WriteBatch batch;
  for (const Mutation::Op& op : mutation.ops()) {
    rocksdb::Status s = op.value ? batch.Put(Handle(op.space), op.key, *op.value)
                                 : batch.Delete(Handle(op.space), op.key);
    if (!s.ok()) return FromRocks(s, "batch");
  }
  rocksdb::WriteOptions options;
  options.sync = true;
  if (mutation.expectations().empty()) {
    return FromRocks(db_->Write(options, &batch), "write");  // RocksDB groups concurrent syncs
  }
  // Conditional commits are checked and written under one lock, so they are atomic with respect
  // to each other (only conditional writers touch the keys they guard, e.g. the audit head).
  std::lock_guard<std::mutex> lock(commit_mu_);
  for (const Mutation::Op& expected : mutation.expectations()) {
    absl::StatusOr<std::optional<std::string>> actual = Get(expected.space, expected.key);
    if (!actual.ok()) return actual.status();
    if (*actual != expected.value) {
      return absl::FailedPreconditionError(absl::StrCat(
          "precondition failed: a ", std::string(SpaceName(expected.space)),
          " entry changed since it was read"));
    }
  }
  return FromRocks(db_->Write(options, &batch), "write");
}

absl::Status RocksDbStore::CompactRange(Space space, std::string_view first,
                                       std::string_view last) {
  {
    std::lock_guard<std::mutex> lock(snapshot_mu_);
    if (open_snapshots_ > 0) {
      deferred_.push_back(Range{space, std::string(first), std::string(last)});
    }
  }
  return CompactNow(space, first, last);
}

absl::Status RocksDbStore::CompactNow(Space space, std::string_view first,
                                      std::string_view last) const {
  // One write-ahead log serves every column family: it is dropped only once all of them are
  // flushed, so flush them all, not just `space`.
  if (absl::Status flushed = Flush(); !flushed.ok()) return flushed;
  rocksdb::CompactRangeOptions options;
  options.bottommost_level_compaction = rocksdb::BottommostLevelCompaction::kForce;
  options.exclusive_manual_compaction = false;
  const rocksdb::Slice begin(first.data(), first.size());
  const rocksdb::Slice end(last.data(), last.size());
  rocksdb::Status s = db_->CompactRange(options, Handle(space), &begin, &end);
  if (!s.ok()) return FromRocks(s, "compaction");
  // Deleting obsolete files (the compacted inputs, old logs) may otherwise wait for a later
  // background job; re-enabling file deletions purges them now.
  s = db_->DisableFileDeletions();
  if (!s.ok()) return FromRocks(s, "compaction");
  return FromRocks(db_->EnableFileDeletions(/*force=*/false), "compaction");
}

absl::Status RocksDbStore::Flush() const {
  rocksdb::FlushOptions options;
  options.wait = true;
  return FromRocks(db_->Flush(options, handles_), "flush");
}

}  // namespace confidant::store
