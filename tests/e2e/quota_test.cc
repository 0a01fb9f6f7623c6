// Per-person quotas over real mTLS, with the dev policy's default quota (60 reads and 120
// submissions per hour): the call past a limit is RESOURCE_EXHAUSTED saying when the next call
// is allowed, its audit entry is a flagged denial naming the limit (repeats merge into a flagged
// count), `confidant audit tail --flagged` shows it, other persons are unaffected, and counters
// survive a restart.
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "confidant/v1/audit.grpc.pb.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/e2e/identity_helpers.h"
#include "tests/e2e/vault_process.h"
#include "tests/e2e/witness_process.h"
#include "tests/testing/status_matchers.h"

namespace confidant::testing {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

constexpr int kReadsPerHour = 60;         // deploy/policy.example.textproto default_quota
constexpr int kSubmissionsPerHour = 120;

// One finished call: its status and the request id the server gave it.
struct Outcome {
  grpc::Status status;
  std::string request_id;
};

class QuotaTest : public ::testing::Test {
 protected:
  void SetUp() override {
    absl::StatusOr<std::unique_ptr<VaultProcess>> vault = VaultProcess::Start();
    ASSERT_THAT(vault, IsOk());
    vault_ = *std::move(vault);
  }

  std::shared_ptr<grpc::Channel> ChannelAs(const std::string& role) {
    return testing::ChannelAs(*vault_, role);
  }

  static std::string RequestId(const grpc::ClientContext& context) { return RequestIdOf(context); }

  static Outcome Get(v1::RecordService::Stub& stub, const std::string& record_id,
                     v1::Purpose purpose) {
    grpc::ClientContext context;
    SetTestDeadline(context);
    v1::GetRecordRequest request;
    request.set_record_id(record_id);
    request.set_purpose(purpose);
    v1::GetRecordResponse response;
    Outcome outcome;
    outcome.status = stub.GetRecord(&context, request, &response);
    outcome.request_id = RequestId(context);
    return outcome;
  }

  std::string SubmitOne(client::VaultClient& client, const std::string& submission_id) {
    absl::StatusOr<v1::SubmitRecordResponse> submitted =
        client.Submit(SyntheticRecord("quota"), submission_id);
    EXPECT_THAT(submitted, IsOk());
    return submitted.ok() ? submitted->record_id() : "";
  }

  // Every entry of the log, as the auditor reads them.
  std::vector<v1::AuditEntry> Entries() { return AuditEntriesFrom(*vault_); }

  // The entry written for `request_id`, or an empty event.
  v1::AuditEvent EventFor(const std::string& request_id) {
    for (const v1::AuditEntry& entry : Entries()) {
      if (entry.event().request_id() == request_id) return entry.event();
    }
    ADD_FAILURE() << "no audit entry for request " << request_id;
    return v1::AuditEvent();
  }

  std::unique_ptr<VaultProcess> vault_;
};

TEST_F(QuotaTest, ReadPastHourlyQuotaIsResourceExhaustedAndFlaggedInTheAudit) {
  const std::string record_id = SubmitOne(*vault_->ClientAs("visit_team"), "quota-read-001");
  auto officer = v1::RecordService::NewStub(ChannelAs("case_officer"));
  const int64_t first_read = absl::ToUnixSeconds(absl::Now());
  for (int i = 0; i < kReadsPerHour; ++i) {
    ASSERT_TRUE(Get(*officer, record_id, v1::FOLLOW_UP).status.ok()) << "read " << i;
  }
  const Outcome refused = Get(*officer, record_id, v1::FOLLOW_UP);
  EXPECT_EQ(refused.status.error_code(), grpc::StatusCode::RESOURCE_EXHAUSTED);
  // The refusal says when the sliding hour frees up: when the first read leaves it.
  const std::string& message = refused.status.error_message();
  EXPECT_THAT(message, ::testing::StartsWith(
                           "quota exceeded: 60 reads per hour; the next read is allowed in "));
  const size_t at = message.find(" (at ");
  ASSERT_NE(at, std::string::npos) << message;
  absl::Time allowed_at;
  std::string error;
  ASSERT_TRUE(absl::ParseTime("%Y-%m-%dT%H:%MZ", message.substr(at + 5, 17), absl::UTCTimeZone(),
                              &allowed_at, &error))
      << message;
  EXPECT_EQ(message.back(), ')');
  EXPECT_GE(absl::ToUnixSeconds(allowed_at), first_read + 3600);
  EXPECT_LE(absl::ToUnixSeconds(allowed_at), absl::ToUnixSeconds(absl::Now()) + 3600 + 60);

  const v1::AuditEvent event = EventFor(refused.request_id);
  EXPECT_EQ(event.decision(), v1::DENY);
  EXPECT_EQ(event.rule(), "deny:quota/reads_per_hour");
  EXPECT_EQ(event.status_code(), "RESOURCE_EXHAUSTED");
  EXPECT_TRUE(event.flagged());
  EXPECT_EQ(event.principal(), DevPrincipalOf("case_officer"));
  EXPECT_THAT(event.sections_disclosed(), ::testing::IsEmpty());
  for (const v1::AuditEntry& entry : Entries()) {
    if (entry.event().decision() == v1::ALLOW) {
      EXPECT_FALSE(entry.event().flagged()) << "entry " << entry.index();
    }
  }
}

TEST_F(QuotaTest, ListingCountsAsAReadAndOtherPersonsAreUnaffected) {
  const std::string record_id = SubmitOne(*vault_->ClientAs("visit_team"), "quota-list-001");
  auto officer = v1::RecordService::NewStub(ChannelAs("case_officer"));
  for (int i = 0; i < kReadsPerHour - 1; ++i) {
    ASSERT_TRUE(Get(*officer, record_id, v1::FOLLOW_UP).status.ok()) << "read " << i;
  }
  std::unique_ptr<client::VaultClient> lister = vault_->ClientAs("case_officer");
  EXPECT_THAT(lister->List(v1::ListRecordsRequest()), IsOk());  // the 60th read
  EXPECT_THAT(lister->List(v1::ListRecordsRequest()),
              StatusIs(absl::StatusCode::kResourceExhausted, HasSubstr("60 reads per hour")));
  EXPECT_EQ(Get(*officer, record_id, v1::FOLLOW_UP).status.error_code(),
            grpc::StatusCode::RESOURCE_EXHAUSTED);

  auto reviewer = v1::RecordService::NewStub(ChannelAs("health_reviewer"));
  EXPECT_TRUE(Get(*reviewer, record_id, v1::CASE_REVIEW).status.ok());
  EXPECT_THAT(vault_->ClientAs("health_reviewer")->List(v1::ListRecordsRequest()), IsOk());
}

TEST_F(QuotaTest, FlaggedRepeatsMergeIntoAFlaggedCountAndCountersSurviveARestart) {
  const std::string record_id = SubmitOne(*vault_->ClientAs("visit_team"), "quota-merge-001");
  auto officer = v1::RecordService::NewStub(ChannelAs("case_officer"));
  for (int i = 0; i < kReadsPerHour; ++i) {
    ASSERT_TRUE(Get(*officer, record_id, v1::FOLLOW_UP).status.ok()) << "read " << i;
  }
  for (int i = 0; i < 3; ++i) {  // the first is written at once, two repeats are merged
    EXPECT_EQ(Get(*officer, record_id, v1::FOLLOW_UP).status.error_code(),
              grpc::StatusCode::RESOURCE_EXHAUSTED);
  }
  // Stopping flushes the merged count and saves the counters (server/quota_keeper.h): after a
  // restart the hour is still used up (issue 13, item 3).
  ASSERT_THAT(vault_->Restart(), IsOk());
  auto after = v1::RecordService::NewStub(ChannelAs("case_officer"));
  const Outcome refused = Get(*after, record_id, v1::FOLLOW_UP);
  EXPECT_EQ(refused.status.error_code(), grpc::StatusCode::RESOURCE_EXHAUSTED);
  EXPECT_THAT(refused.status.error_message(), HasSubstr("60 reads per hour"));
  // Other persons were never charged.
  EXPECT_TRUE(Get(*v1::RecordService::NewStub(ChannelAs("case_officer_qc")), record_id,
                  v1::FOLLOW_UP)
                  .status.ok());

  uint32_t refusals = 0;
  for (const v1::AuditEntry& entry : Entries()) {
    const v1::AuditEvent& e = entry.event();
    if (e.rule() != "deny:quota/reads_per_hour") continue;
    EXPECT_TRUE(e.flagged()) << "entry " << entry.index();
    refusals += e.count() == 0 ? 1 : e.count();
  }
  EXPECT_EQ(refusals, 4u);
}

TEST_F(QuotaTest, SubmissionPastHourlyQuotaIsRefusedAndFlagged) {
  std::unique_ptr<client::VaultClient> team = vault_->ClientAs("visit_team");
  for (int i = 0; i < kSubmissionsPerHour; ++i) {
    ASSERT_THAT(team->Submit(SyntheticRecord("quota"), absl::StrCat("quota-submit-", i)), IsOk())
        << "submission " << i;
  }
  EXPECT_THAT(team->Submit(SyntheticRecord("quota"), "quota-submit-over"),
              StatusIs(absl::StatusCode::kResourceExhausted,
                       ::testing::StartsWith("quota exceeded: 120 submissions per hour; the next "
                                             "submission is allowed in ")));
  bool found = false;
  for (const v1::AuditEntry& entry : Entries()) {
    const v1::AuditEvent& e = entry.event();
    if (e.rule() != "deny:quota/submissions_per_hour") continue;
    found = true;
    EXPECT_TRUE(e.flagged());
    EXPECT_EQ(e.action(), "submit_record");
    EXPECT_THAT(e.record_ids(), ::testing::IsEmpty());
  }
  EXPECT_TRUE(found);
}

TEST_F(QuotaTest, CliAuditTailFlaggedPrintsOnlyFlaggedEntries) {
  const std::string record_id = SubmitOne(*vault_->ClientAs("visit_team"), "quota-cli-0001");
  auto officer = v1::RecordService::NewStub(ChannelAs("case_officer"));
  for (int i = 0; i < kReadsPerHour; ++i) {
    ASSERT_TRUE(Get(*officer, record_id, v1::FOLLOW_UP).status.ok()) << "read " << i;
  }
  const Outcome refused = Get(*officer, record_id, v1::FOLLOW_UP);
  ASSERT_EQ(refused.status.error_code(), grpc::StatusCode::RESOURCE_EXHAUSTED);

  const std::string identity = vault_->identity_dir("auditor");
  CommandResult flagged = RunCommand({CONFIDANT_CLI_PATH, "--identity", identity, "--server",
                                      vault_->address(), "audit", "tail", "--flagged",
                                      "--count", "5"});
  ASSERT_EQ(flagged.exit_code, 0) << flagged.err;
  EXPECT_THAT(flagged.out, HasSubstr("rule=deny:quota/reads_per_hour"));
  EXPECT_THAT(flagged.out, HasSubstr("FLAGGED"));
  EXPECT_THAT(flagged.out, HasSubstr("code=RESOURCE_EXHAUSTED"));
  EXPECT_THAT(flagged.out, Not(HasSubstr("rule=allow:")));
  // Without --flagged, the allowed reads just before it are there too.
  CommandResult all = RunCommand({CONFIDANT_CLI_PATH, "--identity", identity, "--server",
                                  vault_->address(), "audit", "tail", "--count", "5"});
  ASSERT_EQ(all.exit_code, 0) << all.err;
  EXPECT_THAT(all.out, HasSubstr("rule=allow:"));
}

}  // namespace
}  // namespace confidant::testing
