// Policy::FromText rules on persons (ids, certificates, roles, separation of duties, scopes,
// validity windows, quotas) and settings (windows, break-glass approvals), with their lines.
#include <string>
#include <vector>

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
using ::testing::HasSubstr;
using ::testing::Not;

// Line 1 is the version, lines 2..4 grant the reading roles, then `more` from line 5 on.
std::string WithGrants(const std::vector<std::string>& more) {
  std::vector<std::string> lines = {
      "version: 1",
      "role_grants { role: CASE_OFFICER readable_sections: [IDENTITY, LEGAL] purposes: [CASE_REVIEW] may_request_break_glass: true }",
      "role_grants { role: HEALTH_REVIEWER readable_sections: [HEALTH, INTERVIEW] purposes: [CASE_REVIEW] } purpose_rules { purpose: CASE_REVIEW }",
      "role_grants { role: APPROVER may_approve_break_glass: true } settings { min_break_glass_approvals: 1 }",
  };
  lines.insert(lines.end(), more.begin(), more.end());
  return Lines(lines);
}

std::string ErrorMessage(const std::string& text) {
  absl::StatusOr<Policy> policy = Policy::FromText(text);
  EXPECT_THAT(policy, StatusIs(absl::StatusCode::kInvalidArgument));
  return policy.ok() ? "" : std::string(policy.status().message());
}

TEST(PersonLoaderTest, BaseGrantsLoad) { EXPECT_THAT(Policy::FromText(WithGrants({})), IsOk()); }

TEST(PersonLoaderTest, DuplicatePersonIdReportsTheSecond) {
  const std::string message = ErrorMessage(WithGrants({
      "persons { id: \"p-1\" certificates: [\"spiffe://x/a\"] roles: [APPROVER] }",
      "persons { roles: [APPROVER]", "  id: \"p-1\"", "  certificates: [\"spiffe://x/b\"] }"}));
  EXPECT_THAT(message, HasSubstr("line 7: person id p-1 is listed twice"));
  EXPECT_THAT(message, Not(HasSubstr("line 5:")));
}

TEST(PersonLoaderTest, BadPersonIdIsRejected) {
  EXPECT_THAT(ErrorMessage(WithGrants({"persons { id: \"p 1\" certificates: [\"spiffe://x/a\"] roles: [APPROVER] }"})),
              HasSubstr("line 5: person id must be"));
  EXPECT_THAT(ErrorMessage(WithGrants({"persons { certificates: [\"spiffe://x/a\"] roles: [APPROVER] }"})),
              HasSubstr("line 5: person id must be"));
}

TEST(PersonLoaderTest, CertificateUnderTwoPersonsNamesTheFirstOwner) {
  const std::string message = ErrorMessage(WithGrants({
      "persons { id: \"p-1\" certificates: [\"spiffe://x/a\"] roles: [APPROVER] }",
      "persons { id: \"p-2\" roles: [APPROVER]",
      "  certificates: [\"spiffe://x/b\"]",
      "  certificates: \"spiffe://x/a\" }"}));
  EXPECT_THAT(message,
              HasSubstr("line 8: certificate spiffe://x/a is already listed under person p-1"));
}

TEST(PersonLoaderTest, PersonWithoutCertificatesOrRolesIsRejected) {
  EXPECT_THAT(ErrorMessage(WithGrants({"persons {", "  id: \"p-1\" roles: [APPROVER] }"})),
              HasSubstr("line 6: person p-1 has no certificates"));
  EXPECT_THAT(ErrorMessage(WithGrants({"persons {", "  id: \"p-1\" certificates: [\"spiffe://x/a\"] }"})),
              HasSubstr("line 6: person p-1 has no roles"));
}

TEST(PersonLoaderTest, RoleListedTwiceReportsALine) {
  EXPECT_THAT(ErrorMessage(WithGrants({"persons { id: \"p\" certificates: [\"spiffe://x/a\"]",
                                       "  roles: [APPROVER, APPROVER] }"})),
              HasSubstr("line 6: role is listed twice"));
}

class ReadingPlusExcludedRoleTest
    : public ::testing::TestWithParam<std::pair<const char*, const char*>> {};

TEST_P(ReadingPlusExcludedRoleTest, PersonIsRejectedAsSeparationOfDuties) {
  EXPECT_THAT(ErrorMessage(WithGrants({
                  "persons { id: \"both\" scope { everywhere: true }",
                  std::string("  roles: [") + GetParam().first + ", " + GetParam().second + "]",
                  "  certificates: [\"spiffe://x/a\"] }"})),
              HasSubstr("line 6: separation of duties: person both reads records"));
}

INSTANTIATE_TEST_SUITE_P(Pairs, ReadingPlusExcludedRoleTest,
                         ::testing::Values(std::make_pair("CASE_OFFICER", "AUDITOR"),
                                           std::make_pair("CUSTODIAN", "CASE_OFFICER"),
                                           std::make_pair("HEALTH_REVIEWER", "REPORTING")));

TEST(PersonLoaderTest, SeparationOfDutiesCountsPersonsNotCertificates) {
  // Two certificates, one reading and one auditing, are still one person.
  EXPECT_THAT(ErrorMessage(WithGrants({
                  "persons { id: \"p\" scope { everywhere: true } roles: [CASE_OFFICER, AUDITOR]",
                  "  certificates: [\"spiffe://x/reader\", \"spiffe://x/auditor\"] }"})),
              HasSubstr("line 5: separation of duties"));
}

TEST(PersonLoaderTest, ReaderMayAlsoApproveAndHoldTwoReadingRoles) {
  EXPECT_THAT(Policy::FromText(WithGrants({
                  "persons { id: \"p\" scope { everywhere: true }",
                  "  roles: [CASE_OFFICER, HEALTH_REVIEWER, APPROVER] certificates: [\"spiffe://x/a\"] }"})),
              IsOk());
}

TEST(PersonLoaderTest, ReaderWithEmptyScopeIsRejected) {
  EXPECT_THAT(ErrorMessage(WithGrants({"persons { roles: [CASE_OFFICER]",
                                       "  id: \"p\" certificates: [\"spiffe://x/a\"] }"})),
              HasSubstr("line 6: person p acts on records but has an empty scope"));
  // An approver does not act on records: no scope needed.
  EXPECT_THAT(Policy::FromText(WithGrants({"persons { id: \"p\" roles: [APPROVER] certificates: [\"spiffe://x/a\"] }"})),
              IsOk());
}

TEST(PersonLoaderTest, BadScopesAreRejected) {
  EXPECT_THAT(ErrorMessage(WithGrants({"persons { id: \"p\" roles: [CASE_OFFICER] certificates: [\"spiffe://x/a\"]",
                                       "  scope { everywhere: true regions: [ONTARIO] } }"})),
              HasSubstr("line 6: scope is everywhere and also lists"));
  EXPECT_THAT(ErrorMessage(WithGrants({"persons { id: \"p\" roles: [CASE_OFFICER] certificates: [\"spiffe://x/a\"]",
                                       "  scope { regions: [ONTARIO, REGION_UNSPECIFIED] } }"})),
              HasSubstr("line 6: REGION_UNSPECIFIED is not a region"));
  EXPECT_THAT(ErrorMessage(WithGrants({"persons { id: \"p\" roles: [CASE_OFFICER] certificates: [\"spiffe://x/a\"]",
                                       "  scope { facilities: \"\" } }"})),
              HasSubstr("line 6: empty facility id"));
}

TEST(PersonLoaderTest, BadDatesAndReversedWindowsAreRejected) {
  const std::string person = "persons { id: \"p\" roles: [APPROVER] certificates: [\"spiffe://x/a\"]";
  for (const char* bad : {"2025-02-30", "2025-13-01", "01/02/2025", "2025-06-01T10:00:00+02:00",
                          "2025-06-01T25:00:00Z", "tomorrow"}) {
    EXPECT_THAT(ErrorMessage(WithGrants({person, std::string("  valid_from: \"") + bad + "\" }"})),
                HasSubstr("line 6: valid_from: bad"))
        << bad;
  }
  EXPECT_THAT(ErrorMessage(WithGrants({person, "  valid_from: \"2025-06-02\"",
                                       "  valid_until: \"2025-06-01T23:59:59Z\" }"})),
              HasSubstr("line 7: person p: valid_until is not after valid_from"));
  // A one-day window given by dates is fine: the until date is included.
  EXPECT_THAT(Policy::FromText(WithGrants({person, "  valid_from: \"2025-06-02\" valid_until: \"2025-06-02\" }"})),
              IsOk());
}

TEST(PersonLoaderTest, QuotaWithAZeroFieldIsRejected) {
  EXPECT_THAT(ErrorMessage(WithGrants({"persons { id: \"p\" roles: [APPROVER] certificates: [\"spiffe://x/a\"]",
                                       "  quota { reads_per_hour: 5 } }"})),
              HasSubstr("line 6: a quota must set"));
  EXPECT_THAT(ErrorMessage(Lines({"version: 1", "settings { default_quota { reads_per_day: 1 } }"})),
              HasSubstr("line 2: a quota must set"));
}

TEST(PersonLoaderTest, QuotaOverrideDefaultAndBuiltIn) {
  absl::StatusOr<Policy> policy = Policy::FromText(WithGrants({
      "persons { id: \"own\" roles: [APPROVER] certificates: [\"spiffe://x/a\"]",
      "  quota { reads_per_hour: 1 reads_per_day: 2 submissions_per_hour: 3 submissions_per_day: 4 } }",
      "persons { id: \"dflt\" roles: [APPROVER] certificates: [\"spiffe://x/b\"] }"}));
  ASSERT_THAT(policy, IsOk());
  EXPECT_EQ(policy->QuotaFor(*policy->FindPersonById("own")).submissions_per_day, 4u);
  EXPECT_EQ(policy->QuotaFor(*policy->FindPersonById("dflt")).reads_per_hour, Quota{}.reads_per_hour);
}

TEST(PersonLoaderTest, CallBudgetIsSetOrThreePerReadOrSubmissionAndAtLeastTheDefault) {
  absl::StatusOr<Policy> policy = Policy::FromText(WithGrants({
      "persons { id: \"set\" roles: [APPROVER] certificates: [\"spiffe://x/a\"]",
      "  quota { reads_per_hour: 1 reads_per_day: 2 submissions_per_hour: 3 submissions_per_day: 4",
      "          calls_per_hour: 7 calls_per_day: 9 } }",
      "persons { id: \"big\" roles: [APPROVER] certificates: [\"spiffe://x/b\"]",
      "  quota { reads_per_hour: 5000 reads_per_day: 20000 submissions_per_hour: 1",
      "          submissions_per_day: 1 } }",
      "persons { id: \"dflt\" roles: [APPROVER] certificates: [\"spiffe://x/c\"] }"}));
  ASSERT_THAT(policy, IsOk());
  const Quota set = policy->QuotaFor(*policy->FindPersonById("set"));
  EXPECT_EQ(set.calls_per_hour, 7u);
  EXPECT_EQ(set.calls_per_day, 9u);
  const Quota big = policy->QuotaFor(*policy->FindPersonById("big"));
  EXPECT_EQ(big.calls_per_hour, 15003u);
  EXPECT_EQ(big.calls_per_day, 60003u);
  const Quota dflt = policy->QuotaFor(*policy->FindPersonById("dflt"));
  EXPECT_EQ(dflt.calls_per_hour, Quota{}.calls_per_hour);
  EXPECT_EQ(dflt.calls_per_day, Quota{}.calls_per_day);
}

TEST(SettingsLoaderTest, BreakGlassNeedingZeroApprovalsIsRejected) {
  const std::string message = ErrorMessage(Lines({
      "version: 1",
      "role_grants { role: CASE_OFFICER may_request_break_glass: true }",
      "role_grants { role: APPROVER may_approve_break_glass: true }",
      "settings {", "  break_glass_minutes: 30", "}"}));
  EXPECT_THAT(message, HasSubstr("line 4: break-glass may be requested, so "
                                 "settings.min_break_glass_approvals must be at least 1"));
}

TEST(SettingsLoaderTest, BreakGlassThatNoRoleMayApproveIsRejected) {
  EXPECT_THAT(ErrorMessage(Lines({"version: 1",
                                  "role_grants { role: CASE_OFFICER may_request_break_glass: true }",
                                  "settings { min_break_glass_approvals: 1 }"})),
              HasSubstr("line 3: break-glass may be requested but no role may approve it"));
}

TEST(SettingsLoaderTest, WindowsOutOfRangeAreRejectedAndZeroMeansDefault) {
  EXPECT_THAT(ErrorMessage(Lines({"version: 1", "settings { amendment_window_hours: 9000 }"})),
              HasSubstr("line 2: amendment_window_hours is at most 8760"));
  EXPECT_THAT(ErrorMessage(Lines({"version: 1", "settings {", "break_glass_minutes: 1441 }"})),
              HasSubstr("line 3: break_glass_minutes is at most 1440"));
  absl::StatusOr<Policy> policy = Policy::FromText("version: 1");
  ASSERT_THAT(policy, IsOk());
  EXPECT_EQ(policy->amendment_window_seconds(), 72 * 3600);
  EXPECT_EQ(policy->break_glass_seconds(), 3600);
}

TEST(SettingsLoaderTest, BreakGlassRequestHoursAreAtMostAWeekAndZeroMeansADay) {
  EXPECT_THAT(ErrorMessage(Lines({"version: 1", "settings {", "  min_break_glass_approvals: 1",
                                  "  break_glass_request_hours: 169", "}"})),
              HasSubstr("line 4: break_glass_request_hours is at most 168"));
  absl::StatusOr<Policy> week = Policy::FromText("version: 1 settings { break_glass_request_hours: 168 }");
  ASSERT_THAT(week, IsOk());
  EXPECT_EQ(week->break_glass_request_seconds(), 168 * 3600);
  absl::StatusOr<Policy> unset = Policy::FromText("version: 1");
  ASSERT_THAT(unset, IsOk());
  EXPECT_EQ(unset->break_glass_request_seconds(), 24 * 3600);
  absl::StatusOr<Policy> zero = Policy::FromText("version: 1 settings { break_glass_request_hours: 0 }");
  ASSERT_THAT(zero, IsOk());
  EXPECT_EQ(zero->break_glass_request_seconds(), 24 * 3600);
}

TEST(SettingsLoaderTest, ErasureRequestDaysAreAtMostAYearAndZeroMeansThirty) {
  EXPECT_THAT(ErrorMessage(Lines({"version: 1", "settings {", "  erasure_request_days: 366",
                                  "}"})),
              HasSubstr("line 3: erasure_request_days is at most 365"));
  absl::StatusOr<Policy> year = Policy::FromText("version: 1 settings { erasure_request_days: 365 }");
  ASSERT_THAT(year, IsOk());
  EXPECT_EQ(year->erasure_request_seconds(), int64_t{365} * 86400);
  absl::StatusOr<Policy> unset = Policy::FromText("version: 1");
  ASSERT_THAT(unset, IsOk());
  EXPECT_EQ(unset->erasure_request_seconds(), int64_t{30} * 86400);
}

TEST(SettingsLoaderTest, RetentionDaysAreBoundedAndZeroMeansTenYears) {
  EXPECT_THAT(ErrorMessage(Lines({"version: 1", "settings {", "  retention_days: 36501", "}"})),
              HasSubstr("line 3: retention_days is at most 36500"));
  absl::StatusOr<Policy> unset = Policy::FromText("version: 1");
  ASSERT_THAT(unset, IsOk());
  EXPECT_EQ(unset->retention_days(), 3650);
  EXPECT_EQ(unset->retention_seconds(), int64_t{3650} * 86400);
  absl::StatusOr<Policy> longest = Policy::FromText("version: 1 settings { retention_days: 36500 }");
  ASSERT_THAT(longest, IsOk());
  EXPECT_EQ(longest->retention_days(), 36500);
}

TEST(SettingsLoaderTest, RetentionShorterThanTheAmendmentWindowIsRejected) {
  // The default window is 72 hours: two days are too short, three are enough.
  EXPECT_THAT(ErrorMessage(Lines({"version: 1", "settings {", "  retention_days: 2", "}"})),
              HasSubstr("line 3: retention_days (2) is shorter than the amendment window (72 hours)"));
  EXPECT_THAT(Policy::FromText("version: 1 settings { retention_days: 3 }"), IsOk());
  EXPECT_THAT(ErrorMessage(Lines({"version: 1", "settings {", "  amendment_window_hours: 49",
                                  "  retention_days: 2 }"})),
              HasSubstr("line 4: retention_days (2) is shorter than the amendment window (49 hours)"));
  absl::StatusOr<Policy> day =
      Policy::FromText("version: 1 settings { amendment_window_hours: 24 retention_days: 1 }");
  ASSERT_THAT(day, IsOk());
  EXPECT_EQ(day->retention_seconds(), 86400);
}

TEST(SettingsLoaderTest, MaxShredWithoutConfirmationIsBoundedAndZeroMeansFifty) {
  EXPECT_THAT(ErrorMessage(Lines({"version: 1", "settings {",
                                  "  max_shred_without_confirmation: 100001 }"})),
              HasSubstr("line 3: max_shred_without_confirmation is at most 100000"));
  absl::StatusOr<Policy> unset = Policy::FromText("version: 1");
  ASSERT_THAT(unset, IsOk());
  EXPECT_EQ(unset->max_shred_without_confirmation(), 50u);
  absl::StatusOr<Policy> two = Policy::FromText("version: 1 settings { max_shred_without_confirmation: 2 }");
  ASSERT_THAT(two, IsOk());
  EXPECT_EQ(two->max_shred_without_confirmation(), 2u);
}

TEST(SettingsLoaderTest, BackupEpochAndRetentionAreBoundedAndZeroMeansTheDefaults) {
  EXPECT_THAT(ErrorMessage(Lines({"version: 1", "settings {", "  backup_epoch_days: 366 }"})),
              HasSubstr("line 3: backup_epoch_days is at most 365"));
  EXPECT_THAT(ErrorMessage(Lines({"version: 1", "settings {", "  backup_retention_days: 3651 }"})),
              HasSubstr("line 3: backup_retention_days is at most 3650"));
  absl::StatusOr<Policy> unset = Policy::FromText("version: 1");
  ASSERT_THAT(unset, IsOk());
  EXPECT_EQ(unset->backup_epoch_seconds(), 30 * 86400);
  EXPECT_EQ(unset->backup_retention_seconds(), 90 * 86400);
  absl::StatusOr<Policy> set =
      Policy::FromText("version: 1 settings { backup_epoch_days: 1 backup_retention_days: 2 }");
  ASSERT_THAT(set, IsOk());
  EXPECT_EQ(set->backup_epoch_seconds(), 86400);
  EXPECT_EQ(set->backup_retention_seconds(), 2 * 86400);
}

TEST(SettingsLoaderTest, RoleKeyRotationIsBoundedAbsentMeansTheDefaultAndZeroIsOff) {
  EXPECT_THAT(ErrorMessage(Lines({"version: 1", "settings {", "  role_key_rotation_days: 3651 }"})),
              HasSubstr("line 3: role_key_rotation_days is at most 3650"));
  absl::StatusOr<Policy> unset = Policy::FromText("version: 1");
  ASSERT_THAT(unset, IsOk());
  EXPECT_EQ(unset->role_key_rotation_days(), 90);
  absl::StatusOr<Policy> off = Policy::FromText("version: 1 settings { role_key_rotation_days: 0 }");
  ASSERT_THAT(off, IsOk());
  EXPECT_EQ(off->role_key_rotation_days(), 0);
  absl::StatusOr<Policy> set =
      Policy::FromText("version: 1 settings { role_key_rotation_days: 30 }");
  ASSERT_THAT(set, IsOk());
  EXPECT_EQ(set->role_key_rotation_days(), 30);
}

}  // namespace
}  // namespace confidant::policy
