// The statistics catalogue in the signed policy (policy/catalogue.h): the default catalogue fits
// the cap; a catalogue over the per-person-year cap, concern statistics at facility level, bad
// tables and facilities are refused at load; reporting grants go to reporting-only persons.
#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "policy/authorizer.h"
#include "policy/policy.h"
#include "tests/policy/policy_test_util.h"
#include "tests/testing/status_matchers.h"

namespace confidant::policy {
namespace {

using namespace testing_util;  // NOLINT: test helpers
using ::confidant::testing::IsOk;
using ::confidant::testing::StatusIs;
using ::testing::HasSubstr;

constexpr char kFacilities[] = R"(
  facilities { id: "on-big" region: ONTARIO }
  facilities { id: "on-tiny" region: ONTARIO pooled: true }
  facilities { id: "on-tinier" region: ONTARIO pooled: true }
  first_year: 2026
)";

std::string WithReporting(const std::string& body) {
  return Lines({"version: 1", "reporting {", kFacilities, body, "}"});
}

std::string Refusal(const std::string& text) {
  absl::StatusOr<Policy> policy = Policy::FromText(text);
  EXPECT_THAT(policy, StatusIs(absl::StatusCode::kInvalidArgument));
  return policy.ok() ? "" : std::string(policy.status().message());
}

std::string Table(const std::string& id, const std::string& rest) {
  return "tables { id: \"" + id + "\" title: \"T\" " + rest + " }";
}

TEST(CatalogueTest, TheDefaultCatalogueFitsTheDefaultCap) {
  absl::StatusOr<Policy> policy = Policy::FromText(WithReporting("use_default_catalogue: true"));
  ASSERT_THAT(policy, IsOk());
  const Catalogue& c = policy->catalogue();
  EXPECT_TRUE(c.enabled);
  EXPECT_EQ(c.tables.size(), 12u);
  EXPECT_EQ(c.max_pseudonyms_per_person, 3u);
  EXPECT_EQ(c.epsilon_cap_millis, 4000u);
  EXPECT_EQ(c.release_lag_days, 14u);
  EXPECT_EQ(c.worst_case_epsilon_millis, 3980u);
  EXPECT_LE(WorstCaseEpsilonMillis(DefaultCatalogueTables()), kDefaultEpsilonCapMillis);
  EXPECT_EQ(FacilityGroup(*c.FindFacility("on-tiny")), "ontario-pooled");
  EXPECT_EQ(FacilityGroup(*c.FindFacility("on-big")), "on-big");
  for (const v1::CatalogueTable& t : c.tables) {
    const bool concern = t.concern() != v1::CONCERN_UNSPECIFIED;
    for (int d : t.dimensions()) EXPECT_FALSE(concern && d == v1::FACILITY) << t.id();
  }
}

TEST(CatalogueTest, NoReportingBlockMeansNothingIsReleased) {
  absl::StatusOr<Policy> policy = Policy::FromText("version: 1");
  ASSERT_THAT(policy, IsOk());
  EXPECT_FALSE(policy->catalogue().enabled);
  EXPECT_TRUE(policy->catalogue().tables.empty());
}

TEST(CatalogueTest, ACatalogueOverTheCapIsRefused) {
  // Quarterly at 0.6: 2.4 per person-year each; two of them are 4.8 > 4.
  const std::string text = WithReporting(
      Table("a", "dimensions: [REGION] measure: DISTINCT_PERSONS period: QUARTER epsilon_millis: 600") +
      Table("b", "dimensions: [GENDER] measure: DISTINCT_PERSONS period: QUARTER epsilon_millis: 600"));
  EXPECT_THAT(Refusal(text), HasSubstr("worst-case epsilon per person-year is 4800/1000, over the cap of 4000/1000"));
  // A lower cap the default catalogue does not fit either.
  EXPECT_THAT(Refusal(WithReporting("use_default_catalogue: true epsilon_cap_millis: 3000")),
              HasSubstr("over the cap"));
  // A higher cap (at most 10) admits it.
  EXPECT_THAT(Policy::FromText(WithReporting(
                  Table("a", "dimensions: [REGION] measure: DISTINCT_PERSONS period: QUARTER epsilon_millis: 600") +
                  Table("b", "dimensions: [GENDER] measure: DISTINCT_PERSONS period: QUARTER epsilon_millis: 600") +
                  " epsilon_cap_millis: 5000")),
              IsOk());
  EXPECT_THAT(Refusal(WithReporting("use_default_catalogue: true epsilon_cap_millis: 10001")),
              HasSubstr("epsilon_cap_millis: at most 10000"));
}

TEST(CatalogueTest, ConcernsAreNeverReportedAtFacilityLevel) {
  EXPECT_THAT(Refusal(WithReporting(Table("c", "dimensions: [FACILITY] measure: PERSONS_WITH_CONCERN "
                                               "concern: RESTRAINTS period: YEAR epsilon_millis: 100"))),
              HasSubstr("no concern statistics at facility level"));
  EXPECT_THAT(Refusal(WithReporting(Table("c", "dimensions: [FACILITY, CONCERN_ANSWER] measure: DISTINCT_PERSONS "
                                               "concern: RESTRAINTS period: YEAR epsilon_millis: 100"))),
              HasSubstr("no concern statistics at facility level"));
}

TEST(CatalogueTest, BadTablesAndFacilitiesAreRefusedNamingTheProblem) {
  EXPECT_THAT(Refusal(WithReporting(Table("Bad Id", "measure: DISTINCT_PERSONS period: YEAR epsilon_millis: 100"))),
              HasSubstr("table id"));
  EXPECT_THAT(Refusal(WithReporting(Table("t", "measure: DISTINCT_PERSONS period: YEAR epsilon_millis: 100") +
                                    Table("t", "measure: DISTINCT_PERSONS period: YEAR epsilon_millis: 100"))),
              HasSubstr("declared twice"));
  EXPECT_THAT(Refusal(WithReporting(Table("t", "measure: DISTINCT_PERSONS period: YEAR epsilon_millis: 0"))),
              HasSubstr("epsilon_millis must be 1 to 4000"));
  EXPECT_THAT(Refusal(WithReporting(Table("t", "dimensions: [REGION, GENDER, AGE_BAND] measure: DISTINCT_PERSONS "
                                               "period: YEAR epsilon_millis: 10"))),
              HasSubstr("at most 2 dimensions"));
  EXPECT_THAT(Refusal(WithReporting(Table("t", "dimensions: [REGION, REGION] measure: DISTINCT_PERSONS "
                                               "period: YEAR epsilon_millis: 10"))),
              HasSubstr("repeated"));
  EXPECT_THAT(Refusal(WithReporting(Table("t", "measure: PERSONS_WITH_CONCERN period: YEAR epsilon_millis: 10"))),
              HasSubstr("concern is required"));
  EXPECT_THAT(Refusal(WithReporting(Table("t", "measure: DISTINCT_PERSONS period: QUARTER epsilon_millis: 10 "
                                               "concern: SEGREGATION"))),
              HasSubstr("neither measure nor dimensions use it"));
  EXPECT_THAT(Refusal(WithReporting(Table("t", "measure: DISTINCT_PERSONS epsilon_millis: 10"))),
              HasSubstr("period is required"));
  EXPECT_THAT(Refusal(WithReporting("use_default_catalogue: true " +
                                    Table("t", "measure: DISTINCT_PERSONS period: YEAR epsilon_millis: 10"))),
              HasSubstr("one or the other"));
  EXPECT_THAT(Refusal(Lines({"version: 1", "reporting {", "facilities { id: \"x\" region: ONTARIO }",
                             "facilities { id: \"x\" region: QUEBEC }", "first_year: 2026", "}"})),
              HasSubstr("listed twice"));
  EXPECT_THAT(Refusal(Lines({"version: 1", "reporting {", "facilities { id: \"x\" }", "first_year: 2026", "}"})),
              HasSubstr("region is required"));
  EXPECT_THAT(Refusal(Lines({"version: 1", "reporting {", "facilities { id: \"x\" region: ONTARIO }", "}"})),
              HasSubstr("first_year"));
  EXPECT_THAT(Refusal(Lines({"version: 1", "reporting { first_year: 2026 }"})),
              HasSubstr("facility list is empty"));
  EXPECT_THAT(Refusal(Lines({"version: 1", "reporting {", "facilities { id: \"a\" region: ONTARIO pooled: true }",
                             "facilities { id: \"b\" region: ONTARIO }", "first_year: 2026", "}"})),
              HasSubstr("region ontario pools one facility"));
  EXPECT_THAT(Refusal(WithReporting("use_default_catalogue: true max_pseudonyms_per_person: 21")),
              HasSubstr("max_pseudonyms_per_person: at most 20"));
}

TEST(CatalogueTest, ReportingGrantsAreForReportingOnlyAndLinksForReadingRoles) {
  EXPECT_THAT(Refusal("version: 1\nrole_grants { role: AUDITOR may_read_audit: true may_read_reports: true }"),
              HasSubstr("only the reporting role may have may_read_reports"));
  EXPECT_THAT(Refusal("version: 1\nrole_grants { role: REPORTING may_link_persons: true }"),
              HasSubstr("may_link_persons is for reading roles"));
  // A person holding reporting with another role may not read reports.
  const std::shared_ptr<const Policy> policy = Load(Lines(
      {"version: 1", "role_grants { role: REPORTING may_read_reports: true }",
       "role_grants { role: APPROVER may_approve_break_glass: true }",
       "settings { min_break_glass_approvals: 1 }",
       "persons { id: \"analyst\" roles: [REPORTING] certificates: [\"spiffe://t/analyst\"] }",
       "persons { id: \"both\" roles: [REPORTING, APPROVER] certificates: [\"spiffe://t/both\"] }"}));
  ASSERT_NE(policy, nullptr);
  const Authorizer authorizer(policy);
  AccessRequest request;
  request.action = Action::kReadReports;
  request.now_unix_seconds = kNow;
  request.principal = "spiffe://t/analyst";
  EXPECT_TRUE(authorizer.Decide(request).allowed());
  request.principal = "spiffe://t/both";
  EXPECT_EQ(authorizer.Decide(request).rule, "deny:reporting-only");
}

}  // namespace
}  // namespace confidant::policy
