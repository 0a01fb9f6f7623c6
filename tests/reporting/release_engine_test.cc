// The release engine: fixed cell domains, tie-breaks, bounded contribution, and the release's
// fields, noise and disclosure control.
#include "server/reporting/release_engine.h"

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "server/reporting/disclosure.h"
#include "tests/reporting/fixtures.h"

namespace confidant::reporting {
namespace {

using fixtures::ByFacility;
using fixtures::Counts;
using fixtures::Interview;
using fixtures::Labels;
using fixtures::Table;
using fixtures::TestCatalogue;
using ::testing::ElementsAre;
using Labelled = std::vector<std::vector<std::string>>;

constexpr PeriodId kQ3{2026, 3};

policy::v1::CatalogueTable ByAnswer(policy::v1::Concern concern = policy::v1::LACKS_MEDICAL_CARE) {
  return Table({policy::v1::CONCERN_ANSWER}, policy::v1::DISTINCT_PERSONS, concern,
               policy::v1::QUARTER, 55);
}

InterviewFacts Answered(std::string person, std::string date, std::string key, v1::YesNo medical) {
  InterviewFacts f = Interview(std::move(person), std::move(date), std::move(key), "big-on");
  f.concerns.set_lacks_medical_care(medical);
  return f;
}

TEST(ReleaseEngineTest, FacilityDomainIsFixedAndPoolsTinyFacilities) {
  const std::vector<TrueCell> empty = TrueCounts(TestCatalogue(), ByFacility(), kQ3, {});
  EXPECT_EQ(Labels(empty),
            (Labelled{{"big-on"}, {"ontario-pooled"}, {"quebec-pooled"}, {"big-qc"}}));
  EXPECT_THAT(Counts(empty), ElementsAre(0, 0, 0, 0));
  // Both pooled Ontario facilities count under one group; an unlisted group counts nowhere.
  const std::vector<TrueCell> full =
      TrueCounts(TestCatalogue(), ByFacility(), kQ3,
                 {Interview("p1", "2026-07-01", "r1", "ontario-pooled"),
                  Interview("p2", "2026-07-02", "r2", "ontario-pooled"),
                  Interview("p3", "2026-07-03", "r3", "big-qc", policy::v1::QUEBEC),
                  Interview("p4", "2026-07-03", "r4", "not-listed")});
  EXPECT_EQ(Labels(full), Labels(empty));
  EXPECT_THAT(Counts(full), ElementsAre(0, 2, 0, 1));
}

TEST(ReleaseEngineTest, OtherDomainsAreFixedWithNotRecordedLast) {
  const auto labels = [](policy::v1::Dimension d) {
    return Labels(TrueCounts(TestCatalogue(),
                             Table({d}, policy::v1::DISTINCT_PERSONS,
                                   policy::v1::CONCERN_UNSPECIFIED, policy::v1::YEAR, 500),
                             {2026, 0}, {}));
  };
  EXPECT_EQ(labels(policy::v1::REGION), (Labelled{{"quebec"}, {"ontario"}}));
  EXPECT_EQ(
      labels(policy::v1::AGE_BAND),
      (Labelled{
          {"under 18"}, {"18-24"}, {"25-34"}, {"35-49"}, {"50-64"}, {"65+"}, {"not recorded"}}));
  EXPECT_EQ(labels(policy::v1::GENDER),
            (Labelled{{"woman"}, {"man"}, {"non-binary"}, {"not disclosed"}, {"not recorded"}}));
  EXPECT_EQ(labels(policy::v1::DETENTION_LENGTH), (Labelled{{"<7 days"},
                                                            {"7-29 days"},
                                                            {"30-89 days"},
                                                            {"90-179 days"},
                                                            {"180-364 days"},
                                                            {"365+ days"},
                                                            {"not recorded"}}));
  EXPECT_EQ(Labels(TrueCounts(TestCatalogue(), ByAnswer(), kQ3, {})), (Labelled{{"yes"}, {"no"}}));
}

TEST(ReleaseEngineTest, TwoDimensionsInRowMajorOrder) {
  const auto table =
      Table({policy::v1::REGION, policy::v1::CONCERN_ANSWER}, policy::v1::DISTINCT_PERSONS,
            policy::v1::LACKS_MEDICAL_CARE, policy::v1::YEAR, 500);
  InterviewFacts qc = Answered("p1", "2026-02-01", "r1", v1::NO);
  qc.region = policy::v1::QUEBEC;
  const std::vector<TrueCell> cells = TrueCounts(TestCatalogue(), table, {2026, 0},
                                                 {qc, Answered("p2", "2026-05-01", "r2", v1::YES)});
  EXPECT_EQ(Labels(cells),
            (Labelled{{"quebec", "yes"}, {"quebec", "no"}, {"ontario", "yes"}, {"ontario", "no"}}));
  EXPECT_THAT(Counts(cells), ElementsAre(0, 1, 1, 0));
}

TEST(ReleaseEngineTest, ZeroDimensionTableHasOneUnlabelledCell) {
  const auto table = Table({}, policy::v1::DISTINCT_PERSONS, policy::v1::CONCERN_UNSPECIFIED,
                           policy::v1::QUARTER, 250);
  const std::vector<TrueCell> cells = TrueCounts(TestCatalogue(), table, kQ3,
                                                 {Interview("p1", "2026-07-01", "r1", "big-on"),
                                                  Interview("p2", "2026-07-01", "r2", "big-on")});
  ASSERT_EQ(cells.size(), 1u);
  EXPECT_TRUE(cells[0].labels.empty());
  EXPECT_EQ(cells[0].count, 2);
}

TEST(ReleaseEngineTest, FirstInterviewInPeriodDecidesFacility) {
  // Ordered by date, then order key; the list order of the facts does not matter.
  const std::vector<TrueCell> by_date =
      TrueCounts(TestCatalogue(), ByFacility(), kQ3,
                 {Interview("p1", "2026-07-02", "a", "big-on"),
                  Interview("p1", "2026-07-01", "z", "big-qc", policy::v1::QUEBEC)});
  EXPECT_THAT(Counts(by_date), ElementsAre(0, 0, 0, 1));
  const std::vector<TrueCell> by_key =
      TrueCounts(TestCatalogue(), ByFacility(), kQ3,
                 {Interview("p1", "2026-07-01", "b", "big-on"),
                  Interview("p1", "2026-07-01", "a", "quebec-pooled", policy::v1::QUEBEC)});
  EXPECT_THAT(Counts(by_key), ElementsAre(0, 0, 1, 0));
  // An interview in the previous quarter is outside the period: it does not decide.
  const std::vector<TrueCell> earlier =
      TrueCounts(TestCatalogue(), ByFacility(), kQ3,
                 {Interview("p1", "2026-06-30", "a", "big-qc", policy::v1::QUEBEC),
                  Interview("p1", "2026-07-05", "b", "big-on")});
  EXPECT_THAT(Counts(earlier), ElementsAre(1, 0, 0, 0));
}

TEST(ReleaseEngineTest, LastInterviewThatAskedDecidesAnswer) {
  const std::vector<TrueCell> cells = TrueCounts(
      TestCatalogue(), ByAnswer(), kQ3,
      {Answered("p1", "2026-07-01", "r1", v1::YES), Answered("p1", "2026-08-01", "r2", v1::NO),
       Answered("p1", "2026-09-01", "r3", v1::YES_NO_UNSPECIFIED),  // not asked: no change
       Answered("p2", "2026-07-01", "r4", v1::NO), Answered("p2", "2026-07-01", "r5", v1::YES)});
  EXPECT_THAT(Counts(cells), ElementsAre(1, 1));  // p1 "no", p2 "yes" (order key r5 after r4)
}

TEST(ReleaseEngineTest, PersonsNeverAskedAreNotCountedByAnswer) {
  const std::vector<TrueCell> cells =
      TrueCounts(TestCatalogue(), ByAnswer(), kQ3,
                 {Answered("p1", "2026-07-01", "r1", v1::YES_NO_UNSPECIFIED),
                  Answered("p2", "2026-07-01", "r2", v1::YES)});
  EXPECT_THAT(Counts(cells), ElementsAre(1, 0));
}

TEST(ReleaseEngineTest, PersonsWithConcernCountsLastAnswerYes) {
  const auto table = Table({policy::v1::REGION}, policy::v1::PERSONS_WITH_CONCERN,
                           policy::v1::LACKS_MEDICAL_CARE, policy::v1::QUARTER, 250);
  const std::vector<TrueCell> cells =
      TrueCounts(TestCatalogue(), table, kQ3,
                 {Answered("yes-then-no", "2026-07-01", "r1", v1::YES),
                  Answered("yes-then-no", "2026-07-02", "r2", v1::NO),
                  Answered("no-then-yes", "2026-07-01", "r3", v1::NO),
                  Answered("no-then-yes", "2026-07-02", "r4", v1::YES),
                  Answered("no-then-yes", "2026-07-03", "r5", v1::YES),
                  Answered("never", "2026-07-01", "r6", v1::YES_NO_UNSPECIFIED)});
  EXPECT_THAT(Counts(cells), ElementsAre(0, 1));  // quebec, ontario
}

TEST(ReleaseEngineTest, LastInterviewDecidesAgeBand) {
  const auto table = Table({policy::v1::AGE_BAND}, policy::v1::DISTINCT_PERSONS,
                           policy::v1::CONCERN_UNSPECIFIED, policy::v1::QUARTER, 250);
  InterviewFacts first = Interview("p1", "2026-07-01", "r1", "big-on");
  first.age_band = v1::AGE_18_24;
  InterviewFacts last = Interview("p1", "2026-08-01", "r2", "big-on");
  last.age_band = v1::AGE_25_34;
  const InterviewFacts unrecorded = Interview("p2", "2026-08-01", "r3", "big-on");
  EXPECT_THAT(Counts(TrueCounts(TestCatalogue(), table, kQ3, {last, first, unrecorded})),
              ElementsAre(0, 0, 1, 0, 0, 0, 1));
}

TEST(ReleaseEngineTest, PersonWithFiftyInterviewsCountsOnce) {
  std::vector<InterviewFacts> facts;
  for (int i = 0; i < 50; ++i) {
    facts.push_back(Interview("p1", absl::StrCat("2026-07-", 10 + i % 20), absl::StrCat("r", i),
                              i % 2 ? "big-on" : "big-qc"));
  }
  facts.push_back(Interview("p2", "2026-09-01", "s", "big-on"));
  const std::vector<TrueCell> cells = TrueCounts(TestCatalogue(), ByFacility(), kQ3, facts);
  EXPECT_THAT(Counts(cells), ElementsAre(1, 0, 0, 1));  // p1's first: 2026-07-10 "r0", big-qc
}

TEST(ReleaseEngineTest, FactsOutsidePeriodOrUndatedAreIgnored) {
  const std::vector<TrueCell> cells = TrueCounts(
      TestCatalogue(), ByFacility(), kQ3,
      {Interview("p1", "2026-06-30", "r1", "big-on"), Interview("p2", "2026-10-01", "r2", "big-on"),
       Interview("p3", "2025-08-01", "r3", "big-on"), Interview("p4", "2026-08-xx", "r4", "big-on"),
       Interview("p5", "2026-09-30", "r5", "big-on")});
  EXPECT_THAT(Counts(cells), ElementsAre(1, 0, 0, 0));
}

TEST(ReleaseEngineTest, ReleaseFields) {
  const auto table = ByAnswer(policy::v1::MENTAL_HEALTH);
  const v1::Release r =
      ComputeRelease(TestCatalogue(3), table, kQ3, {}, *NewSeededUniformSource(1));
  EXPECT_EQ(r.format_version(), 1u);
  EXPECT_EQ(r.table_id(), "test-table");
  EXPECT_EQ(r.title(), "Test table");
  EXPECT_EQ(r.period(), "2026Q3");
  EXPECT_EQ(r.version(), 1u);
  EXPECT_THAT(r.dimensions(), ElementsAre("answer"));
  EXPECT_EQ(r.measure(), "persons");
  EXPECT_EQ(r.epsilon_millis(), 55u);
  EXPECT_EQ(r.max_pseudonyms_per_person(), 3u);
  EXPECT_EQ(r.noise_scale(), "54.55");  // 3 / 0.055
  EXPECT_EQ(r.interval95(), 163u);
  EXPECT_FALSE(r.share_rule().empty());
  EXPECT_EQ(r.released_unix_seconds(), 0);
  ASSERT_EQ(r.cells_size(), 2);
  EXPECT_THAT(r.cells(0).labels(), ElementsAre("yes"));
}

TEST(ReleaseEngineTest, NoiseScaleText) {
  const auto scale = [](uint32_t k, uint32_t millis) {
    return ComputeRelease(TestCatalogue(k), ByFacility(millis), kQ3, {}, *NewSeededUniformSource(1))
        .noise_scale();
  };
  EXPECT_EQ(scale(3, 500), "6");
  EXPECT_EQ(scale(3, 250), "12");
  EXPECT_EQ(scale(1, 400), "2.5");
  EXPECT_EQ(scale(1, 3000), "0.33");
  EXPECT_EQ(scale(2, 3000), "0.67");
  EXPECT_EQ(scale(20, 1), "20000");
}

// The release is exactly: the same noise draws as NoisyCounts, then DisplayCount per cell and
// DisplayShare against the group's noisy (unrounded) sum.
TEST(ReleaseEngineTest, CellsAreDisplayedNoisyCountsWithGroupShares) {
  const auto table = Table({policy::v1::REGION, policy::v1::DETENTION_LENGTH},
                           policy::v1::DISTINCT_PERSONS, policy::v1::CONCERN_UNSPECIFIED,
                           policy::v1::YEAR, 4000);  // scale 0.75: little noise, shares shown
  std::vector<InterviewFacts> facts;
  for (int i = 0; i < 120; ++i) {
    InterviewFacts f = Interview(absl::StrCat("p", i), "2026-03-01", "r", "big-on");
    f.detention_length = static_cast<v1::DetentionLengthBand>(1 + i % 4);
    facts.push_back(f);
  }
  const std::vector<TrueCell> cells = TrueCounts(TestCatalogue(), table, {2026, 0}, facts);
  const v1::Release r =
      ComputeRelease(TestCatalogue(), table, {2026, 0}, facts, *NewSeededUniformSource(42));
  const std::vector<int64_t> noisy = NoisyCounts(cells, 3, 4, *NewSeededUniformSource(42));
  ASSERT_EQ(r.cells_size(), 14);
  int shown = 0;
  for (int i = 0; i < 14; ++i) {
    const size_t group = static_cast<size_t>(i / 7 * 7);
    int64_t total = 0;
    for (size_t j = group; j < group + 7; ++j) total += noisy[j];
    EXPECT_EQ(r.cells(i).value(), DisplayCount(noisy[i]).value) << i;
    EXPECT_EQ(r.cells(i).suppressed(), DisplayCount(noisy[i]).suppressed) << i;
    // The denominator counts only shown cells (a "<10" cell must not be recoverable from it).
    int64_t shown_total = 0;
    for (size_t j = group; j < group + 7; ++j) {
      if (!DisplayCount(noisy[j]).suppressed) shown_total += noisy[j];
    }
    EXPECT_EQ(r.cells(i).share(), DisplayShare(noisy[i], shown_total)) << i;
    shown += !r.cells(i).share().empty();
  }
  EXPECT_EQ(shown, 4);  // the four Ontario bands of 30; Quebec's total is under 40
  EXPECT_EQ(r.cells(7).share(), "25%");
}

TEST(ReleaseEngineTest, SameSeedSameReleaseFreshSeedDifferentNoise) {
  std::vector<InterviewFacts> facts;
  for (int i = 0; i < 200; ++i)
    facts.push_back(Interview(absl::StrCat("p", i), "2026-07-01", "r", "big-on"));
  const auto release = [&](uint64_t seed) {
    return ComputeRelease(TestCatalogue(), ByFacility(), kQ3, facts, *NewSeededUniformSource(seed))
        .SerializeAsString();
  };
  EXPECT_EQ(release(5), release(5));
  int differing = 0;
  for (uint64_t seed = 6; seed < 16; ++seed) differing += release(seed) != release(5);
  EXPECT_GE(differing, 5);  // scale 12: the big cell's rounded value varies
}

TEST(ReleaseEngineTest, ZeroBudgetReleasesNothing) {
  std::vector<InterviewFacts> facts;
  for (int i = 0; i < 200; ++i)
    facts.push_back(Interview(absl::StrCat("p", i), "2026-07-01", "r", "big-on"));
  const v1::Release r =
      ComputeRelease(TestCatalogue(), ByFacility(0), kQ3, facts, *NewSeededUniformSource(1));
  ASSERT_EQ(r.cells_size(), 4);
  for (const v1::ReleaseCell& c : r.cells()) EXPECT_TRUE(c.suppressed());
}

// The loader refuses concern statistics per facility; the engine, handed one anyway, shows
// nothing (a tiny facility's "yes" count would single people out).
TEST(ReleaseEngineTest, FacilityLevelConcernTableReleasesNothing) {
  const auto table = Table({policy::v1::FACILITY}, policy::v1::PERSONS_WITH_CONCERN,
                           policy::v1::LACKS_MEDICAL_CARE, policy::v1::QUARTER, 4000);
  std::vector<InterviewFacts> facts;
  for (int i = 0; i < 200; ++i) {
    facts.push_back(Answered(absl::StrCat("p", i), "2026-07-01", "r", v1::YES));
  }
  const v1::Release r =
      ComputeRelease(TestCatalogue(), table, kQ3, facts, *NewSeededUniformSource(1));
  ASSERT_EQ(r.cells_size(), 4);
  for (const v1::ReleaseCell& c : r.cells()) EXPECT_TRUE(c.suppressed());
}

}  // namespace
}  // namespace confidant::reporting
