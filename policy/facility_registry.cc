// The facility registry check and its closest-id suggestions.
#include "policy/facility_registry.h"

#include <algorithm>
#include <numeric>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "policy/policy.h"

namespace confidant::policy {

size_t FacilityEditDistance(std::string_view a, std::string_view b) {
  // One row of the dynamic-programming table at a time: O(|a| * |b|) time, O(|b|) memory.
  std::vector<size_t> row(b.size() + 1);
  std::iota(row.begin(), row.end(), size_t{0});
  for (size_t i = 1; i <= a.size(); ++i) {
    size_t diagonal = row[0];  // row[i-1][j-1]
    row[0] = i;
    for (size_t j = 1; j <= b.size(); ++j) {
      const size_t above = row[j];  // row[i-1][j]
      const bool same = absl::ascii_tolower(static_cast<unsigned char>(a[i - 1])) ==
                        absl::ascii_tolower(static_cast<unsigned char>(b[j - 1]));
      row[j] = std::min({above + 1, row[j - 1] + 1, diagonal + (same ? 0 : 1)});
      diagonal = above;
    }
  }
  return row[b.size()];
}

std::vector<std::string> ClosestFacilityIds(const std::vector<v1::Facility>& facilities,
                                            std::string_view id, size_t max) {
  std::vector<std::pair<size_t, std::string>> scored;
  scored.reserve(facilities.size());
  for (const v1::Facility& facility : facilities) {
    scored.emplace_back(FacilityEditDistance(id, facility.id()), facility.id());
  }
  std::sort(scored.begin(), scored.end());
  std::vector<std::string> closest;
  for (size_t i = 0; i < scored.size() && closest.size() < max; ++i) {
    closest.push_back(std::move(scored[i].second));
  }
  return closest;
}

bool DeclaresFacilityRegistry(const Catalogue& catalogue) {
  return catalogue.enabled && !catalogue.facilities.empty();
}

absl::Status CheckRegisteredFacility(const Catalogue& catalogue, uint64_t policy_version,
                                     std::string_view facility_id, v1::Region region) {
  if (!DeclaresFacilityRegistry(catalogue)) return absl::OkStatus();
  return CheckFacilityInList(catalogue.facilities, policy_version, facility_id, region);
}

absl::Status CheckFacilityInList(const std::vector<v1::Facility>& facilities,
                                 uint64_t policy_version, std::string_view facility_id,
                                 v1::Region region) {
  const auto found = std::find_if(facilities.begin(), facilities.end(),
                                  [&](const v1::Facility& f) { return f.id() == facility_id; });
  const v1::Facility* facility = found == facilities.end() ? nullptr : &*found;
  if (facility == nullptr) {
    return absl::InvalidArgumentError(absl::StrCat(
        "visit.facility_id: not in the facility registry (policy version ", policy_version,
        "); closest: ", absl::StrJoin(ClosestFacilityIds(facilities, facility_id), ", ")));
  }
  if (facility->region() != region) {
    return absl::InvalidArgumentError(
        absl::StrCat("visit.region: not the region of this facility in the published list; the "
                     "registry places it in ",
                     absl::AsciiStrToUpper(RegionName(facility->region())),
                     " (as written in a record file)"));
  }
  return absl::OkStatus();
}

}  // namespace confidant::policy
