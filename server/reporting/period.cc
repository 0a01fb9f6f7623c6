// Periods of the release engine: quarters and years, their text and their UTC bounds.
#include <algorithm>

#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/time/civil_time.h"
#include "absl/time/time.h"
#include "server/reporting/release_engine.h"

namespace confidant::reporting {
namespace {

constexpr int kMinYear = 2000;
constexpr int kMaxYear = 2100;

bool AllDigits(std::string_view s) {
  return !s.empty() &&
         std::all_of(s.begin(), s.end(), [](char c) { return absl::ascii_isdigit(c); });
}

int Number(std::string_view digits) {
  int n = 0;
  for (char c : digits) n = n * 10 + (c - '0');
  return n;
}

int64_t UnixSecondsAt(int year, int month) {
  return absl::ToUnixSeconds(absl::FromCivil(absl::CivilDay(year, month, 1), absl::UTCTimeZone()));
}

}  // namespace

absl::StatusOr<PeriodId> ParsePeriod(std::string_view text) {
  const bool quarter = text.size() == 6 && text[4] == 'Q' && text[5] >= '1' && text[5] <= '4';
  if ((text.size() != 4 && !quarter) || !AllDigits(text.substr(0, 4))) {
    return absl::InvalidArgumentError("period: expected YYYY or YYYYQn (n = 1..4)");
  }
  const PeriodId period{Number(text.substr(0, 4)), quarter ? text[5] - '0' : 0};
  if (period.year < kMinYear || period.year > kMaxYear) {
    return absl::InvalidArgumentError("period: year out of range (2000 to 2100)");
  }
  return period;
}

std::string PeriodText(const PeriodId& period) {
  if (period.quarter == 0) return absl::StrCat(period.year);
  return absl::StrCat(period.year, "Q", period.quarter);
}

int64_t PeriodStart(const PeriodId& period) {
  return UnixSecondsAt(period.year, period.quarter == 0 ? 1 : 3 * (period.quarter - 1) + 1);
}

int64_t PeriodEnd(const PeriodId& period) {
  if (period.quarter == 0) return UnixSecondsAt(period.year + 1, 1);
  return UnixSecondsAt(period.year, 3 * period.quarter + 1);  // CivilDay normalises month 13
}

absl::StatusOr<PeriodId> PeriodOfDate(std::string_view visit_date, policy::v1::Period kind) {
  const auto bad = [] { return absl::InvalidArgumentError("visit date: expected YYYY-MM-DD"); };
  if (visit_date.size() != 10 || visit_date[4] != '-' || visit_date[7] != '-' ||
      !AllDigits(visit_date.substr(0, 4)) || !AllDigits(visit_date.substr(5, 2)) ||
      !AllDigits(visit_date.substr(8, 2))) {
    return bad();
  }
  const int year = Number(visit_date.substr(0, 4));
  const int month = Number(visit_date.substr(5, 2));
  const int day = Number(visit_date.substr(8, 2));
  const absl::CivilDay civil(year, month, day);  // normalises: a round trip rejects 2026-02-30
  if (civil.year() != year || civil.month() != month || civil.day() != day) return bad();
  if (year < kMinYear || year > kMaxYear) return bad();
  if (kind == policy::v1::QUARTER) return PeriodId{year, (month - 1) / 3 + 1};
  if (kind == policy::v1::YEAR) return PeriodId{year, 0};
  return absl::InvalidArgumentError("period kind unspecified");
}

}  // namespace confidant::reporting
