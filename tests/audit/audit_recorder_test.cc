// AuditRecorder merges floods of identical denials into counted entries (60 s window, injected
// seconds clock) without ever dropping the first one.
#include <atomic>
#include <memory>
#include <string>
#include <vector>

#include "server/audit_recorder.h"
#include "tests/audit/audit_fixture.h"
#include "tests/testing/failing_store.h"

namespace confidant::audit {
namespace {

using ::testing::HasSubstr;

v1::AuditEvent Denial(const std::string& rule, int n) {
  v1::AuditEvent event;
  event.set_principal("spiffe://confidant.example/role/reporting");
  event.set_role("reporting");
  event.set_action("get_record");
  event.add_record_ids("rec-1");
  event.set_decision(v1::DENY);
  event.set_rule(rule);
  event.set_status_code("PERMISSION_DENIED");
  event.set_request_id("req-" + std::to_string(n));
  return event;
}

class AuditRecorderTest : public AuditLogTest {
 protected:
  void SetUp() override {
    AuditLogTest::SetUp();
    ASSERT_FALSE(HasFatalFailure());
    recorder_ = std::make_unique<server::AuditRecorder>(*log_, [this] { return seconds_.load(); });
  }
  void TearDown() override { recorder_.reset(); }

  std::vector<v1::AuditEvent> Events() {
    std::vector<v1::AuditEvent> events;
    EXPECT_THAT(log_->ReadEntries(0, UINT64_MAX, [&](const v1::AuditEntry& e) {
      events.push_back(e.event());
      return true;
    }),
                IsOk());
    return events;
  }

  std::atomic<int64_t> seconds_{kStartMicros / 1000000};
  std::unique_ptr<server::AuditRecorder> recorder_;
};

TEST_F(AuditRecorderTest, TenIdenticalDenialsGiveOneEntryNowAndOneCountedEntryAfterWindow) {
  for (int i = 0; i < 10; ++i) {
    ASSERT_THAT(recorder_->RecordMergeable(Denial("deny:reporting/no-records", i)), IsOk());
  }
  std::vector<v1::AuditEvent> events = Events();
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0].count(), 1u);
  EXPECT_EQ(events[0].request_id(), "req-0");

  recorder_->Flush(false);  // window still open: nothing yet
  EXPECT_EQ(Events().size(), 1u);

  seconds_ += server::kDenialMergeWindowSeconds + 1;
  recorder_->Flush(false);
  events = Events();
  ASSERT_EQ(events.size(), 2u);
  EXPECT_EQ(events[1].count(), 9u);
  EXPECT_EQ(events[1].rule(), "deny:reporting/no-records");
  EXPECT_EQ(events[1].decision(), v1::DENY);
  EXPECT_EQ(events[1].request_id(), "req-9");  // the latest merged one
  EXPECT_THAT(events[1].detail(), HasSubstr("9"));

  recorder_.reset();  // nothing left to write
  EXPECT_EQ(Events().size(), 2u);
}

TEST_F(AuditRecorderTest, DestroyingRecorderWritesPendingCount) {
  for (int i = 0; i < 10; ++i) {
    ASSERT_THAT(recorder_->RecordMergeable(Denial("deny:reporting/no-records", i)), IsOk());
  }
  recorder_.reset();
  std::vector<v1::AuditEvent> events = Events();
  ASSERT_EQ(events.size(), 2u);
  EXPECT_EQ(events[0].count(), 1u);
  EXPECT_EQ(events[1].count(), 9u);
}

// A decoy denial must not hide attempts on other records inside its merged count.
TEST_F(AuditRecorderTest, DenialsOnDifferentRecordsAreNeverMerged) {
  for (const char* record : {"rec-decoy", "rec-target-1", "rec-target-2", "rec-decoy"}) {
    v1::AuditEvent event = Denial("deny:no-grant/get_record", 0);
    event.clear_record_ids();
    event.add_record_ids(record);
    ASSERT_THAT(recorder_->RecordMergeable(event), IsOk());
  }
  std::vector<v1::AuditEvent> events = Events();
  ASSERT_EQ(events.size(), 3u);  // decoy, target 1, target 2; the second decoy is a repeat
  EXPECT_EQ(events[1].record_ids(0), "rec-target-1");
  EXPECT_EQ(events[2].record_ids(0), "rec-target-2");
}

TEST_F(AuditRecorderTest, DenialsUnderDifferentRulesAreNotMerged) {
  for (int i = 0; i < 3; ++i) {
    ASSERT_THAT(recorder_->RecordMergeable(Denial("deny:rule-a", i)), IsOk());
    ASSERT_THAT(recorder_->RecordMergeable(Denial("deny:rule-b", 10 + i)), IsOk());
  }
  std::vector<v1::AuditEvent> events = Events();
  ASSERT_EQ(events.size(), 2u);
  EXPECT_EQ(events[0].rule(), "deny:rule-a");
  EXPECT_EQ(events[1].rule(), "deny:rule-b");
  EXPECT_EQ(events[0].count(), 1u);
  EXPECT_EQ(events[1].count(), 1u);

  seconds_ += server::kDenialMergeWindowSeconds;
  recorder_->Flush(false);
  events = Events();
  ASSERT_EQ(events.size(), 4u);
  for (int i = 2; i < 4; ++i) EXPECT_EQ(events[i].count(), 2u) << events[i].rule();
  EXPECT_NE(events[2].rule(), events[3].rule());
}

TEST_F(AuditRecorderTest, DenialAfterWindowClosesWritesMergedCountThenNewEntry) {
  for (int i = 0; i < 4; ++i) {
    ASSERT_THAT(recorder_->RecordMergeable(Denial("deny:rule-a", i)), IsOk());
  }
  seconds_ += server::kDenialMergeWindowSeconds + 5;
  ASSERT_THAT(recorder_->RecordMergeable(Denial("deny:rule-a", 4)), IsOk());
  std::vector<v1::AuditEvent> events = Events();
  ASSERT_EQ(events.size(), 3u);
  EXPECT_EQ(events[0].count(), 1u);
  EXPECT_EQ(events[1].count(), 3u);
  EXPECT_EQ(events[1].request_id(), "req-3");
  EXPECT_EQ(events[2].count(), 1u);
  EXPECT_EQ(events[2].request_id(), "req-4");
}

TEST_F(AuditRecorderTest, AllowedRecordsAreNeverMerged) {
  for (int i = 0; i < 5; ++i) {
    absl::StatusOr<AuditLog::Committed> committed = recorder_->Record(TestEvent(1));
    ASSERT_THAT(committed, IsOk());
    EXPECT_EQ(committed->index, static_cast<uint64_t>(i));
  }
  EXPECT_EQ(Events().size(), 5u);
}

// A first denial that could not be written does not open a merge window: the next identical
// denial, once the disk is back, is appended at once rather than held as a count for 60 s
// (and lost if the vault stops before the window closes).
using AuditRecorderFailingStoreTest = AuditLogTest;

TEST_F(AuditRecorderFailingStoreTest, DenialAfterFailedFirstAppendIsAppendedAtOnce) {
  log_.reset();
  store_.reset();
  absl::StatusOr<std::unique_ptr<store::RocksDbStore>> opened =
      store::RocksDbStore::Open(dir_.path() + "/failing");
  ASSERT_THAT(opened, IsOk());
  testing::FailingStore failing(*std::move(opened));
  absl::StatusOr<std::unique_ptr<AuditLog>> log =
      AuditLog::Open(failing, audit_key_, checkpoint_key_, Clock());
  ASSERT_THAT(log, IsOk());
  std::atomic<int64_t> seconds{kStartMicros / 1000000};
  auto recorder = std::make_unique<server::AuditRecorder>(**log, [&] { return seconds.load(); });

  failing.FailCommits(true);
  EXPECT_THAT(recorder->RecordMergeable(Denial("deny:rule-a", 0)),
              StatusIs(absl::StatusCode::kUnavailable));
  failing.FailCommits(false);
  EXPECT_THAT(recorder->RecordMergeable(Denial("deny:rule-a", 1)), IsOk());
  EXPECT_EQ((*log)->LatestCheckpoint().tree_size(), 1u)
      << "the denial after a failed write was only counted, not written";
  recorder.reset();
  log->reset();
}

}  // namespace
}  // namespace confidant::audit
