// Break-glass time limits over real mTLS, with the vault's clock moved forward through its dev
// hook (--dev_clock_offset_file): a grant lapses after break_glass_minutes (reads refused with
// deny:break-glass-expired, and the vault's timer writes a "break_glass_lapsed" entry on its own),
// and a request nobody decides within break_glass_request_hours is closed (an entry, gone from
// the list, refused if decided, never granted).
#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/e2e/break_glass_calls.h"
#include "tests/e2e/identity_helpers.h"
#include "tests/e2e/vault_process.h"
#include "tests/testing/status_matchers.h"

namespace confidant::testing {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

class BreakGlassExpiryTest : public ::testing::Test {
 protected:
  void SetUp() override {
    absl::StatusOr<std::unique_ptr<VaultProcess>> vault = VaultProcess::StartWithDevClock();
    ASSERT_THAT(vault, IsOk());
    vault_ = *std::move(vault);
    absl::StatusOr<v1::SubmitRecordResponse> submitted =
        vault_->ClientAs("visit_team")->Submit(SyntheticRecord("expiry"), "bg-expiry-000001");
    ASSERT_THAT(submitted, IsOk());
    record_ = submitted->record_id();  // in Quebec: outside case_officer_on's scope
    grpc::Status requested = RequestBreakGlassAs(*vault_, "case_officer_on", record_,
                                                 v1::FOLLOW_UP, "transferred", &request_id_);
    ASSERT_TRUE(requested.ok()) << requested.error_message();
  }

  // The audit events with `action`, polled for up to `seconds` until there is at least one.
  std::vector<v1::AuditEvent> EventsWithAction(const std::string& action, int seconds = 10) {
    std::vector<v1::AuditEvent> found;
    for (int i = 0; i <= seconds * 4 && found.empty(); ++i) {
      if (i > 0) std::this_thread::sleep_for(std::chrono::milliseconds(250));
      for (const v1::AuditEntry& entry : AuditEntriesFrom(*vault_)) {
        if (entry.event().action() == action) found.push_back(entry.event());
      }
    }
    return found;
  }

  bool Listed() {
    v1::ListBreakGlassRequestsResponse listed;
    EXPECT_TRUE(ListBreakGlassAs(*vault_, "approver", &listed).ok());
    for (const auto& r : listed.requests()) {
      if (r.request_id() == request_id_) return true;
    }
    return false;
  }

  std::unique_ptr<VaultProcess> vault_;
  std::string record_, request_id_;
};

TEST_F(BreakGlassExpiryTest, GrantLapsesAfterItsHourAndTheTimerRecordsIt) {
  v1::DecideBreakGlassResponse decided;
  ASSERT_TRUE(DecideBreakGlassAs(*vault_, "approver", request_id_, true, &decided).ok());
  ASSERT_TRUE(decided.granted());
  grpc::Status first = GetRecordAs(*vault_, "case_officer_on", record_, v1::FOLLOW_UP);
  ASSERT_TRUE(first.ok()) << first.error_message();

  ASSERT_THAT(vault_->SetClockOffsetSeconds(3700), IsOk());  // an hour and 100 s later
  grpc::Status after = GetRecordAs(*vault_, "case_officer_on", record_, v1::FOLLOW_UP);
  EXPECT_EQ(after.error_code(), grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_THAT(after.error_message(), HasSubstr("deny:break-glass-expired"));

  std::vector<v1::AuditEvent> lapsed = EventsWithAction("break_glass_lapsed");
  ASSERT_EQ(lapsed.size(), 1u) << vault_->log();
  EXPECT_EQ(lapsed[0].rule(), "vault:break-glass-expired");
  EXPECT_EQ(lapsed[0].decision(), v1::ALLOW);
  EXPECT_EQ(lapsed[0].detail(), "break-glass lapsed " + request_id_);
  EXPECT_THAT(lapsed[0].record_ids(), ElementsAre(record_));
  // Recorded once: later passes of the timer leave it alone.
  std::this_thread::sleep_for(std::chrono::milliseconds(2500));
  EXPECT_EQ(EventsWithAction("break_glass_lapsed", 0).size(), 1u);
  EXPECT_EQ(GetRecordAs(*vault_, "case_officer_on", record_, v1::FOLLOW_UP).error_code(),
            grpc::StatusCode::PERMISSION_DENIED);
}

TEST_F(BreakGlassExpiryTest, UndecidedRequestExpiresAfterADay) {
  ASSERT_TRUE(Listed());
  ASSERT_THAT(vault_->SetClockOffsetSeconds(24 * 3600 + 60), IsOk());

  std::vector<v1::AuditEvent> expired = EventsWithAction("break_glass_request_expired");
  ASSERT_EQ(expired.size(), 1u) << vault_->log();
  EXPECT_EQ(expired[0].rule(), "vault:break-glass-request-expired");
  EXPECT_EQ(expired[0].decision(), v1::ALLOW);
  EXPECT_EQ(expired[0].detail(), "break-glass request expired " + request_id_);
  EXPECT_THAT(expired[0].record_ids(), ElementsAre(record_));

  EXPECT_FALSE(Listed());
  for (bool approve : {true, false}) {
    grpc::Status decided = DecideBreakGlassAs(*vault_, "approver", request_id_, approve);
    EXPECT_EQ(decided.error_code(), grpc::StatusCode::FAILED_PRECONDITION);
    EXPECT_EQ(decided.error_message(), "this break-glass request has expired");
  }
  grpc::Status read = GetRecordAs(*vault_, "case_officer_on", record_, v1::FOLLOW_UP);
  EXPECT_EQ(read.error_code(), grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_THAT(read.error_message(), HasSubstr("deny:scope"));
}

}  // namespace
}  // namespace confidant::testing
