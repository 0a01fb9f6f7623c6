// The process clock: the dev offset file's format, and that every reading (wall and steady)
// follows the file as it changes.
#include "server/clock.h"

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <string>

#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "base/files.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/store/temp_dir.h"
#include "tests/testing/status_matchers.h"

namespace confidant::server {
namespace {

using ::confidant::testing::IsOk;
using ::confidant::testing::StatusIs;

TEST(ClockOffsetTest, ParsesSignedWholeSecondsAndTreatsEmptyAsZero) {
  EXPECT_EQ(*ParseClockOffsetSeconds(""), 0);
  EXPECT_EQ(*ParseClockOffsetSeconds(" \n"), 0);
  EXPECT_EQ(*ParseClockOffsetSeconds("3700"), 3700);
  EXPECT_EQ(*ParseClockOffsetSeconds("3700\n"), 3700);
  EXPECT_EQ(*ParseClockOffsetSeconds("-7200"), -7200);
  EXPECT_EQ(*ParseClockOffsetSeconds("+60"), 60);
  EXPECT_EQ(*ParseClockOffsetSeconds("  -0  "), 0);
}

TEST(ClockOffsetTest, RefusesAnythingElse) {
  for (const char* bad : {"1.5", "1e3", "0x10", "ten", "-", "+", "1 2", "--5", "5s",
                          "999999999999", "-999999999999", "99999999999999999999999"}) {
    EXPECT_THAT(ParseClockOffsetSeconds(bad), StatusIs(absl::StatusCode::kInvalidArgument))
        << bad;
  }
}

int64_t RealUnixSeconds() { return absl::ToUnixSeconds(absl::Now()); }

int64_t RealSteadyMicros() {
  return std::chrono::duration_cast<std::chrono::microseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

// The file is read on every reading: wall and steady both move with it, a missing file is 0,
// and content that does not parse keeps the last good offset.
TEST(ClockOffsetTest, EveryReadingFollowsTheOffsetFile) {
  store::TempDir dir;
  const std::string path = dir.path() + "/offset";
  SetDevClockOffsetFile(path);
  EXPECT_NEAR(static_cast<double>(WallSeconds() - RealUnixSeconds()), 0, 2);

  ASSERT_THAT(WriteFileAtomically(path, "3700\n", 0600), IsOk());
  EXPECT_NEAR(static_cast<double>(WallSeconds() - RealUnixSeconds()), 3700, 2);
  EXPECT_NEAR(static_cast<double>(WallMicros() / 1000000 - RealUnixSeconds()), 3700, 2);
  EXPECT_NEAR(static_cast<double>(SteadyMicros() - RealSteadyMicros()) / 1e6, 3700, 2);

  ASSERT_THAT(WriteFileAtomically(path, "-7200", 0600), IsOk());
  EXPECT_NEAR(static_cast<double>(WallSeconds() - RealUnixSeconds()), -7200, 2);
  EXPECT_NEAR(static_cast<double>(SteadyMicros() - RealSteadyMicros()) / 1e6, -7200, 2);

  ASSERT_THAT(WriteFileAtomically(path, "not a number", 0600), IsOk());
  EXPECT_NEAR(static_cast<double>(WallSeconds() - RealUnixSeconds()), -7200, 2);

  ASSERT_THAT(WriteFileAtomically(path, "", 0600), IsOk());
  EXPECT_NEAR(static_cast<double>(WallSeconds() - RealUnixSeconds()), 0, 2);

  ASSERT_THAT(WriteFileAtomically(path, "60", 0600), IsOk());
  EXPECT_NEAR(static_cast<double>(WallSeconds() - RealUnixSeconds()), 60, 2);
  std::filesystem::remove(path);
  EXPECT_NEAR(static_cast<double>(WallSeconds() - RealUnixSeconds()), 0, 2);
  EXPECT_NEAR(static_cast<double>(SteadyMicros() - RealSteadyMicros()) / 1e6, 0, 2);
}

}  // namespace
}  // namespace confidant::server
