// QuotaTracker counts each person's allowed reads and submissions over sliding hour and day
// windows (injected clock): over either limit it refuses without counting, each person and
// kind is counted apart, and nothing is kept once the windows have passed.
#include <atomic>
#include <string>
#include <thread>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "server/quota.h"
#include "tests/testing/status_matchers.h"

namespace confidant::server {
namespace {

using Kind = QuotaTracker::Kind;
using ::confidant::testing::IsOk;
using ::confidant::testing::StatusIs;
using ::testing::HasSubstr;

constexpr int64_t kStart = 1'700'000'000;  // any unix time

policy::Quota Small() {
  policy::Quota quota;
  quota.reads_per_hour = 3;
  quota.reads_per_day = 5;
  quota.submissions_per_hour = 2;
  quota.submissions_per_day = 4;
  return quota;
}

// Charges `n` reads for `person` at `now`, expecting every one to pass.
void ReadN(QuotaTracker& tracker, const std::string& person, int n, int64_t now) {
  for (int i = 0; i < n; ++i) {
    ASSERT_THAT(tracker.Charge(person, Kind::kRead, Small(), now), IsOk()) << "read " << i;
  }
}

TEST(QuotaTrackerTest, ReadPastHourlyLimitIsResourceExhaustedNamingTheLimit) {
  QuotaTracker tracker;
  ReadN(tracker, "alice", 3, kStart);
  std::string limit;
  EXPECT_THAT(tracker.Charge("alice", Kind::kRead, Small(), kStart + 10, &limit),
              StatusIs(absl::StatusCode::kResourceExhausted,
                       "quota exceeded: 3 reads per hour; the next read is allowed in 1 h (at "
                       "2023-11-14T23:14Z)"));
  EXPECT_EQ(limit, "reads_per_hour");
}

TEST(QuotaTrackerTest, HourWindowSlidesAtExactlyOneHour) {
  QuotaTracker tracker;
  ReadN(tracker, "alice", 1, kStart);
  ReadN(tracker, "alice", 2, kStart + 100);
  // The first read still counts one second before its hour is over, and not at the hour.
  EXPECT_THAT(tracker.Charge("alice", Kind::kRead, Small(), kStart + 3599),
              StatusIs(absl::StatusCode::kResourceExhausted));
  EXPECT_THAT(tracker.Charge("alice", Kind::kRead, Small(), kStart + 3600), IsOk());
  // Now the two at +100 and the one at +3600 fill the hour again until +3700.
  EXPECT_THAT(tracker.Charge("alice", Kind::kRead, Small(), kStart + 3699),
              StatusIs(absl::StatusCode::kResourceExhausted));
  EXPECT_THAT(tracker.Charge("alice", Kind::kRead, Small(), kStart + 3700), IsOk());
}

TEST(QuotaTrackerTest, DailyLimitHoldsAcrossHoursAndSlidesAtExactlyOneDay) {
  QuotaTracker tracker;
  ReadN(tracker, "alice", 3, kStart);
  ReadN(tracker, "alice", 2, kStart + 2 * kQuotaHourSeconds);
  std::string limit;
  EXPECT_THAT(tracker.Charge("alice", Kind::kRead, Small(), kStart + 5 * kQuotaHourSeconds, &limit),
              StatusIs(absl::StatusCode::kResourceExhausted,
                       "quota exceeded: 5 reads per day; the next read is allowed in 19 h (at "
                       "2023-11-15T22:14Z)"));
  EXPECT_EQ(limit, "reads_per_day");
  EXPECT_THAT(tracker.Charge("alice", Kind::kRead, Small(), kStart + kQuotaDaySeconds - 1),
              StatusIs(absl::StatusCode::kResourceExhausted));
  // At one day, the three first reads leave the window: three more fit in the day, and the
  // hour allows them.
  ReadN(tracker, "alice", 3, kStart + kQuotaDaySeconds);
  EXPECT_THAT(tracker.Charge("alice", Kind::kRead, Small(), kStart + kQuotaDaySeconds),
              StatusIs(absl::StatusCode::kResourceExhausted));
}

TEST(QuotaTrackerTest, RefusedCallsAreNotCounted) {
  QuotaTracker tracker;
  ReadN(tracker, "alice", 3, kStart);
  for (int i = 0; i < 100; ++i) {
    EXPECT_THAT(tracker.Charge("alice", Kind::kRead, Small(), kStart + 60 + i),
                StatusIs(absl::StatusCode::kResourceExhausted));
  }
  // Had the refusals counted, the hour from kStart + 60 would still be full.
  ReadN(tracker, "alice", 2, kStart + kQuotaHourSeconds);
  // Day: 3 + 2 = 5, full.
  EXPECT_THAT(tracker.Charge("alice", Kind::kRead, Small(), kStart + 2 * kQuotaHourSeconds),
              StatusIs(absl::StatusCode::kResourceExhausted, HasSubstr("per day")));
}

TEST(QuotaTrackerTest, PersonsAndKindsAreCountedApart) {
  QuotaTracker tracker;
  ReadN(tracker, "alice", 3, kStart);
  EXPECT_THAT(tracker.Charge("alice", Kind::kRead, Small(), kStart),
              StatusIs(absl::StatusCode::kResourceExhausted));
  ReadN(tracker, "bob", 3, kStart);
  EXPECT_THAT(tracker.Charge("alice", Kind::kSubmission, Small(), kStart), IsOk());
  EXPECT_THAT(tracker.Charge("alice", Kind::kSubmission, Small(), kStart), IsOk());
  std::string limit;
  EXPECT_THAT(tracker.Charge("alice", Kind::kSubmission, Small(), kStart, &limit),
              StatusIs(absl::StatusCode::kResourceExhausted,
                       "quota exceeded: 2 submissions per hour; the next submission is allowed "
                       "in 1 h (at 2023-11-14T23:14Z)"));
  EXPECT_EQ(limit, "submissions_per_hour");
  EXPECT_THAT(tracker.Charge("bob", Kind::kSubmission, Small(), kStart), IsOk());
}

TEST(QuotaTrackerTest, CallsHaveTheirOwnBudgetApartFromReads) {
  QuotaTracker tracker;
  policy::Quota quota = Small();
  quota.calls_per_hour = 2;
  quota.calls_per_day = 10;
  EXPECT_THAT(tracker.Charge("alice", Kind::kCall, quota, kStart), IsOk());
  EXPECT_THAT(tracker.Charge("alice", Kind::kCall, quota, kStart), IsOk());
  std::string limit;
  EXPECT_THAT(tracker.Charge("alice", Kind::kCall, quota, kStart, &limit),
              StatusIs(absl::StatusCode::kResourceExhausted,
                       "quota exceeded: 2 calls per hour; the next call is allowed "
                       "in 1 h (at 2023-11-14T23:14Z)"));
  EXPECT_EQ(limit, "calls_per_hour");
  // Reads are counted apart: a full call budget leaves them untouched, and the reverse.
  EXPECT_THAT(tracker.Charge("alice", Kind::kRead, quota, kStart), IsOk());
  EXPECT_THAT(tracker.Charge("alice", Kind::kCall, quota, kStart + 3600), IsOk());
}

TEST(QuotaTrackerTest, LimitsComeFromTheQuotaPassedWithEachCall) {
  // A reloaded policy's quota applies to the counts already made.
  QuotaTracker tracker;
  ReadN(tracker, "alice", 3, kStart);
  policy::Quota larger = Small();
  larger.reads_per_hour = 4;
  EXPECT_THAT(tracker.Charge("alice", Kind::kRead, larger, kStart), IsOk());
  EXPECT_THAT(tracker.Charge("alice", Kind::kRead, larger, kStart),
              StatusIs(absl::StatusCode::kResourceExhausted,
                       HasSubstr("quota exceeded: 4 reads per hour; ")));
}

TEST(QuotaTrackerTest, ZeroLimitRefusesEveryCallAndKeepsNothing) {
  QuotaTracker tracker;
  policy::Quota none = Small();
  none.reads_per_hour = 0;
  EXPECT_THAT(tracker.Charge("alice", Kind::kRead, none, kStart),
              StatusIs(absl::StatusCode::kResourceExhausted,
                       "quota exceeded: 0 reads per hour; the policy allows no reads for you"));
  EXPECT_EQ(tracker.TrackedPersons(), 0u);
}

// The refusal says when the sliding window frees up: the moment the oldest charges still in the
// window leave it, rounded up to the minute; and the call is allowed from exactly then.
TEST(QuotaTrackerTest, RefusalSaysWhenTheNextCallIsAllowed) {
  QuotaTracker tracker;
  policy::Quota quota = Small();
  quota.reads_per_day = 100;
  for (int64_t at : {kStart, kStart + 60, kStart + 120}) {
    ASSERT_THAT(tracker.Charge("alice", Kind::kRead, quota, at), IsOk());
  }
  // The read at kStart leaves the hour at kStart + 3600 (23:13:20): 3470 s, 58 min from now.
  EXPECT_THAT(tracker.Charge("alice", Kind::kRead, quota, kStart + 130),
              StatusIs(absl::StatusCode::kResourceExhausted,
                       "quota exceeded: 3 reads per hour; the next read is allowed in 58 min (at "
                       "2023-11-14T23:14Z)"));
  EXPECT_THAT(tracker.Charge("alice", Kind::kRead, quota, kStart + 3599),
              StatusIs(absl::StatusCode::kResourceExhausted,
                       HasSubstr("allowed in 1 min (at 2023-11-14T23:14Z)")));
  EXPECT_THAT(tracker.Charge("alice", Kind::kRead, quota, kStart + 3600), IsOk());
}

TEST(QuotaTrackerTest, LoweredLimitWaitsForEnoughChargesToLeave) {
  QuotaTracker tracker;
  policy::Quota four = Small();
  four.reads_per_hour = 4;
  four.reads_per_day = 100;
  for (int64_t at : {kStart, kStart + 600, kStart + 1200, kStart + 1800}) {
    ASSERT_THAT(tracker.Charge("alice", Kind::kRead, four, at), IsOk());
  }
  // A reloaded policy allows 2 an hour: three of the four must leave, the third at
  // kStart + 1200 + 3600 (23:33:20), 2900 s = 48 min 20 s from now.
  policy::Quota two = four;
  two.reads_per_hour = 2;
  EXPECT_THAT(tracker.Charge("alice", Kind::kRead, two, kStart + 1900),
              StatusIs(absl::StatusCode::kResourceExhausted,
                       "quota exceeded: 2 reads per hour; the next read is allowed in 49 min (at "
                       "2023-11-14T23:34Z)"));
  EXPECT_THAT(tracker.Charge("alice", Kind::kRead, two, kStart + 4799),
              StatusIs(absl::StatusCode::kResourceExhausted));
  EXPECT_THAT(tracker.Charge("alice", Kind::kRead, two, kStart + 4800), IsOk());
}

TEST(QuotaTrackerTest, HourRefusalWaitsForTheDayWhenTheDayIsFullToo) {
  QuotaTracker tracker;
  policy::Quota quota = Small();
  quota.reads_per_hour = 2;
  quota.reads_per_day = 2;
  ReadN(tracker, "alice", 2, kStart);
  // The hour is named (checked first), but the hour freeing up is not enough: the day frees at
  // kStart + 1 day.
  EXPECT_THAT(tracker.Charge("alice", Kind::kRead, quota, kStart + 10),
              StatusIs(absl::StatusCode::kResourceExhausted,
                       "quota exceeded: 2 reads per hour; the next read is allowed in 24 h (at "
                       "2023-11-15T22:14Z)"));
  EXPECT_THAT(tracker.Charge("alice", Kind::kRead, quota, kStart + 3600),
              StatusIs(absl::StatusCode::kResourceExhausted, HasSubstr("per day")));
  EXPECT_THAT(tracker.Charge("alice", Kind::kRead, quota, kStart + kQuotaDaySeconds), IsOk());
}

TEST(QuotaTrackerTest, DayRefusalAfterTheHourFreedCountsFromTheOldestCharge) {
  QuotaTracker tracker;
  policy::Quota quota = Small();
  quota.reads_per_hour = 2;
  quota.reads_per_day = 3;
  ReadN(tracker, "alice", 2, kStart);
  ASSERT_THAT(tracker.Charge("alice", Kind::kRead, quota, kStart + 3600), IsOk());
  // Day full (3): the two reads at kStart leave it at kStart + 86400, 22 h 59 min 59 s away.
  EXPECT_THAT(tracker.Charge("alice", Kind::kRead, quota, kStart + 3601),
              StatusIs(absl::StatusCode::kResourceExhausted,
                       "quota exceeded: 3 reads per day; the next read is allowed in 23 h (at "
                       "2023-11-15T22:14Z)"));
}

TEST(QuotaTrackerTest, CallsInOneSecondShareOneEntry) {
  QuotaTracker tracker;
  policy::Quota big;
  big.reads_per_hour = big.reads_per_day = 1000;
  for (int i = 0; i < 1000; ++i) {
    ASSERT_THAT(tracker.Charge("alice", Kind::kRead, big, kStart), IsOk());
  }
  EXPECT_EQ(tracker.TrackedEntries(), 1u);
  EXPECT_THAT(tracker.Charge("alice", Kind::kRead, big, kStart),
              StatusIs(absl::StatusCode::kResourceExhausted));
}

TEST(QuotaTrackerTest, NothingIsKeptOnceTheWindowsHavePassed) {
  QuotaTracker tracker;
  for (int p = 0; p < 50; ++p) {
    const std::string person = "person-" + std::to_string(p);
    for (int s = 0; s < 3; ++s) {
      ASSERT_THAT(tracker.Charge(person, Kind::kRead, Small(), kStart + s), IsOk());
    }
    ASSERT_THAT(tracker.Charge(person, Kind::kSubmission, Small(), kStart), IsOk());
  }
  EXPECT_EQ(tracker.TrackedPersons(), 50u);
  EXPECT_EQ(tracker.TrackedEntries(), 50u * 4);
  // A day and an hour later, one call by someone else sweeps out everyone else.
  ASSERT_THAT(tracker.Charge("late", Kind::kRead, Small(), kStart + kQuotaDaySeconds + 3600),
              IsOk());
  EXPECT_EQ(tracker.TrackedPersons(), 1u);
  EXPECT_EQ(tracker.TrackedEntries(), 1u);
}

TEST(QuotaTrackerTest, ClockGoingBackNeverFreesQuota) {
  QuotaTracker tracker;
  ReadN(tracker, "alice", 3, kStart + kQuotaHourSeconds);
  // Set back by an hour: the reads "from the future" still count.
  EXPECT_THAT(tracker.Charge("alice", Kind::kRead, Small(), kStart),
              StatusIs(absl::StatusCode::kResourceExhausted));
}

TEST(QuotaTrackerTest, ConcurrentChargesNeverExceedTheLimit) {
  QuotaTracker tracker;
  policy::Quota quota;
  quota.reads_per_hour = 100;
  quota.reads_per_day = 100;
  std::atomic<int> allowed{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 8; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < 50; ++i) {
        if (tracker.Charge("alice", Kind::kRead, quota, kStart + i).ok()) ++allowed;
      }
    });
  }
  for (std::thread& thread : threads) thread.join();
  EXPECT_EQ(allowed.load(), 100);
}

}  // namespace
}  // namespace confidant::server

namespace confidant::server {
namespace {

// What server/quota_keeper.h saves and loads: the counters still in the day window.
TEST(QuotaTrackerExportTest, ExportedCountersImportedIntoANewTrackerStillCount) {
  QuotaTracker before;
  ReadN(before, "officer", 3, kStart);  // the hourly limit of Small()
  const storage::v1::QuotaCounters saved = before.Export(kStart + 10);
  ASSERT_EQ(saved.persons_size(), 1);
  EXPECT_EQ(saved.persons(0).person_id(), "officer");

  QuotaTracker after;
  const uint64_t generation = after.generation();
  after.Import(saved, kStart + 10);
  EXPECT_GT(after.generation(), generation);
  EXPECT_THAT(after.Charge("officer", Kind::kRead, Small(), kStart + 20),
              StatusIs(absl::StatusCode::kResourceExhausted, HasSubstr("3 reads per hour")));
  EXPECT_THAT(after.Charge("someone-else", Kind::kRead, Small(), kStart + 20), IsOk());
  // A day later nothing saved counts any more.
  QuotaTracker late;
  late.Import(saved, kStart + kQuotaDaySeconds + 1);
  EXPECT_EQ(late.TrackedPersons(), 0u);
  // A malformed series (counts and times of different lengths) is skipped.
  storage::v1::QuotaCounters bad = saved;
  bad.mutable_persons(0)->mutable_reads()->add_at(kStart);
  QuotaTracker skipped;
  skipped.Import(bad, kStart + 10);
  EXPECT_THAT(skipped.Charge("officer", Kind::kRead, Small(), kStart + 20), IsOk());
}

}  // namespace
}  // namespace confidant::server
