// ValidateRecord: a minimal record passes; each broken rule is INVALID_ARGUMENT naming the field,
// and no message ever carries the offending content.
#include <functional>
#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "proto/record_validation.h"
#include "tests/testing/status_matchers.h"

namespace confidant {
namespace {

using ::confidant::testing::IsOk;
using ::confidant::testing::StatusIs;
using ::testing::AllOf;
using ::testing::HasSubstr;
using ::testing::Not;

constexpr char kCanary[] = "CANARY";

// The content a test injects: the canary repeated up to `size` bytes.
std::string Canary(size_t size) {
  std::string s;
  while (s.size() < size) s += kCanary;
  s.resize(size);
  return s;
}

v1::InterviewRecord MinimalRecord() {
  v1::InterviewRecord record;
  v1::VisitMetadata* visit = record.mutable_visit();
  visit->set_facility_id("on-tor-ihc");
  visit->set_region(v1::ONTARIO);
  visit->set_visit_date("2026-03-14");
  visit->set_team("team-ontario-2");
  return record;
}

TEST(ValidateRecordTest, MinimalRecordPasses) { EXPECT_THAT(ValidateRecord(MinimalRecord()), IsOk()); }

TEST(ValidateRecordTest, FullRecordAtTheLimitsPasses) {
  v1::InterviewRecord record = MinimalRecord();
  record.mutable_visit()->set_facility_id(std::string(64, 'f'));
  record.mutable_visit()->set_team(std::string(64, 't'));
  record.mutable_identity()->set_full_name(std::string(kMaxShortTextBytes, 'n'));
  record.mutable_identity()->set_date_of_birth("1990-06-30");
  for (size_t i = 0; i < kMaxListItems; ++i) record.mutable_identity()->add_languages("fr");
  record.mutable_interview()->set_narrative(std::string(kMaxNarrativeBytes, 'x'));
  record.mutable_health()->set_observations(std::string(kMaxNoteBytes, 'h'));
  record.mutable_legal()->set_proceedings(std::string(kMaxNoteBytes, 'l'));
  record.mutable_indicators()->set_age_band(v1::AGE_65_PLUS);
  record.mutable_indicators()->mutable_concerns()->set_restraints(v1::YES);
  for (int p = v1::FOLLOW_UP; p <= v1::RAISE_WITH_AUTHORITY; ++p) {
    v1::Consent* consent = record.add_consents();
    consent->set_purpose(static_cast<v1::Purpose>(p));
    consent->set_given(p % 2 == 0);
    consent->set_recorded_on("2026-03-14");
  }
  EXPECT_THAT(ValidateRecord(record), IsOk());
}

struct BrokenCase {
  const char* name;
  std::function<void(v1::InterviewRecord&)> mutate;
  const char* field;  // must appear in the message
};

class BrokenRecordTest : public ::testing::TestWithParam<BrokenCase> {};

TEST_P(BrokenRecordTest, IsInvalidArgumentNamingTheFieldWithoutItsContent) {
  v1::InterviewRecord record = MinimalRecord();
  GetParam().mutate(record);
  EXPECT_THAT(ValidateRecord(record),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       AllOf(HasSubstr(GetParam().field), Not(HasSubstr(kCanary)))));
}

void AddConsent(v1::InterviewRecord& r, int purpose, const std::string& on = "2026-03-14") {
  v1::Consent* consent = r.add_consents();
  consent->set_purpose(static_cast<v1::Purpose>(purpose));
  consent->set_recorded_on(on);
}

const BrokenCase kBrokenCases[] = {
    {"MissingVisit", [](auto& r) { r.clear_visit(); }, "visit"},
    {"EmptyFacility", [](auto& r) { r.mutable_visit()->clear_facility_id(); }, "visit.facility_id"},
    {"FacilityWithSpace", [](auto& r) { r.mutable_visit()->set_facility_id("CANARY facility"); },
     "visit.facility_id"},
    {"FacilityWithSlash", [](auto& r) { r.mutable_visit()->set_facility_id("CANARY/x"); },
     "visit.facility_id"},
    {"FacilityTooLong", [](auto& r) { r.mutable_visit()->set_facility_id(Canary(65)); },
     "visit.facility_id"},
    {"RegionUnspecified", [](auto& r) { r.mutable_visit()->set_region(v1::REGION_UNSPECIFIED); },
     "visit.region"},
    {"RegionUnknownNumber",
     [](auto& r) { r.mutable_visit()->set_region(static_cast<v1::Region>(99)); }, "visit.region"},
    {"RegionNegative", [](auto& r) { r.mutable_visit()->set_region(static_cast<v1::Region>(-1)); },
     "visit.region"},
    {"VisitDateMissing", [](auto& r) { r.mutable_visit()->clear_visit_date(); }, "visit.visit_date"},
    {"VisitDateNotADay", [](auto& r) { r.mutable_visit()->set_visit_date("2026-02-29"); },
     "visit.visit_date"},
    {"VisitDateText", [](auto& r) { r.mutable_visit()->set_visit_date("CANARY-day"); },
     "visit.visit_date"},
    {"TeamMissing", [](auto& r) { r.mutable_visit()->clear_team(); }, "visit.team"},
    {"TeamTooLong", [](auto& r) { r.mutable_visit()->set_team(Canary(65)); }, "visit.team"},
    {"FullNameTooLong",
     [](auto& r) { r.mutable_identity()->set_full_name(Canary(kMaxShortTextBytes + 1)); },
     "identity.full_name"},
    {"DateOfBirthBad", [](auto& r) { r.mutable_identity()->set_date_of_birth("CANARY-01-01"); },
     "identity.date_of_birth"},
    {"TooManyLanguages",
     [](auto& r) {
       for (size_t i = 0; i <= kMaxListItems; ++i) r.mutable_identity()->add_languages("CANARY");
     },
     "identity.languages"},
    {"EmptyLanguage", [](auto& r) { r.mutable_identity()->add_languages(""); },
     "identity.languages"},
    {"NarrativeOverLimit",
     [](auto& r) { r.mutable_interview()->set_narrative(Canary(kMaxNarrativeBytes + 1)); },
     "interview.narrative"},
    {"ConcernTooLong",
     [](auto& r) { r.mutable_interview()->add_concerns_raised(Canary(kMaxShortTextBytes + 1)); },
     "interview.concerns_raised"},
    {"HealthNotesOverLimit",
     [](auto& r) { r.mutable_health()->set_needs(Canary(kMaxNoteBytes + 1)); }, "health.needs"},
    {"LegalNotesOverLimit",
     [](auto& r) { r.mutable_legal()->set_counsel_access(Canary(kMaxNoteBytes + 1)); },
     "legal.counsel_access"},
    {"RecordOverLimit",
     [](auto& r) { r.mutable_health()->set_observations(Canary(kMaxRecordBytes + 1)); }, "record:"},
    {"AgeBandUnknown",
     [](auto& r) { r.mutable_indicators()->set_age_band(static_cast<v1::AgeBand>(99)); },
     "indicators.age_band"},
    {"GenderUnknown",
     [](auto& r) { r.mutable_indicators()->set_gender(static_cast<v1::Gender>(42)); },
     "indicators.gender"},
    {"DetentionLengthUnknown",
     [](auto& r) {
       r.mutable_indicators()->set_detention_length(static_cast<v1::DetentionLengthBand>(7));
     },
     "indicators.detention_length"},
    {"DetentionGroundsUnknown",
     [](auto& r) {
       r.mutable_indicators()->set_detention_grounds(static_cast<v1::DetentionGrounds>(6));
     },
     "indicators.detention_grounds"},
    {"ConcernUnknown",
     [](auto& r) {
       r.mutable_indicators()->mutable_concerns()->set_segregation(static_cast<v1::YesNo>(3));
     },
     "indicators.concerns"},
    {"ConsentPurposeUnspecified", [](auto& r) { AddConsent(r, v1::PURPOSE_UNSPECIFIED); },
     "consents.purpose"},
    {"ConsentPurposeUnknown", [](auto& r) { AddConsent(r, 99); }, "consents.purpose"},
    {"ConsentPurposeHuge", [](auto& r) { AddConsent(r, 40); }, "consents.purpose"},
    {"ConsentPurposeTwice",
     [](auto& r) {
       AddConsent(r, v1::CASE_REVIEW);
       AddConsent(r, v1::FOLLOW_UP);
       AddConsent(r, v1::CASE_REVIEW);
     },
     "consents.purpose"},
    {"ConsentDateBad", [](auto& r) { AddConsent(r, v1::FOLLOW_UP, "CANARY"); },
     "consents.recorded_on"},
};

INSTANTIATE_TEST_SUITE_P(Rules, BrokenRecordTest, ::testing::ValuesIn(kBrokenCases),
                         [](const auto& info) { return std::string(info.param.name); });

TEST(ValidateRecordTest, NarrativeExactlyAtTheLimitPasses) {
  v1::InterviewRecord record = MinimalRecord();
  record.mutable_interview()->set_narrative(Canary(kMaxNarrativeBytes));
  EXPECT_THAT(ValidateRecord(record), IsOk());
}

TEST(ValidateRecordTest, TwentyLanguagesPassTwentyOneDoNot) {
  v1::InterviewRecord record = MinimalRecord();
  for (size_t i = 0; i < kMaxListItems; ++i) record.mutable_identity()->add_languages("en");
  EXPECT_THAT(ValidateRecord(record), IsOk());
  record.mutable_identity()->add_languages("en");
  EXPECT_THAT(ValidateRecord(record), StatusIs(absl::StatusCode::kInvalidArgument,
                                               HasSubstr("identity.languages")));
}

TEST(ValidateRecordTest, EmptyOptionalDatesPass) {
  v1::InterviewRecord record = MinimalRecord();
  record.mutable_identity()->set_date_of_birth("");
  AddConsent(record, v1::FOLLOW_UP, "");
  EXPECT_THAT(ValidateRecord(record), IsOk());
}

// A visit date after tomorrow (UTC) is refused; today and tomorrow pass (time-zone slack).
TEST(CheckVisitDateNotInFutureTest, TomorrowPassesTheDayAfterIsRefusedNamingTheLatest) {
  // 2026-03-14T12:00:00Z.
  const int64_t now = 1773489600;
  v1::InterviewRecord record = MinimalRecord();
  EXPECT_THAT(CheckVisitDateNotInFuture(record, now), IsOk());
  record.mutable_visit()->set_visit_date("2026-03-15");
  EXPECT_THAT(CheckVisitDateNotInFuture(record, now), IsOk());
  record.mutable_visit()->set_visit_date("2026-03-16");
  EXPECT_THAT(CheckVisitDateNotInFuture(record, now),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       AllOf(HasSubstr("visit.visit_date"), HasSubstr("in the future"),
                             HasSubstr("2026-03-15"))));
  record.mutable_visit()->set_visit_date("2099-01-01");
  EXPECT_THAT(CheckVisitDateNotInFuture(record, now),
              StatusIs(absl::StatusCode::kInvalidArgument));
}

}  // namespace
}  // namespace confidant
