// Exact discrete Laplace sampling. The algorithms are those of Canonne, Kamath and Steinke, "The
// Discrete Gaussian for Differential Privacy" (NeurIPS 2020, arXiv:2004.00010), Algorithm 1
// (Bernoulli(exp(-gamma)) for rational gamma) and Algorithm 2 (discrete Laplace with rational
// scale t/s), written here from the paper's pseudocode. Every step on the sampling path uses
// integers only: floating-point noise leaks through its low-order bits (Mironov 2012), and exact
// sampling makes the privacy proof apply to the code as written.
#include "server/reporting/discrete_laplace.h"

#include <sodium.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <cstring>

namespace confidant::reporting {
namespace {

class SodiumUniformSource final : public UniformSource {
 public:
  uint32_t Uniform(uint32_t n) override { return randombytes_uniform(n); }
};

// A ChaCha20 keystream under a key derived from the seed. Each block of the buffer is the
// keystream for its own nonce (an incrementing 96-bit counter), so the stream never repeats
// however many values a test draws (randombytes_buf_deterministic alone restarts the same
// stream on every call).
class SeededUniformSource final : public UniformSource {
 public:
  explicit SeededUniformSource(uint64_t seed) {
    std::array<unsigned char, 8 + 32> input{};
    for (int i = 0; i < 8; ++i) input[i] = static_cast<unsigned char>(seed >> (8 * i));
    static constexpr char kLabel[] = "confidant/reporting/seeded";  // domain separation
    std::memcpy(input.data() + 8, kLabel, sizeof(kLabel) - 1);
    crypto_generichash(key_.data(), key_.size(), input.data(), input.size(), nullptr, 0);
  }

  uint32_t Uniform(uint32_t n) override {
    if (n <= 1) return 0;
    // Reject the lowest (2^32 mod n) values so that the rest split evenly into n classes
    // (the same method as randombytes_uniform).
    const uint32_t min = static_cast<uint32_t>(-n) % n;
    for (;;) {
      const uint32_t r = Next32();
      if (r >= min) return r % n;
    }
  }

 private:
  uint32_t Next32() {
    if (pos_ + 4 > buffer_.size()) Refill();
    uint32_t r = 0;
    for (int i = 0; i < 4; ++i) r |= uint32_t{buffer_[pos_ + i]} << (8 * i);
    pos_ += 4;
    return r;
  }

  void Refill() {
    std::array<unsigned char, crypto_stream_chacha20_ietf_NONCEBYTES> nonce{};
    for (int i = 0; i < 8; ++i) nonce[i] = static_cast<unsigned char>(block_ >> (8 * i));
    ++block_;
    crypto_stream_chacha20_ietf(buffer_.data(), buffer_.size(), nonce.data(), key_.data());
    pos_ = 0;
  }

  std::array<unsigned char, crypto_stream_chacha20_ietf_KEYBYTES> key_{};
  std::array<unsigned char, 4096> buffer_{};
  size_t pos_ = 4096;  // empty: the first draw refills
  uint64_t block_ = 0;
};

// Uniform in [0, n) for any n >= 1. Values above 2^32 - 1 are composed from four 16-bit draws
// into a 64-bit word, rejecting the top (2^64 mod n) words so no residue is favoured.
uint64_t Uniform64(uint64_t n, UniformSource& source) {
  if (n <= UINT32_MAX) return source.Uniform(static_cast<uint32_t>(n));
  const uint64_t reject_from = UINT64_MAX - (UINT64_MAX % n + 1) % n;  // keep r <= reject_from
  for (;;) {
    uint64_t r = 0;
    for (int i = 0; i < 4; ++i) r = (r << 16) | source.Uniform(uint32_t{1} << 16);
    if (r <= reject_from) return r % n;
  }
}

// Bernoulli(a / b), 0 <= a <= b, b >= 1.
bool Bernoulli(uint64_t a, uint64_t b, UniformSource& source) { return Uniform64(b, source) < a; }

// Algorithm 1 for gamma = n / d in [0, 1]: returns 1 with probability exp(-gamma). The loop
// draws A_k ~ Bernoulli(gamma / k) until one is 0; P[stopping at an odd k] = exp(-gamma).
bool BernoulliExpAtMostOne(uint64_t n, uint64_t d, UniformSource& source) {
  uint64_t k = 1;
  while (Bernoulli(n, d * k, source)) ++k;
  return k % 2 == 1;
}

// Algorithm 1 for any rational gamma = n / d >= 0 (d >= 1): exp(-gamma) as a product of
// floor(gamma) factors exp(-1) and one factor exp(-(gamma - floor(gamma))).
bool BernoulliExp(uint64_t n, uint64_t d, UniformSource& source) {
  for (uint64_t i = 0; i < n / d; ++i) {
    if (!BernoulliExpAtMostOne(1, 1, source)) return false;
  }
  return BernoulliExpAtMostOne(n % d, d, source);
}

}  // namespace

std::unique_ptr<UniformSource> NewSodiumUniformSource() {
  return std::make_unique<SodiumUniformSource>();
}

std::unique_ptr<UniformSource> NewSeededUniformSource(uint64_t seed) {
  return std::make_unique<SeededUniformSource>(seed);
}

// Algorithm 2 with t = numerator and s = denominator: P[Y = y] proportional to exp(-|y| s / t).
// X = U + t V is a geometric variable with parameter exp(-1/t) built from its remainder U (kept
// with probability exp(-U/t)) and its quotient V (geometric with parameter exp(-1)); Y = X / s
// rescales it; the sign is a fair coin, and (B = 1, Y = 0) is rejected so zero is not counted
// twice.
int64_t SampleDiscreteLaplace(uint32_t numerator, uint32_t denominator, UniformSource& source) {
  const uint64_t t = numerator == 0 ? 1 : numerator;  // the header requires >= 1; never divide by 0
  const uint64_t s = denominator == 0 ? 1 : denominator;
  for (;;) {
    const uint64_t u = Uniform64(t, source);
    if (!BernoulliExp(u, t, source)) continue;
    uint64_t v = 0;
    while (BernoulliExpAtMostOne(1, 1, source)) ++v;
    const uint64_t x = u + t * v;
    const int64_t y = static_cast<int64_t>(x / s);
    const bool negative = Bernoulli(1, 2, source);
    if (negative && y == 0) continue;
    return negative ? -y : y;
  }
}

double DiscreteLaplacePmf(int64_t x, double scale) {
  const double q = std::exp(-1.0 / scale);
  return (1.0 - q) / (1.0 + q) * std::exp(-std::fabs(static_cast<double>(x)) / scale);
}

namespace {
// P[|X| > k] = 2 exp(-(k + 1) / t) / (1 + exp(-1/t)).
double TailAbove(uint32_t k, double scale) {
  return 2.0 * std::exp(-(static_cast<double>(k) + 1.0) / scale) / (1.0 + std::exp(-1.0 / scale));
}
}  // namespace

uint32_t DiscreteLaplaceInterval95(double scale) {
  if (!(scale > 0)) return 0;
  // Solve the tail equation for k, then step to the smallest k that satisfies it exactly, in
  // case the logarithm rounded across an integer.
  const double q = std::exp(-1.0 / scale);
  double estimate = scale * std::log(2.0 / (0.05 * (1.0 + q))) - 1.0;
  estimate = std::clamp(std::ceil(estimate), 0.0, static_cast<double>(UINT32_MAX - 2));
  uint32_t k = static_cast<uint32_t>(estimate);
  while (k > 0 && TailAbove(k - 1, scale) <= 0.05) --k;
  while (TailAbove(k, scale) > 0.05) ++k;
  return k;
}

}  // namespace confidant::reporting
