// The release engine: turns de-identified facts into one frozen, differentially private table.
// Pure (no storage, no clock): the release job (server/release_job.h) feeds it.
//
// The unit of privacy is a person. Facts arrive already grouped by person (a pseudonym, merged
// with every pseudonym a case officer linked to it); one person may still appear under up to K
// groups (missed links), so noise is scaled for a contribution of K.
// Tie-breaks, fixed: a person's facility and region in a period are those of their first
// interview in it; their answer to a concern is that of their last interview in it that asked
// it; age band, gender and length of detention are those of their last interview in it.
// Ordering is by (visit date, order key).
#ifndef CONFIDANT_SERVER_REPORTING_RELEASE_ENGINE_H_
#define CONFIDANT_SERVER_REPORTING_RELEASE_ENGINE_H_

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "confidant/v1/record.pb.h"
#include "confidant/v1/reporting.pb.h"
#include "policy/catalogue.h"
#include "server/reporting/discrete_laplace.h"

namespace confidant::reporting {

// A period: a quarter (1..4) of a year, or the whole year (quarter 0).
struct PeriodId {
  int year = 0;
  int quarter = 0;
  friend bool operator==(const PeriodId&, const PeriodId&) = default;
  friend auto operator<=>(const PeriodId&, const PeriodId&) = default;
};
// "2026Q3" / "2026". INVALID_ARGUMENT otherwise (years 2000..2100).
absl::StatusOr<PeriodId> ParsePeriod(std::string_view text);
std::string PeriodText(const PeriodId& period);
// Unix seconds (UTC) of the period's first instant and of the instant after its end.
int64_t PeriodStart(const PeriodId& period);
int64_t PeriodEnd(const PeriodId& period);
// The quarter or year containing `visit_date` ("YYYY-MM-DD").
absl::StatusOr<PeriodId> PeriodOfDate(std::string_view visit_date, policy::v1::Period kind);

// One interview's facts, as the engine sees them.
struct InterviewFacts {
  std::string person;      // opaque person key (pseudonym group); never shown
  std::string visit_date;  // YYYY-MM-DD
  std::string order_key;   // tie-break within a date (an opaque record id)
  std::string facility_group;  // policy::FacilityGroup of the listed facility
  policy::v1::Region region = policy::v1::REGION_UNSPECIFIED;
  v1::AgeBand age_band = v1::AGE_BAND_UNSPECIFIED;
  v1::Gender gender = v1::GENDER_UNSPECIFIED;
  v1::DetentionLengthBand detention_length = v1::DETENTION_LENGTH_UNSPECIFIED;
  v1::Concerns concerns;
};

// A table's cells before noise: labels per dimension (in the fixed, data-independent order of
// the catalogue: facility groups in list order, regions with a listed facility, enum order for
// the rest, "yes" before "no"; "not recorded" last for unspecified values) and true counts.
struct TrueCell {
  std::vector<std::string> labels;
  int64_t count = 0;
};
// Exact per-cell person counts for `period` (a control for the attack tests; never released).
std::vector<TrueCell> TrueCounts(const policy::Catalogue& catalogue,
                                 const policy::v1::CatalogueTable& table, const PeriodId& period,
                                 const std::vector<InterviewFacts>& facts);

// The release of `table` for `period`: true counts, plus independent discrete Laplace noise of
// scale K / epsilon on every cell, then disclosure control (disclosure.h). Fills every Release
// field except released_unix_seconds and ledger_previous_hash_hex. Shares are computed within
// groups of all dimensions but the last (the whole table for one dimension): cell / sum of the
// group's noisy cells.
v1::Release ComputeRelease(const policy::Catalogue& catalogue,
                           const policy::v1::CatalogueTable& table, const PeriodId& period,
                           const std::vector<InterviewFacts>& facts, UniformSource& noise);

// The noisy values before disclosure control (for the statistical tests).
std::vector<int64_t> NoisyCounts(const std::vector<TrueCell>& cells, uint32_t scale_numerator,
                                 uint32_t scale_denominator, UniformSource& noise);

}  // namespace confidant::reporting

#endif  // CONFIDANT_SERVER_REPORTING_RELEASE_ENGINE_H_
