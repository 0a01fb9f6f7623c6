// AuditLog fails closed: a clock that went back, or a store that refuses writes, makes Append
// fail with nothing written, and the log continues where it was once the fault is gone.
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "tests/audit/audit_fixture.h"
#include "tests/testing/failing_store.h"

namespace confidant::audit {
namespace {

using ::confidant::testing::FailingStore;

int CountLeaves(const store::KvStore& store) {
  int leaves = 0;
  EXPECT_THAT(store.Scan(store::Space::kAudit, "L", [&](std::string_view, std::string_view) {
    ++leaves;
    return true;
  }),
              IsOk());
  return leaves;
}

TEST_F(AuditLogTest, OpenWithClockBeforeLastCheckpointIsFailedPrecondition) {
  AppendMany(5);
  const int64_t last = now_micros_.load();
  ReopenStore();
  now_micros_ = last - 10'000'000;  // ten seconds back
  EXPECT_THAT(TryOpenLog(), StatusIs(absl::StatusCode::kFailedPrecondition));
  now_micros_ = last - 3600LL * 1'000'000;
  EXPECT_THAT(TryOpenLog(), StatusIs(absl::StatusCode::kFailedPrecondition));
  now_micros_ = last;
  EXPECT_THAT(TryOpenLog(), IsOk());
}

TEST_F(AuditLogTest, AppendWhenClockWentBackIsFailedPreconditionAndWritesNothing) {
  AppendMany(4);
  const v1::Checkpoint before = log_->LatestCheckpoint();
  const std::string head_before = StoredHead().SerializeAsString();
  const int64_t last = now_micros_.load();

  now_micros_ = last - 1;  // one microsecond before the last entry
  store::Mutation data;
  data.Put(store::Space::kRecords, "rec-clock", "ciphertext");
  EXPECT_THAT(log_->Append(TestEvent(50), std::move(data)),
              StatusIs(absl::StatusCode::kFailedPrecondition));
  EXPECT_EQ(CountLeaves(*store_), 4);
  EXPECT_EQ(StoredHead().SerializeAsString(), head_before);
  EXPECT_EQ(log_->LatestCheckpoint().note(), before.note());
  absl::StatusOr<std::optional<std::string>> record = store_->Get(store::Space::kRecords, "rec-clock");
  ASSERT_THAT(record, IsOk());
  EXPECT_FALSE(record->has_value());

  now_micros_ = last;  // the same instant as the last entry is not "back"
  absl::StatusOr<AuditLog::Committed> next = log_->Append(TestEvent(51));
  ASSERT_THAT(next, IsOk());
  EXPECT_EQ(next->index, 4u);
}

class AuditLogFailingStoreTest : public AuditLogTest {
 protected:
  void SetUp() override {
    ASSERT_THAT(crypto::InitCrypto(), IsOk());
    OpenFailingStore();
  }

  void OpenFailingStore() {
    log_.reset();
    failing_.reset();
    absl::StatusOr<std::unique_ptr<store::RocksDbStore>> opened =
        store::RocksDbStore::Open(dir_.path() + "/db");
    ASSERT_THAT(opened, IsOk());
    failing_ = std::make_unique<FailingStore>(*std::move(opened));
    absl::StatusOr<std::unique_ptr<AuditLog>> log =
        AuditLog::Open(*failing_, audit_key_, checkpoint_key_, Clock());
    ASSERT_THAT(log, IsOk());
    log_ = *std::move(log);
  }

  void TearDown() override {
    log_.reset();
    failing_.reset();
  }

  std::unique_ptr<FailingStore> failing_;
};

TEST_F(AuditLogFailingStoreTest, AppendWhileStoreRefusesWritesIsUnavailableAndWritesNothing) {
  AppendMany(6);
  const v1::Checkpoint before = log_->LatestCheckpoint();

  failing_->FailCommits(true);
  store::Mutation data;
  data.Put(store::Space::kRecords, "rec-failed", "ciphertext");
  now_micros_ += 1000;
  EXPECT_THAT(log_->Append(TestEvent(60), std::move(data)),
              StatusIs(absl::StatusCode::kUnavailable));
  EXPECT_EQ(log_->LatestCheckpoint().note(), before.note());
  EXPECT_GE(failing_->refused_commits(), 1);

  failing_->FailCommits(false);
  EXPECT_EQ(CountLeaves(*failing_), 6);
  absl::StatusOr<std::optional<std::string>> record =
      failing_->Get(store::Space::kRecords, "rec-failed");
  ASSERT_THAT(record, IsOk());
  EXPECT_FALSE(record->has_value());

  // After reopening, the log is exactly as before the failed append.
  OpenFailingStore();
  EXPECT_EQ(log_->LatestCheckpoint().tree_size(), 6u);
  EXPECT_EQ(log_->LatestCheckpoint().root_hash(), before.root_hash());
}

TEST_F(AuditLogFailingStoreTest, AppendAfterFailureGetsTheIndexTheFailedOneWouldHaveHad) {
  AppendMany(3);
  failing_->FailCommits(true);
  now_micros_ += 1000;
  // Several concurrent callers all fail; none gets an index.
  std::vector<std::thread> threads;
  for (int t = 0; t < 8; ++t) {
    threads.emplace_back([&, t] {
      EXPECT_THAT(log_->Append(TestEvent(70 + t)), StatusIs(absl::StatusCode::kUnavailable));
    });
  }
  for (std::thread& t : threads) t.join();
  failing_->FailCommits(false);

  now_micros_ += 1000;
  absl::StatusOr<AuditLog::Committed> next = log_->Append(TestEvent(80));
  ASSERT_THAT(next, IsOk());
  EXPECT_EQ(next->index, 3u);
  EXPECT_EQ(next->checkpoint.tree_size(), 4u);

  // The tree is whole: reopening verifies every stored leaf and node.
  OpenFailingStore();
  EXPECT_EQ(log_->LatestCheckpoint().tree_size(), 4u);
  absl::StatusOr<AuditLog::Committed> after = log_->Append(TestEvent(81));
  ASSERT_THAT(after, IsOk());
  EXPECT_EQ(after->index, 4u);
}

TEST_F(AuditLogFailingStoreTest, NewLogOnRefusingStoreFailsToOpen) {
  log_.reset();
  failing_.reset();
  store::TempDir other;
  absl::StatusOr<std::unique_ptr<store::RocksDbStore>> opened =
      store::RocksDbStore::Open(other.path() + "/db");
  ASSERT_THAT(opened, IsOk());
  FailingStore refusing(*std::move(opened));
  refusing.FailCommits(true);
  EXPECT_THAT(AuditLog::Open(refusing, audit_key_, checkpoint_key_, Clock()),
              StatusIs(absl::StatusCode::kUnavailable));
}

}  // namespace
}  // namespace confidant::audit
