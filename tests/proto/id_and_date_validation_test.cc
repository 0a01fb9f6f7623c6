// IsValidDate, ValidateSubmissionId and ValidateRecordId: the contract's rules for dates and ids.
#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "proto/record_validation.h"
#include "tests/testing/status_matchers.h"

namespace confidant {
namespace {

using ::confidant::testing::IsOk;
using ::confidant::testing::StatusIs;
using ::testing::HasSubstr;
using ::testing::Not;

constexpr absl::StatusCode kInvalid = absl::StatusCode::kInvalidArgument;

TEST(IsValidDateTest, AcceptsRealCalendarDates) {
  for (const char* date : {"2026-02-28", "2024-02-29", "2000-02-29", "1900-01-01", "2199-12-31",
                           "2026-12-31", "2026-04-30", "2026-01-01"}) {
    EXPECT_TRUE(IsValidDate(date)) << date;
  }
}

TEST(IsValidDateTest, RejectsDatesThatDoNotExist) {
  for (const char* date : {"2026-02-29", "1900-02-29", "2100-02-29", "2026-13-01", "2026-00-10",
                           "2026-04-31", "2026-01-00", "2026-01-32", "2026-99-99"}) {
    EXPECT_FALSE(IsValidDate(date)) << date;
  }
}

TEST(IsValidDateTest, RejectsYearsOutsideTheRange) {
  EXPECT_FALSE(IsValidDate("1899-12-31"));
  EXPECT_FALSE(IsValidDate("2200-01-01"));
  EXPECT_FALSE(IsValidDate("0000-01-01"));
  EXPECT_FALSE(IsValidDate("9999-12-31"));
}

TEST(IsValidDateTest, RejectsOtherShapes) {
  for (const char* date : {"2026-1-01", "2026-01-1", "abcd-ef-gh", "", "2026/02/28", "20260228",
                           "2026-02-28 ", " 2026-02-28", "2026-02-28T00:00", "+026-02-28",
                           "2026-0a-28", "2026--2-28", "2026-02-2x", "26-02-2028"}) {
    EXPECT_FALSE(IsValidDate(date)) << "'" << date << "'";
  }
  EXPECT_FALSE(IsValidDate(std::string("2026-02-2\0", 10)));
}

// A newcomer's mistakes each get their own explanation, not one "must be YYYY-MM-DD".
TEST(DateProblemTest, SaysWhatIsWrongWithTheDate) {
  EXPECT_EQ(DateProblem("2026-02-28"), "");
  EXPECT_THAT(DateProblem(""), HasSubstr("is required"));
  EXPECT_THAT(DateProblem("14/03/2026"), HasSubstr("must be a date written YYYY-MM-DD"));
  EXPECT_EQ(DateProblem("2026-02-30"), "is not a day of the calendar: 2026-02 has 28 days");
  EXPECT_EQ(DateProblem("2024-02-30"), "is not a day of the calendar: 2024-02 has 29 days");
  EXPECT_EQ(DateProblem("2026-12-32"), "is not a day of the calendar: 2026-12 has 31 days");
  EXPECT_EQ(DateProblem("2026-13-01"), "the month must be from 01 to 12");
  EXPECT_EQ(DateProblem("2026-00-01"), "the month must be from 01 to 12");
  EXPECT_EQ(DateProblem("1026-01-01"), "the year must be from 1900 to 2199");
  v1::InterviewRecord record;
  record.mutable_visit()->set_visit_date("2026-02-30");
  record.mutable_visit()->set_facility_id("qc-lav-ihc");
  record.mutable_visit()->set_region(v1::QUEBEC);
  EXPECT_THAT(ValidateRecord(record),
              StatusIs(kInvalid, HasSubstr("visit.visit_date: is not a day of the calendar")));
}

TEST(ValidateSubmissionIdTest, AcceptsEightToSixtyFourIdentifierCharacters) {
  EXPECT_THAT(ValidateSubmissionId("abcd1234"), IsOk());
  EXPECT_THAT(ValidateSubmissionId(std::string(64, 'z')), IsOk());
  EXPECT_THAT(ValidateSubmissionId("AZaz09_-"), IsOk());
}

TEST(ValidateSubmissionIdTest, RejectsWrongLengths) {
  EXPECT_THAT(ValidateSubmissionId("abc1234"), StatusIs(kInvalid, HasSubstr("submission_id")));
  EXPECT_THAT(ValidateSubmissionId(std::string(65, 'z')),
              StatusIs(kInvalid, HasSubstr("submission_id")));
  EXPECT_THAT(ValidateSubmissionId(""), StatusIs(kInvalid));
}

TEST(ValidateSubmissionIdTest, RejectsCharactersOutsideTheIdentifierSet) {
  for (const std::string& id :
       {std::string("abcd 1234"), std::string("abcd/1234"), std::string("abcd.1234"),
        std::string("abcd\n1234"), std::string("abcd\xc3\xa9" "1234"),
        std::string("abcd\0" "1234", 9), std::string("../../etc")}) {
    EXPECT_THAT(ValidateSubmissionId(id), StatusIs(kInvalid, HasSubstr("submission_id")));
  }
}

TEST(ValidateSubmissionIdTest, MessageDoesNotEchoTheId) {
  EXPECT_THAT(ValidateSubmissionId("CANARY/submission"),
              StatusIs(kInvalid, Not(HasSubstr("CANARY"))));
}

TEST(ValidateRecordIdTest, AcceptsThirtyTwoLowerCaseHex) {
  EXPECT_THAT(ValidateRecordId("0123456789abcdef0123456789abcdef"), IsOk());
  EXPECT_THAT(ValidateRecordId(std::string(32, 'f')), IsOk());
}

TEST(ValidateRecordIdTest, RejectsUpperCaseHex) {
  EXPECT_THAT(ValidateRecordId("0123456789ABCDEF0123456789abcdef"),
              StatusIs(kInvalid, HasSubstr("record_id")));
  EXPECT_THAT(ValidateRecordId(std::string(31, 'a') + "A"), StatusIs(kInvalid));
}

TEST(ValidateRecordIdTest, RejectsWrongLengths) {
  EXPECT_THAT(ValidateRecordId(std::string(31, 'a')), StatusIs(kInvalid, HasSubstr("record_id")));
  EXPECT_THAT(ValidateRecordId(std::string(33, 'a')), StatusIs(kInvalid));
  EXPECT_THAT(ValidateRecordId(""), StatusIs(kInvalid));
}

TEST(ValidateRecordIdTest, RejectsNonHexCharacters) {
  for (char c : {'g', 'z', '-', '_', ' ', '/', '\0'}) {
    std::string id(32, 'a');
    id[17] = c;
    EXPECT_THAT(ValidateRecordId(id), StatusIs(kInvalid)) << static_cast<int>(c);
  }
}

}  // namespace
}  // namespace confidant
