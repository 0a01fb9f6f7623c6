// Authorizer::Decide and RolesThatRead over the shipped example policy: deny by default,
// need-to-know sections per role, a purpose on every read, separation of duties.
#include "policy/authorizer.h"

#include <fstream>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/testing/status_matchers.h"

namespace confidant::policy {

// For gMock (found by argument-dependent lookup, so outside the unnamed namespace).
bool operator==(const SectionGrant& a, const SectionGrant& b) {
  return a.section == b.section && a.role == b.role;
}
void PrintTo(const SectionGrant& g, std::ostream* os) {
  *os << SectionName(g.section) << "/" << RoleName(g.role);
}

namespace {

using ::testing::ElementsAre;
using ::testing::ElementsAreArray;
using ::testing::IsEmpty;

using Outcome = Decision::Outcome;

constexpr Action kAllActions[] = {Action::kGetIntakeKey, Action::kSubmitRecord,
                                  Action::kGetRecord, Action::kListRecords};

std::string ReadExamplePolicy() {
  std::ifstream in(std::string(CONFIDANT_SOURCE_DIR) + "/deploy/policy.example.textproto");
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

std::shared_ptr<const Policy> Load(const std::string& text) {
  absl::StatusOr<Policy> policy = Policy::FromText(text);
  EXPECT_TRUE(policy.ok()) << policy.status();
  if (!policy.ok()) return nullptr;
  return std::make_shared<const Policy>(*std::move(policy));
}

std::string Dev(const std::string& role) { return "spiffe://confidant.example/dev/" + role; }

class ExamplePolicyTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::shared_ptr<const Policy> policy = Load(ReadExamplePolicy());
    ASSERT_NE(policy, nullptr);
    authorizer_ = std::make_unique<Authorizer>(policy);
  }
  Decision Decide(const std::string& principal, Action action,
                  v1::Purpose purpose = v1::CASE_REVIEW) const {
    return authorizer_->Decide({principal, action, purpose});
  }
  std::unique_ptr<Authorizer> authorizer_;
};

struct RoleRow {
  const char* role;          // dev principal suffix
  bool submit;               // kGetIntakeKey and kSubmitRecord
  bool read;                 // kGetRecord with CASE_REVIEW
  bool list;                 // kListRecords
};

constexpr RoleRow kRoleTable[] = {
    {"visit_team", true, false, false},      {"case_officer", false, true, true},
    {"health_reviewer", false, true, true},  {"legal_adviser", false, true, true},
    {"approver", false, false, false},       {"auditor", false, false, false},
    {"reporting", false, false, false},      {"custodian", false, false, false},
};

TEST_F(ExamplePolicyTest, EveryRoleAndActionGetsTheExpectedDecision) {
  for (const RoleRow& row : kRoleTable) {
    for (Action action : kAllActions) {
      bool expected = row.list;
      if (action == Action::kGetIntakeKey || action == Action::kSubmitRecord) expected = row.submit;
      if (action == Action::kGetRecord) expected = row.read;
      const Decision d = Decide(Dev(row.role), action);
      SCOPED_TRACE(std::string(row.role) + " " + std::string(ActionName(action)) + " " + d.rule);
      EXPECT_EQ(d.outcome, expected ? Outcome::kAllow : Outcome::kDeny);
      EXPECT_EQ(d.allowed(), expected);
      if (expected) {
        EXPECT_EQ(d.rule, std::string("allow:grant/") + row.role);
      } else {
        EXPECT_EQ(d.rule, "deny:no-grant/" + std::string(ActionName(action)));
        EXPECT_THAT(d.sections, IsEmpty());
      }
      if (action != Action::kGetRecord) {
        EXPECT_THAT(d.sections, IsEmpty());
      }
    }
  }
}

TEST_F(ExamplePolicyTest, CaseOfficerReadReleasesIdentityInterviewLegal) {
  const Decision d = Decide(Dev("case_officer"), Action::kGetRecord, v1::FOLLOW_UP);
  ASSERT_TRUE(d.allowed()) << d.rule;
  EXPECT_THAT(d.sections, ElementsAre(SectionGrant{v1::IDENTITY, v1::CASE_OFFICER},
                                      SectionGrant{v1::INTERVIEW, v1::CASE_OFFICER},
                                      SectionGrant{v1::LEGAL, v1::CASE_OFFICER}));
}

TEST_F(ExamplePolicyTest, HealthReviewerReadReleasesInterviewAndHealthOnly) {
  const Decision d = Decide(Dev("health_reviewer"), Action::kGetRecord, v1::MEDICAL_REFERRAL);
  ASSERT_TRUE(d.allowed()) << d.rule;
  EXPECT_THAT(d.sections, ElementsAre(SectionGrant{v1::INTERVIEW, v1::HEALTH_REVIEWER},
                                      SectionGrant{v1::HEALTH, v1::HEALTH_REVIEWER}));
}

TEST_F(ExamplePolicyTest, LegalAdviserReadReleasesIdentityInterviewLegalInSectionOrder) {
  // The example lists them as [IDENTITY, LEGAL, INTERVIEW]; the decision is in section order.
  const Decision d = Decide(Dev("legal_adviser"), Action::kGetRecord, v1::LEGAL_REFERRAL);
  ASSERT_TRUE(d.allowed()) << d.rule;
  EXPECT_THAT(d.sections, ElementsAre(SectionGrant{v1::IDENTITY, v1::LEGAL_ADVISER},
                                      SectionGrant{v1::INTERVIEW, v1::LEGAL_ADVISER},
                                      SectionGrant{v1::LEGAL, v1::LEGAL_ADVISER}));
}

TEST_F(ExamplePolicyTest, PurposeNotAllowedForTheRoleIsDenied) {
  struct Case {
    const char* role;
    v1::Purpose purpose;
  };
  for (const Case& c : {Case{"case_officer", v1::MEDICAL_REFERRAL},
                        Case{"case_officer", v1::LEGAL_REFERRAL},
                        Case{"health_reviewer", v1::LEGAL_REFERRAL},
                        Case{"health_reviewer", v1::FOLLOW_UP},
                        Case{"legal_adviser", v1::QUALITY_ASSURANCE},
                        Case{"legal_adviser", v1::RAISE_WITH_AUTHORITY}}) {
    const Decision d = Decide(Dev(c.role), Action::kGetRecord, c.purpose);
    SCOPED_TRACE(std::string(c.role) + " " + v1::Purpose_Name(c.purpose));
    EXPECT_EQ(d.outcome, Outcome::kDeny);
    EXPECT_EQ(d.rule, "deny:purpose-not-allowed-for-role");
    EXPECT_THAT(d.sections, IsEmpty());
  }
}

TEST_F(ExamplePolicyTest, UnspecifiedPurposeIsDeniedForEveryReader) {
  for (const char* role : {"case_officer", "health_reviewer", "legal_adviser"}) {
    const Decision d = Decide(Dev(role), Action::kGetRecord, v1::PURPOSE_UNSPECIFIED);
    EXPECT_EQ(d.outcome, Outcome::kDeny) << role;
    EXPECT_EQ(d.rule, "deny:purpose-required") << role;
    EXPECT_THAT(d.sections, IsEmpty()) << role;
  }
}

TEST_F(ExamplePolicyTest, UnknownPrincipalIsReportedAsUnknownForEveryAction) {
  for (const std::string& who : {Dev("nobody"), std::string(""), Dev("case_officer") + "/x",
                                 std::string("SPIFFE://confidant.example/dev/case_officer")}) {
    for (Action action : kAllActions) {
      const Decision d = Decide(who, action);
      EXPECT_EQ(d.outcome, Outcome::kUnknownPrincipal) << who;
      EXPECT_FALSE(d.allowed());
      EXPECT_EQ(d.rule, "deny:unknown-principal");
    }
  }
}

TEST_F(ExamplePolicyTest, VisitTeamAndReportingGetNoSectionsForAnyPurpose) {
  for (const char* role : {"visit_team", "reporting", "auditor", "custodian", "approver"}) {
    for (int p = v1::FOLLOW_UP; p <= v1::RAISE_WITH_AUTHORITY; ++p) {
      const Decision d = Decide(Dev(role), Action::kGetRecord, static_cast<v1::Purpose>(p));
      EXPECT_FALSE(d.allowed()) << role << " " << p;
      EXPECT_THAT(d.sections, IsEmpty()) << role << " " << p;
    }
  }
}

TEST_F(ExamplePolicyTest, RolesThatReadEachSection) {
  EXPECT_THAT(authorizer_->RolesThatRead(v1::IDENTITY),
              ElementsAre(v1::CASE_OFFICER, v1::LEGAL_ADVISER));
  EXPECT_THAT(authorizer_->RolesThatRead(v1::INTERVIEW),
              ElementsAre(v1::CASE_OFFICER, v1::HEALTH_REVIEWER, v1::LEGAL_ADVISER));
  EXPECT_THAT(authorizer_->RolesThatRead(v1::HEALTH), ElementsAre(v1::HEALTH_REVIEWER));
  EXPECT_THAT(authorizer_->RolesThatRead(v1::LEGAL),
              ElementsAre(v1::CASE_OFFICER, v1::LEGAL_ADVISER));
  EXPECT_THAT(authorizer_->RolesThatRead(v1::SECTION_UNSPECIFIED), IsEmpty());
}

TEST_F(ExamplePolicyTest, RolesThatReadNeverIncludesANonReadingRole) {
  for (int s = v1::Section_MIN; s <= v1::Section_MAX; ++s) {
    for (v1::Role role : authorizer_->RolesThatRead(static_cast<v1::Section>(s))) {
      EXPECT_FALSE(IsNonReadingRole(role)) << RoleName(role) << " reads section " << s;
    }
  }
}

// The example grants plus one principal holding two reading roles.
std::string ExampleWithTwoRolePrincipal() {
  return ReadExamplePolicy() +
         "\nprincipals { uri: \"spiffe://x/both\" roles: [HEALTH_REVIEWER, CASE_OFFICER] }\n";
}

TEST(AuthorizerTest, PrincipalWithTwoReadingRolesGetsTheUnionForASharedPurpose) {
  std::shared_ptr<const Policy> policy = Load(ExampleWithTwoRolePrincipal());
  ASSERT_NE(policy, nullptr);
  const Decision d = Authorizer(policy).Decide({"spiffe://x/both", Action::kGetRecord,
                                                v1::CASE_REVIEW});
  ASSERT_TRUE(d.allowed()) << d.rule;
  // Each section is attributed to a role that holds it; INTERVIEW to the first role listed.
  EXPECT_THAT(d.sections, ElementsAre(SectionGrant{v1::IDENTITY, v1::CASE_OFFICER},
                                      SectionGrant{v1::INTERVIEW, v1::HEALTH_REVIEWER},
                                      SectionGrant{v1::HEALTH, v1::HEALTH_REVIEWER},
                                      SectionGrant{v1::LEGAL, v1::CASE_OFFICER}));
}

TEST(AuthorizerTest, PrincipalWithTwoReadingRolesGetsOnlyTheRoleThatAllowsThePurpose) {
  std::shared_ptr<const Policy> policy = Load(ExampleWithTwoRolePrincipal());
  ASSERT_NE(policy, nullptr);
  Authorizer authorizer(policy);
  const Decision medical = authorizer.Decide({"spiffe://x/both", Action::kGetRecord,
                                              v1::MEDICAL_REFERRAL});
  ASSERT_TRUE(medical.allowed()) << medical.rule;
  EXPECT_EQ(medical.rule, "allow:grant/health_reviewer");
  EXPECT_THAT(medical.sections, ElementsAre(SectionGrant{v1::INTERVIEW, v1::HEALTH_REVIEWER},
                                            SectionGrant{v1::HEALTH, v1::HEALTH_REVIEWER}));
  const Decision follow_up = authorizer.Decide({"spiffe://x/both", Action::kGetRecord,
                                                v1::FOLLOW_UP});
  ASSERT_TRUE(follow_up.allowed()) << follow_up.rule;
  EXPECT_EQ(follow_up.rule, "allow:grant/case_officer");
  EXPECT_THAT(follow_up.sections, ElementsAre(SectionGrant{v1::IDENTITY, v1::CASE_OFFICER},
                                              SectionGrant{v1::INTERVIEW, v1::CASE_OFFICER},
                                              SectionGrant{v1::LEGAL, v1::CASE_OFFICER}));
  const Decision legal = authorizer.Decide({"spiffe://x/both", Action::kGetRecord,
                                            v1::LEGAL_REFERRAL});
  EXPECT_EQ(legal.rule, "deny:purpose-not-allowed-for-role");
}

TEST(AuthorizerTest, PolicyWithPrincipalsButNoGrantsAllowsNothing) {
  std::shared_ptr<const Policy> policy = Load(
      "version: 3\n"
      "principals { uri: \"spiffe://x/co\" roles: [CASE_OFFICER] }\n"
      "principals { uri: \"spiffe://x/team\" roles: [VISIT_TEAM] }\n"
      "principals { uri: \"spiffe://x/all\" roles: [VISIT_TEAM, CASE_OFFICER, HEALTH_REVIEWER,"
      " LEGAL_ADVISER, APPROVER] }\n");
  ASSERT_NE(policy, nullptr);
  Authorizer authorizer(policy);
  for (const char* who : {"spiffe://x/co", "spiffe://x/team", "spiffe://x/all"}) {
    for (Action action : kAllActions) {
      for (int p = v1::FOLLOW_UP; p <= v1::RAISE_WITH_AUTHORITY; ++p) {
        const Decision d = authorizer.Decide({who, action, static_cast<v1::Purpose>(p)});
        EXPECT_EQ(d.outcome, Outcome::kDeny) << who << " " << ActionName(action);
        EXPECT_THAT(d.sections, IsEmpty());
      }
    }
  }
  for (int s = v1::IDENTITY; s <= v1::LEGAL; ++s) {
    EXPECT_THAT(authorizer.RolesThatRead(static_cast<v1::Section>(s)), IsEmpty());
  }
}

TEST(AuthorizerTest, EmptyGrantAllowsNothing) {
  std::shared_ptr<const Policy> policy = Load(
      "version: 1\n"
      "role_grants { role: VISIT_TEAM }\n"
      "principals { uri: \"spiffe://x/team\" roles: [VISIT_TEAM] }\n");
  ASSERT_NE(policy, nullptr);
  Authorizer authorizer(policy);
  for (Action action : kAllActions) {
    EXPECT_FALSE(authorizer.Decide({"spiffe://x/team", action, v1::CASE_REVIEW}).allowed())
        << ActionName(action);
  }
}

}  // namespace
}  // namespace confidant::policy
