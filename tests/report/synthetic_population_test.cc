#include "client/synthetic_population.h"

#include <map>
#include <set>
#include <string>
#include <utility>

#include "absl/strings/str_cat.h"
#include "base/files.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "proto/record_validation.h"
#include "tests/testing/status_matchers.h"

namespace confidant::client {
namespace {

using ::confidant::testing::StatusIs;

SeedOptions Options(int persons, uint64_t seed = 1, absl::CivilDay today = absl::CivilDay(2027, 3, 1)) {
  SeedOptions options;
  options.persons = persons;
  options.quarters = *ParseQuarterRange("2026Q1..2026Q4");
  options.seed = seed;
  options.today = today;
  return options;
}

SyntheticPopulation Generate(const SeedOptions& options) {
  absl::StatusOr<SyntheticPopulation> population = SyntheticRecords(options);
  EXPECT_TRUE(population.ok()) << population.status();
  return population.ok() ? *std::move(population) : SyntheticPopulation();
}

// The facilities of deploy/policy.example.textproto: id -> (region name, pooled).
std::map<std::string, std::pair<std::string, bool>> PublishedFacilities() {
  absl::StatusOr<std::string> policy =
      ReadFile(absl::StrCat(CONFIDANT_SOURCE_DIR, "/deploy/policy.example.textproto"));
  EXPECT_TRUE(policy.ok());
  std::map<std::string, std::pair<std::string, bool>> out;
  size_t at = 0;
  while ((at = policy->find("facilities {", at)) != std::string::npos) {
    const std::string line = policy->substr(at, policy->find('}', at) - at);
    const size_t id = line.find("id: \"") + 5;
    const size_t region = line.find("region: ") + 8;
    out[line.substr(id, line.find('"', id) - id)] = {
        line.substr(region, line.find_first_of(" }", region) - region),
        line.find("pooled: true") != std::string::npos};
    at += line.size();
  }
  return out;
}

TEST(ParseQuarterRangeTest, RangesAndSingleQuarters) {
  EXPECT_THAT(ParseQuarterRange("2026Q1..2026Q4"),
              confidant::testing::IsOkAndHolds(
                  std::vector<std::string>{"2026Q1", "2026Q2", "2026Q3", "2026Q4"}));
  EXPECT_THAT(ParseQuarterRange("2025Q4..2026Q1"),
              confidant::testing::IsOkAndHolds(std::vector<std::string>{"2025Q4", "2026Q1"}));
  EXPECT_THAT(ParseQuarterRange("2026Q3"),
              confidant::testing::IsOkAndHolds(std::vector<std::string>{"2026Q3"}));
  for (const char* bad : {"", "2026Q5", "2026Q4..2026Q1", "2026-Q1", "2026Q1..", "2000Q1..2020Q1"}) {
    EXPECT_THAT(ParseQuarterRange(bad), StatusIs(absl::StatusCode::kInvalidArgument)) << bad;
  }
}

TEST(SyntheticPopulationTest, SameSeedSameRecordsOtherSeedOthers) {
  const SyntheticPopulation a = Generate(Options(200, 7));
  const SyntheticPopulation b = Generate(Options(200, 7));
  const SyntheticPopulation c = Generate(Options(200, 8));
  ASSERT_EQ(a.records.size(), b.records.size());
  for (size_t i = 0; i < a.records.size(); ++i) {
    EXPECT_EQ(a.records[i].SerializeAsString(), b.records[i].SerializeAsString()) << i;
  }
  EXPECT_NE(a.records.front().SerializeAsString(), c.records.front().SerializeAsString());
}

TEST(SyntheticPopulationTest, EveryRecordPassesValidation) {
  const SyntheticPopulation population = Generate(Options(1000));
  EXPECT_EQ(population.persons, 1000);
  EXPECT_GT(population.records.size(), 1000u);  // persons are interviewed several times
  for (const v1::InterviewRecord& record : population.records) {
    ASSERT_TRUE(ValidateRecord(record).ok()) << ValidateRecord(record);
  }
}

TEST(SyntheticPopulationTest, FacilitiesAreThePublishedOnesInTheirRegions) {
  const auto published = PublishedFacilities();
  ASSERT_EQ(published.size(), 12u);
  ASSERT_EQ(SyntheticFacilities().size(), published.size());
  for (const SyntheticFacility& f : SyntheticFacilities()) {
    ASSERT_TRUE(published.count(f.id)) << f.id;
    EXPECT_EQ(published.at(f.id).first, v1::Region_Name(f.region)) << f.id;
    EXPECT_EQ(published.at(f.id).second, f.pooled) << f.id;
  }
  const SyntheticPopulation population = Generate(Options(1500));
  EXPECT_EQ(population.facilities, 12);
  for (const v1::InterviewRecord& record : population.records) {
    ASSERT_TRUE(published.count(record.visit().facility_id()));
    EXPECT_EQ(published.at(record.visit().facility_id()).first,
              v1::Region_Name(record.visit().region()));
  }
}

TEST(SyntheticPopulationTest, PooledFacilitiesHoldAHandfulPerQuarterLargeOnesMost) {
  const SyntheticPopulation population = Generate(Options(1500));
  std::map<std::pair<std::string, std::string>, std::set<int>> persons;  // (facility, quarter)
  for (size_t i = 0; i < population.records.size(); ++i) {
    const v1::VisitMetadata& visit = population.records[i].visit();
    const std::string quarter = absl::StrCat(visit.visit_date().substr(0, 4), "Q",
                                             (std::stoi(visit.visit_date().substr(5, 2)) + 2) / 3);
    persons[{visit.facility_id(), quarter}].insert(population.person_of_record[i]);
  }
  for (const SyntheticFacility& f : SyntheticFacilities()) {
    for (const std::string& quarter : population.quarters) {
      const size_t n = persons[{f.id, quarter}].size();
      if (f.pooled) {
        EXPECT_GE(n, 1u) << f.id << " " << quarter;
        EXPECT_LE(n, 4u) << f.id << " " << quarter;
      }
    }
  }
  EXPECT_GT((persons[{"on-tor-ihc", "2026Q2"}].size()), 50u);
}

TEST(SyntheticPopulationTest, DatesStayInTheQuartersAndNeverAfterToday) {
  const absl::CivilDay today(2026, 8, 15);  // mid 2026Q3: 2026Q4 has not begun
  const SyntheticPopulation population = Generate(Options(800, 3, today));
  EXPECT_EQ(population.quarters, (std::vector<std::string>{"2026Q1", "2026Q2", "2026Q3"}));
  bool reached_q3 = false;
  for (const v1::InterviewRecord& record : population.records) {
    const std::string& date = record.visit().visit_date();
    EXPECT_GE(date, "2026-01-01");
    EXPECT_LE(date, "2026-08-15");
    reached_q3 = reached_q3 || date >= "2026-07-01";
  }
  EXPECT_TRUE(reached_q3);
}

TEST(SyntheticPopulationTest, QuartersAllInTheFutureAreRefused) {
  EXPECT_THAT(SyntheticRecords(Options(10, 1, absl::CivilDay(2025, 12, 31))),
              StatusIs(absl::StatusCode::kFailedPrecondition));
  EXPECT_THAT(SyntheticRecords(Options(0)), StatusIs(absl::StatusCode::kInvalidArgument));
}

TEST(SyntheticPopulationTest, SomePersonsWithoutClientIdAreMisspelledAndDetentionGrows) {
  const SyntheticPopulation population = Generate(Options(1000));
  std::map<int, std::set<std::string>> names;
  std::map<int, int> last_band;
  int with_id = 0, records_with_id = 0;
  for (size_t i = 0; i < population.records.size(); ++i) {
    const v1::InterviewRecord& record = population.records[i];
    const int person = population.person_of_record[i];
    names[person].insert(record.identity().full_name());
    if (!record.identity().immigration_client_id().empty()) {
      ++records_with_id;
      EXPECT_EQ(record.identity().immigration_client_id().rfind("IC-", 0), 0u);
      EXPECT_EQ(record.identity().immigration_client_id().size(), 11u);
    }
    EXPECT_GE(record.indicators().detention_length(), last_band[person]);  // date order
    last_band[person] = record.indicators().detention_length();
  }
  int misspelled = 0;
  for (const auto& [person, spellings] : names) misspelled += spellings.size() > 1 ? 1 : 0;
  with_id = records_with_id;
  EXPECT_GT(with_id, 0);
  // ~15% of the ~30% without an id: about 45 of 1000.
  EXPECT_GT(misspelled, 15);
  EXPECT_LT(misspelled, 100);
}

TEST(SyntheticPopulationTest, ConcernsAreSkewedAndSometimesNotAsked) {
  const SyntheticPopulation population = Generate(Options(1500));
  int medical_yes = 0, restraints_yes = 0, not_asked = 0;
  for (const v1::InterviewRecord& record : population.records) {
    const v1::Concerns& c = record.indicators().concerns();
    medical_yes += c.lacks_medical_care() == v1::YES;
    restraints_yes += c.restraints() == v1::YES;
    not_asked += c.mental_health() == v1::YES_NO_UNSPECIFIED;
    EXPECT_FALSE(record.interview().narrative().empty());
  }
  const double n = static_cast<double>(population.records.size());
  EXPECT_NEAR(medical_yes / n, 0.27, 0.05);  // 30% of the 90% asked
  EXPECT_NEAR(restraints_yes / n, 0.045, 0.02);
  EXPECT_NEAR(not_asked / n, 0.10, 0.03);
}

}  // namespace
}  // namespace confidant::client
