// Policy::FromText: the shipped example loads, and every rule on role grants is reported with
// the 1-based line of the offending field. (Persons and settings: policy_loader_persons_test.cc.)
#include <string>
#include <vector>

#include "absl/strings/str_split.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "policy/policy.h"
#include "tests/policy/policy_test_util.h"
#include "tests/testing/status_matchers.h"

namespace confidant::policy {
namespace {

using namespace testing_util;  // NOLINT: test helpers
using ::confidant::testing::IsOk;
using ::confidant::testing::StatusIs;
using ::testing::AllOf;
using ::testing::HasSubstr;
using ::testing::Not;

std::string ErrorMessage(std::string_view text) {
  absl::StatusOr<Policy> policy = Policy::FromText(text);
  EXPECT_THAT(policy, StatusIs(absl::StatusCode::kInvalidArgument));
  return policy.ok() ? "" : std::string(policy.status().message());
}

TEST(PolicyLoaderTest, ShippedExampleParsesAndValidates) {
  const std::string text = ReadExamplePolicy();
  ASSERT_FALSE(text.empty()) << "cannot read deploy/policy.example.textproto";
  absl::StatusOr<Policy> policy = Policy::FromText(text);
  ASSERT_THAT(policy, IsOk());
  EXPECT_EQ(policy->version(), 1u);
  for (const char* name : {"visit_team", "case_officer", "health_reviewer", "legal_adviser",
                           "approver", "auditor", "reporting", "custodian", "case_officer_on",
                           "case_officer_qc"}) {
    const v1::Person* person = policy->FindPerson(Dev(name));
    ASSERT_NE(person, nullptr) << name;
    EXPECT_EQ(person->id(), name);
  }
  EXPECT_NE(policy->GrantFor(v1::CASE_OFFICER), nullptr);
  EXPECT_NE(policy->GrantFor(v1::CUSTODIAN), nullptr);
  // Reporting reads frozen releases on its own listener, and nothing else.
  const v1::RoleGrant* reporting = policy->GrantFor(v1::REPORTING);
  ASSERT_NE(reporting, nullptr);
  EXPECT_TRUE(reporting->may_read_reports());
  EXPECT_EQ(reporting->readable_sections_size(), 0);
  EXPECT_FALSE(reporting->may_list() || reporting->may_submit() || reporting->may_read_audit());
  EXPECT_TRUE(policy->catalogue().enabled);
  EXPECT_EQ(policy->catalogue().tables.size(), 12u);
  EXPECT_EQ(policy->catalogue().worst_case_epsilon_millis, 3980u);
  EXPECT_EQ(policy->catalogue().facilities.size(), 12u);
  EXPECT_EQ(policy->FindPerson(Dev("nobody")), nullptr);
  EXPECT_EQ(policy->amendment_window_seconds(), 72 * 3600);
  EXPECT_EQ(policy->break_glass_seconds(), 60 * 60);
  EXPECT_EQ(policy->min_break_glass_approvals(), 1u);
  EXPECT_TRUE(policy->RequiresConsent(v1::RAISE_WITH_AUTHORITY));
  EXPECT_TRUE(policy->RequiresConsent(v1::MEDICAL_REFERRAL));
  EXPECT_TRUE(policy->RequiresConsent(v1::LEGAL_REFERRAL));
  EXPECT_FALSE(policy->RequiresConsent(v1::FOLLOW_UP));
  EXPECT_FALSE(policy->RequiresConsent(v1::CASE_REVIEW));
  EXPECT_FALSE(policy->RequiresConsent(v1::QUALITY_ASSURANCE));
}

TEST(PolicyLoaderTest, SyntaxErrorReportsItsLine) {
  EXPECT_THAT(ErrorMessage(Lines({"version: 1", "role_grants { role: VISIT_TEAM may_submit: true }",
                                  "role_grants { role VISIT_TEAM }"})),
              HasSubstr("line 3:"));
}

TEST(PolicyLoaderTest, UnknownNamesReportTheirLines) {
  EXPECT_THAT(ErrorMessage(Lines({"version: 1", "", "persons { id: \"a\" roles: [JANITOR] }"})),
              AllOf(HasSubstr("line 3:"), HasSubstr("JANITOR")));
  EXPECT_THAT(ErrorMessage(Lines({"version: 1", "persons { id: \"a\"", "  scope { regions: [YUKON] } }"})),
              AllOf(HasSubstr("line 3:"), HasSubstr("YUKON")));
  EXPECT_THAT(ErrorMessage(Lines({"version: 1", "principals { uri: \"spiffe://x/a\" }"})),
              HasSubstr("line 2:"));  // v1 field: no longer part of the schema
}

TEST(PolicyLoaderTest, VersionZeroOrMissingIsRejected) {
  EXPECT_THAT(ErrorMessage(Lines({"# comment", "version: 0"})),
              HasSubstr("line 2: version must be at least 1"));
  EXPECT_THAT(ErrorMessage("role_grants { role: VISIT_TEAM may_submit: true }"),
              HasSubstr("version must be at least 1"));
}

TEST(PolicyLoaderTest, RoleGrantedTwiceReportsTheSecondGrant) {
  const std::string message = ErrorMessage(Lines({
      "version: 1", "role_grants { role: VISIT_TEAM may_submit: true }",
      "role_grants { may_list: true", "  role: VISIT_TEAM }"}));
  EXPECT_THAT(message, HasSubstr("line 4: role visit_team is granted twice"));
  EXPECT_THAT(message, Not(HasSubstr("line 2:")));
}

class NonReadingRoleTest : public ::testing::TestWithParam<const char*> {};

TEST_P(NonReadingRoleTest, GrantedSectionsIsRejectedAsSeparationOfDuties) {
  const std::string message = ErrorMessage(Lines({
      "version: 1", "role_grants {", std::string("  role: ") + GetParam(),
      "  readable_sections: [IDENTITY]", "  purposes: [CASE_REVIEW]", "}",
      "purpose_rules { purpose: CASE_REVIEW }"}));
  EXPECT_THAT(message, HasSubstr("line 4: separation of duties"));
}

TEST_P(NonReadingRoleTest, BreakGlassRequestOrConsentFlagIsRejected) {
  EXPECT_THAT(ErrorMessage(Lines({"version: 1", std::string("role_grants { role: ") + GetParam(),
                                  "  may_request_break_glass: true }"})),
              HasSubstr("line 3: separation of duties: may_request_break_glass"));
  EXPECT_THAT(ErrorMessage(Lines({"version: 1", std::string("role_grants { role: ") + GetParam(),
                                  "  may_record_consent: true }"})),
              HasSubstr("line 3: separation of duties: may_record_consent"));
}

INSTANTIATE_TEST_SUITE_P(AllNonReadingRoles, NonReadingRoleTest,
                         ::testing::Values("AUDITOR", "REPORTING", "CUSTODIAN", "APPROVER"));

struct ReservedFlag {
  const char* flag;
  const char* owner;  // the only role allowed to hold it
};

class ReservedFlagTest : public ::testing::TestWithParam<ReservedFlag> {};

TEST_P(ReservedFlagTest, IsRejectedOnEveryOtherRoleAndAcceptedOnItsOwner) {
  for (const char* role : {"VISIT_TEAM", "CASE_OFFICER", "HEALTH_REVIEWER", "LEGAL_ADVISER",
                           "APPROVER", "AUDITOR", "REPORTING", "CUSTODIAN"}) {
    const std::string text = Lines({"version: 1", std::string("role_grants { role: ") + role,
                                    std::string("  ") + GetParam().flag + ": true }"});
    if (std::string(role) == GetParam().owner) {
      EXPECT_THAT(Policy::FromText(text), IsOk()) << role;
    } else {
      EXPECT_THAT(ErrorMessage(text), HasSubstr(std::string("line 3: separation of duties: only the ")))
          << role;
    }
  }
}

INSTANTIATE_TEST_SUITE_P(
    Flags, ReservedFlagTest,
    ::testing::Values(ReservedFlag{"may_approve_break_glass", "APPROVER"},
                      ReservedFlag{"may_reload_policy", "CUSTODIAN"},
                      ReservedFlag{"may_operate_vault", "CUSTODIAN"},
                      ReservedFlag{"may_approve_erasure", "APPROVER"},
                      ReservedFlag{"may_read_audit", "AUDITOR"}));

// Listing shows where and when people were held, and filing records sees them: never for the
// roles that must not see records (reporting above all, threat 6).
TEST(PolicyLoaderTest, ListOrSubmitOnNonReadingRolesIsRejected) {
  for (const char* role : {"REPORTING", "AUDITOR", "CUSTODIAN", "APPROVER"}) {
    for (const char* flag : {"may_list", "may_submit"}) {
      EXPECT_THAT(ErrorMessage(Lines({"version: 1", std::string("role_grants { role: ") + role,
                                      std::string("  ") + flag + ": true }"})),
                  HasSubstr(std::string("line 3: separation of duties: ") + flag))
          << role << " " << flag;
    }
  }
}

TEST(PolicyLoaderTest, AmendOwnWithoutSubmitIsRejected) {
  EXPECT_THAT(ErrorMessage(Lines({"version: 1", "role_grants { role: VISIT_TEAM",
                                  "  may_amend_own: true }"})),
              HasSubstr("line 3: role visit_team has may_amend_own but may not submit"));
}

TEST(PolicyLoaderTest, ReadingRoleWithoutPurposesIsRejectedAtItsRoleLine) {
  EXPECT_THAT(ErrorMessage(Lines({"version: 1", "role_grants {", "  readable_sections: [HEALTH]",
                                  "  role: HEALTH_REVIEWER", "}"})),
              HasSubstr("line 4: role health_reviewer reads sections but has no purposes"));
}

TEST(PolicyLoaderTest, UnspecifiedPurposeInAListReportsALine) {
  EXPECT_THAT(ErrorMessage(Lines({"version: 1",
                                  "role_grants { role: CASE_OFFICER readable_sections: [LEGAL]",
                                  "  purposes: [CASE_REVIEW, PURPOSE_UNSPECIFIED] }",
                                  "purpose_rules { purpose: CASE_REVIEW }"})),
              HasSubstr("line 3: PURPOSE_UNSPECIFIED is not a purpose"));
}

TEST(PolicyLoaderTest, GrantedPurposeWithoutARuleIsRejected) {
  const std::string message = ErrorMessage(Lines({
      "version: 1", "role_grants { role: CASE_OFFICER readable_sections: [LEGAL]",
      "  purposes: [CASE_REVIEW, FOLLOW_UP] }", "purpose_rules { purpose: CASE_REVIEW }"}));
  EXPECT_THAT(message, HasSubstr("line 3: purpose follow_up has no purpose_rules entry"));
  EXPECT_THAT(message, Not(HasSubstr("case_review")));
}

TEST(PolicyLoaderTest, PurposeRuledTwiceIsRejected) {
  EXPECT_THAT(ErrorMessage(Lines({"version: 1", "purpose_rules { purpose: FOLLOW_UP }",
                                  "purpose_rules { purpose: FOLLOW_UP requires_consent: true }"})),
              HasSubstr("line 3: purpose follow_up is ruled twice"));
}

TEST(PolicyLoaderTest, SeveralErrorsAreAllReportedAtOnce) {
  const std::string message = ErrorMessage(Lines({
      "version: 0",
      "role_grants { role: VISIT_TEAM may_submit: true }",
      "role_grants { role: VISIT_TEAM }",
      "role_grants { role: AUDITOR readable_sections: [LEGAL] purposes: [CASE_REVIEW] }",
      "persons { id: \"a\" certificates: [\"spiffe://x/a\"] }",
      "purpose_rules { purpose: CASE_REVIEW }",
  }));
  EXPECT_THAT(message, HasSubstr("line 1: version must be at least 1"));
  EXPECT_THAT(message, HasSubstr("line 3: role visit_team is granted twice"));
  EXPECT_THAT(message, HasSubstr("line 4: separation of duties"));
  EXPECT_THAT(message, HasSubstr("line 5: person a has no roles"));
  EXPECT_THAT(message, HasSubstr("line 4: no role may read the identity section"));
  const std::vector<std::string> lines = absl::StrSplit(message, '\n');
  EXPECT_EQ(lines.size(), 8u) << message;  // no section is read: the auditor may not
  for (const std::string& line : lines) EXPECT_THAT(line, ::testing::StartsWith("line ")) << line;
}

}  // namespace
}  // namespace confidant::policy
