// RocksDbStore data semantics behind KvStore: get, ordered prefix scan, all-or-nothing commit,
// independent spaces, durability across close and reopen.
#include <memory>
#include <optional>
#include <string>
#include <utility>
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
using ::testing::ElementsAre;
using ::testing::IsEmpty;
using ::testing::Optional;
using ::testing::Pair;

class RocksDbStoreDataTest : public ::testing::Test {
 protected:
  void SetUp() override { Reopen(); }

  void Reopen() {
    store_.reset();
    absl::StatusOr<std::unique_ptr<RocksDbStore>> store = RocksDbStore::Open(tmp_.path());
    ASSERT_THAT(store, IsOk());
    store_ = *std::move(store);
  }

  std::optional<std::string> Get(Space space, std::string_view key) {
    absl::StatusOr<std::optional<std::string>> value = store_->Get(space, key);
    EXPECT_THAT(value, IsOk());
    return value.ok() ? *value : std::nullopt;
  }

  void Commit(const Mutation& m) { ASSERT_THAT(store_->Commit(m), IsOk()); }

  // Every (key, value) under `prefix`, visiting at most `limit` entries.
  std::vector<std::pair<std::string, std::string>> Scan(Space space, std::string_view prefix,
                                                        size_t limit = 1000) {
    std::vector<std::pair<std::string, std::string>> seen;
    absl::Status s = store_->Scan(space, prefix, [&](std::string_view k, std::string_view v) {
      seen.emplace_back(std::string(k), std::string(v));
      return seen.size() < limit;
    });
    EXPECT_THAT(s, IsOk());
    return seen;
  }

  TempDir tmp_;
  std::unique_ptr<RocksDbStore> store_;
};

TEST_F(RocksDbStoreDataTest, CommitThenGetAcrossSpaces) {
  Mutation m;
  m.Put(Space::kRecords, "r1", "header");
  m.Put(Space::kSections, "r1/1", "ciphertext");
  m.Put(Space::kWraps, "r1/1/case_officer", "wrap");
  m.Put(Space::kKeys, "role/case_officer/1", "wrapped-key");
  m.Put(Space::kIndex, "sub-0001", "entry");
  m.Put(Space::kMeta, "version", "1");
  Commit(m);
  EXPECT_THAT(Get(Space::kRecords, "r1"), Optional(std::string("header")));
  EXPECT_THAT(Get(Space::kSections, "r1/1"), Optional(std::string("ciphertext")));
  EXPECT_THAT(Get(Space::kWraps, "r1/1/case_officer"), Optional(std::string("wrap")));
  EXPECT_THAT(Get(Space::kKeys, "role/case_officer/1"), Optional(std::string("wrapped-key")));
  EXPECT_THAT(Get(Space::kIndex, "sub-0001"), Optional(std::string("entry")));
  EXPECT_THAT(Get(Space::kMeta, "version"), Optional(std::string("1")));
}

TEST_F(RocksDbStoreDataTest, GetOfMissingKeyIsNullopt) {
  EXPECT_EQ(Get(Space::kRecords, "absent"), std::nullopt);
  EXPECT_EQ(Get(Space::kMeta, ""), std::nullopt);
}

TEST_F(RocksDbStoreDataTest, EmptyValueIsPresentNotMissing) {
  Mutation m;
  m.Put(Space::kMeta, "empty", "");
  Commit(m);
  EXPECT_THAT(Get(Space::kMeta, "empty"), Optional(std::string()));
}

TEST_F(RocksDbStoreDataTest, BinaryKeysAndValuesRoundTrip) {
  const std::string key("id\0\xff\x01", 5);
  const std::string value("\0\0v\xfe", 4);
  Mutation m;
  m.Put(Space::kWraps, key, value);
  Commit(m);
  EXPECT_THAT(Get(Space::kWraps, key), Optional(value));
  EXPECT_EQ(Get(Space::kWraps, "id"), std::nullopt);
  EXPECT_THAT(Scan(Space::kWraps, std::string("id\0", 3)), ElementsAre(Pair(key, value)));
}

TEST_F(RocksDbStoreDataTest, DeleteRemovesTheKey) {
  Mutation put;
  put.Put(Space::kWraps, "w", "wrap");
  put.Put(Space::kWraps, "x", "other");
  Commit(put);
  Mutation del;
  del.Delete(Space::kWraps, "w");
  del.Delete(Space::kWraps, "never-existed");
  Commit(del);
  EXPECT_EQ(Get(Space::kWraps, "w"), std::nullopt);
  EXPECT_THAT(Get(Space::kWraps, "x"), Optional(std::string("other")));
  Reopen();
  EXPECT_EQ(Get(Space::kWraps, "w"), std::nullopt);
}

TEST_F(RocksDbStoreDataTest, OpsInOneMutationApplyInOrder) {
  Mutation m;
  m.Put(Space::kMeta, "a", "1");
  m.Delete(Space::kMeta, "a");
  m.Put(Space::kMeta, "b", "1");
  m.Put(Space::kMeta, "b", "2");
  Commit(m);
  EXPECT_EQ(Get(Space::kMeta, "a"), std::nullopt);
  EXPECT_THAT(Get(Space::kMeta, "b"), Optional(std::string("2")));
}

TEST_F(RocksDbStoreDataTest, EmptyMutationCommits) { Commit(Mutation()); }

TEST_F(RocksDbStoreDataTest, EveryKeyOfOneCommitIsVisibleAfterReopen) {
  Mutation m;
  for (int i = 0; i < 50; ++i) {
    m.Put(kAllSpaces[i % 6], absl::StrCat("k", i), absl::StrCat("v", i));
  }
  Commit(m);
  Reopen();
  for (int i = 0; i < 50; ++i) {
    EXPECT_THAT(Get(kAllSpaces[i % 6], absl::StrCat("k", i)),
                Optional(absl::StrCat("v", i)))
        << i;
  }
}

TEST_F(RocksDbStoreDataTest, ScanByPrefixReturnsKeysInOrder) {
  Mutation m;
  for (const char* key : {"b/1", "a/2", "a/10", "a", "a/1", "a0", "ab/1"}) {
    m.Put(Space::kIndex, key, std::string("v:") + key);
  }
  m.Put(Space::kRecords, "a/3", "other space");
  Commit(m);
  EXPECT_THAT(Scan(Space::kIndex, "a/"),
              ElementsAre(Pair("a/1", "v:a/1"), Pair("a/10", "v:a/10"), Pair("a/2", "v:a/2")));
  EXPECT_THAT(Scan(Space::kIndex, "z"), IsEmpty());
  EXPECT_EQ(Scan(Space::kIndex, "").size(), 7u);
  std::vector<std::string> keys;
  for (const auto& [k, v] : Scan(Space::kIndex, "")) keys.push_back(k);
  EXPECT_TRUE(std::is_sorted(keys.begin(), keys.end()));
}

TEST_F(RocksDbStoreDataTest, ScanStopsWhenTheVisitorReturnsFalse) {
  Mutation m;
  for (int i = 0; i < 10; ++i) m.Put(Space::kSections, absl::StrCat("s/", i), "x");
  Commit(m);
  EXPECT_THAT(Scan(Space::kSections, "s/", 2), ElementsAre(Pair("s/0", "x"), Pair("s/1", "x")));
  EXPECT_EQ(Scan(Space::kSections, "s/", 1).size(), 1u);
}

TEST_F(RocksDbStoreDataTest, ScanSnapshotSeesEverySpaceAsOfOneMomentOnly) {
  Mutation m;
  m.Put(Space::kRecords, "r/1", "record");
  m.Put(Space::kAudit, "a/1", "entry");
  m.Put(Space::kKeys, "k/1", "key");
  Commit(m);
  std::vector<std::pair<int, std::string>> seen;
  ASSERT_THAT(store_->ScanSnapshot([&](Space space, std::string_view k, std::string_view) {
    if (seen.empty()) {
      // Written (and deleted) after the snapshot began: the backup must not see either change.
      Mutation later;
      later.Put(Space::kAudit, "a/2", "later entry");
      later.Delete(Space::kKeys, "k/1");
      EXPECT_THAT(store_->Commit(later), IsOk());
    }
    seen.emplace_back(static_cast<int>(space), std::string(k));
    return true;
  }),
              IsOk());
  EXPECT_THAT(seen, ElementsAre(Pair(static_cast<int>(Space::kRecords), "r/1"),
                                Pair(static_cast<int>(Space::kKeys), "k/1"),
                                Pair(static_cast<int>(Space::kAudit), "a/1")));
  EXPECT_EQ(Get(Space::kAudit, "a/2"), "later entry");
  EXPECT_EQ(Get(Space::kKeys, "k/1"), std::nullopt);
}

TEST_F(RocksDbStoreDataTest, SpacesAreIndependent) {
  Mutation m;
  m.Put(Space::kRecords, "same", "in records");
  m.Put(Space::kSections, "same", "in sections");
  Commit(m);
  EXPECT_THAT(Get(Space::kRecords, "same"), Optional(std::string("in records")));
  EXPECT_THAT(Get(Space::kSections, "same"), Optional(std::string("in sections")));
  EXPECT_EQ(Get(Space::kWraps, "same"), std::nullopt);
  Mutation del;
  del.Delete(Space::kRecords, "same");
  Commit(del);
  EXPECT_EQ(Get(Space::kRecords, "same"), std::nullopt);
  EXPECT_THAT(Get(Space::kSections, "same"), Optional(std::string("in sections")));
  EXPECT_THAT(Scan(Space::kSections, ""), ElementsAre(Pair("same", "in sections")));
  EXPECT_THAT(Scan(Space::kRecords, ""), IsEmpty());
}

TEST_F(RocksDbStoreDataTest, DataSurvivesCloseAndReopen) {
  Mutation m;
  m.Put(Space::kKeys, "intake/1", "sealed");
  Commit(m);
  ASSERT_THAT(store_->Flush(), IsOk());
  Mutation after_flush;
  after_flush.Put(Space::kKeys, "intake/2", "only in the WAL");
  Commit(after_flush);
  Reopen();
  EXPECT_THAT(Get(Space::kKeys, "intake/1"), Optional(std::string("sealed")));
  EXPECT_THAT(Get(Space::kKeys, "intake/2"), Optional(std::string("only in the WAL")));
  Reopen();
  EXPECT_THAT(Scan(Space::kKeys, "intake/"),
              ElementsAre(Pair("intake/1", "sealed"), Pair("intake/2", "only in the WAL")));
}

}  // namespace
}  // namespace confidant::store
