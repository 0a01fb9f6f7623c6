// Pure helpers for confidant-loadgen: argument checks, synthetic records, exact percentiles.
// Stateless functions; safe to call from any thread.
#ifndef CONFIDANT_BENCH_LOADGEN_SUPPORT_H_
#define CONFIDANT_BENCH_LOADGEN_SUPPORT_H_

#include <cstdint>
#include <random>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "confidant/v1/record.pb.h"

namespace confidant::bench {

// Percentages of each request kind; they sum to 100.
struct Mix {
  int submit = 0;
  int get = 0;

  std::string ToString() const;  // "submit=S,get=G"
};

// Parses "submit=S,get=G" (either order; a kind left out counts 0). INVALID_ARGUMENT for an
// unknown or repeated kind, a value outside 0..100, or a sum other than 100.
absl::StatusOr<Mix> ParseMix(const std::string& text);

// OK only for HOST:PORT where HOST is "localhost", an IPv4 address in 127.0.0.0/8 or "[::1]",
// and PORT is 1..65535. INVALID_ARGUMENT otherwise (including gRPC URI schemes).
absl::Status CheckLoopbackServer(const std::string& server);

// A plausible record with a 1-2 KB narrative and every section filled, drawn from `rng`.
v1::InterviewRecord SyntheticRecord(std::mt19937_64& rng);

// A submission id of 32 hex characters drawn from `rng`.
std::string RandomSubmissionId(std::mt19937_64& rng);

// The nearest-rank percentile `p` (0 < p <= 100) of `sorted`, which must be sorted ascending
// and non-empty.
int64_t Percentile(const std::vector<int64_t>& sorted, double p);

}  // namespace confidant::bench

#endif  // CONFIDANT_BENCH_LOADGEN_SUPPORT_H_
