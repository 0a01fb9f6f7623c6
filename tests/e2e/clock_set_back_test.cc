// A clock set back stops the vault instead of stretching anything (docs/ARCHITECTURE.md, threat 7): with the
// vault's clock two hours behind its last audit entry (dev hook --dev_clock_offset_file), every
// RPC is refused with FAILED_PRECONDITION and changes nothing, the operational log says why, and
// service resumes once the clock is right; a restart with the clock behind refuses to start.
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "confidant/v1/audit.grpc.pb.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/e2e/break_glass_calls.h"
#include "tests/e2e/identity_helpers.h"
#include "tests/e2e/vault_process.h"
#include "tests/testing/status_matchers.h"

namespace confidant::testing {
namespace {

using ::testing::HasSubstr;

constexpr char kRefusal[] =
    "the system clock reads earlier than the vault's last audit entry; refusing to serve until "
    "it is corrected";

class ClockSetBackTest : public ::testing::Test {
 protected:
  void SetUp() override {
    absl::StatusOr<std::unique_ptr<VaultProcess>> vault = VaultProcess::StartWithDevClock();
    ASSERT_THAT(vault, IsOk());
    vault_ = *std::move(vault);
    absl::StatusOr<v1::SubmitRecordResponse> submitted =
        vault_->ClientAs("visit_team")->Submit(SyntheticRecord("set back"), "clock-back-00001");
    ASSERT_THAT(submitted, IsOk());
    record_ = submitted->record_id();
  }

  grpc::Status ListAs(const std::string& role, v1::ListRecordsResponse* out = nullptr) {
    grpc::ClientContext context;
    SetTestDeadline(context);
    v1::ListRecordsResponse ignored;
    return RecordStubAs(*vault_, role)
        ->ListRecords(&context, v1::ListRecordsRequest(), out ? out : &ignored);
  }

  grpc::Status ReadCheckpointAs(const std::string& role) {
    grpc::ClientContext context;
    SetTestDeadline(context);
    v1::GetCheckpointResponse response;
    return v1::LogService::NewStub(ChannelAs(*vault_, role))
        ->GetCheckpoint(&context, v1::GetCheckpointRequest(), &response);
  }

  std::unique_ptr<VaultProcess> vault_;
  std::string record_;
};

// How many entries each action has.
std::map<std::string, int> CountByAction(const std::vector<v1::AuditEntry>& entries) {
  std::map<std::string, int> counts;
  for (const v1::AuditEntry& entry : entries) ++counts[entry.event().action()];
  return counts;
}

TEST_F(ClockSetBackTest, EveryCallIsRefusedWhileTheClockIsBehindTheLogAndNothingChanges) {
  std::map<std::string, int> before = CountByAction(AuditEntriesFrom(*vault_));
  ASSERT_THAT(vault_->SetClockOffsetSeconds(-7200), IsOk());

  std::vector<grpc::Status> refused = {
      ListAs("case_officer"),
      GetRecordAs(*vault_, "case_officer", record_, v1::FOLLOW_UP),
      RequestBreakGlassAs(*vault_, "case_officer_on", record_, v1::FOLLOW_UP, "r"),
      ReadCheckpointAs("auditor"),
  };
  for (const grpc::Status& status : refused) {
    EXPECT_EQ(status.error_code(), grpc::StatusCode::FAILED_PRECONDITION);
    EXPECT_EQ(status.error_message(), kRefusal);
  }
  absl::StatusOr<v1::SubmitRecordResponse> submitted =
      vault_->ClientAs("visit_team")->Submit(SyntheticRecord("while behind"), "clock-back-00002");
  EXPECT_FALSE(submitted.ok());
  EXPECT_THAT(vault_->log(), HasSubstr("clock_behind_audit_log"));

  ASSERT_THAT(vault_->SetClockOffsetSeconds(0), IsOk());
  v1::ListRecordsResponse listed;
  grpc::Status list = ListAs("case_officer", &listed);
  ASSERT_TRUE(list.ok()) << list.error_message();
  ASSERT_EQ(listed.records_size(), 1);  // the refused submission stored nothing
  EXPECT_EQ(listed.records(0).record_id(), record_);
  // No refused call left an entry: the only new list is the one just made.
  std::map<std::string, int> after = CountByAction(AuditEntriesFrom(*vault_));
  EXPECT_EQ(after["list_records"], before["list_records"] + 1);
  for (const char* action : {"get_record", "request_break_glass", "submit_record",
                             "get_intake_key"}) {
    EXPECT_EQ(after[action], before[action]) << action;
  }
}

TEST_F(ClockSetBackTest, RestartWithTheClockBehindRefusesToStart) {
  vault_->Stop();
  ASSERT_THAT(vault_->SetClockOffsetSeconds(-7200), IsOk());
  absl::Status restarted = vault_->Restart();
  EXPECT_FALSE(restarted.ok());
  EXPECT_THAT(vault_->log(), HasSubstr("the clock reads earlier than the last checkpoint"));

  ASSERT_THAT(vault_->SetClockOffsetSeconds(0), IsOk());
  ASSERT_THAT(vault_->Restart(), IsOk());
  EXPECT_TRUE(ListAs("case_officer").ok());
}

}  // namespace
}  // namespace confidant::testing
