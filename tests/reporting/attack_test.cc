// Statistical attack tests of the release engine (ctest label "slow"): each runs the engine many
// times with a fixed seed and states its trial count and threshold. docs/ARCHITECTURE.md "Reporting": the
// attacks succeed against raw counts and fail against noisy releases, and averaging shows why a
// release must be computed once and frozen.
#include <algorithm>
#include <cmath>
#include <map>
#include <string>

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "server/reporting/disclosure.h"
#include "server/reporting/release_engine.h"
#include "tests/reporting/fixtures.h"

namespace confidant::reporting {
namespace {

using fixtures::ByFacility;
using fixtures::Interview;
using fixtures::TestCatalogue;

// P[X >= a] for the discrete Laplace at `scale` (a small scale: |x| beyond 5000 is negligible).
double TailAtLeast(int64_t a, double scale) {
  double p = 0;
  for (int64_t x = std::max<int64_t>(a, -5000); x <= 5000; ++x) p += DiscreteLaplacePmf(x, scale);
  return p;
}

// a) Publication rate. 21 true counts x 20,000 trials at scale 6 (K = 3, epsilon 0.5): the
// fraction shown (not "<10") is P[true + X >= 10] within 4 standard errors (+0.001).
TEST(AttackTest, PublicationRateMatchesExactProbabilityOfNoisyThreshold) {
  constexpr int kTrials = 20000;
  auto noise = NewSeededUniformSource(101);
  std::map<int64_t, int> shown;
  for (int64_t truth = 0; truth <= 20; ++truth) {
    const std::vector<TrueCell> cell{{{}, truth}};
    for (int i = 0; i < kTrials; ++i) {
      shown[truth] += !DisplayCount(NoisyCounts(cell, 6, 1, *noise)[0]).suppressed;
    }
    const double expected = TailAtLeast(10 - truth, 6.0);
    const double sigma = std::sqrt(expected * (1 - expected) / kTrials);
    EXPECT_NEAR(static_cast<double>(shown[truth]) / kTrials, expected, 4 * sigma + 0.001)
        << "true count " << truth;
  }
  // The threshold applies to the noisy value: a true 12 is sometimes suppressed, a true 5
  // sometimes shown, and even a true 0 sometimes shown.
  EXPECT_LT(shown[12], kTrials);
  EXPECT_GT(shown[12], 0);
  EXPECT_GT(shown[5], 0);
  EXPECT_GT(shown[0], 0);
}

// b) Differencing. A pooled facility group holds `others` persons, and in half the releases
// also a target who appears under K unlinked pseudonyms. The attacker knows everything but
// the target's presence, sees one release's cell, and applies the likelihood-ratio test, the
// optimal guess for a 1/2 prior. epsilon-DP bounds its accuracy by e^eps / (1 + e^eps).
struct Attack {
  uint32_t k = 1;
  uint32_t epsilon_millis = 500;
  int64_t others = 20;
  bool displayed = false;  // the attacker sees the displayed text, not the noisy integer
  bool no_noise = false;   // control: raw counts
  uint32_t weaken = 1;     // power check: noise scale divided by this
};

double AttackAccuracy(const Attack& a, int trials, uint64_t seed) {
  const policy::Catalogue catalogue = TestCatalogue(a.k);
  const policy::v1::CatalogueTable table = ByFacility(a.epsilon_millis);
  constexpr PeriodId kPeriod{2026, 3};
  std::vector<InterviewFacts> out_facts, in_facts;
  for (int64_t i = 0; i < a.others; ++i) {
    out_facts.push_back(Interview(absl::StrCat("p", i), "2026-07-01", "r", "ontario-pooled"));
  }
  in_facts = out_facts;
  for (uint32_t j = 0; j < a.k; ++j) {
    in_facts.push_back(Interview(absl::StrCat("target-", j), "2026-08-01", "t", "ontario-pooled"));
  }
  const double scale = a.k * 1000.0 / a.epsilon_millis / a.weaken;
  const int64_t n_out = a.others, n_in = a.others + a.k;
  // The attacker's likelihoods of each displayed text under both hypotheses.
  std::map<std::string, double> shown_out, shown_in;
  for (int64_t x = -2000; x <= 2000; ++x) {
    shown_out[DisplayCount(n_out + x).value] += DiscreteLaplacePmf(x, scale);
    shown_in[DisplayCount(n_in + x).value] += DiscreteLaplacePmf(x, scale);
  }
  auto noise = NewSeededUniformSource(seed);
  auto coin = NewSeededUniformSource(seed + 1000);
  constexpr size_t kCell = 1;  // "ontario-pooled"
  int correct = 0;
  for (int i = 0; i < trials; ++i) {
    const bool in = coin->Uniform(2) == 1;
    const std::vector<InterviewFacts>& facts = in ? in_facts : out_facts;
    bool guess_in;
    if (a.no_noise) {
      guess_in = TrueCounts(catalogue, table, kPeriod, facts)[kCell].count == n_in;
    } else if (a.displayed) {
      const std::string value =
          ComputeRelease(catalogue, table, kPeriod, facts, *noise).cells(kCell).value();
      guess_in = shown_in[value] > shown_out[value];
    } else {
      const int64_t y = NoisyCounts(TrueCounts(catalogue, table, kPeriod, facts), a.k * 1000,
                                    a.epsilon_millis * a.weaken, *noise)[kCell];
      guess_in = DiscreteLaplacePmf(y - n_in, scale) > DiscreteLaplacePmf(y - n_out, scale);
    }
    correct += guess_in == in;
  }
  return static_cast<double>(correct) / trials;
}

// 20,000 releases per case. Tolerance 0.014: four standard errors of an accuracy near 0.62
// over 20,000 trials (the K = 1 noisy-value attacker meets the bound with equality).
constexpr int kReleases = 20000;
constexpr double kTolerance = 0.014;

double Bound(uint32_t epsilon_millis) {
  const double e = std::exp(epsilon_millis / 1000.0);
  return e / (1 + e);
}

TEST(AttackTest, DifferencingOnNoisyValueIsBoundedByEpsilonK1) {
  const double accuracy = AttackAccuracy({.k = 1}, kReleases, 201);
  EXPECT_LE(accuracy, Bound(500) + kTolerance);
  EXPECT_GT(accuracy, 0.55);  // the attacker is optimal, not blind
}

TEST(AttackTest, DifferencingOnDisplayedValueIsBoundedByEpsilonK1) {
  EXPECT_LE(AttackAccuracy({.k = 1, .displayed = true}, kReleases, 202), Bound(500) + kTolerance);
}

TEST(AttackTest, DifferencingThreePseudonymsIsBoundedByEpsilonK3) {
  EXPECT_LE(AttackAccuracy({.k = 3}, kReleases, 203), Bound(500) + kTolerance);
  EXPECT_LE(AttackAccuracy({.k = 3, .displayed = true}, kReleases, 204), Bound(500) + kTolerance);
}

// Controls: against raw counts the attacker is always right; with half the noise (twice the
// epsilon) it beats the bound, so the bound check above can fail.
TEST(AttackTest, DifferencingControlsSucceed) {
  EXPECT_EQ(AttackAccuracy({.k = 1, .no_noise = true}, 2000, 205), 1.0);
  EXPECT_GT(AttackAccuracy({.k = 1, .weaken = 2}, kReleases, 206), Bound(500) + kTolerance);
}

// c) Averaging. Fresh noise on every call (what a frozen release prevents): 1,000 calls at
// scale 6 average to within 1 of the true count 7 (the mean's standard error is 0.27), although
// most single values are off by 3 or more.
TEST(AttackTest, AveragingFreshNoiseRecoversTrueCount) {
  constexpr int kCalls = 1000;
  auto noise = NewSeededUniformSource(301);
  const std::vector<TrueCell> cell{{{}, 7}};
  double sum = 0;
  int far = 0;
  for (int i = 0; i < kCalls; ++i) {
    const int64_t y = NoisyCounts(cell, 6, 1, *noise)[0];
    sum += static_cast<double>(y);
    far += std::llabs(y - 7) >= 3;
  }
  EXPECT_LT(std::fabs(sum / kCalls - 7), 1.0);
  EXPECT_GT(far, kCalls / 2);
}

}  // namespace
}  // namespace confidant::reporting
