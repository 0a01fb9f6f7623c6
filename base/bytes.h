// Big-endian, length-prefixed encodings for byte strings that get signed, hashed or bound as
// associated data. Header-only.
#ifndef CONFIDANT_BASE_BYTES_H_
#define CONFIDANT_BASE_BYTES_H_

#include <cstdint>
#include <string>
#include <string_view>

namespace confidant {

inline void AppendU32(std::string& out, uint32_t v) {
  for (int shift = 24; shift >= 0; shift -= 8) out.push_back(static_cast<char>(v >> shift));
}

inline void AppendU64(std::string& out, uint64_t v) {
  for (int shift = 56; shift >= 0; shift -= 8) out.push_back(static_cast<char>(v >> shift));
}

// 4-byte big-endian length, then the bytes.
inline void AppendLengthPrefixed(std::string& out, std::string_view bytes) {
  AppendU32(out, static_cast<uint32_t>(bytes.size()));
  out.append(bytes);
}

// A domain-separation tag: the ASCII label followed by one 0x00 byte.
inline std::string DomainTag(std::string_view label) {
  std::string out(label);
  out.push_back('\0');
  return out;
}

}  // namespace confidant

#endif  // CONFIDANT_BASE_BYTES_H_
