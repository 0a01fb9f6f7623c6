// Retention per record class: settings.retention_classes load with their periods; bad, reserved,
// repeated, zero, too long or too short classes are refused at load, naming the line; a record
// of no class gets retention_days, of an undeclared class the longest period.
#include <string>

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

std::string Refusal(const std::string& text) {
  absl::StatusOr<Policy> policy = Policy::FromText(text);
  EXPECT_THAT(policy, StatusIs(absl::StatusCode::kInvalidArgument));
  return policy.ok() ? "" : std::string(policy.status().message());
}

TEST(RetentionClassesTest, DeclaredClassesHaveTheirPeriodsAndNoClassIsTheDefault) {
  absl::StatusOr<Policy> policy = Policy::FromText(Lines(
      {"version: 1", "settings {", "  retention_days: 30",
       "  retention_classes { name: \"short\" days: 3 }",
       "  retention_classes { name: \"legal-hold_2\" days: 3650 }", "}"}));
  ASSERT_THAT(policy, IsOk());
  EXPECT_TRUE(policy->DeclaresRecordClass(""));
  EXPECT_TRUE(policy->DeclaresRecordClass("short"));
  EXPECT_TRUE(policy->DeclaresRecordClass("legal-hold_2"));
  EXPECT_TRUE(policy->DeclaresRecordClass("default"));
  EXPECT_FALSE(policy->DeclaresRecordClass("long"));
  EXPECT_EQ(policy->RetentionDaysFor(""), 30);
  EXPECT_EQ(policy->RetentionDaysFor("default"), 30);
  EXPECT_EQ(policy->RetentionDaysFor("short"), 3);
  EXPECT_EQ(policy->RetentionDaysFor("legal-hold_2"), 3650);
  // A class the policy no longer declares: never shredded early.
  EXPECT_EQ(policy->RetentionDaysFor("dropped"), 3650);

  absl::StatusOr<Policy> none = Policy::FromText("version: 1");
  ASSERT_THAT(none, IsOk());
  EXPECT_EQ(none->RetentionDaysFor(""), 3650);
  EXPECT_EQ(none->RetentionDaysFor("dropped"), 3650);
  EXPECT_FALSE(none->DeclaresRecordClass("short"));
}

TEST(RetentionClassesTest, InvalidClassListsAreRefusedAtLoadNamingTheLine) {
  EXPECT_THAT(Refusal(Lines({"version: 1", "settings {",
                             "  retention_classes { name: \"Short\" days: 3 }", "}"})),
              HasSubstr("line 3: retention class name \"Short\""));
  EXPECT_THAT(Refusal(Lines({"version: 1", "settings {",
                             "  retention_classes { name: \"\" days: 3 }", "}"})),
              HasSubstr("retention class name \"\""));
  EXPECT_THAT(Refusal(Lines({"version: 1", "settings {",
                             "  retention_classes { name: \"default\" days: 3 }", "}"})),
              HasSubstr("line 3: retention class \"default\" is the default class"));
  EXPECT_THAT(Refusal(Lines({"version: 1", "settings {",
                             "  retention_classes { name: \"short\" days: 3 }",
                             "  retention_classes { name: \"short\" days: 4 }", "}"})),
              HasSubstr("line 4: retention class \"short\" is declared twice"));
  EXPECT_THAT(Refusal(Lines({"version: 1", "settings {",
                             "  retention_classes { name: \"short\" }", "}"})),
              HasSubstr("retention class \"short\": days must be 1 to 36500"));
  EXPECT_THAT(Refusal(Lines({"version: 1", "settings {",
                             "  retention_classes { name: \"long\" days: 36501 }", "}"})),
              HasSubstr("line 3: retention class \"long\": days must be 1 to 36500"));
  EXPECT_THAT(Refusal(Lines({"version: 1", "settings {",
                             "  retention_classes { name: \"brief\" days: 2 }", "}"})),
              HasSubstr("line 3: retention class \"brief\": 2 days is shorter than the amendment "
                        "window (72 hours)"));
  std::string many = "version: 1 settings {";
  for (int i = 0; i < 33; ++i) {
    many += " retention_classes { name: \"c" + std::to_string(i) + "\" days: 10 }";
  }
  EXPECT_THAT(Refusal(many + " }"), HasSubstr("at most 32 retention_classes"));
}

}  // namespace
}  // namespace confidant::policy
