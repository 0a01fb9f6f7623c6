// The byte string the vault identity key signs for the facility registry it serves with its
// intake key (confidant.v1.FacilityRegistry). Client and server both use it.
#ifndef CONFIDANT_PROTO_FACILITY_REGISTRY_FORMAT_H_
#define CONFIDANT_PROTO_FACILITY_REGISTRY_FORMAT_H_

#include <cstdint>
#include <string>

#include "base/bytes.h"
#include "confidant/v1/record_service.pb.h"

namespace confidant {

// "confidant/v1/facility-registry" 0x00 u64(policy_version) u32(intake_key_version)
// u8(lists_facilities) u32(count), then for each facility in list order lp(id) u32(region), then
// u32(count) and lp(name) for each record class in list order, then u64(served_unix_seconds)
// when it is not 0; big-endian, lp = 4-byte length prefix. The encoding before the served time
// is self-delimiting, so a registry signed with a served time cannot be passed off as one
// signed without it (as registries kept by clients before the field existed were).
inline std::string FacilityRegistrySigningBytes(const v1::FacilityRegistry& registry) {
  std::string out = DomainTag("confidant/v1/facility-registry");
  AppendU64(out, registry.policy_version());
  AppendU32(out, registry.intake_key_version());
  out.push_back(registry.lists_facilities() ? '\x01' : '\x00');
  AppendU32(out, static_cast<uint32_t>(registry.facilities_size()));
  for (const v1::RegisteredFacility& facility : registry.facilities()) {
    AppendLengthPrefixed(out, facility.id());
    AppendU32(out, static_cast<uint32_t>(facility.region()));
  }
  AppendU32(out, static_cast<uint32_t>(registry.record_classes_size()));
  for (const std::string& name : registry.record_classes()) AppendLengthPrefixed(out, name);
  if (registry.served_unix_seconds() != 0) {
    AppendU64(out, static_cast<uint64_t>(registry.served_unix_seconds()));
  }
  return out;
}

}  // namespace confidant

#endif  // CONFIDANT_PROTO_FACILITY_REGISTRY_FORMAT_H_
