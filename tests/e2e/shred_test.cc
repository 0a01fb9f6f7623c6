// Retention and crypto-shredding over real mTLS, with the vault's clock moved through its dev
// hook (--dev_clock_offset_file) and a signed policy with a 3-day retention and a confirmation
// threshold of 2: only custodians may shred; nothing is due before retention; above the
// threshold nothing is shredded without confirmation (audited, flagged); `confidant operator
// shred --expired --confirm` shreds them all; the records are then NOT_FOUND for a case officer;
// each has a disposal receipt in the audit log; `audit verify` still passes; a clock set back
// behind the log refuses shredding.
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "base/files.h"
#include "confidant/v1/operator.grpc.pb.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/e2e/break_glass_calls.h"
#include "tests/e2e/canary_scanner.h"
#include "tests/e2e/identity_helpers.h"
#include "tests/e2e/policy_helpers.h"
#include "tests/e2e/vault_process.h"
#include "tests/e2e/witness_process.h"
#include "tests/testing/status_matchers.h"

namespace confidant::testing {
namespace {

using ::testing::HasSubstr;
using ::testing::UnorderedElementsAreArray;

constexpr int64_t kPastRetention = 3 * 86400 + 120;  // retention_days: 3, plus two minutes

class ShredTest : public ::testing::Test {
 protected:
  void SetUp() override {
    absl::StatusOr<std::unique_ptr<VaultProcess>> vault = VaultProcess::StartWithDevClock();
    ASSERT_THAT(vault, IsOk());
    vault_ = *std::move(vault);
    absl::StatusOr<std::string> text = ReadFile(DevPolicyPath(*vault_));
    ASSERT_THAT(text, IsOk());
    std::string policy = absl::StrReplaceAll(
        *text, {{"\nversion: 1\n", "\nversion: 2\n"},
                {"settings {\n", "settings {\n  retention_days: 3\n  max_shred_without_confirmation: 2\n"}});
    ASSERT_NE(policy, *text);
    ASSERT_THAT(InstallAndReloadDevPolicy(*vault_, policy), IsOk());
    for (int i = 0; i < 3; ++i) {
      absl::StatusOr<v1::SubmitRecordResponse> submitted = vault_->ClientAs("visit_team")->Submit(
          SyntheticRecord(absl::StrCat(kCanary, i)), absl::StrCat("shred-e2e-0000", i));
      ASSERT_THAT(submitted, IsOk());
      records_.push_back(submitted->record_id());
    }
  }

  grpc::Status ShredAs(const std::string& role, bool confirm,
                       v1::ShredExpiredResponse* response = nullptr) {
    auto stub = v1::OperatorService::NewStub(ChannelAs(*vault_, role));
    grpc::ClientContext context;
    SetTestDeadline(context, 60);
    v1::ShredExpiredRequest request;
    request.set_confirm(confirm);
    v1::ShredExpiredResponse ignored;
    return stub->ShredExpired(&context, request, response ? response : &ignored);
  }

  CommandResult Cli(const std::string& role, std::vector<std::string> args) {
    std::vector<std::string> full = {CONFIDANT_CLI_PATH, "--identity", vault_->identity_dir(role),
                                     "--server", vault_->address()};
    full.insert(full.end(), args.begin(), args.end());
    return RunCommand(full);
  }

  std::vector<v1::AuditEvent> EventsWithAction(const std::string& action) {
    return AuditEventsWithAction(*vault_, action);
  }

  static constexpr char kCanary[] = "CANARY-retention-5d1e";
  std::unique_ptr<VaultProcess> vault_;
  std::vector<std::string> records_;
};

TEST_F(ShredTest, CustodianShredsExpiredRecordsWithConfirmationAndReceipts) {
  v1::ShredExpiredResponse response;
  grpc::Status early = ShredAs("custodian", false, &response);
  ASSERT_TRUE(early.ok()) << early.error_message();
  EXPECT_EQ(response.shredded(), 0u);  // nothing is due yet
  EXPECT_EQ(response.retention_days(), 3u);

  ASSERT_THAT(vault_->SetClockOffsetSeconds(kPastRetention), IsOk());
  for (const char* role : {"case_officer", "auditor", "visit_team"}) {
    EXPECT_EQ(ShredAs(role, true).error_code(), grpc::StatusCode::PERMISSION_DENIED) << role;
  }
  grpc::Status unconfirmed = ShredAs("custodian", false);
  EXPECT_EQ(unconfirmed.error_code(), grpc::StatusCode::FAILED_PRECONDITION);
  EXPECT_THAT(unconfirmed.error_message(), HasSubstr("3 records are past retention"));
  EXPECT_THAT(unconfirmed.error_message(), HasSubstr("confirm"));
  EXPECT_TRUE(GetRecordAs(*vault_, "case_officer", records_[0], v1::FOLLOW_UP).ok());

  const CommandResult shred = Cli("custodian", {"operator", "shred", "--expired", "--confirm"});
  ASSERT_EQ(shred.exit_code, 0) << shred.err;
  EXPECT_THAT(shred.out, HasSubstr("shredded 3 records past retention (3 days)"));
  for (const std::string& id : records_) {
    EXPECT_THAT(shred.out, HasSubstr(id));
    grpc::Status read = GetRecordAs(*vault_, "case_officer", id, v1::FOLLOW_UP);
    EXPECT_EQ(read.error_code(), grpc::StatusCode::NOT_FOUND) << read.error_message();
  }

  std::vector<std::string> receipted;
  for (const v1::AuditEvent& receipt : EventsWithAction("record_shredded")) {
    ASSERT_EQ(receipt.record_ids_size(), 1);
    receipted.push_back(receipt.record_ids(0));
    EXPECT_EQ(receipt.rule(), "vault:retention-expired");
    EXPECT_EQ(receipt.principal(), DevPrincipalOf("custodian"));
    EXPECT_THAT(receipt.detail(), HasSubstr("retention 3 days (policy version 2)"));
    EXPECT_THAT(receipt.detail(), HasSubstr("requested by person custodian"));
  }
  EXPECT_THAT(receipted, UnorderedElementsAreArray(records_));
  bool refusal_flagged = false;
  for (const v1::AuditEvent& call : EventsWithAction("shred_expired")) {
    if (call.status_code() == "FAILED_PRECONDITION") refusal_flagged = call.flagged();
  }
  EXPECT_TRUE(refusal_flagged);

  const CommandResult verified = Cli("auditor", {"audit", "verify"});
  EXPECT_EQ(verified.exit_code, 0) << verified.err;
  EXPECT_THAT(verified.out, HasSubstr("verified"));
  for (int i = 0; i < 3; ++i) {
    EXPECT_THAT(FindCanary(vault_->data_dir(), absl::StrCat(kCanary, i)), ::testing::IsEmpty());
  }

  // Once shredded, a later run finds nothing.
  ASSERT_TRUE(ShredAs("custodian", false, &response).ok());
  EXPECT_EQ(response.shredded(), 0u);
}

TEST_F(ShredTest, AtOrBelowTheThresholdNoConfirmationIsNeeded) {
  ASSERT_THAT(vault_->SetClockOffsetSeconds(kPastRetention), IsOk());
  absl::StatusOr<v1::SubmitRecordResponse> fresh =
      vault_->ClientAs("visit_team")->Submit(SyntheticRecord("fresh"), "shred-e2e-fresh1");
  ASSERT_THAT(fresh, IsOk());
  // Three are due (above the threshold of 2): confirmed once; then one alone needs no confirmation.
  v1::ShredExpiredResponse response;
  ASSERT_EQ(ShredAs("custodian", false).error_code(), grpc::StatusCode::FAILED_PRECONDITION);
  ASSERT_TRUE(ShredAs("custodian", true, &response).ok());
  EXPECT_EQ(response.shredded(), 3u);
  // The record submitted after the clock moved is not due.
  EXPECT_TRUE(GetRecordAs(*vault_, "case_officer", fresh->record_id(), v1::FOLLOW_UP).ok());
  ASSERT_THAT(vault_->SetClockOffsetSeconds(2 * kPastRetention), IsOk());
  ASSERT_TRUE(ShredAs("custodian", false, &response).ok());
  EXPECT_EQ(response.shredded(), 1u);
  EXPECT_EQ(GetRecordAs(*vault_, "case_officer", fresh->record_id(), v1::FOLLOW_UP).error_code(),
            grpc::StatusCode::NOT_FOUND);
}

TEST_F(ShredTest, ClockSetBackBehindTheLogRefusesShredding) {
  ASSERT_THAT(vault_->SetClockOffsetSeconds(kPastRetention), IsOk());
  ASSERT_TRUE(GetRecordAs(*vault_, "case_officer", records_[0], v1::FOLLOW_UP).ok());  // an entry
  ASSERT_THAT(vault_->SetClockOffsetSeconds(kPastRetention - 7200), IsOk());
  grpc::Status refused = ShredAs("custodian", true);
  EXPECT_EQ(refused.error_code(), grpc::StatusCode::FAILED_PRECONDITION);
  EXPECT_THAT(refused.error_message(), HasSubstr("the system clock reads earlier"));
  ASSERT_THAT(vault_->SetClockOffsetSeconds(kPastRetention), IsOk());
  for (const std::string& id : records_) {
    EXPECT_TRUE(GetRecordAs(*vault_, "case_officer", id, v1::FOLLOW_UP).ok());
  }
  EXPECT_TRUE(EventsWithAction("record_shredded").empty());
}

}  // namespace
}  // namespace confidant::testing
