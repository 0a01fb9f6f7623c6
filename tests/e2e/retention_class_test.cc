// Retention per record class over real mTLS, with the vault's clock moved through its dev hook:
// a signed policy declares a 3-day class "short" beside a 30-day default; a record of class
// "short" is shredded once its 3 days have passed while a record of no class stays readable; the
// disposal receipt names the class and its rule; a submission naming an undeclared class is
// INVALID_ARGUMENT; a policy declaring an invalid class list is refused at reload (the policy in
// force stays).
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "base/files.h"
#include "confidant/v1/operator.grpc.pb.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/e2e/break_glass_calls.h"
#include "tests/e2e/identity_helpers.h"
#include "tests/e2e/policy_helpers.h"
#include "tests/e2e/vault_process.h"
#include "tests/testing/status_matchers.h"

namespace confidant::testing {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

constexpr int64_t kPastShortClass = 3 * 86400 + 120;  // class "short": 3 days, plus two minutes

class RetentionClassTest : public ::testing::Test {
 protected:
  void SetUp() override {
    absl::StatusOr<std::unique_ptr<VaultProcess>> vault = VaultProcess::StartWithDevClock();
    ASSERT_THAT(vault, IsOk());
    vault_ = *std::move(vault);
    absl::StatusOr<std::string> text = ReadFile(DevPolicyPath(*vault_));
    ASSERT_THAT(text, IsOk());
    original_ = *text;
    ASSERT_THAT(InstallAndReloadDevPolicy(*vault_, PolicyText(2, "name: \"short\" days: 3")),
                IsOk());
  }

  // The dev policy at `version` with a 30-day default and one retention class `declared`.
  std::string PolicyText(int version, const std::string& declared) const {
    std::string text = absl::StrReplaceAll(
        original_, {{"\nversion: 1\n", absl::StrCat("\nversion: ", version, "\n")},
                    {"settings {\n", absl::StrCat("settings {\n  retention_days: 30\n"
                                                  "  retention_classes { ",
                                                  declared, " }\n")}});
    EXPECT_NE(text, original_);
    return text;
  }

  absl::StatusOr<v1::SubmitRecordResponse> SubmitOfClass(const std::string& record_class,
                                                         const std::string& submission_id) {
    v1::InterviewRecord record = SyntheticRecord("class " + record_class);
    record.set_record_class(record_class);
    return vault_->ClientAs("visit_team")->Submit(record, submission_id);
  }

  grpc::Status ShredExpired(v1::ShredExpiredResponse* response) {
    grpc::ClientContext context;
    SetTestDeadline(context, 60);
    return v1::OperatorService::NewStub(ChannelAs(*vault_, "custodian"))
        ->ShredExpired(&context, v1::ShredExpiredRequest(), response);
  }

  std::vector<v1::AuditEvent> Events(const std::string& action) const {
    return AuditEventsWithAction(*vault_, action);
  }

  std::unique_ptr<VaultProcess> vault_;
  std::string original_;
};

TEST_F(RetentionClassTest, OnlyTheRecordWhoseClassExpiredIsShredded) {
  absl::StatusOr<v1::SubmitRecordResponse> brief = SubmitOfClass("short", "class-e2e-short1");
  absl::StatusOr<v1::SubmitRecordResponse> plain = SubmitOfClass("", "class-e2e-plain1");
  ASSERT_THAT(brief, IsOk());
  ASSERT_THAT(plain, IsOk());
  v1::ShredExpiredResponse response;
  ASSERT_TRUE(ShredExpired(&response).ok());
  EXPECT_EQ(response.shredded(), 0u);  // nothing is due yet

  ASSERT_THAT(vault_->SetClockOffsetSeconds(kPastShortClass), IsOk());
  grpc::Status shred = ShredExpired(&response);
  ASSERT_TRUE(shred.ok()) << shred.error_message();
  EXPECT_THAT(response.record_ids(), ElementsAre(brief->record_id()));
  EXPECT_EQ(GetRecordAs(*vault_, "case_officer", brief->record_id(), v1::FOLLOW_UP).error_code(),
            grpc::StatusCode::NOT_FOUND);
  EXPECT_TRUE(GetRecordAs(*vault_, "case_officer", plain->record_id(), v1::FOLLOW_UP).ok());
  std::vector<v1::AuditEvent> receipts = Events("record_shredded");
  ASSERT_EQ(receipts.size(), 1u);
  EXPECT_THAT(receipts[0].record_ids(), ElementsAre(brief->record_id()));
  EXPECT_EQ(receipts[0].rule(), "vault:retention-expired");
  EXPECT_THAT(receipts[0].detail(),
              HasSubstr("retention class short: retention 3 days (policy version 2)"));
}

TEST_F(RetentionClassTest, AnUndeclaredClassIsRefusedAtSubmission) {
  absl::StatusOr<v1::SubmitRecordResponse> refused = SubmitOfClass("long", "class-e2e-long01");
  EXPECT_THAT(refused, StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("record_class")));
}

TEST_F(RetentionClassTest, APolicyDeclaringAnInvalidClassListIsRefusedAtReload) {
  EXPECT_THAT(InstallAndReloadDevPolicy(*vault_, PolicyText(3, "name: \"default\" days: 3")),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("default class")));
  EXPECT_THAT(InstallAndReloadDevPolicy(*vault_, PolicyText(3, "name: \"short\" days: 0")),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("days must be 1 to")));
  EXPECT_EQ(Events("policy_rejected").size(), 2u);
  // Version 2 stays in force: its class is still accepted.
  EXPECT_THAT(SubmitOfClass("short", "class-e2e-short2"), IsOk());
}

}  // namespace
}  // namespace confidant::testing
