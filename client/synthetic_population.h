// A synthetic population of interview records for demos, tests and benchmarks (`confidant dev
// seed`): persons interviewed several times, some with misspelled names, tiny (pooled) and large
// facilities, skewed concerns. Entirely made up; deterministic for a seed; no I/O.
#ifndef CONFIDANT_CLIENT_SYNTHETIC_POPULATION_H_
#define CONFIDANT_CLIENT_SYNTHETIC_POPULATION_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/civil_time.h"
#include "confidant/v1/record.pb.h"

namespace confidant::client {

// One facility of the published list in deploy/policy.example.textproto (`reporting`).
struct SyntheticFacility {
  const char* id;
  v1::Region region;
  bool pooled;  // tiny: only a handful of persons per quarter
  int weight;   // relative share of the non-pooled persons
};

// The 12 facilities of the dev policy's published list (5 regions, 3 pooled).
const std::vector<SyntheticFacility>& SyntheticFacilities();

// "2026Q1..2026Q4" or "2026Q3" -> the quarters in order. INVALID_ARGUMENT otherwise (at most 40).
absl::StatusOr<std::vector<std::string>> ParseQuarterRange(const std::string& range);

struct SeedOptions {
  int persons = 300;                            // 1..100000
  std::vector<std::string> quarters;            // from ParseQuarterRange
  uint64_t seed = 1;
  absl::CivilDay today;                         // UTC; no visit is dated after it
};

struct SyntheticPopulation {
  std::vector<v1::InterviewRecord> records;     // in visit date order
  std::vector<int> person_of_record;            // parallel to records: 0-based person index
  int persons = 0;
  std::vector<std::string> quarters;            // the quarters used (those not in the future)
  int facilities = 0;                           // distinct facilities with records
};

// The records of `options.persons` synthetic persons over the quarters that have begun by
// `options.today` (later ones are skipped). Every record passes ValidateRecord. INVALID_ARGUMENT
// for a bad person count or no quarters; FAILED_PRECONDITION if every quarter is in the future.
absl::StatusOr<SyntheticPopulation> SyntheticRecords(const SeedOptions& options);

}  // namespace confidant::client

#endif  // CONFIDANT_CLIENT_SYNTHETIC_POPULATION_H_
