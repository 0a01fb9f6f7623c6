// The exact discrete Laplace sampler against its exact distribution. The sampling path uses no
// floating point (server/reporting/discrete_laplace.cc: integer Bernoulli trials only); the
// doubles here are the test's reference pmf, never the sampler's.
#include "server/reporting/discrete_laplace.h"

#include <cmath>
#include <map>
#include <set>

#include "gtest/gtest.h"

namespace confidant::reporting {
namespace {

// Upper 0.001 critical value of chi-square with `df` degrees of freedom (Wilson-Hilferty, good
// to about 1% for df >= 30; z = 3.0902 is the standard normal's 0.999 quantile).
double ChiSquareCritical001(int df) {
  const double a = 2.0 / (9.0 * df);
  return df * std::pow(1.0 - a + 3.0902 * std::sqrt(a), 3);
}

struct FitResult {
  double chi_square = 0;
  int df = 0;
};

// Chi-square of `samples` against the discrete Laplace pmf at `scale`: one bin per x with
// |x| <= m, where m is the largest value whose bin still expects >= 10 samples, and the two
// tails (x < -m, x > m) merged into one bin each.
FitResult Fit(const std::map<int64_t, int64_t>& histogram, int64_t n, double scale) {
  int64_t m = 0;
  while (n * DiscreteLaplacePmf(m + 1, scale) >= 10) ++m;
  double tail = 1.0;
  for (int64_t x = -m; x <= m; ++x) tail -= DiscreteLaplacePmf(x, scale);
  tail /= 2;  // each side
  int64_t below = 0, above = 0;
  for (const auto& [x, count] : histogram) {
    if (x < -m) below += count;
    if (x > m) above += count;
  }
  FitResult r;
  const auto add = [&](double observed, double expected) {
    r.chi_square += (observed - expected) * (observed - expected) / expected;
    ++r.df;
  };
  for (int64_t x = -m; x <= m; ++x) {
    auto it = histogram.find(x);
    add(it == histogram.end() ? 0 : static_cast<double>(it->second),
        n * DiscreteLaplacePmf(x, scale));
  }
  add(static_cast<double>(below), n * tail);
  add(static_cast<double>(above), n * tail);
  --r.df;  // bins - 1
  return r;
}

std::map<int64_t, int64_t> Histogram(uint32_t numerator, uint32_t denominator, int64_t n,
                                     uint64_t seed) {
  auto source = NewSeededUniformSource(seed);
  std::map<int64_t, int64_t> histogram;
  for (int64_t i = 0; i < n; ++i)
    ++histogram[SampleDiscreteLaplace(numerator, denominator, *source)];
  return histogram;
}

constexpr int64_t kSamples = 200000;

void ExpectFits(uint32_t numerator, uint32_t denominator, uint64_t seed) {
  const double scale = static_cast<double>(numerator) / denominator;
  const std::map<int64_t, int64_t> h = Histogram(numerator, denominator, kSamples, seed);
  const FitResult fit = Fit(h, kSamples, scale);
  EXPECT_LT(fit.chi_square, ChiSquareCritical001(fit.df)) << "scale " << scale << ", df " << fit.df;

  // Mean ~ 0: within 5 standard errors (variance 2q / (1 - q)^2, q = exp(-1/scale)).
  double sum = 0;
  int64_t positive = 0, negative = 0;
  for (const auto& [x, count] : h) {
    sum += static_cast<double>(x) * count;
    if (x > 0) positive += count;
    if (x < 0) negative += count;
  }
  const double q = std::exp(-1.0 / scale);
  const double sd = std::sqrt(2 * q) / (1 - q);
  EXPECT_LT(std::fabs(sum / kSamples), 5 * sd / std::sqrt(double{kSamples})) << "scale " << scale;
  // Symmetry: positives vs negatives as a fair binomial, within 5 standard deviations.
  const double signed_total = static_cast<double>(positive + negative);
  EXPECT_LT(std::fabs(positive - signed_total / 2), 5 * std::sqrt(signed_total / 4));
}

TEST(DiscreteLaplaceTest, FitsExactPmfAtIntegerScale6) { ExpectFits(6000, 1000, 1); }

TEST(DiscreteLaplaceTest, FitsExactPmfAtRationalScale54_55) { ExpectFits(6000, 110, 2); }

TEST(DiscreteLaplaceTest, FitsExactPmfAtScaleBelowOne) { ExpectFits(1, 2, 3); }

// The goodness-of-fit test has power: scale-6 samples fail against the scale-6.5 pmf.
TEST(DiscreteLaplaceTest, FitRejectsWrongScale) {
  const std::map<int64_t, int64_t> h = Histogram(6, 1, kSamples, 4);
  const FitResult fit = Fit(h, kSamples, 6.5);
  EXPECT_GT(fit.chi_square, ChiSquareCritical001(fit.df));
}

TEST(DiscreteLaplaceTest, SeededSourceIsReproducibleAndSeedsDiffer) {
  auto a = NewSeededUniformSource(7), b = NewSeededUniformSource(7), c = NewSeededUniformSource(8);
  std::vector<int64_t> xa, xb, xc;
  for (int i = 0; i < 1000; ++i) {
    xa.push_back(SampleDiscreteLaplace(6, 1, *a));
    xb.push_back(SampleDiscreteLaplace(6, 1, *b));
    xc.push_back(SampleDiscreteLaplace(6, 1, *c));
  }
  EXPECT_EQ(xa, xb);
  EXPECT_NE(xa, xc);
}

// The seeded stream does not repeat across buffer refills (a fixed-nonce stream would).
TEST(DiscreteLaplaceTest, SeededStreamDoesNotRepeatAcrossBlocks) {
  auto s = NewSeededUniformSource(9);
  std::vector<uint32_t> first, second;
  for (int i = 0; i < 1024; ++i) first.push_back(s->Uniform(UINT32_MAX));
  for (int i = 0; i < 1024; ++i) second.push_back(s->Uniform(UINT32_MAX));
  EXPECT_NE(first, second);
  std::set<uint32_t> distinct(first.begin(), first.end());
  distinct.insert(second.begin(), second.end());
  EXPECT_GT(distinct.size(), 2040u);
}

TEST(DiscreteLaplaceTest, SeededUniformStaysInRange) {
  auto s = NewSeededUniformSource(10);
  for (uint32_t n : {1u, 2u, 3u, 10u, 1000u, 0x80000001u, UINT32_MAX}) {
    for (int i = 0; i < 200; ++i) EXPECT_LT(s->Uniform(n), n);
  }
}

TEST(DiscreteLaplaceTest, SodiumSourceSamples) {
  auto s = NewSodiumUniformSource();
  int64_t sum = 0;
  for (int i = 0; i < 2000; ++i) sum += SampleDiscreteLaplace(6, 1, *s);
  EXPECT_LT(std::llabs(sum), 2000);  // |mean| < 1 (sd of the mean is 0.19)
}

TEST(DiscreteLaplaceTest, PmfSumsToOne) {
  for (double scale : {0.5, 6.0, 54.55}) {
    double total = 0;
    for (int64_t x = -5000; x <= 5000; ++x) total += DiscreteLaplacePmf(x, scale);
    EXPECT_NEAR(total, 1.0, 1e-9) << scale;
  }
}

// Interval95 is the smallest k with P[|X| > k] <= 0.05, checked by summing the pmf.
TEST(DiscreteLaplaceTest, Interval95IsSmallestCoveringHalfWidth) {
  for (double scale : {0.5, 1.0, 2.0, 6.0, 12.0, 54.55, 120.0}) {
    const uint32_t k = DiscreteLaplaceInterval95(scale);
    const auto outside = [&](int64_t w) {
      double inside = 0;
      for (int64_t x = -w; x <= w; ++x) inside += DiscreteLaplacePmf(x, scale);
      return 1.0 - inside;
    };
    EXPECT_LE(outside(k), 0.05 + 1e-12) << scale;
    if (k > 0) {
      EXPECT_GT(outside(k - 1), 0.05) << scale;
    }
  }
  // P[|X| > 17] = 2 e^{-3} / (1 + e^{-1/6}) = 0.0539; P[|X| > 18] = 0.0456.
  EXPECT_EQ(DiscreteLaplaceInterval95(6.0), 18u);
  EXPECT_EQ(DiscreteLaplaceInterval95(6000.0 / 110), 163u);
}

}  // namespace
}  // namespace confidant::reporting
