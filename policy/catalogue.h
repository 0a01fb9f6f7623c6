// The statistics catalogue of a policy (Policy.reporting): the published facility list, the
// tables a reporting client may fetch, and the privacy budget they spend, with defaults applied.
// Pure: no I/O. docs/ARCHITECTURE.md "Reporting"; SECURITY.md states the guarantee.
#ifndef CONFIDANT_POLICY_CATALOGUE_H_
#define CONFIDANT_POLICY_CATALOGUE_H_

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "policy/policy.pb.h"

namespace confidant::policy {

inline constexpr uint32_t kDefaultMaxPseudonymsPerPerson = 3;
inline constexpr uint32_t kMaxMaxPseudonymsPerPerson = 20;
inline constexpr uint32_t kDefaultEpsilonCapMillis = 4000;  // per person-year
inline constexpr uint32_t kMaxEpsilonCapMillis = 10000;
inline constexpr uint32_t kDefaultReleaseLagDays = 14;
inline constexpr uint32_t kMaxReleaseLagDays = 365;
inline constexpr uint32_t kMaxTableEpsilonMillis = 4000;
inline constexpr size_t kMaxCatalogueTables = 64;

struct Catalogue {
  bool enabled = false;  // the policy has a reporting block
  std::vector<v1::Facility> facilities;
  std::vector<v1::CatalogueTable> tables;  // the declared ones, or the default catalogue
  uint32_t max_pseudonyms_per_person = kDefaultMaxPseudonymsPerPerson;  // K
  uint32_t epsilon_cap_millis = kDefaultEpsilonCapMillis;
  uint32_t release_lag_days = kDefaultReleaseLagDays;
  uint32_t first_year = 0;
  // Sum over tables of epsilon times releases per year (4 for quarterly tables, 1 for annual):
  // what one person interviewed in every period of a year can lose.
  uint32_t worst_case_epsilon_millis = 0;

  const v1::Facility* FindFacility(std::string_view id) const;
  const v1::CatalogueTable* FindTable(std::string_view id) const;
};

// The default catalogue: persons interviewed by facility x quarter; persons asked about each
// concern by answer, national x quarter (one table per concern, each charged); region x access to
// medical care, annual; region x length of detention, annual. Its worst case fits the default cap.
std::vector<v1::CatalogueTable> DefaultCatalogueTables();

// The policy's catalogue with defaults applied (does not validate: the loader has).
Catalogue CatalogueOf(const v1::Policy& policy);

// Releases of `table` per year: 4 (quarterly) or 1 (annual).
uint32_t ReleasesPerYear(const v1::CatalogueTable& table);
uint32_t WorstCaseEpsilonMillis(const std::vector<v1::CatalogueTable>& tables);

// Lower-case names: "lacks_medical_care", "facility", "persons", "quarter".
std::string ConcernName(v1::Concern concern);
std::string DimensionName(v1::Dimension dimension);
std::string PeriodName(v1::Period period);
std::string MeasureText(const v1::CatalogueTable& table);

// The group a facility counts under in releases: its id, or "<region>-pooled".
std::string FacilityGroup(const v1::Facility& facility);

}  // namespace confidant::policy

#endif  // CONFIDANT_POLICY_CATALOGUE_H_
