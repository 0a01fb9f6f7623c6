// The call budget over real mTLS (issue 13, item 3): one identity flooding the vault with
// calls that are refused, name records that do not exist or carry malformed ids causes a
// bounded number of audit entries. Every call charges the caller's calls_per_hour (whatever its
// outcome); past it the call is RESOURCE_EXHAUSTED and the refusals of one caller are counted in
// one flagged `call_budget_exceeded` entry per hour. A read of an id that does not exist
// charges the reads quota like any read (server/call.cc).
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "base/files.h"
#include "confidant/v1/operator.grpc.pb.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/e2e/identity_helpers.h"
#include "tests/e2e/policy_helpers.h"
#include "tests/e2e/vault_process.h"
#include "tests/testing/status_matchers.h"

namespace confidant::testing {
namespace {

using ::testing::HasSubstr;
using ::testing::StartsWith;

constexpr int kReadsPerHour = 60;  // deploy/policy.example.textproto default_quota
constexpr int kCallsPerHour = 40;  // set by CallBudgetTest::LowerTheCallBudget

class CallBudgetTest : public ::testing::Test {
 protected:
  void SetUp() override {
    absl::StatusOr<std::unique_ptr<VaultProcess>> vault = VaultProcess::Start();
    ASSERT_THAT(vault, IsOk());
    vault_ = *std::move(vault);
  }

  // Installs and reloads the dev policy with every default-quota person limited to
  // kCallsPerHour calls per hour.
  void LowerTheCallBudget() {
    absl::StatusOr<std::string> original = ReadFile(DevPolicyPath(*vault_));
    ASSERT_THAT(original, IsOk());
    const std::string quota = "default_quota { reads_per_hour: 60";
    ASSERT_NE(original->find(quota), std::string::npos);
    const std::string text = absl::StrReplaceAll(
        *original, {{"\nversion: 1\n", "\nversion: 2\n"},
                    {quota, absl::StrCat("default_quota { calls_per_hour: ", kCallsPerHour,
                                         " reads_per_hour: 60")}});
    absl::StatusOr<std::string> signatures = SignedByDevKeys(*vault_, text, {1, 2});
    ASSERT_THAT(signatures, IsOk());
    ASSERT_THAT(InstallDevPolicy(*vault_, text, *signatures), IsOk());
    v1::ReloadPolicyResponse reloaded;
    const grpc::Status status = ReloadPolicyAs(*vault_, "custodian", &reloaded);
    ASSERT_TRUE(status.ok()) << status.error_message();
    ASSERT_EQ(reloaded.version(), 2u);
  }

  static grpc::Status Get(v1::RecordService::Stub& stub, const std::string& record_id) {
    grpc::ClientContext context;
    SetTestDeadline(context);
    v1::GetRecordRequest request;
    request.set_record_id(record_id);
    request.set_purpose(v1::FOLLOW_UP);
    v1::GetRecordResponse response;
    return stub.GetRecord(&context, request, &response);
  }

  // A well-formed record id that names no record.
  static std::string UnknownId(int i) { return absl::StrCat(std::string(25, 'a'), 1000000 + i); }

  std::vector<v1::AuditEvent> EventsOf(const std::string& role) {
    std::vector<v1::AuditEvent> events;
    for (const v1::AuditEntry& entry : AuditEntriesFrom(*vault_)) {
      if (entry.event().principal() == DevPrincipalOf(role)) events.push_back(entry.event());
    }
    return events;
  }

  std::unique_ptr<VaultProcess> vault_;
};

TEST_F(CallBudgetTest, AFloodOfUnknownMalformedAndDeniedCallsLeavesBoundedEntries) {
  LowerTheCallBudget();
  auto officer = v1::RecordService::NewStub(ChannelAs(*vault_, "case_officer"));
  int refused_by_budget = 0;
  constexpr int kFlood = 300;
  for (int i = 0; i < kFlood; ++i) {
    grpc::Status status;
    switch (i % 3) {
      case 0: status = Get(*officer, UnknownId(i)); break;           // no such record
      case 1: status = Get(*officer, absl::StrCat("zz-", i)); break;  // malformed id
      default: {                                                      // a role it lacks
        auto operators = v1::OperatorService::NewStub(ChannelAs(*vault_, "case_officer"));
        grpc::ClientContext context;
        SetTestDeadline(context);
        v1::RewrapStatus rewrap;
        status = operators->GetRewrapStatus(&context, {}, &rewrap);
        break;
      }
    }
    if (i >= kCallsPerHour) {
      EXPECT_EQ(status.error_code(), grpc::StatusCode::RESOURCE_EXHAUSTED) << "call " << i;
      EXPECT_THAT(status.error_message(),
                  StartsWith("quota exceeded: 40 calls per hour; the next call is allowed in "));
    } else {
      EXPECT_NE(status.error_code(), grpc::StatusCode::RESOURCE_EXHAUSTED) << "call " << i;
    }
    if (status.error_code() == grpc::StatusCode::RESOURCE_EXHAUSTED) ++refused_by_budget;
  }
  EXPECT_EQ(refused_by_budget, kFlood - kCallsPerHour);

  // Before the hour's count is written: at most one entry per call within the budget, and one
  // flagged entry for everything past it.
  std::vector<v1::AuditEvent> events = EventsOf("case_officer");
  EXPECT_LE(events.size(), static_cast<size_t>(kCallsPerHour + 1));
  int over = 0;
  for (const v1::AuditEvent& e : events) {
    if (e.action() != "call_budget_exceeded") continue;
    ++over;
    EXPECT_TRUE(e.flagged());
    EXPECT_EQ(e.decision(), v1::DENY);
    EXPECT_EQ(e.rule(), "deny:quota/calls_per_hour");
    EXPECT_EQ(e.status_code(), "RESOURCE_EXHAUSTED");
    EXPECT_TRUE(e.record_ids().empty());
  }
  EXPECT_EQ(over, 1);

  // Stopping writes the merged count: every refused call is accounted for, in two entries.
  ASSERT_THAT(vault_->Restart(), IsOk());
  uint32_t counted = 0;
  int entries = 0;
  for (const v1::AuditEvent& e : EventsOf("case_officer")) {
    if (e.action() != "call_budget_exceeded") continue;
    ++entries;
    EXPECT_TRUE(e.flagged());
    counted += e.count() == 0 ? 1 : e.count();
  }
  EXPECT_EQ(entries, 2);
  EXPECT_EQ(counted, static_cast<uint32_t>(kFlood - kCallsPerHour));

  // Other persons keep their own budget.
  auto reviewer = v1::RecordService::NewStub(ChannelAs(*vault_, "health_reviewer"));
  EXPECT_EQ(Get(*reviewer, UnknownId(0)).error_code(), grpc::StatusCode::NOT_FOUND);
}

TEST_F(CallBudgetTest, AReadOfAnIdThatDoesNotExistCostsTheReadsQuota) {
  auto officer = v1::RecordService::NewStub(ChannelAs(*vault_, "case_officer"));
  for (int i = 0; i < kReadsPerHour; ++i) {
    ASSERT_EQ(Get(*officer, UnknownId(i)).error_code(), grpc::StatusCode::NOT_FOUND) << i;
  }
  const grpc::Status refused = Get(*officer, UnknownId(kReadsPerHour));
  EXPECT_EQ(refused.error_code(), grpc::StatusCode::RESOURCE_EXHAUSTED);
  EXPECT_THAT(refused.error_message(), HasSubstr("60 reads per hour"));
  // Each probe is one entry; none of them merges away, and the refusal is flagged.
  int probes = 0;
  int flagged = 0;
  for (const v1::AuditEvent& e : EventsOf("case_officer")) {
    if (e.rule() == "allow:grant-but-no-such-record") ++probes;
    if (e.rule() == "deny:quota/reads_per_hour" && e.flagged()) ++flagged;
  }
  EXPECT_EQ(probes, kReadsPerHour);
  EXPECT_EQ(flagged, 1);
}

}  // namespace
}  // namespace confidant::testing
