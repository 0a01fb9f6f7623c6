// Disclosure control on noisy values: thresholds, base-5 rounding, shares to 5 points.
#include "server/reporting/disclosure.h"

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"

namespace confidant::reporting {
namespace {

TEST(DisclosureTest, NoDisplayedValueFromOneToNine) {
  for (int64_t noisy = -50; noisy <= 200; ++noisy) {
    const DisplayedCount d = DisplayCount(noisy);
    if (d.suppressed) {
      EXPECT_EQ(d.value, "<10") << noisy;
      EXPECT_EQ(d.rounded, 0) << noisy;
      EXPECT_LT(noisy, 10);
    } else {
      EXPECT_GE(d.rounded, 10) << noisy;
      EXPECT_EQ(d.rounded % 5, 0) << noisy;
      EXPECT_LE(std::llabs(d.rounded - noisy), 2) << noisy;
      EXPECT_EQ(d.value, absl::StrCat(d.rounded)) << noisy;
    }
  }
}

TEST(DisclosureTest, ThresholdIsOnTheNoisyValue) {
  EXPECT_TRUE(DisplayCount(9).suppressed);
  EXPECT_TRUE(DisplayCount(0).suppressed);
  EXPECT_TRUE(DisplayCount(-7).suppressed);
  EXPECT_FALSE(DisplayCount(10).suppressed);
}

TEST(DisclosureTest, RoundsToNearestFive) {
  EXPECT_EQ(DisplayCount(10).value, "10");
  EXPECT_EQ(DisplayCount(11).value, "10");
  EXPECT_EQ(DisplayCount(12).value, "10");
  EXPECT_EQ(DisplayCount(13).value, "15");
  EXPECT_EQ(DisplayCount(14).value, "15");
  EXPECT_EQ(DisplayCount(147).value, "145");
  EXPECT_EQ(DisplayCount(148).value, "150");
  EXPECT_EQ(DisplayCount(148).rounded, 150);
  EXPECT_EQ(DisplayCount(INT64_MAX).rounded, INT64_MAX - 2);  // no overflow at the top
}

TEST(DisclosureTest, ShareNeedsUnsuppressedPartAndTotalOf40) {
  EXPECT_EQ(DisplayShare(10, 40), "25%");
  EXPECT_EQ(DisplayShare(9, 40), "");  // the part is "<10"
  EXPECT_EQ(DisplayShare(-3, 40), "");
  EXPECT_EQ(DisplayShare(10, 39), "");  // noisy denominator under 40
  EXPECT_EQ(DisplayShare(30, -5), "");
}

TEST(DisclosureTest, ShareExtremes) {
  EXPECT_EQ(DisplayShare(10, 200), "5%");    // exactly 5%
  EXPECT_EQ(DisplayShare(10, 201), "<5%");   // 4.975%: under 5% although it rounds to 5
  EXPECT_EQ(DisplayShare(10, 1000), "<5%");  // 1%: rounds to 0
  EXPECT_EQ(DisplayShare(190, 200), "95%");  // exactly 95%
  EXPECT_EQ(DisplayShare(191, 200), ">95%");
  EXPECT_EQ(DisplayShare(40, 40), ">95%");
  EXPECT_EQ(DisplayShare(50, 40), ">95%");  // the rest of the group noised negative
}

TEST(DisclosureTest, ShareRoundsToFivePointsHalvesUp) {
  EXPECT_EQ(DisplayShare(15, 200), "10%");  // 7.5%
  EXPECT_EQ(DisplayShare(29, 400), "5%");   // 7.25%
  EXPECT_EQ(DisplayShare(30, 240), "15%");  // 12.5%
  EXPECT_EQ(DisplayShare(29, 240), "10%");  // 12.08%
  EXPECT_EQ(DisplayShare(35, 100), "35%");
  EXPECT_EQ(DisplayShare(37, 100), "35%");
  EXPECT_EQ(DisplayShare(38, 100), "40%");
  EXPECT_EQ(DisplayShare(185, 200), "95%");  // 92.5%
}

}  // namespace
}  // namespace confidant::reporting
