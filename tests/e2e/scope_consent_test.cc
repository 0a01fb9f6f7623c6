// Need-to-know over real mTLS: region scopes on get and list, consent per purpose, separation of
// duties, existence hidden from those who could not read, and the auditor's WhoCan and
// ExplainDecision views of the same rules. Every refusal's audit entry names its rule.
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "confidant/v1/audit.grpc.pb.h"
#include "confidant/v1/policy_service.grpc.pb.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/e2e/identity_helpers.h"
#include "tests/e2e/vault_process.h"
#include "tests/testing/status_matchers.h"

namespace confidant::testing {
namespace {

using ::testing::Contains;
using ::testing::HasSubstr;
using ::testing::Not;

// One finished GetRecord call.
struct GetOutcome {
  grpc::Status status;
  std::string request_id;
  v1::GetRecordResponse response;
};

class ScopeConsentTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    absl::StatusOr<std::unique_ptr<VaultProcess>> vault = VaultProcess::Start();
    ASSERT_THAT(vault, IsOk());
    vault_ = vault->release();
    ontario_id_ = new std::string(Submit(OntarioRecord(), "scope-ontario-01"));
    quebec_id_ = new std::string(Submit(SyntheticRecord("quebec"), "scope-quebec-001"));
  }
  void SetUp() override { ASSERT_NE(vault_, nullptr) << "the vault did not start"; }

  static void TearDownTestSuite() {
    delete vault_;
    delete ontario_id_;
    delete quebec_id_;
  }

  static v1::InterviewRecord OntarioRecord() {
    v1::InterviewRecord record = SyntheticRecord("ontario");
    record.mutable_visit()->set_region(v1::ONTARIO);
    record.mutable_visit()->set_facility_id("on-tor-ihc");
    record.mutable_visit()->set_team("team-ontario-2");
    return record;
  }

  static std::string Submit(const v1::InterviewRecord& record, const std::string& submission_id) {
    absl::StatusOr<v1::SubmitRecordResponse> submitted =
        vault_->ClientAs("visit_team")->Submit(record, submission_id);
    EXPECT_THAT(submitted, IsOk());
    return submitted.ok() ? submitted->record_id() : "";
  }

  static std::shared_ptr<grpc::Channel> ChannelAs(const std::string& role) {
    return testing::ChannelAs(*vault_, role);
  }

  static std::string RequestId(const grpc::ClientContext& context) { return RequestIdOf(context); }

  static GetOutcome GetAs(const std::string& role, const std::string& record_id,
                          v1::Purpose purpose) {
    auto stub = v1::RecordService::NewStub(ChannelAs(role));
    grpc::ClientContext context;
    SetTestDeadline(context);
    v1::GetRecordRequest request;
    request.set_record_id(record_id);
    request.set_purpose(purpose);
    GetOutcome outcome;
    outcome.status = stub->GetRecord(&context, request, &outcome.response);
    outcome.request_id = RequestId(context);
    return outcome;
  }

  static std::set<std::string> ListedAs(const std::string& role) {
    absl::StatusOr<v1::ListRecordsResponse> listed =
        vault_->ClientAs(role)->List(v1::ListRecordsRequest());
    EXPECT_THAT(listed, IsOk());
    std::set<std::string> ids;
    if (listed.ok()) {
      for (const v1::RecordSummary& summary : listed->records()) ids.insert(summary.record_id());
    }
    return ids;
  }

  // The rule of the audit entry with `request_id`, as the auditor reads it ("" if none).
  static std::string AuditedRule(const std::string& request_id) {
    std::string rule = "<no entry>";
    for (const v1::AuditEntry& entry : AuditEntriesFrom(*vault_)) {
      if (entry.event().request_id() == request_id) rule = entry.event().rule();
    }
    return rule;
  }

  static VaultProcess* vault_;
  static std::string* ontario_id_;
  static std::string* quebec_id_;
};

VaultProcess* ScopeConsentTest::vault_ = nullptr;
std::string* ScopeConsentTest::ontario_id_ = nullptr;
std::string* ScopeConsentTest::quebec_id_ = nullptr;

TEST_F(ScopeConsentTest, OntarioCaseOfficerReadsOntarioAndIsRefusedQuebecByScope) {
  GetOutcome ontario = GetAs("case_officer_on", *ontario_id_, v1::FOLLOW_UP);
  EXPECT_TRUE(ontario.status.ok()) << ontario.status.error_message();
  EXPECT_EQ(ontario.response.record_id(), *ontario_id_);
  EXPECT_TRUE(ontario.response.has_identity());

  GetOutcome quebec = GetAs("case_officer_on", *quebec_id_, v1::FOLLOW_UP);
  EXPECT_EQ(quebec.status.error_code(), grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_THAT(quebec.status.error_message(), HasSubstr("scope"));
  EXPECT_FALSE(quebec.response.has_identity());
  EXPECT_EQ(AuditedRule(quebec.request_id), "deny:scope");
}

TEST_F(ScopeConsentTest, QuebecCaseOfficerIsTheMirrorImage) {
  EXPECT_TRUE(GetAs("case_officer_qc", *quebec_id_, v1::CASE_REVIEW).status.ok());
  GetOutcome ontario = GetAs("case_officer_qc", *ontario_id_, v1::CASE_REVIEW);
  EXPECT_EQ(ontario.status.error_code(), grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_THAT(ontario.status.error_message(), HasSubstr("scope"));
  EXPECT_EQ(AuditedRule(ontario.request_id), "deny:scope");
}

TEST_F(ScopeConsentTest, ListShowsOnlyRecordsInScope) {
  const std::set<std::string> on = ListedAs("case_officer_on");
  EXPECT_THAT(on, Contains(*ontario_id_));
  EXPECT_THAT(on, Not(Contains(*quebec_id_)));
  const std::set<std::string> qc = ListedAs("case_officer_qc");
  EXPECT_THAT(qc, Contains(*quebec_id_));
  EXPECT_THAT(qc, Not(Contains(*ontario_id_)));
  const std::set<std::string> everywhere = ListedAs("case_officer");
  EXPECT_THAT(everywhere, Contains(*ontario_id_));
  EXPECT_THAT(everywhere, Contains(*quebec_id_));
}

TEST_F(ScopeConsentTest, CaseOfficerEverywhereReadsBothRegions) {
  EXPECT_TRUE(GetAs("case_officer", *ontario_id_, v1::FOLLOW_UP).status.ok());
  EXPECT_TRUE(GetAs("case_officer", *quebec_id_, v1::FOLLOW_UP).status.ok());
}

TEST_F(ScopeConsentTest, PurposeNeedingConsentIsRefusedWithoutIt) {
  v1::InterviewRecord record = SyntheticRecord("no-medical-consent");
  record.clear_consents();
  for (v1::Purpose p : {v1::FOLLOW_UP, v1::CASE_REVIEW}) {
    v1::Consent* consent = record.add_consents();
    consent->set_purpose(p);
    consent->set_given(true);
    consent->set_recorded_on("2026-10-02");
  }
  const std::string id = Submit(record, "consent-none-med-01");
  GetOutcome referral = GetAs("health_reviewer", id, v1::MEDICAL_REFERRAL);
  EXPECT_EQ(referral.status.error_code(), grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_THAT(referral.status.error_message(), HasSubstr("consent"));
  EXPECT_FALSE(referral.response.has_health());
  EXPECT_EQ(AuditedRule(referral.request_id), "deny:consent");

  GetOutcome review = GetAs("health_reviewer", id, v1::CASE_REVIEW);  // needs no consent
  EXPECT_TRUE(review.status.ok()) << review.status.error_message();
  EXPECT_TRUE(review.response.has_health());
}

TEST_F(ScopeConsentTest, ConsentRecordedAsNotGivenRefusesRaisingWithAuthority) {
  v1::InterviewRecord record = SyntheticRecord("refused-authority");
  v1::Consent* refused = record.add_consents();
  refused->set_purpose(v1::RAISE_WITH_AUTHORITY);
  refused->set_given(false);
  refused->set_recorded_on("2026-10-02");
  const std::string id = Submit(record, "consent-no-raise-01");
  GetOutcome raise = GetAs("case_officer", id, v1::RAISE_WITH_AUTHORITY);
  EXPECT_EQ(raise.status.error_code(), grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_THAT(raise.status.error_message(), HasSubstr("consent"));
  EXPECT_EQ(AuditedRule(raise.request_id), "deny:consent");
  EXPECT_TRUE(GetAs("case_officer", id, v1::FOLLOW_UP).status.ok());
}

TEST_F(ScopeConsentTest, NonReadingRolesNeverReadARecord) {
  for (const std::string role : {"auditor", "reporting", "custodian", "approver"}) {
    GetOutcome got = GetAs(role, *ontario_id_, v1::CASE_REVIEW);
    EXPECT_EQ(got.status.error_code(), grpc::StatusCode::PERMISSION_DENIED) << role;
    EXPECT_FALSE(got.response.has_interview()) << role;
    EXPECT_EQ(AuditedRule(got.request_id), "deny:separation-of-duties") << role;
  }
}

TEST_F(ScopeConsentTest, UnknownRecordIsNotFoundOnlyForThoseWhoCouldReadRecords) {
  const std::string missing(32, 'b');
  EXPECT_EQ(GetAs("case_officer", missing, v1::FOLLOW_UP).status.error_code(),
            grpc::StatusCode::NOT_FOUND);
  EXPECT_EQ(GetAs("visit_team", missing, v1::FOLLOW_UP).status.error_code(),
            grpc::StatusCode::PERMISSION_DENIED);
}

TEST_F(ScopeConsentTest, WhoCanListsEveryPersonInScopeWithSectionsAndWhy) {
  auto stub = v1::PolicyService::NewStub(ChannelAs("auditor"));
  grpc::ClientContext context;
  SetTestDeadline(context);
  v1::WhoCanRequest request;
  request.set_record_id(*ontario_id_);
  v1::WhoCanResponse response;
  grpc::Status status = stub->WhoCan(&context, request, &response);
  ASSERT_TRUE(status.ok()) << status.error_message();
  std::set<std::string> persons;
  std::set<std::pair<std::string, int>> person_sections;
  for (const v1::WhoCanEntry& entry : response.entries()) {
    persons.insert(entry.person_id());
    person_sections.insert({entry.person_id(), entry.section()});
    EXPECT_FALSE(entry.purposes().empty()) << entry.person_id();
    if (entry.person_id() == "case_officer_on") {
      EXPECT_EQ(entry.scope_reason(), "within scope");  // never the record's region
      EXPECT_EQ(entry.role(), "case_officer");
    }
    if (entry.person_id() == "case_officer") {
      EXPECT_EQ(entry.scope_reason(), "everywhere");
      // No consent to raise this record with the authorities: not a purpose anyone has today.
      EXPECT_THAT(entry.purposes(), Not(Contains(v1::RAISE_WITH_AUTHORITY)));
    }
  }
  EXPECT_EQ(persons, (std::set<std::string>{"case_officer", "case_officer_on", "health_reviewer",
                                            "legal_adviser", "bench_case_officer"}));
  EXPECT_THAT(person_sections, Contains(std::make_pair(std::string("case_officer_on"),
                                                       static_cast<int>(v1::IDENTITY))));
  EXPECT_THAT(person_sections, Contains(std::make_pair(std::string("health_reviewer"),
                                                       static_cast<int>(v1::HEALTH))));
  EXPECT_THAT(person_sections, Not(Contains(std::make_pair(std::string("case_officer_on"),
                                                           static_cast<int>(v1::HEALTH)))));

  auto officer = v1::PolicyService::NewStub(ChannelAs("case_officer"));
  grpc::ClientContext officer_context;
  SetTestDeadline(officer_context);
  v1::WhoCanResponse refused;
  EXPECT_EQ(officer->WhoCan(&officer_context, request, &refused).error_code(),
            grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_EQ(refused.entries_size(), 0);
}

TEST_F(ScopeConsentTest, ExplainDecisionNamesTheScopeRule) {
  auto stub = v1::PolicyService::NewStub(ChannelAs("auditor"));
  grpc::ClientContext context;
  SetTestDeadline(context);
  v1::ExplainDecisionRequest request;
  request.set_person_id("case_officer_on");
  request.set_action("get_record");
  request.set_record_id(*quebec_id_);
  request.set_purpose(v1::FOLLOW_UP);
  v1::ExplainDecisionResponse response;
  grpc::Status status = stub->ExplainDecision(&context, request, &response);
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_FALSE(response.allowed());
  EXPECT_EQ(response.rule(), "deny:scope");
  EXPECT_FALSE(response.explanation().empty());

  request.set_record_id(*ontario_id_);
  grpc::ClientContext allowed_context;
  SetTestDeadline(allowed_context);
  ASSERT_TRUE(stub->ExplainDecision(&allowed_context, request, &response).ok());
  EXPECT_TRUE(response.allowed());
  EXPECT_EQ(response.rule(), "allow:grant/case_officer");
}

}  // namespace
}  // namespace confidant::testing
