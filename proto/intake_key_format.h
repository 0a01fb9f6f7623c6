// The byte string the vault identity key signs for an intake key. Client and server both use it.
#ifndef CONFIDANT_PROTO_INTAKE_KEY_FORMAT_H_
#define CONFIDANT_PROTO_INTAKE_KEY_FORMAT_H_

#include <cstdint>
#include <string>
#include <string_view>

#include "base/bytes.h"

namespace confidant {

// "confidant/v1/intake-key" 0x00 u32(version) lp(public_key) u64(created), big-endian.
inline std::string IntakeKeySigningBytes(uint32_t version, std::string_view public_key,
                                         int64_t created_unix_seconds) {
  std::string out = DomainTag("confidant/v1/intake-key");
  AppendU32(out, version);
  AppendLengthPrefixed(out, public_key);
  AppendU64(out, static_cast<uint64_t>(created_unix_seconds));
  return out;
}

}  // namespace confidant

#endif  // CONFIDANT_PROTO_INTAKE_KEY_FORMAT_H_
