// Authorizer::Decide and RolesThatRead over the shipped example policy: deny by default,
// need-to-know sections per role, a purpose on every read, separation of duties by person.
#include "policy/authorizer.h"

#include <memory>
#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/policy/policy_test_util.h"

namespace confidant::policy {
namespace {

using namespace testing_util;  // NOLINT: test helpers
using ::testing::ElementsAre;
using ::testing::IsEmpty;

using Outcome = Decision::Outcome;

class ExamplePolicyTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::shared_ptr<const Policy> policy = Load(ReadExamplePolicy());
    ASSERT_NE(policy, nullptr);
    authorizer_ = std::make_unique<Authorizer>(policy);
  }
  // A read of an Ontario record with consent given for every purpose.
  Decision Read(const std::string& who, v1::Purpose purpose) const {
    RecordFacts facts = Record("r-1", v1::ONTARIO);
    for (int p = v1::FOLLOW_UP; p <= v1::Purpose_MAX; ++p) {
      facts.consent[static_cast<v1::Purpose>(p)] = Consent::kGiven;
    }
    AccessRequest request;
    request.principal = who;
    request.purpose = purpose;
    request.record = &facts;
    request.now_unix_seconds = kNow;
    return authorizer_->Decide(request);
  }
  std::unique_ptr<Authorizer> authorizer_;
};

TEST_F(ExamplePolicyTest, CaseOfficerReadReleasesIdentityInterviewLegal) {
  const Decision d = Read(Dev("case_officer"), v1::FOLLOW_UP);
  ASSERT_TRUE(d.allowed()) << d.rule;
  EXPECT_EQ(d.rule, "allow:grant/case_officer");
  EXPECT_EQ(d.person_id, "case_officer");
  EXPECT_THAT(d.sections, ElementsAre(SectionGrant{v1::IDENTITY, v1::CASE_OFFICER},
                                      SectionGrant{v1::INTERVIEW, v1::CASE_OFFICER},
                                      SectionGrant{v1::LEGAL, v1::CASE_OFFICER}));
}

TEST_F(ExamplePolicyTest, HealthReviewerReadReleasesInterviewAndHealthOnly) {
  const Decision d = Read(Dev("health_reviewer"), v1::MEDICAL_REFERRAL);
  ASSERT_TRUE(d.allowed()) << d.rule;
  EXPECT_THAT(d.sections, ElementsAre(SectionGrant{v1::INTERVIEW, v1::HEALTH_REVIEWER},
                                      SectionGrant{v1::HEALTH, v1::HEALTH_REVIEWER}));
}

TEST_F(ExamplePolicyTest, LegalAdviserReadReleasesIdentityInterviewLegalInSectionOrder) {
  const Decision d = Read(Dev("legal_adviser"), v1::LEGAL_REFERRAL);
  ASSERT_TRUE(d.allowed()) << d.rule;
  EXPECT_THAT(d.sections, ElementsAre(SectionGrant{v1::IDENTITY, v1::LEGAL_ADVISER},
                                      SectionGrant{v1::INTERVIEW, v1::LEGAL_ADVISER},
                                      SectionGrant{v1::LEGAL, v1::LEGAL_ADVISER}));
}

TEST_F(ExamplePolicyTest, PurposeNotAllowedForTheRoleIsDenied) {
  const std::pair<const char*, v1::Purpose> cases[] = {
      {"case_officer", v1::MEDICAL_REFERRAL}, {"case_officer", v1::LEGAL_REFERRAL},
      {"health_reviewer", v1::LEGAL_REFERRAL}, {"health_reviewer", v1::FOLLOW_UP},
      {"legal_adviser", v1::QUALITY_ASSURANCE}, {"legal_adviser", v1::RAISE_WITH_AUTHORITY}};
  for (const auto& [role, purpose] : cases) {
    const Decision d = Read(Dev(role), purpose);
    EXPECT_EQ(d.rule, "deny:purpose-not-allowed-for-role") << role << " " << PurposeName(purpose);
    EXPECT_THAT(d.sections, IsEmpty());
  }
}

TEST_F(ExamplePolicyTest, UnspecifiedPurposeIsDeniedForEveryReader) {
  for (const char* role : {"case_officer", "health_reviewer", "legal_adviser"}) {
    const Decision d = Read(Dev(role), v1::PURPOSE_UNSPECIFIED);
    EXPECT_EQ(d.rule, "deny:purpose-required") << role;
    EXPECT_THAT(d.sections, IsEmpty()) << role;
  }
}

TEST_F(ExamplePolicyTest, UnknownPrincipalIsReportedAsUnknownForEveryAction) {
  for (const std::string& who : {Dev("nobody"), std::string(""), Dev("case_officer") + "/x",
                                 std::string("SPIFFE://confidant.example/dev/case_officer")}) {
    for (int a = 0; a <= static_cast<int>(Action::kOperateVault); ++a) {
      AccessRequest request;
      request.principal = who;
      request.action = static_cast<Action>(a);
      const Decision d = authorizer_->Decide(request);
      EXPECT_EQ(d.outcome, Outcome::kUnknownPrincipal) << who;
      EXPECT_EQ(d.rule, "deny:unknown-principal");
      EXPECT_TRUE(d.person_id.empty());
    }
  }
}

TEST_F(ExamplePolicyTest, NonReadersGetNoSectionsForAnyPurpose) {
  for (const char* role : {"visit_team", "reporting", "auditor", "custodian", "approver"}) {
    for (int p = v1::FOLLOW_UP; p <= v1::RAISE_WITH_AUTHORITY; ++p) {
      const Decision d = Read(Dev(role), static_cast<v1::Purpose>(p));
      EXPECT_FALSE(d.allowed()) << role << " " << p;
      EXPECT_EQ(d.rule, std::string(role) == "visit_team" ? "deny:no-grant/get_record"
                                                          : "deny:separation-of-duties");
      EXPECT_THAT(d.sections, IsEmpty()) << role << " " << p;
    }
  }
}

TEST_F(ExamplePolicyTest, ScopedCaseOfficersReadOnlyTheirRegion) {
  EXPECT_TRUE(Read(Dev("case_officer_on"), v1::FOLLOW_UP).allowed());
  EXPECT_EQ(Read(Dev("case_officer_qc"), v1::FOLLOW_UP).rule, "deny:scope");
}

TEST_F(ExamplePolicyTest, RolesThatReadEachSection) {
  EXPECT_THAT(authorizer_->RolesThatRead(v1::IDENTITY), ElementsAre(v1::CASE_OFFICER, v1::LEGAL_ADVISER));
  EXPECT_THAT(authorizer_->RolesThatRead(v1::INTERVIEW),
              ElementsAre(v1::CASE_OFFICER, v1::HEALTH_REVIEWER, v1::LEGAL_ADVISER));
  EXPECT_THAT(authorizer_->RolesThatRead(v1::HEALTH), ElementsAre(v1::HEALTH_REVIEWER));
  EXPECT_THAT(authorizer_->RolesThatRead(v1::LEGAL), ElementsAre(v1::CASE_OFFICER, v1::LEGAL_ADVISER));
  EXPECT_THAT(authorizer_->RolesThatRead(v1::SECTION_UNSPECIFIED), IsEmpty());
}

// The example plus one person holding two reading roles (and approver).
std::string ExampleWithTwoRolePerson() {
  return ReadExamplePolicy() +
         "\npersons { id: \"both\" certificates: [\"spiffe://x/both\"] scope { everywhere: true }"
         " roles: [HEALTH_REVIEWER, CASE_OFFICER, APPROVER] }\n";
}

Decision ReadAs(const Authorizer& authorizer, v1::Purpose purpose) {
  RecordFacts facts = Record("r-1", v1::ONTARIO, purpose, Consent::kGiven);
  AccessRequest request;
  request.principal = "spiffe://x/both";
  request.purpose = purpose;
  request.record = &facts;
  return authorizer.Decide(request);
}

TEST(AuthorizerTest, PersonWithTwoReadingRolesGetsTheUnionForASharedPurpose) {
  const Authorizer authorizer(Load(ExampleWithTwoRolePerson()));
  const Decision d = ReadAs(authorizer, v1::CASE_REVIEW);
  ASSERT_TRUE(d.allowed()) << d.rule;
  EXPECT_THAT(d.sections, ElementsAre(SectionGrant{v1::IDENTITY, v1::CASE_OFFICER},
                                      SectionGrant{v1::INTERVIEW, v1::HEALTH_REVIEWER},
                                      SectionGrant{v1::HEALTH, v1::HEALTH_REVIEWER},
                                      SectionGrant{v1::LEGAL, v1::CASE_OFFICER}));
}

TEST(AuthorizerTest, PersonWithTwoReadingRolesGetsOnlyTheRoleThatAllowsThePurpose) {
  const Authorizer authorizer(Load(ExampleWithTwoRolePerson()));
  const Decision medical = ReadAs(authorizer, v1::MEDICAL_REFERRAL);
  EXPECT_EQ(medical.rule, "allow:grant/health_reviewer");
  EXPECT_THAT(medical.sections, ElementsAre(SectionGrant{v1::INTERVIEW, v1::HEALTH_REVIEWER},
                                            SectionGrant{v1::HEALTH, v1::HEALTH_REVIEWER}));
  const Decision follow_up = ReadAs(authorizer, v1::FOLLOW_UP);
  EXPECT_EQ(follow_up.rule, "allow:grant/case_officer");
  EXPECT_EQ(ReadAs(authorizer, v1::LEGAL_REFERRAL).rule, "deny:purpose-not-allowed-for-role");
}

TEST(AuthorizerTest, ApproverWhoAlsoReadsCannotApproveOwnRequest) {
  const Authorizer authorizer(Load(ExampleWithTwoRolePerson()));
  AccessRequest request;
  request.principal = "spiffe://x/both";
  request.action = Action::kApproveBreakGlass;
  request.requester_person_id = "both";
  EXPECT_EQ(authorizer.Decide(request).rule, "deny:self-approval");
  request.requester_person_id = "";
  EXPECT_EQ(authorizer.Decide(request).rule, "deny:requester-required");
  request.requester_person_id = "case_officer_on";
  EXPECT_EQ(authorizer.Decide(request).rule, "allow:grant/approver");
}

TEST(AuthorizerTest, PolicyWithPersonsButNoGrantsAllowsNothingButCheckpointsAndHealth) {
  const Authorizer authorizer(Load(
      "version: 3\n"
      "persons { id: \"all\" certificates: [\"spiffe://x/all\"] scope { everywhere: true }"
      " roles: [VISIT_TEAM, CASE_OFFICER, HEALTH_REVIEWER, LEGAL_ADVISER, APPROVER] }\n"));
  const RecordFacts facts = Record("r-1", v1::ONTARIO, v1::FOLLOW_UP, Consent::kGiven, "all");
  for (int a = 0; a <= static_cast<int>(Action::kOperateVault); ++a) {
    AccessRequest request;
    request.principal = "spiffe://x/all";
    request.action = static_cast<Action>(a);
    request.purpose = v1::FOLLOW_UP;
    request.record = &facts;
    request.requester_person_id = "other";
    const Decision d = authorizer.Decide(request);
    EXPECT_EQ(d.allowed(), request.action == Action::kReadCheckpoint ||
                               request.action == Action::kCheckHealth ||
                               request.action == Action::kListOwnRequests)
        << d.rule;
  }
  for (int s = v1::IDENTITY; s <= v1::LEGAL; ++s) {
    EXPECT_THAT(authorizer.RolesThatRead(static_cast<v1::Section>(s)), IsEmpty());
  }
}

}  // namespace
}  // namespace confidant::policy
