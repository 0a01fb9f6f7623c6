// Exact discrete Laplace (two-sided geometric) noise from integer arithmetic only: no floating
// point anywhere on the sampling path. Algorithm: Canonne, Kamath and Steinke, "The Discrete
// Gaussian for Differential Privacy" (NeurIPS 2020), Algorithms 1 and 2 (Bernoulli(exp(-gamma))
// for rational gamma, then the discrete Laplace with rational scale t = numerator/denominator).
#ifndef CONFIDANT_SERVER_REPORTING_DISCRETE_LAPLACE_H_
#define CONFIDANT_SERVER_REPORTING_DISCRETE_LAPLACE_H_

#include <cstdint>
#include <memory>
#include <string>

namespace confidant::reporting {

// Uniform integers. Production uses libsodium's CSPRNG; tests and benchmarks a seeded stream.
class UniformSource {
 public:
  virtual ~UniformSource() = default;
  // Uniform in [0, n) for 1 <= n <= 2^32 - 1, without modulo bias.
  virtual uint32_t Uniform(uint32_t n) = 0;
};

// randombytes_uniform (libsodium CSPRNG). crypto::InitCrypto must have run.
std::unique_ptr<UniformSource> NewSodiumUniformSource();
// A reproducible ChaCha20 stream keyed by a hash of `seed` (tests and benchmarks only).
std::unique_ptr<UniformSource> NewSeededUniformSource(uint64_t seed);

// One sample of the discrete Laplace distribution with scale t = numerator / denominator
// (P[X = x] proportional to exp(-|x| / t)); numerator, denominator >= 1 and < 2^31.
int64_t SampleDiscreteLaplace(uint32_t numerator, uint32_t denominator, UniformSource& source);

// The exact probability P[X = x] for scale t (double: for tests and reported intervals only,
// never for sampling).
double DiscreteLaplacePmf(int64_t x, double scale);
// The smallest k with P[|X| > k] <= 0.05: the half-width of the 95% interval.
uint32_t DiscreteLaplaceInterval95(double scale);

}  // namespace confidant::reporting

#endif  // CONFIDANT_SERVER_REPORTING_DISCRETE_LAPLACE_H_
