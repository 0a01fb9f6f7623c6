// Section grant differences between two policies: the input of the wrap job a reload starts.
#include "policy/grant_changes.h"

#include <string>

#include "absl/strings/str_replace.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/policy/policy_test_util.h"

namespace confidant::policy {
namespace {

using testing_util::Load;
using testing_util::ReadExamplePolicy;

TEST(GrantChangesTest, SamePolicyHasNoChanges) {
  auto policy = Load(ReadExamplePolicy());
  ASSERT_NE(policy, nullptr);
  EXPECT_TRUE(SectionGrantChanges(*policy, *policy).empty());
  EXPECT_TRUE(SectionsLeftUnread(*policy, *policy).empty());
  EXPECT_EQ(DescribeGrantChanges({}), "");
}

TEST(GrantChangesTest, GainedAndLostSectionsAreNamedInRoleAndSectionOrder) {
  auto before = Load(ReadExamplePolicy());
  auto after = Load(absl::StrReplaceAll(
      absl::StrReplaceAll(ReadExamplePolicy(), {{"readable_sections: [HEALTH, INTERVIEW]",
                                                 "readable_sections: [HEALTH]"}}),
      {{"readable_sections: [IDENTITY, INTERVIEW, LEGAL]",
        "readable_sections: [IDENTITY, INTERVIEW, LEGAL, HEALTH]"}}));
  ASSERT_NE(after, nullptr);
  const std::vector<GrantChange> changes = SectionGrantChanges(*before, *after);
  ASSERT_EQ(changes.size(), 2u);
  EXPECT_EQ(changes[0].role, v1::CASE_OFFICER);
  EXPECT_EQ(changes[0].section, v1::HEALTH);
  EXPECT_TRUE(changes[0].granted);
  EXPECT_EQ(changes[1].role, v1::HEALTH_REVIEWER);
  EXPECT_EQ(changes[1].section, v1::INTERVIEW);
  EXPECT_FALSE(changes[1].granted);
  EXPECT_EQ(DescribeGrantChanges(changes), "case_officer +health, health_reviewer -interview");
  EXPECT_TRUE(SectionsLeftUnread(*before, *after).empty());
  // And back: the reverse changes.
  const std::vector<GrantChange> back = SectionGrantChanges(*after, *before);
  EXPECT_EQ(DescribeGrantChanges(back), "case_officer -health, health_reviewer +interview");
}

TEST(GrantChangesTest, ASectionNoRoleReadsAnyMoreIsRefusedAtLoadWhileAnyoneMaySubmit) {
  // The coverage rule (policy/policy_loader.cc): a record filed under this policy would have a
  // health section sealed for no one. Refused by the loader, so at start, unseal and reload.
  const absl::StatusOr<Policy> orphaning = Policy::FromText(absl::StrReplaceAll(
      ReadExamplePolicy(),
      {{"readable_sections: [HEALTH, INTERVIEW]", "readable_sections: [INTERVIEW]"}}));
  EXPECT_EQ(orphaning.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(orphaning.status().message()),
              ::testing::HasSubstr("no role may read the health section"));
}

TEST(GrantChangesTest, ASectionNoRoleReadsAnyMoreIsReported) {
  // Without submitters a policy may leave a section unread (stored records keep their wraps);
  // a reload still reports it (server/policy_grants.h CheckSectionsStillRead).
  const std::string base =
      "version: 1\nrole_grants { role: AUDITOR may_read_audit: true }\n"
      "purpose_rules { purpose: CASE_REVIEW }\n";
  auto before = Load(base +
                     "role_grants { role: HEALTH_REVIEWER readable_sections: [HEALTH, INTERVIEW] "
                     "purposes: [CASE_REVIEW] }");
  auto after = Load(base +
                    "role_grants { role: HEALTH_REVIEWER readable_sections: [INTERVIEW] "
                    "purposes: [CASE_REVIEW] }");
  ASSERT_NE(before, nullptr);
  ASSERT_NE(after, nullptr);
  EXPECT_EQ(SectionsLeftUnread(*before, *after), std::vector<v1::Section>{v1::HEALTH});
  EXPECT_EQ(DescribeGrantChanges(SectionGrantChanges(*before, *after)), "health_reviewer -health");
}

TEST(GrantChangesTest, GrantSetsRoundTripThroughTheirEncodingAndBadBytesAreRefused) {
  auto policy = Load(ReadExamplePolicy());
  ASSERT_NE(policy, nullptr);
  const SectionGrantSet grants = SectionGrants(*policy);
  EXPECT_EQ(grants.size(), 8u);  // case officer 3, health reviewer 2, legal adviser 3
  EXPECT_EQ(DecodeSectionGrants(EncodeSectionGrants(grants)), grants);
  EXPECT_EQ(DecodeSectionGrants(""), SectionGrantSet());
  EXPECT_EQ(DecodeSectionGrants("\x02"), std::nullopt);          // odd length
  EXPECT_EQ(DecodeSectionGrants("\x02\x09"), std::nullopt);      // no section 9
  EXPECT_EQ(DecodeSectionGrants("\x63\x01"), std::nullopt);      // no role 99
  EXPECT_TRUE(SectionGrantChanges(grants, SectionGrants(*policy)).empty());
  EXPECT_EQ(SectionGrantChanges(SectionGrantSet(), grants).size(), 8u);
}

}  // namespace
}  // namespace confidant::policy
