// RocksDbStore::CompactRange: a deleted value is gone from every file of the data directory
// (SST, WAL, MANIFEST, LOG) once its range is compacted, while other values stay; and the
// settings that keep deleted data from lingering are the ones in force.
#include <filesystem>
#include <fstream>
#include <iterator>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "server/store/rocksdb_store.h"
#include "tests/store/temp_dir.h"
#include "tests/testing/status_matchers.h"

namespace confidant::store {
namespace {

using ::confidant::testing::IsOk;
using ::testing::HasSubstr;
using ::testing::Optional;

// The files below `dir` whose bytes contain `needle`.
std::vector<std::string> FilesContaining(const std::string& dir, const std::string& needle) {
  std::vector<std::string> found;
  for (const auto& entry : std::filesystem::recursive_directory_iterator(dir)) {
    if (!entry.is_regular_file()) continue;
    std::ifstream in(entry.path(), std::ios::binary);
    const std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    if (bytes.find(needle) != std::string::npos) found.push_back(entry.path().string());
  }
  return found;
}

// A value no other byte sequence in the directory is likely to match.
std::string Marker(int i) { return absl::StrCat("shred-marker-", i, "-", std::string(40, 'q')); }

TEST(RocksDbStoreCompactTest, DeletedValuesAreGoneFromEveryFileAfterCompaction) {
  TempDir tmp;
  auto store = RocksDbStore::Open(tmp.path());
  ASSERT_THAT(store, IsOk());
  // Some values reach SST files, others stay in the memtable and the WAL only.
  Mutation first;
  for (int i = 0; i < 10; ++i) first.Put(Space::kWraps, absl::StrCat("rec-a/", i), Marker(i));
  first.Put(Space::kWraps, "rec-b/0", Marker(100));
  ASSERT_THAT((*store)->Commit(first), IsOk());
  ASSERT_THAT((*store)->Flush(), IsOk());
  Mutation second;
  for (int i = 10; i < 20; ++i) second.Put(Space::kWraps, absl::StrCat("rec-a/", i), Marker(i));
  second.Put(Space::kAudit, "unflushed-other-family", "keeps the first log alive");
  ASSERT_THAT((*store)->Commit(second), IsOk());
  for (int i : {0, 15}) ASSERT_FALSE(FilesContaining(tmp.path(), Marker(i)).empty()) << i;

  Mutation shred;
  for (int i = 0; i < 20; ++i) shred.Delete(Space::kWraps, absl::StrCat("rec-a/", i));
  ASSERT_THAT((*store)->Commit(shred), IsOk());
  ASSERT_THAT((*store)->CompactRange(Space::kWraps, "rec-a/", "rec-a/9"), IsOk());

  for (int i = 0; i < 20; ++i) {
    EXPECT_THAT(FilesContaining(tmp.path(), Marker(i)), ::testing::IsEmpty()) << i;
  }
  absl::StatusOr<std::optional<std::string>> kept = (*store)->Get(Space::kWraps, "rec-b/0");
  ASSERT_THAT(kept, IsOk());
  EXPECT_THAT(*kept, Optional(Marker(100)));
  EXPECT_FALSE(FilesContaining(tmp.path(), Marker(100)).empty());
}

// A snapshot (a backup in progress) pins the values a compaction meant to drop; the range is
// compacted again once the snapshot is released.
TEST(RocksDbStoreCompactTest, ACompactionDuringASnapshotIsRepeatedWhenItIsReleased) {
  TempDir tmp;
  auto store = RocksDbStore::Open(tmp.path());
  ASSERT_THAT(store, IsOk());
  Mutation put;
  put.Put(Space::kWraps, "rec-s/0", Marker(7));
  ASSERT_THAT((*store)->Commit(put), IsOk());
  ASSERT_THAT((*store)->CompactRange(Space::kWraps, "", "\xff"), IsOk());
  bool first = true;
  ASSERT_THAT((*store)->ScanSnapshot([&](Space, std::string_view, std::string_view) {
    if (!first) return true;
    first = false;
    Mutation shred;
    shred.Delete(Space::kWraps, "rec-s/0");
    EXPECT_THAT((*store)->Commit(shred), IsOk());
    EXPECT_THAT((*store)->CompactRange(Space::kWraps, "", "\xff"), IsOk());
    // Still held for the snapshot.
    EXPECT_FALSE(FilesContaining(tmp.path(), Marker(7)).empty());
    return true;
  }),
              IsOk());
  EXPECT_THAT(FilesContaining(tmp.path(), Marker(7)), ::testing::IsEmpty());
}

TEST(RocksDbStoreCompactTest, OptionsInForceNeitherRecycleNorArchiveLogs) {
  TempDir tmp;
  auto store = RocksDbStore::Open(tmp.path());
  ASSERT_THAT(store, IsOk());
  // RocksDB writes the options in force to OPTIONS-* files; read them back.
  std::string options;
  for (const auto& entry : std::filesystem::directory_iterator(tmp.path())) {
    if (entry.path().filename().string().rfind("OPTIONS-", 0) != 0) continue;
    std::ifstream in(entry.path());
    options.assign((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  }
  ASSERT_FALSE(options.empty());
  EXPECT_THAT(options, HasSubstr("recycle_log_file_num=0"));
  EXPECT_THAT(options, HasSubstr("WAL_ttl_seconds=0"));
  EXPECT_THAT(options, HasSubstr("WAL_size_limit_MB=0"));
  EXPECT_FALSE(std::filesystem::exists(tmp.path() + "/archive"));
}

}  // namespace
}  // namespace confidant::store
