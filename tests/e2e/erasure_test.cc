// Early erasure over real mTLS: a case officer in scope asks for a record to be crypto-shredded
// before its retention ends (a reason is required); an approver, a different person, sees the
// request's metadata and reason (never the record) and approves or rejects it. Approval shreds
// the record at once with a disposal receipt; a rejection destroys nothing; nobody outside
// scope or without the grant can ask, and nobody but an approver can decide. Self-approval is
// refused by the Authorizer (policy tests: the dev policy has no person who is both).
#include <algorithm>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "server/request_paging.h"
#include "tests/e2e/identity_helpers.h"
#include "tests/e2e/shared_vault_test.h"
#include "tests/e2e/vault_process.h"
#include "tests/e2e/witness_process.h"
#include "tests/testing/status_matchers.h"

namespace confidant::testing {
namespace {

using ::testing::AllOf;
using ::testing::HasSubstr;
using ::testing::Not;

class ErasureTest : public SharedVaultTest {
 protected:
  static std::unique_ptr<v1::RecordService::Stub> StubAs(const std::string& who) {
    return v1::RecordService::NewStub(ChannelAs(*vault_, who));
  }
  static grpc::Status RequestAs(const std::string& who, const std::string& record_id,
                                const std::string& reason, std::string* id = nullptr) {
    grpc::ClientContext context;
    SetTestDeadline(context);
    v1::RequestErasureRequest request;
    request.set_record_id(record_id);
    request.set_reason(reason);
    v1::RequestErasureResponse response;
    grpc::Status status = StubAs(who)->RequestErasure(&context, request, &response);
    if (id != nullptr) *id = response.request_id();
    return status;
  }
  static grpc::Status DecideAs(const std::string& who, const std::string& id, bool approve,
                               v1::DecideErasureResponse* out = nullptr) {
    grpc::ClientContext context;
    SetTestDeadline(context);
    v1::DecideErasureRequest request;
    request.set_request_id(id);
    request.set_approve(approve);
    v1::DecideErasureResponse response;
    grpc::Status status = StubAs(who)->DecideErasure(&context, request, &response);
    if (out != nullptr) *out = response;
    return status;
  }
  static grpc::Status ListAs(const std::string& who, v1::ListErasureRequestsResponse* out,
                             uint32_t page_size = 0, const std::string& page_token = "",
                             bool mine = false) {
    grpc::ClientContext context;
    SetTestDeadline(context);
    v1::ListErasureRequestsRequest request;
    request.set_page_size(page_size);
    request.set_page_token(page_token);
    request.set_mine(mine);
    return StubAs(who)->ListErasureRequests(&context, request, out);
  }
  // Every open request the approver sees, page by page (`page_size` each), in the order served.
  static std::vector<v1::ErasureRequestSummary> ListAll(uint32_t page_size, int* pages = nullptr) {
    std::vector<v1::ErasureRequestSummary> all;
    std::string token;
    int served = 0;
    do {
      v1::ListErasureRequestsResponse page;
      EXPECT_TRUE(ListAs("approver", &page, page_size, token).ok());
      EXPECT_LE(page.requests_size(), static_cast<int>(page_size));
      all.insert(all.end(), page.requests().begin(), page.requests().end());
      token = page.next_page_token();
    } while (!token.empty() && ++served < 1000);
    if (pages != nullptr) *pages = served + 1;
    return all;
  }
  static grpc::StatusCode ReadCode(const std::string& record_id) {
    v1::GetRecordRequest request;
    request.set_record_id(record_id);
    request.set_purpose(v1::FOLLOW_UP);
    absl::StatusOr<v1::GetRecordResponse> got = vault_->ClientAs("case_officer_qc")->Get(request);
    return static_cast<grpc::StatusCode>(got.status().code());
  }

};

TEST_F(ErasureTest, ApprovedByAnotherPersonTheRecordIsShreddedWithAReceipt) {
  const std::string record = SubmitRecord("erasure-content", "erasure-approve-01");
  std::string id;
  ASSERT_TRUE(RequestAs("case_officer_qc", record, "consent to keep withdrawn", &id).ok());
  ASSERT_EQ(id.size(), 32u);
  EXPECT_EQ(ReadCode(record), grpc::StatusCode::OK) << "nothing is destroyed before approval";

  v1::ListErasureRequestsResponse listed;
  ASSERT_TRUE(ListAs("approver", &listed).ok());
  const v1::ErasureRequestSummary* mine = nullptr;
  for (const auto& r : listed.requests()) {
    if (r.request_id() == id) mine = &r;
  }
  ASSERT_NE(mine, nullptr);
  EXPECT_EQ(mine->record_id(), record);
  EXPECT_EQ(mine->requester_person_id(), "case_officer_qc");
  EXPECT_EQ(mine->reason(), "consent to keep withdrawn");
  EXPECT_THAT(listed.SerializeAsString(), Not(HasSubstr("erasure-content")));
  // Only approvers list and decide; the requester is not one.
  EXPECT_EQ(ListAs("case_officer_qc", &listed).error_code(), grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_EQ(DecideAs("case_officer_qc", id, true).error_code(), grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_EQ(DecideAs("custodian", id, true).error_code(), grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_EQ(ReadCode(record), grpc::StatusCode::OK);

  v1::DecideErasureResponse decided;
  grpc::Status approved = DecideAs("approver", id, true, &decided);
  ASSERT_TRUE(approved.ok()) << approved.error_message();
  EXPECT_TRUE(decided.shredded());
  EXPECT_EQ(ReadCode(record), grpc::StatusCode::NOT_FOUND);
  EXPECT_EQ(DecideAs("approver", id, false).error_code(), grpc::StatusCode::FAILED_PRECONDITION);
  ASSERT_TRUE(ListAs("approver", &listed).ok());
  for (const auto& r : listed.requests()) EXPECT_NE(r.request_id(), id);

  std::vector<std::string> trail;
  for (const v1::AuditEntry& entry : AuditEntriesFrom(*vault_)) {
    const v1::AuditEvent& e = entry.event();
    if (e.record_ids_size() != 1 || e.record_ids(0) != record || e.status_code() != "OK") continue;
    if (e.action() == "request_erasure" || e.action() == "approve_erasure" ||
        e.action() == "record_shredded") {
      trail.push_back(e.action() + " " + e.rule());
      if (e.action() == "record_shredded") {
        EXPECT_THAT(e.detail(), HasSubstr(id));
        EXPECT_THAT(e.detail(), HasSubstr("case_officer_qc"));
        EXPECT_THAT(e.detail(), HasSubstr("approver"));
      }
    }
  }
  EXPECT_THAT(trail, ::testing::ElementsAre("request_erasure allow:grant/case_officer",
                                            "record_shredded vault:erasure-approved",
                                            "approve_erasure allow:grant/approver"));
}

TEST_F(ErasureTest, RejectedRequestDestroysNothing) {
  const std::string record = SubmitRecord("erasure-kept", "erasure-reject-01");
  std::string id;
  ASSERT_TRUE(RequestAs("case_officer_qc", record, "filed twice", &id).ok());
  v1::DecideErasureResponse decided;
  ASSERT_TRUE(DecideAs("approver", id, false, &decided).ok());
  EXPECT_FALSE(decided.shredded());
  EXPECT_EQ(ReadCode(record), grpc::StatusCode::OK);
  EXPECT_EQ(DecideAs("approver", id, true).error_code(), grpc::StatusCode::FAILED_PRECONDITION);
  EXPECT_EQ(ReadCode(record), grpc::StatusCode::OK);
}

// The requester, who may not list others' requests, lists their own with state and expiry.
TEST_F(ErasureTest, ARequesterFollowsTheirOwnRequests) {
  const std::string record = SubmitRecord("erasure-mine", "erasure-mine-01");
  std::string id;
  ASSERT_TRUE(RequestAs("case_officer_qc", record, "filed in error", &id).ok());
  v1::ListErasureRequestsResponse others;
  EXPECT_EQ(ListAs("case_officer_qc", &others).error_code(), grpc::StatusCode::PERMISSION_DENIED);
  auto state_of = [&](const std::string& who) {
    v1::ListErasureRequestsResponse listed;
    EXPECT_TRUE(ListAs(who, &listed, 0, "", /*mine=*/true).ok());
    std::optional<v1::ErasureRequestSummary> found;
    for (const v1::ErasureRequestSummary& r : listed.requests()) {
      EXPECT_EQ(r.requester_person_id(), who) << "only the caller's own";
      if (r.request_id() == id) found = r;
    }
    return found;
  };
  std::optional<v1::ErasureRequestSummary> open = state_of("case_officer_qc");
  ASSERT_TRUE(open.has_value());
  EXPECT_EQ(open->state(), v1::REQUEST_OPEN);
  EXPECT_EQ(open->expires_unix_seconds(), open->created_unix_seconds() + 30 * 86400);
  EXPECT_FALSE(state_of("approver").has_value());
  ASSERT_TRUE(DecideAs("approver", id, false).ok());
  std::optional<v1::ErasureRequestSummary> rejected = state_of("case_officer_qc");
  ASSERT_TRUE(rejected.has_value());
  EXPECT_EQ(rejected->state(), v1::REQUEST_REJECTED);
  const CommandResult listed =
      RunCommand({CONFIDANT_CLI_PATH, "--identity", vault_->identity_dir("case_officer_qc"),
                  "--server", vault_->address(), "erasure", "list", "--mine"});
  ASSERT_EQ(listed.exit_code, 0) << listed.err;
  EXPECT_THAT(listed.out, AllOf(HasSubstr(id), HasSubstr("rejected")));
}

TEST_F(ErasureTest, OnlyPersonsInScopeWithTheGrantMayAsk) {
  const std::string record = SubmitRecord("erasure-scope", "erasure-scope-01");
  grpc::Status out_of_scope = RequestAs("case_officer_on", record, "not mine");
  EXPECT_EQ(out_of_scope.error_code(), grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_THAT(out_of_scope.error_message(), HasSubstr("deny:scope"));
  for (const std::string who : {"visit_team", "health_reviewer", "auditor", "custodian", "approver"}) {
    EXPECT_EQ(RequestAs(who, record, "why").error_code(), grpc::StatusCode::PERMISSION_DENIED)
        << who;
  }
  EXPECT_EQ(ReadCode(record), grpc::StatusCode::OK);
}

TEST_F(ErasureTest, BadInputGetsAPreciseStatus) {
  const std::string record = SubmitRecord("erasure-bad", "erasure-bad-01");
  // A reason that would rewrite the approver's screen (insider review F1): refused, unquoted.
  const grpc::Status forged = RequestAs(
      "case_officer_qc", record, "filed in error\r\x1b[34Crecord b6ff65015f4f0741 reason: twice");
  EXPECT_EQ(forged.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(forged.error_message(),
            "reason: contains a control character or a text-direction override (not allowed "
            "here)");
  EXPECT_EQ(RequestAs("case_officer_qc", record, "").error_code(),
            grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(RequestAs("case_officer_qc", record, std::string(501, 'x')).error_code(),
            grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(RequestAs("case_officer_qc", "nope", "why").error_code(),
            grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(RequestAs("case_officer_qc", std::string(32, 'a'), "why").error_code(),
            grpc::StatusCode::NOT_FOUND);
  EXPECT_EQ(DecideAs("approver", "nope", true).error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(DecideAs("approver", std::string(32, 'a'), true).error_code(),
            grpc::StatusCode::NOT_FOUND);
  EXPECT_EQ(ReadCode(record), grpc::StatusCode::OK);
}

TEST_F(ErasureTest, CliRoundTrip) {
  const std::string record = SubmitRecord("erasure-cli", "erasure-cli-01");
  auto cli = [&](const std::string& who, std::vector<std::string> args) {
    std::vector<std::string> all = {CONFIDANT_CLI_PATH, "--identity", vault_->identity_dir(who),
                                    "--server", vault_->address(), "erasure"};
    all.insert(all.end(), args.begin(), args.end());
    return RunCommand(all);
  };
  EXPECT_EQ(cli("case_officer_qc", {"request", record}).exit_code, 2) << "a reason is required";
  CommandResult asked = cli("case_officer_qc", {"request", record, "--reason", "filed in error"});
  ASSERT_EQ(asked.exit_code, 0) << asked.err;
  const std::string id = asked.out.substr(0, 32);
  CommandResult listed = cli("approver", {"list"});
  ASSERT_EQ(listed.exit_code, 0) << listed.err;
  EXPECT_THAT(listed.out, HasSubstr(id));
  EXPECT_THAT(listed.out, HasSubstr("filed in error"));
  CommandResult approved = cli("approver", {"approve", id});
  ASSERT_EQ(approved.exit_code, 0) << approved.err;
  EXPECT_THAT(approved.out, HasSubstr("shredded"));
  EXPECT_EQ(ReadCode(record), grpc::StatusCode::NOT_FOUND);
}

// Issue 13, item 1: one identity cannot pile up open erasure requests (per-person cap,
// RESOURCE_EXHAUSTED with a flagged audit entry), and the approvers' list is paged in id order.
TEST_F(ErasureTest, OpenRequestsPerPersonAreCappedAndTheListIsPaged) {
  for (const auto& r : ListAll(50)) {  // whatever earlier tests in this binary left open
    if (r.requester_person_id() == "case_officer_qc") {
      ASSERT_TRUE(DecideAs("approver", r.request_id(), false).ok());
    }
  }
  std::vector<std::string> records;
  for (size_t i = 0; i <= server::kMaxOpenErasureRequestsPerPerson; ++i) {
    records.push_back(SubmitRecord("erasure-cap", absl::StrCat("erasure-cap-", i, "-x")));
  }
  const std::string& record = records[0];
  std::vector<std::string> mine;
  for (size_t i = 0; i < server::kMaxOpenErasureRequestsPerPerson; ++i) {
    std::string id;
    ASSERT_TRUE(RequestAs("case_officer_qc", records[i], "cap test", &id).ok()) << i;
    mine.push_back(id);
  }
  // A second open request for the same record names the first instead.
  const grpc::Status twice = RequestAs("case_officer_qc", record, "again");
  EXPECT_EQ(twice.error_code(), grpc::StatusCode::FAILED_PRECONDITION);
  EXPECT_THAT(twice.error_message(), HasSubstr(mine[0]));
  grpc::Status over = RequestAs("case_officer_qc", records.back(), "one too many");
  EXPECT_EQ(over.error_code(), grpc::StatusCode::RESOURCE_EXHAUSTED);
  EXPECT_THAT(over.error_message(), HasSubstr("open erasure requests"));
  bool flagged = false;
  for (const v1::AuditEntry& entry : AuditEntriesFrom(*vault_)) {
    const v1::AuditEvent& e = entry.event();
    if (e.rule() != "deny:quota/open_erasure_requests_per_person") continue;
    flagged = e.flagged() && e.decision() == v1::DENY && e.status_code() == "RESOURCE_EXHAUSTED";
  }
  EXPECT_TRUE(flagged);

  int pages = 0;
  std::vector<std::string> listed;
  for (const auto& r : ListAll(3, &pages)) listed.push_back(r.request_id());
  EXPECT_TRUE(std::is_sorted(listed.begin(), listed.end()));
  EXPECT_EQ(std::adjacent_find(listed.begin(), listed.end()), listed.end());
  for (const std::string& id : mine) EXPECT_THAT(listed, ::testing::Contains(id));
  EXPECT_GE(pages, 4);

  v1::ListErasureRequestsResponse bad;
  EXPECT_EQ(ListAs("approver", &bad, server::kMaxRequestPageSize + 1).error_code(),
            grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(ListAs("approver", &bad, 3, "not-a-token").error_code(),
            grpc::StatusCode::INVALID_ARGUMENT);

  // A decided request frees its place; nothing was shredded by rejecting.
  ASSERT_TRUE(DecideAs("approver", mine[0], false).ok());
  EXPECT_TRUE(RequestAs("case_officer_qc", records.back(), "room again").ok());
  for (const auto& r : ListAll(50)) {
    if (r.requester_person_id() == "case_officer_qc") {
      EXPECT_TRUE(DecideAs("approver", r.request_id(), false).ok());
    }
  }
  EXPECT_EQ(ReadCode(record), grpc::StatusCode::OK);
}

}  // namespace
}  // namespace confidant::testing
