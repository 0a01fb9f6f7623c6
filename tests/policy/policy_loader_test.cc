// Policy::FromText: the shipped example loads, and every validation rule is reported with the
// 1-based line of the offending field.
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "policy/policy.h"
#include "tests/testing/status_matchers.h"

namespace confidant::policy {
namespace {

using ::confidant::testing::IsOk;
using ::confidant::testing::StatusIs;
using ::testing::AllOf;
using ::testing::HasSubstr;
using ::testing::Not;

constexpr absl::StatusCode kInvalid = absl::StatusCode::kInvalidArgument;

// Joins `lines` with '\n' so that lines[i] is line i + 1 of the policy text.
std::string Lines(const std::vector<std::string>& lines) { return absl::StrJoin(lines, "\n"); }

// Grants for the three reading roles, as in the example (lines 2..4 when after "version: 1").
const std::vector<std::string> kReadingGrants = {
    "role_grants { role: CASE_OFFICER readable_sections: [IDENTITY, INTERVIEW, LEGAL] purposes: [CASE_REVIEW] }",
    "role_grants { role: HEALTH_REVIEWER readable_sections: [HEALTH, INTERVIEW] purposes: [MEDICAL_REFERRAL] }",
    "role_grants { role: LEGAL_ADVISER readable_sections: [LEGAL] purposes: [LEGAL_REFERRAL] }",
};

std::string ErrorMessage(std::string_view text) {
  absl::StatusOr<Policy> policy = Policy::FromText(text);
  EXPECT_THAT(policy, StatusIs(kInvalid));
  return policy.ok() ? "" : std::string(policy.status().message());
}

std::string ReadExamplePolicy() {
  std::ifstream in(std::string(CONFIDANT_SOURCE_DIR) + "/deploy/policy.example.textproto");
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

TEST(PolicyLoaderTest, ShippedExampleParsesAndValidates) {
  const std::string text = ReadExamplePolicy();
  ASSERT_FALSE(text.empty()) << "cannot read deploy/policy.example.textproto";
  absl::StatusOr<Policy> policy = Policy::FromText(text);
  ASSERT_THAT(policy, IsOk());
  EXPECT_EQ(policy->version(), 1u);
  for (const char* name : {"visit_team", "case_officer", "health_reviewer", "legal_adviser",
                           "approver", "auditor", "reporting", "custodian"}) {
    EXPECT_NE(policy->FindPrincipal(std::string("spiffe://confidant.example/dev/") + name), nullptr)
        << name;
  }
  EXPECT_NE(policy->GrantFor(v1::CASE_OFFICER), nullptr);
  EXPECT_EQ(policy->GrantFor(v1::CUSTODIAN), nullptr);
  EXPECT_EQ(policy->FindPrincipal("spiffe://confidant.example/dev/nobody"), nullptr);
}

TEST(PolicyLoaderTest, SyntaxErrorReportsItsLine) {
  const std::string message = ErrorMessage(Lines({
      "version: 1",
      "role_grants { role: VISIT_TEAM may_submit: true }",
      "role_grants { role VISIT_TEAM }",
  }));
  EXPECT_THAT(message, HasSubstr("line 3:"));
}

TEST(PolicyLoaderTest, UnknownRoleNameReportsItsLine) {
  const std::string message = ErrorMessage(Lines({
      "version: 1",
      "",
      "principals { uri: \"spiffe://x/a\" roles: [JANITOR] }",
  }));
  EXPECT_THAT(message, AllOf(HasSubstr("line 3:"), HasSubstr("JANITOR")));
}

TEST(PolicyLoaderTest, VersionZeroIsRejectedAtItsLine) {
  EXPECT_THAT(ErrorMessage(Lines({"# comment", "version: 0"})),
              HasSubstr("line 2: version must be at least 1"));
}

TEST(PolicyLoaderTest, MissingVersionIsRejected) {
  EXPECT_THAT(ErrorMessage("role_grants { role: VISIT_TEAM may_submit: true }"),
              HasSubstr("version must be at least 1"));
}

TEST(PolicyLoaderTest, RoleGrantedTwiceReportsTheSecondGrant) {
  const std::string message = ErrorMessage(Lines({
      "version: 1",
      "role_grants { role: VISIT_TEAM may_submit: true }",
      "role_grants { may_list: true",
      "  role: VISIT_TEAM }",
  }));
  EXPECT_THAT(message, HasSubstr("line 4: role visit_team is granted twice"));
  EXPECT_THAT(message, Not(HasSubstr("line 2:")));
}

class NonReadingRoleTest : public ::testing::TestWithParam<const char*> {};

TEST_P(NonReadingRoleTest, GrantedSectionsIsRejectedAsSeparationOfDuties) {
  const std::string message = ErrorMessage(Lines({
      "version: 1",
      "role_grants {",
      std::string("  role: ") + GetParam(),
      "  readable_sections: [IDENTITY]",
      "  purposes: [CASE_REVIEW]",
      "}",
  }));
  EXPECT_THAT(message, HasSubstr("line 4: separation of duties"));
}

INSTANTIATE_TEST_SUITE_P(AllNonReadingRoles, NonReadingRoleTest,
                         ::testing::Values("AUDITOR", "REPORTING", "CUSTODIAN", "APPROVER"));

TEST(PolicyLoaderTest, ReadingRoleWithoutPurposesIsRejectedAtItsRoleLine) {
  const std::string message = ErrorMessage(Lines({
      "version: 1",
      "role_grants {",
      "  readable_sections: [HEALTH]",
      "  role: HEALTH_REVIEWER",
      "}",
  }));
  EXPECT_THAT(message, HasSubstr("line 4: role health_reviewer reads sections but has no purposes"));
}

TEST(PolicyLoaderTest, UnspecifiedPurposeInAListReportsALine) {
  // The header promises "line N:" wherever the problem has a location; the purpose is on line 3.
  const std::string message = ErrorMessage(Lines({
      "version: 1",
      "role_grants { role: CASE_OFFICER readable_sections: [LEGAL]",
      "  purposes: [CASE_REVIEW, PURPOSE_UNSPECIFIED] }",
  }));
  EXPECT_THAT(message, HasSubstr("line 3: PURPOSE_UNSPECIFIED is not a purpose"));
}

TEST(PolicyLoaderTest, RoleListedTwiceOnAPrincipalReportsALine) {
  const std::string message = ErrorMessage(Lines({
      "version: 1",
      "role_grants { role: VISIT_TEAM may_submit: true }",
      "principals { uri: \"spiffe://x/team\"",
      "  roles: [VISIT_TEAM, VISIT_TEAM] }",
  }));
  EXPECT_THAT(message, HasSubstr("line 4: role is listed twice"));
}

TEST(PolicyLoaderTest, DuplicatePrincipalUriReportsTheSecond) {
  const std::string message = ErrorMessage(Lines({
      "version: 1",
      "role_grants { role: VISIT_TEAM may_submit: true }",
      "principals { uri: \"spiffe://x/team\" roles: [VISIT_TEAM] }",
      "principals {",
      "  roles: [VISIT_TEAM]",
      "  uri: \"spiffe://x/team\"",
      "}",
  }));
  EXPECT_THAT(message, HasSubstr("line 6: principal uri is listed twice"));
  EXPECT_THAT(message, Not(HasSubstr("line 3:")));
}

TEST(PolicyLoaderTest, PrincipalWithoutRolesIsRejectedAtItsUri) {
  const std::string message = ErrorMessage(Lines({
      "version: 1",
      "principals {",
      "  display_name: \"nobody\"",
      "  uri: \"spiffe://x/nobody\"",
      "}",
  }));
  EXPECT_THAT(message, HasSubstr("line 4: principal has no roles"));
}

TEST(PolicyLoaderTest, PrincipalWithoutUriIsRejected) {
  const std::string message = ErrorMessage(Lines({
      "version: 1",
      "role_grants { role: VISIT_TEAM may_submit: true }",
      "principals { roles: [VISIT_TEAM] }",
  }));
  EXPECT_THAT(message, HasSubstr("line 3: principal needs a uri"));
}

struct ExcludedPair {
  const char* reading;
  const char* excluded;
};

class ReadingPlusExcludedRoleTest : public ::testing::TestWithParam<ExcludedPair> {};

TEST_P(ReadingPlusExcludedRoleTest, PrincipalIsRejectedAsSeparationOfDuties) {
  std::vector<std::string> lines = {"version: 1"};
  lines.insert(lines.end(), kReadingGrants.begin(), kReadingGrants.end());
  lines.push_back("principals { uri: \"spiffe://x/both\"");
  lines.push_back(std::string("  roles: [") + GetParam().reading + ", " + GetParam().excluded +
                  "] }");
  EXPECT_THAT(ErrorMessage(Lines(lines)), HasSubstr("line 6: separation of duties"));
}

INSTANTIATE_TEST_SUITE_P(
    Pairs, ReadingPlusExcludedRoleTest,
    ::testing::Values(ExcludedPair{"CASE_OFFICER", "AUDITOR"},
                      ExcludedPair{"CASE_OFFICER", "CUSTODIAN"},
                      ExcludedPair{"HEALTH_REVIEWER", "REPORTING"},
                      ExcludedPair{"LEGAL_ADVISER", "AUDITOR"}));

TEST(PolicyLoaderTest, ExcludedRoleListedBeforeReadingRoleIsAlsoRejected) {
  std::vector<std::string> lines = {"version: 1"};
  lines.push_back("principals { uri: \"spiffe://x/both\" roles: [CUSTODIAN, CASE_OFFICER] }");
  lines.insert(lines.end(), kReadingGrants.begin(), kReadingGrants.end());  // grants after
  EXPECT_THAT(ErrorMessage(Lines(lines)), HasSubstr("line 2: separation of duties"));
}

TEST(PolicyLoaderTest, TwoReadingRolesOnOnePrincipalAreAllowed) {
  std::vector<std::string> lines = {"version: 1"};
  lines.insert(lines.end(), kReadingGrants.begin(), kReadingGrants.end());
  lines.push_back("principals { uri: \"spiffe://x/two\" roles: [CASE_OFFICER, HEALTH_REVIEWER] }");
  EXPECT_THAT(Policy::FromText(Lines(lines)), IsOk());
}

TEST(PolicyLoaderTest, SeveralErrorsAreAllReportedAtOnce) {
  const std::string message = ErrorMessage(Lines({
      "version: 0",
      "role_grants { role: VISIT_TEAM may_submit: true }",
      "role_grants { role: VISIT_TEAM }",
      "role_grants { role: AUDITOR readable_sections: [LEGAL] purposes: [CASE_REVIEW] }",
      "principals { uri: \"spiffe://x/a\" }",
  }));
  EXPECT_THAT(message, HasSubstr("line 1: version must be at least 1"));
  EXPECT_THAT(message, HasSubstr("line 3: role visit_team is granted twice"));
  EXPECT_THAT(message, HasSubstr("line 4: separation of duties"));
  EXPECT_THAT(message, HasSubstr("line 5: principal has no roles"));
  const std::vector<std::string> lines = absl::StrSplit(message, '\n');
  EXPECT_EQ(lines.size(), 4u) << message;
  for (const std::string& line : lines) EXPECT_THAT(line, ::testing::StartsWith("line ")) << line;
}

}  // namespace
}  // namespace confidant::policy
