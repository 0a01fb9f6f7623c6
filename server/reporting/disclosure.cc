// Disclosure control on noisy values. Integer arithmetic only, so the displayed text is a pure
// function of the noisy integers and two machines always agree on it.
#include "server/reporting/disclosure.h"

#include "absl/strings/str_cat.h"

namespace confidant::reporting {

DisplayedCount DisplayCount(int64_t noisy) {
  if (noisy < kSmallCellThreshold) return {"<10", 0, true};
  // Nearest multiple of 5: a remainder of 0-2 rounds down, 3-4 up (an integer is never exactly
  // half way, so "halves up" never arises). The smallest shown value is 10. Written without
  // adding first so that no int64 input overflows (INT64_MAX leaves remainder 2).
  const int64_t remainder = noisy % kRoundingBase;
  const int64_t rounded = noisy - remainder + (remainder * 2 > kRoundingBase ? kRoundingBase : 0);
  return {absl::StrCat(rounded), rounded, false};
}

// With x = 100 * part / total (the exact share in percent):
//   ""      when part < 10 (its count is suppressed) or total < 40;
//   "<5%"   when x < 5 (this includes every x that would round to 0);
//   ">95%"  when x > 95;
//   else    5 * floor(x / 5 + 1/2) percent: nearest multiple of 5, halves up (x = 7.5 -> "10%").
// So 5% and 95% themselves are shown as such, and the shown values run 5%, 10%, ..., 95%.
// part > total can happen (other cells of the group noised negative): that is ">95%".
std::string DisplayShare(int64_t noisy_part, int64_t noisy_total) {
  if (DisplayCount(noisy_part).suppressed || noisy_total < kShareDenominatorMinimum) return "";
  // 128-bit products: the inputs are noisy person counts, but a caller's int64 must not
  // overflow into a wrong share.
  const __int128 part = noisy_part;
  const __int128 total = noisy_total;
  if (100 * part < 5 * total) return "<5%";
  if (100 * part > 95 * total) return ">95%";
  // x / 5 = 20 part / total, so floor(x/5 + 1/2) = floor((40 part + total) / (2 total)).
  const int64_t fives = static_cast<int64_t>((40 * part + total) / (2 * total));
  return absl::StrCat(fives * kRoundingBase, "%");
}

}  // namespace confidant::reporting
