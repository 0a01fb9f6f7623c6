// Disclosure control applied to noisy values (never to true ones): thresholds, base-5 rounding
// and percentages to 5 points. docs/ARCHITECTURE.md "Reporting".
#ifndef CONFIDANT_SERVER_REPORTING_DISCLOSURE_H_
#define CONFIDANT_SERVER_REPORTING_DISCLOSURE_H_

#include <cstdint>
#include <string>

namespace confidant::reporting {

inline constexpr int64_t kSmallCellThreshold = 10;     // a noisy value under 10 shows "<10"
inline constexpr int64_t kShareDenominatorMinimum = 40;  // shares need a noisy denominator >= 40
inline constexpr int64_t kRoundingBase = 5;

struct DisplayedCount {
  std::string value;    // "<10" or the rounded number
  int64_t rounded = 0;  // 0 when suppressed
  bool suppressed = false;
};

// A noisy count as displayed: under kSmallCellThreshold -> "<10"; otherwise rounded to the
// nearest multiple of 5 (halves up). Never shows a value from 1 to 9.
DisplayedCount DisplayCount(int64_t noisy);

// The share noisy_part / noisy_total as displayed: "" when the part is suppressed or the total
// is under kShareDenominatorMinimum; "<5%" and ">95%" at the extremes; otherwise rounded to the
// nearest 5 points ("35%"). Integer arithmetic only.
std::string DisplayShare(int64_t noisy_part, int64_t noisy_total);

}  // namespace confidant::reporting

#endif  // CONFIDANT_SERVER_REPORTING_DISCLOSURE_H_
