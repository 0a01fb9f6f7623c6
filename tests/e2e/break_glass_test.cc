// Break-glass over real mTLS: an Ontario case officer asks for a Quebec record, an approver sees
// the request's metadata (never the record) and approves it, and the officer then reads only the
// sections the case-officer role holds wraps for, with consent still enforced. Request, approval
// and use are audit entries. The dev policy has no person who could both request and approve, so
// here the requester's attempt to approve is refused for want of the approver role; self-approval
// by such a person is break_glass_self_approval_test.cc, and expiry with a shifted clock is
// break_glass_expiry_test.cc.
#include <algorithm>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "confidant/v1/audit.grpc.pb.h"
#include "confidant/v1/policy_service.grpc.pb.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "server/request_paging.h"
#include "tests/e2e/break_glass_calls.h"
#include "tests/e2e/identity_helpers.h"
#include "tests/e2e/shared_vault_test.h"
#include "tests/e2e/vault_process.h"
#include "tests/e2e/witness_process.h"
#include "tests/testing/status_matchers.h"

namespace confidant::testing {
namespace {

using ::testing::AllOf;
using ::testing::Contains;
using ::testing::HasSubstr;
using ::testing::Not;

class BreakGlassTest : public SharedVaultTest {
 protected:
  static grpc::Status RequestAs(const std::string& role, const std::string& record_id,
                                v1::Purpose purpose, const std::string& reason,
                                std::string* request_id = nullptr) {
    return RequestBreakGlassAs(*vault_, role, record_id, purpose, reason, request_id);
  }
  static grpc::Status ListAs(const std::string& role, v1::ListBreakGlassRequestsResponse* out) {
    return ListBreakGlassAs(*vault_, role, out);
  }
  static grpc::Status DecideAs(const std::string& role, const std::string& request_id,
                               bool approve, v1::DecideBreakGlassResponse* out = nullptr) {
    return DecideBreakGlassAs(*vault_, role, request_id, approve, out);
  }
  static grpc::Status GetAs(const std::string& role, const std::string& record_id,
                            v1::Purpose purpose, v1::GetRecordResponse* out = nullptr) {
    return GetRecordAs(*vault_, role, record_id, purpose, out);
  }

  // Every audit event, as the auditor reads them.
  static std::vector<v1::AuditEvent> AuditEvents() {
    std::vector<v1::AuditEvent> events;
    for (const v1::AuditEntry& entry : AuditEntriesFrom(*vault_)) events.push_back(entry.event());
    return events;
  }

  // The first audit event whose detail is `detail` (an empty event if none).
  static v1::AuditEvent EventWithDetail(const std::string& detail) {
    for (const v1::AuditEvent& event : AuditEvents()) {
      if (event.detail() == detail) return event;
    }
    return v1::AuditEvent();
  }

};

// OK when `id` is 32 lower-case hex characters.
absl::Status ValidateHex(const std::string& id) {
  bool ok = id.size() == 32;
  for (char c : id) ok = ok && ((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'));
  return ok ? absl::OkStatus() : absl::InvalidArgumentError(id);
}

TEST_F(BreakGlassTest, ApprovedRequestLetsTheRequesterReadOnlyTheirRolesSections) {
  const std::string record = SubmitRecord("bg-roundtrip-content", "bg-roundtrip-001");
  grpc::Status before = GetAs("case_officer_on", record, v1::FOLLOW_UP);
  EXPECT_EQ(before.error_code(), grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_THAT(before.error_message(), HasSubstr("scope"));

  std::string id;
  grpc::Status requested =
      RequestAs("case_officer_on", record, v1::FOLLOW_UP, "detainee transferred to Ontario", &id);
  ASSERT_TRUE(requested.ok()) << requested.error_message();
  ASSERT_EQ(id.size(), 32u);

  v1::ListBreakGlassRequestsResponse listed;
  ASSERT_TRUE(ListAs("approver", &listed).ok());
  const v1::BreakGlassRequestSummary* mine = nullptr;
  for (const v1::BreakGlassRequestSummary& r : listed.requests()) {
    if (r.request_id() == id) mine = &r;
  }
  ASSERT_NE(mine, nullptr);
  EXPECT_EQ(mine->record_id(), record);
  EXPECT_EQ(mine->requester_person_id(), "case_officer_on");
  EXPECT_EQ(mine->purpose(), v1::FOLLOW_UP);
  EXPECT_EQ(mine->reason(), "detainee transferred to Ontario");
  EXPECT_THAT(listed.SerializeAsString(), Not(HasSubstr("bg-roundtrip-content")));
  // The approver never reads the record itself.
  EXPECT_EQ(GetAs("approver", record, v1::FOLLOW_UP).error_code(),
            grpc::StatusCode::PERMISSION_DENIED);

  v1::DecideBreakGlassResponse decided;
  grpc::Status approved = DecideAs("approver", id, true, &decided);
  ASSERT_TRUE(approved.ok()) << approved.error_message();
  EXPECT_TRUE(decided.granted());
  EXPECT_GT(decided.expires_unix_seconds(), absl::ToUnixSeconds(absl::Now()) + 3000);
  EXPECT_LE(decided.expires_unix_seconds(), absl::ToUnixSeconds(absl::Now()) + 3600);

  v1::GetRecordResponse got;
  grpc::Status read = GetAs("case_officer_on", record, v1::FOLLOW_UP, &got);
  ASSERT_TRUE(read.ok()) << read.error_message();
  EXPECT_TRUE(got.has_identity());
  EXPECT_TRUE(got.has_interview());
  EXPECT_TRUE(got.has_legal());
  EXPECT_FALSE(got.has_health());
  EXPECT_THAT(got.sections_released(), Not(Contains(v1::HEALTH)));

  // While the grant lasts, the register of personnel with access names the requester, why,
  // and for which purpose.
  {
    auto policy = v1::PolicyService::NewStub(ChannelAs(*vault_, "auditor"));
    grpc::ClientContext context;
    SetTestDeadline(context);
    v1::WhoCanRequest who;
    who.set_record_id(record);
    v1::WhoCanResponse register_;
    ASSERT_TRUE(policy->WhoCan(&context, who, &register_).ok());
    std::vector<v1::Section> sections;
    for (const v1::WhoCanEntry& e : register_.entries()) {
      if (e.person_id() != "case_officer_on") continue;
      sections.push_back(e.section());
      EXPECT_EQ(e.scope_reason().rfind("break-glass " + id + " until ", 0), 0u) << e.scope_reason();
      EXPECT_THAT(e.purposes(), ::testing::ElementsAre(v1::FOLLOW_UP));
    }
    EXPECT_THAT(sections, ::testing::ElementsAre(v1::IDENTITY, v1::INTERVIEW, v1::LEGAL));
  }

  // Decided requests leave the list; a second decision is refused.
  ASSERT_TRUE(ListAs("approver", &listed).ok());
  for (const v1::BreakGlassRequestSummary& r : listed.requests()) EXPECT_NE(r.request_id(), id);
  EXPECT_EQ(DecideAs("approver", id, false).error_code(), grpc::StatusCode::FAILED_PRECONDITION);

  const v1::AuditEvent request_event = EventWithDetail("break-glass request " + id);
  EXPECT_EQ(request_event.action(), "request_break_glass");
  EXPECT_EQ(request_event.principal(), DevPrincipalOf("case_officer_on"));
  const v1::AuditEvent approval = EventWithDetail("break-glass approved " + id + " (granted)");
  EXPECT_EQ(approval.action(), "approve_break_glass");
  EXPECT_EQ(approval.principal(), DevPrincipalOf("approver"));
  const v1::AuditEvent use = EventWithDetail("break-glass use " + id);
  EXPECT_EQ(use.action(), "get_record");
  EXPECT_EQ(use.rule(), "allow:break-glass/case_officer");
  EXPECT_THAT(use.sections_disclosed(), Not(Contains(v1::HEALTH)));
}

TEST_F(BreakGlassTest, RequesterCannotApproveOrListRequests) {
  const std::string record = SubmitRecord("bg-self", "bg-self-approve-01");
  std::string id;
  ASSERT_TRUE(RequestAs("case_officer_on", record, v1::FOLLOW_UP, "urgent", &id).ok());
  EXPECT_EQ(DecideAs("case_officer_on", id, true).error_code(),
            grpc::StatusCode::PERMISSION_DENIED);
  v1::ListBreakGlassRequestsResponse listed;
  EXPECT_EQ(ListAs("case_officer_on", &listed).error_code(), grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_EQ(GetAs("case_officer_on", record, v1::FOLLOW_UP).error_code(),
            grpc::StatusCode::PERMISSION_DENIED);
}

TEST_F(BreakGlassTest, RejectedRequestGrantsNothing) {
  const std::string record = SubmitRecord("bg-reject", "bg-rejected-0001");
  std::string id;
  ASSERT_TRUE(RequestAs("case_officer_on", record, v1::FOLLOW_UP, "curious", &id).ok());
  v1::DecideBreakGlassResponse decided;
  ASSERT_TRUE(DecideAs("approver", id, false, &decided).ok());
  EXPECT_FALSE(decided.granted());
  grpc::Status read = GetAs("case_officer_on", record, v1::FOLLOW_UP);
  EXPECT_EQ(read.error_code(), grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_THAT(read.error_message(), HasSubstr("scope"));
  EXPECT_EQ(DecideAs("approver", id, true).error_code(), grpc::StatusCode::FAILED_PRECONDITION);
  EXPECT_EQ(EventWithDetail("break-glass rejected " + id).principal(), DevPrincipalOf("approver"));
}

TEST_F(BreakGlassTest, RolesThatMayNotRequestAreRefused) {
  const std::string record = SubmitRecord("bg-visit", "bg-visit-team-01");
  for (const std::string role : {"visit_team", "approver", "auditor"}) {
    EXPECT_EQ(RequestAs(role, record, v1::FOLLOW_UP, "why not").error_code(),
              grpc::StatusCode::PERMISSION_DENIED)
        << role;
  }
}

TEST_F(BreakGlassTest, ConsentIsStillEnforcedUnderBreakGlass) {
  const std::string record = SubmitRecord("bg-consent", "bg-consent-0001");
  std::string id;
  ASSERT_TRUE(
      RequestAs("case_officer_on", record, v1::RAISE_WITH_AUTHORITY, "raise it", &id).ok());
  ASSERT_TRUE(DecideAs("approver", id, true).ok());
  grpc::Status raise = GetAs("case_officer_on", record, v1::RAISE_WITH_AUTHORITY);
  EXPECT_EQ(raise.error_code(), grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_THAT(raise.error_message(), HasSubstr("consent"));
  // A grant covers only the purpose it was approved for: follow-up is still out of scope.
  grpc::Status follow_up = GetAs("case_officer_on", record, v1::FOLLOW_UP);
  EXPECT_EQ(follow_up.error_code(), grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_THAT(follow_up.error_message(), HasSubstr("scope"));
}

TEST_F(BreakGlassTest, BadInputIsRefused) {
  const std::string record = SubmitRecord("bg-input", "bg-bad-input-001");
  EXPECT_EQ(DecideAs("approver", std::string(32, 'a'), true).error_code(),
            grpc::StatusCode::NOT_FOUND);
  for (const std::string& bad : std::vector<std::string>{"", "xyz", std::string(32, 'A'),
                                                         std::string(33, 'a')}) {
    EXPECT_EQ(DecideAs("approver", bad, true).error_code(), grpc::StatusCode::INVALID_ARGUMENT)
        << bad;
  }
  EXPECT_EQ(RequestAs("case_officer_on", "not-a-record", v1::FOLLOW_UP, "r").error_code(),
            grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(RequestAs("case_officer_on", record, v1::FOLLOW_UP, "").error_code(),
            grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(RequestAs("case_officer_on", record, v1::PURPOSE_UNSPECIFIED, "r").error_code(),
            grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(RequestAs("case_officer_on", record, v1::FOLLOW_UP, std::string(501, 'r')).error_code(),
            grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(RequestAs("case_officer_on", std::string(32, 'c'), v1::FOLLOW_UP, "r").error_code(),
            grpc::StatusCode::NOT_FOUND);
  // A record already in scope needs no break-glass.
  EXPECT_EQ(RequestAs("case_officer_qc", record, v1::FOLLOW_UP, "r").error_code(),
            grpc::StatusCode::FAILED_PRECONDITION);
}

TEST_F(BreakGlassTest, CliRoundTrip) {
  const std::string record = SubmitRecord("bg-cli", "bg-cli-round-01");
  auto cli = [&](const std::string& role, std::vector<std::string> args) {
    std::vector<std::string> all = {CONFIDANT_CLI_PATH, "--identity", vault_->identity_dir(role),
                                    "--server", vault_->address(), "break-glass"};
    all.insert(all.end(), args.begin(), args.end());
    return RunCommand(all);
  };
  CommandResult requested = cli("case_officer_on", {"request", record, "--purpose", "follow_up",
                                                    "--reason", "cli reason"});
  ASSERT_EQ(requested.exit_code, 0) << requested.err;
  const std::string id = requested.out.substr(0, 32);
  ASSERT_THAT(ValidateHex(id), IsOk());
  CommandResult listed = cli("approver", {"list"});
  ASSERT_EQ(listed.exit_code, 0) << listed.err;
  EXPECT_THAT(listed.out, HasSubstr(id));
  EXPECT_THAT(listed.out, HasSubstr("cli reason"));
  EXPECT_THAT(listed.out, Not(HasSubstr("bg-cli ")));
  EXPECT_NE(cli("case_officer_on", {"approve", id}).exit_code, 0);
  CommandResult approved = cli("approver", {"approve", id});
  ASSERT_EQ(approved.exit_code, 0) << approved.err;
  EXPECT_THAT(approved.out, HasSubstr("granted until"));
  EXPECT_TRUE(GetAs("case_officer_on", record, v1::FOLLOW_UP).ok());
}

// A requester sees where their own requests stand (and only theirs), and a read refused while
// one waits says so instead of suggesting a new request.
TEST_F(BreakGlassTest, ARequesterFollowsTheirOwnRequestsAndAWaitingOneIsNamedOnRefusal) {
  const std::string record = SubmitRecord("bg-mine", "bg-mine-follow-01");
  std::string id;
  ASSERT_TRUE(RequestAs("case_officer_on", record, v1::FOLLOW_UP, "transferred", &id).ok());

  const grpc::Status waiting = GetAs("case_officer_on", record, v1::FOLLOW_UP);
  EXPECT_EQ(waiting.error_code(), grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_THAT(waiting.error_message(),
              AllOf(HasSubstr("deny:scope"), HasSubstr(id), HasSubstr("waits for approvers"),
                    HasSubstr("0 of 1"), Not(HasSubstr("RECORD_ID"))));
  // Another purpose is not covered by the waiting request: the usual advice.
  EXPECT_THAT(GetAs("case_officer_on", record, v1::CASE_REVIEW).error_message(),
              Not(HasSubstr("waits for approvers")));

  auto own = [&](const std::string& role) {
    v1::ListBreakGlassRequestsResponse listed;
    const grpc::Status status = ListBreakGlassAs(*vault_, role, &listed, 0, "", /*mine=*/true);
    EXPECT_TRUE(status.ok()) << status.error_message();
    return listed;
  };
  const v1::ListBreakGlassRequestsResponse open = own("case_officer_on");
  const v1::BreakGlassRequestSummary* found = nullptr;
  for (const v1::BreakGlassRequestSummary& r : open.requests()) {
    EXPECT_EQ(r.requester_person_id(), "case_officer_on") << "only the caller's own";
    if (r.request_id() == id) found = &r;
  }
  ASSERT_NE(found, nullptr);
  EXPECT_EQ(found->state(), v1::REQUEST_OPEN);
  EXPECT_GT(found->expires_unix_seconds(), found->created_unix_seconds());
  EXPECT_EQ(found->approvals_needed(), 1u);
  const v1::ListBreakGlassRequestsResponse approvers_own = own("approver");
  for (const v1::BreakGlassRequestSummary& r : approvers_own.requests()) {
    EXPECT_NE(r.request_id(), id) << "an approver's own list holds none of another's";
  }

  ASSERT_TRUE(DecideAs("approver", id, false).ok());
  EXPECT_THAT(GetAs("case_officer_on", record, v1::FOLLOW_UP).error_message(),
              AllOf(HasSubstr(id), HasSubstr("was rejected")));
  bool rejected = false;
  const v1::ListBreakGlassRequestsResponse after = own("case_officer_on");
  for (const v1::BreakGlassRequestSummary& r : after.requests()) {
    if (r.request_id() == id) rejected = r.state() == v1::REQUEST_REJECTED;
  }
  EXPECT_TRUE(rejected);
  EXPECT_EQ(EventWithDetail("own break-glass requests").action(), "list_own_break_glass_requests");
  // Repeats merge into a counted entry: listing one's own requests cannot flood the log.
  for (int i = 0; i < 20; ++i) own("case_officer_on");
  int own_entries = 0;
  for (const v1::AuditEvent& event : AuditEvents()) {
    if (event.detail().starts_with("own break-glass requests")) ++own_entries;
  }
  EXPECT_LE(own_entries, 4) << "20 identical listings";

  const CommandResult listed =
      RunCommand({CONFIDANT_CLI_PATH, "--identity", vault_->identity_dir("case_officer_on"),
                  "--server", vault_->address(), "break-glass", "list", "--mine"});
  ASSERT_EQ(listed.exit_code, 0) << listed.err;
  EXPECT_THAT(listed.out, AllOf(HasSubstr(id), HasSubstr("rejected")));

  // Without --mine a requester is refused, and told how to follow their own.
  v1::ListBreakGlassRequestsResponse others;
  const grpc::Status refused = ListBreakGlassAs(*vault_, "case_officer_on", &others);
  EXPECT_EQ(refused.error_code(), grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_THAT(refused.error_message(), HasSubstr("break-glass list --mine"));
  // A decision takes no reason: typed, it is refused rather than silently dropped.
  const CommandResult with_reason =
      RunCommand({CONFIDANT_CLI_PATH, "--identity", vault_->identity_dir("approver"), "--server",
                  vault_->address(), "break-glass", "reject", id, "--reason", "not urgent"});
  EXPECT_EQ(with_reason.exit_code, 2);
  EXPECT_THAT(with_reason.err, HasSubstr("take no --reason"));

  v1::ListBreakGlassRequestsResponse bad;
  EXPECT_EQ(ListBreakGlassAs(*vault_, "case_officer_on", &bad, 0, "not-a-token", true)
                .error_code(),
            grpc::StatusCode::INVALID_ARGUMENT);
}

// Issue 13, item 1: one identity cannot pile up open requests (per-person cap, RESOURCE_EXHAUSTED
// with a flagged audit entry), and the approvers' list is paged in request id order.
TEST_F(BreakGlassTest, OpenRequestsPerPersonAreCappedAndTheListIsPaged) {
  // Close whatever earlier tests in this binary left open for this requester.
  auto open_by = [&](const std::string& person) {
    std::vector<std::string> ids;
    std::string token;
    do {
      v1::ListBreakGlassRequestsResponse page;
      EXPECT_TRUE(ListBreakGlassAs(*vault_, "approver", &page, 2, token).ok());
      for (const auto& r : page.requests()) {
        if (r.requester_person_id() == person) ids.push_back(r.request_id());
      }
      token = page.next_page_token();
    } while (!token.empty());
    return ids;
  };
  for (const std::string& id : open_by("case_officer_on")) {
    ASSERT_TRUE(DecideAs("approver", id, false).ok());
  }
  std::vector<std::string> records;
  for (size_t i = 0; i <= server::kMaxOpenBreakGlassRequestsPerPerson; ++i) {
    records.push_back(SubmitRecord("bg-cap", absl::StrCat("bg-cap-record-", i)));
  }
  const std::string& record = records[0];
  std::vector<std::string> mine;
  for (size_t i = 0; i < server::kMaxOpenBreakGlassRequestsPerPerson; ++i) {
    std::string id;
    ASSERT_TRUE(
        RequestAs("case_officer_on", records[i], v1::FOLLOW_UP, "cap test", &id).ok()) << i;
    mine.push_back(id);
  }
  // A second open request for the same record and purpose names the first instead.
  const grpc::Status twice = RequestAs("case_officer_on", record, v1::FOLLOW_UP, "again");
  EXPECT_EQ(twice.error_code(), grpc::StatusCode::FAILED_PRECONDITION);
  EXPECT_THAT(twice.error_message(), HasSubstr(mine[0]));
  grpc::Status over =
      RequestAs("case_officer_on", records.back(), v1::FOLLOW_UP, "one too many");
  EXPECT_EQ(over.error_code(), grpc::StatusCode::RESOURCE_EXHAUSTED);
  EXPECT_THAT(over.error_message(), HasSubstr("open break-glass requests"));
  const v1::AuditEvent refused = [&] {
    for (const v1::AuditEvent& e : AuditEvents()) {
      if (e.rule() == "deny:quota/open_break_glass_requests_per_person") return e;
    }
    return v1::AuditEvent();
  }();
  EXPECT_EQ(refused.decision(), v1::DENY);
  EXPECT_TRUE(refused.flagged());
  EXPECT_EQ(refused.status_code(), "RESOURCE_EXHAUSTED");

  // Paged two at a time: every open request exactly once, in id order.
  std::vector<std::string> listed;
  std::string token;
  int pages = 0;
  do {
    v1::ListBreakGlassRequestsResponse page;
    ASSERT_TRUE(ListBreakGlassAs(*vault_, "approver", &page, 2, token).ok());
    EXPECT_LE(page.requests_size(), 2);
    for (const auto& r : page.requests()) listed.push_back(r.request_id());
    token = page.next_page_token();
    ++pages;
  } while (!token.empty() && pages < 100);
  EXPECT_TRUE(std::is_sorted(listed.begin(), listed.end()));
  EXPECT_EQ(std::adjacent_find(listed.begin(), listed.end()), listed.end());
  for (const std::string& id : mine) EXPECT_THAT(listed, Contains(id));
  EXPECT_GE(pages, 3);

  v1::ListBreakGlassRequestsResponse bad;
  EXPECT_EQ(ListBreakGlassAs(*vault_, "approver", &bad, server::kMaxRequestPageSize + 1)
                .error_code(),
            grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(ListBreakGlassAs(*vault_, "approver", &bad, 2, "not-a-token").error_code(),
            grpc::StatusCode::INVALID_ARGUMENT);

  // A decided request frees its place.
  ASSERT_TRUE(DecideAs("approver", mine[0], false).ok());
  EXPECT_TRUE(RequestAs("case_officer_on", records.back(), v1::FOLLOW_UP, "room again").ok());
  for (const std::string& id : open_by("case_officer_on")) {
    EXPECT_TRUE(DecideAs("approver", id, false).ok());
  }
}

}  // namespace
}  // namespace confidant::testing
