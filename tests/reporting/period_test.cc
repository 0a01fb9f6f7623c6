// Periods: parsing, text, UTC bounds, and the period of a visit date.
#include "absl/status/status.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "server/reporting/release_engine.h"
#include "tests/testing/status_matchers.h"

namespace confidant::reporting {
namespace {

using ::confidant::testing::IsOkAndHolds;
using ::confidant::testing::StatusIs;

TEST(PeriodTest, ParsesQuartersAndYears) {
  EXPECT_THAT(ParsePeriod("2026Q3"), IsOkAndHolds(PeriodId{2026, 3}));
  EXPECT_THAT(ParsePeriod("2026Q1"), IsOkAndHolds(PeriodId{2026, 1}));
  EXPECT_THAT(ParsePeriod("2026"), IsOkAndHolds(PeriodId{2026, 0}));
  EXPECT_THAT(ParsePeriod("2000"), IsOkAndHolds(PeriodId{2000, 0}));
  EXPECT_THAT(ParsePeriod("2100Q4"), IsOkAndHolds(PeriodId{2100, 4}));
}

TEST(PeriodTest, RejectsEverythingElse) {
  for (const char* bad :
       {"", "2026Q5", "2026Q0", "26Q1", " 2026", "2026 ", "2026q3", "2026Q", "2026Q31", "1999",
        "2101", "2026-Q3", "+2026", "-202", "20260", "2026H1", "ABCD"}) {
    EXPECT_THAT(ParsePeriod(bad), StatusIs(absl::StatusCode::kInvalidArgument)) << bad;
  }
}

TEST(PeriodTest, TextRoundTrips) {
  EXPECT_EQ(PeriodText({2026, 3}), "2026Q3");
  EXPECT_EQ(PeriodText({2026, 0}), "2026");
  for (const char* text : {"2026Q1", "2026Q4", "2031"}) {
    EXPECT_EQ(PeriodText(*ParsePeriod(text)), text);
  }
}

TEST(PeriodTest, BoundsAreUtc) {
  EXPECT_EQ(PeriodStart({2026, 3}), 1782864000);  // 2026-07-01T00:00:00Z
  EXPECT_EQ(PeriodEnd({2026, 3}), 1790812800);    // 2026-10-01T00:00:00Z
  EXPECT_EQ(PeriodStart({2026, 0}), 1767225600);  // 2026-01-01
  EXPECT_EQ(PeriodEnd({2026, 0}), 1798761600);    // 2027-01-01
  EXPECT_EQ(PeriodEnd({2026, 4}), PeriodStart({2027, 1}));
  EXPECT_EQ(PeriodEnd({2026, 4}), PeriodEnd({2026, 0}));
}

TEST(PeriodTest, PeriodOfDate) {
  EXPECT_THAT(PeriodOfDate("2026-09-30", policy::v1::QUARTER), IsOkAndHolds(PeriodId{2026, 3}));
  EXPECT_THAT(PeriodOfDate("2026-10-01", policy::v1::QUARTER), IsOkAndHolds(PeriodId{2026, 4}));
  EXPECT_THAT(PeriodOfDate("2026-01-01", policy::v1::QUARTER), IsOkAndHolds(PeriodId{2026, 1}));
  EXPECT_THAT(PeriodOfDate("2026-12-31", policy::v1::YEAR), IsOkAndHolds(PeriodId{2026, 0}));
  EXPECT_THAT(PeriodOfDate("2028-02-29", policy::v1::QUARTER), IsOkAndHolds(PeriodId{2028, 1}));
  for (const char* bad : {"2026-02-30", "2027-02-29", "2026-13-01", "2026-00-10", "2026-7-01",
                          "2026/07/01", "2026-07-01T00", "", "1999-12-31"}) {
    EXPECT_THAT(PeriodOfDate(bad, policy::v1::QUARTER),
                StatusIs(absl::StatusCode::kInvalidArgument))
        << bad;
  }
  EXPECT_THAT(PeriodOfDate("2026-07-01", policy::v1::PERIOD_UNSPECIFIED),
              StatusIs(absl::StatusCode::kInvalidArgument));
}

}  // namespace
}  // namespace confidant::reporting
