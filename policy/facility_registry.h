// The facility registry: the signed policy's `reporting { facilities {...} }` list, used at
// intake to refuse a facility id that is not registered, with the closest registered ids as a
// hint (facility ids are public codes). Pure: no I/O.
#ifndef CONFIDANT_POLICY_FACILITY_REGISTRY_H_
#define CONFIDANT_POLICY_FACILITY_REGISTRY_H_

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "policy/catalogue.h"
#include "policy/policy.pb.h"

namespace confidant::policy {

inline constexpr size_t kMaxFacilitySuggestions = 3;

// Levenshtein distance between `a` and `b` (insertions, deletions and substitutions of one byte
// each cost 1); ASCII letters compare without case, so "QC-LAV-IHC" is 0 from "qc-lav-ihc".
size_t FacilityEditDistance(std::string_view a, std::string_view b);

// Up to `max` ids of `facilities` closest to `id` by FacilityEditDistance, nearest first; ties
// in id order. Empty when `facilities` is.
std::vector<std::string> ClosestFacilityIds(const std::vector<v1::Facility>& facilities,
                                            std::string_view id,
                                            size_t max = kMaxFacilitySuggestions);

// True when the policy declares a facility list (a reporting block, whose list the loader
// requires to be non-empty). Without one, facility ids are not checked.
bool DeclaresFacilityRegistry(const Catalogue& catalogue);

// Checks a submission's facility against the registry of `catalogue` (of policy version
// `policy_version`). OK when the policy declares no registry, or the facility is registered in
// `region`. INVALID_ARGUMENT otherwise:
//   "visit.facility_id: not in the facility registry (policy version N); closest: a, b, c"
//   "visit.region: not the region of this facility in the published list; the registry places
//    it in <region>"
// Neither message repeats the submitted id.
absl::Status CheckRegisteredFacility(const Catalogue& catalogue, uint64_t policy_version,
                                     std::string_view facility_id, v1::Region region);

// The same check against a non-empty list (a client's kept copy of the registry,
// client/intake_key_cache.h).
absl::Status CheckFacilityInList(const std::vector<v1::Facility>& facilities,
                                 uint64_t policy_version, std::string_view facility_id,
                                 v1::Region region);

}  // namespace confidant::policy

#endif  // CONFIDANT_POLICY_FACILITY_REGISTRY_H_
