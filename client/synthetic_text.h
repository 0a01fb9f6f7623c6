// Names and free text for synthetic records (synthetic_population.h). Internal to the client.
#ifndef CONFIDANT_CLIENT_SYNTHETIC_TEXT_H_
#define CONFIDANT_CLIENT_SYNTHETIC_TEXT_H_

#include <cstdint>
#include <random>
#include <string>

#include "confidant/v1/record.pb.h"

namespace confidant::client::synthetic {

// A deterministic random source: std::mt19937_64's output is fixed by the standard, and these
// helpers avoid the library-specific distributions.
class Rng {
 public:
  explicit Rng(uint64_t seed) : engine_(seed) {}
  // Uniform in [0, n); n > 0.
  uint64_t Below(uint64_t n) { return engine_() % n; }
  // True with probability percent/100.
  bool Percent(int percent) { return Below(100) < static_cast<uint64_t>(percent); }

 private:
  std::mt19937_64 engine_;
};

// A full name: a first name suited to `gender` and a last name.
std::string SyntheticName(Rng& rng, v1::Gender gender);

// `name` with one typo: two adjacent letters swapped, or one letter dropped. Never equal to
// `name` (for names of at least two letters).
std::string Misspell(Rng& rng, const std::string& name);

// One or two interview languages.
void AddLanguages(Rng& rng, v1::IdentitySection& identity);

// Plausible narrative, concerns raised, health and legal notes matching the coded indicators.
void FillFreeText(Rng& rng, v1::InterviewRecord& record);

}  // namespace confidant::client::synthetic

#endif  // CONFIDANT_CLIENT_SYNTHETIC_TEXT_H_
