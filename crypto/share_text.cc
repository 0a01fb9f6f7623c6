#include "crypto/share_text.h"

#include <sodium.h>

#include <array>
#include <cstdint>
#include <cstring>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "base/bytes.h"
#include "crypto/internal.h"

namespace confidant::crypto {
namespace {

constexpr char kChecksumLabel[] = "confidant/v1/share-checksum";
constexpr size_t kChecksumSize = 4;
constexpr size_t kFieldCount = 6;
// RFC 4648 base32 of kShamirSecretSize bytes without padding: ceil(32 * 8 / 5).
constexpr size_t kPayloadChars = (kShamirSecretSize * 8 + 4) / 5;

using Checksum = std::array<unsigned char, kChecksumSize>;

std::string_view AsText(const SecretBytes& bytes) {
  return {reinterpret_cast<const char*>(bytes.RevealSecret()), bytes.size()};
}

absl::Status Invalid(std::string message) { return absl::InvalidArgumentError(message); }

Checksum ComputeChecksum(std::string_view covered) {
  internal::EnsureSodiumReady();
  const std::string tag = DomainTag(kChecksumLabel);
  unsigned char digest[crypto_generichash_BYTES_MIN];
  crypto_generichash_state state;
  crypto_generichash_init(&state, nullptr, 0, sizeof(digest));
  crypto_generichash_update(&state, reinterpret_cast<const unsigned char*>(tag.data()), tag.size());
  crypto_generichash_update(&state, reinterpret_cast<const unsigned char*>(covered.data()),
                            covered.size());
  crypto_generichash_final(&state, digest, sizeof(digest));
  sodium_memzero(&state, sizeof(state));  // It absorbed the payload.
  Checksum checksum;
  std::memcpy(checksum.data(), digest, kChecksumSize);
  return checksum;
}

// The character for a 5-bit value, without a secret-indexed table lookup: 'a'..'z' for 0..25,
// '2'..'7' for 26..31 (RFC 4648 section 6, lower case).
char Base32Char(uint32_t value) {
  const int v = static_cast<int>(value & 31);
  return static_cast<char>('a' + v + (((25 - v) >> 8) & ('2' - 'a' - 26)));
}

// The 5-bit value of a lower-case base32 character, or -1; branch-free in the character.
int Base32Value(unsigned char ch) {
  const int c = ch;
  const int is_letter = ((('a' - 1) - c) & (c - ('z' + 1))) >> 8;  // -1 for a..z, else 0
  const int is_digit = ((('2' - 1) - c) & (c - ('7' + 1))) >> 8;   // -1 for 2..7, else 0
  return (is_letter & (c - 'a')) | (is_digit & (c - '2' + 26)) | ~(is_letter | is_digit);
}

char LowerAscii(char ch) {
  const int c = static_cast<unsigned char>(ch);
  const int is_upper = ((('A' - 1) - c) & (c - ('Z' + 1))) >> 8;
  return static_cast<char>(c ^ (is_upper & 0x20));
}

// Writes the base32 of `size` bytes to `out` ((size * 8 + 4) / 5 characters, no padding).
void Base32Encode(const unsigned char* in, size_t size, char* out) {
  uint32_t acc = 0;
  int bits = 0;
  for (size_t i = 0; i < size; ++i) {
    acc = (acc << 8) | in[i];
    for (bits += 8; bits >= 5;) {
      bits -= 5;
      *out++ = Base32Char(acc >> bits);
    }
  }
  if (bits > 0) *out++ = Base32Char(acc << (5 - bits));
  sodium_memzero(&acc, sizeof(acc));
}

// Decodes exactly `size` bytes; false for a wrong length, a character outside the alphabet or
// non-zero trailing bits (so every share has one text form).
bool Base32Decode(std::string_view in, unsigned char* out, size_t size) {
  if (in.size() != (size * 8 + 4) / 5) return false;
  uint32_t acc = 0;
  int bits = 0;
  int bad = 0;
  for (char ch : in) {
    const int value = Base32Value(static_cast<unsigned char>(ch));
    bad |= value >> 8;  // -1 for an invalid character
    acc = (acc << 5) | static_cast<uint32_t>(value & 31);
    bits += 5;
    if (bits >= 8) {
      bits -= 8;
      *out++ = static_cast<unsigned char>(acc >> bits);
    }
  }
  bad |= static_cast<int>(acc & ((1u << bits) - 1));
  sodium_memzero(&acc, sizeof(acc));
  return bad == 0;
}

void AppendHex(std::string& out, const unsigned char* bytes, size_t size) {
  static constexpr char kHex[] = "0123456789abcdef";
  for (size_t i = 0; i < size; ++i) {
    out.push_back(kHex[bytes[i] >> 4]);
    out.push_back(kHex[bytes[i] & 0xf]);
  }
}

// Exactly 2 * size lower-case hex digits.
bool ParseHex(std::string_view hex, unsigned char* out, size_t size) {
  if (hex.size() != 2 * size) return false;
  for (size_t i = 0; i < hex.size(); ++i) {
    const char c = hex[i];
    int nibble;
    if (c >= '0' && c <= '9') {
      nibble = c - '0';
    } else if (c >= 'a' && c <= 'f') {
      nibble = c - 'a' + 10;
    } else {
      return false;
    }
    if (i % 2 == 0) {
      out[i / 2] = static_cast<unsigned char>(nibble << 4);
    } else {
      out[i / 2] |= static_cast<unsigned char>(nibble);
    }
  }
  return true;
}

// Decimal without sign or leading zeros, within [min, max] (at most 3 digits).
bool ParseSmallDecimal(std::string_view text, int min, int max, int* value) {
  if (text.empty() || text.size() > 3 || text[0] == '0') return false;
  int parsed = 0;
  for (char c : text) {
    if (c < '0' || c > '9') return false;
    parsed = parsed * 10 + (c - '0');
  }
  if (parsed < min || parsed > max) return false;
  *value = parsed;
  return true;
}

std::string_view TrimWhitespace(std::string_view text) {
  constexpr std::string_view kWhitespace = " \t\r\n";
  const size_t begin = text.find_first_not_of(kWhitespace);
  if (begin == std::string_view::npos) return {};
  return text.substr(begin, text.find_last_not_of(kWhitespace) - begin + 1);
}

std::vector<std::string_view> SplitFields(std::string_view line) {
  std::vector<std::string_view> fields;
  for (size_t start = 0;;) {
    const size_t colon = line.find(':', start);
    fields.push_back(line.substr(start, colon - start));
    if (colon == std::string_view::npos) return fields;
    start = colon + 1;
  }
}

}  // namespace

SecretBytes EncodeShare(const Share& share) {
  std::string head(kShareTextPrefix);
  absl::StrAppend(&head, ":", ShareSetIdHex(share.set_id()), ":", share.threshold(), ":",
                  share.index(), ":");
  const size_t covered = head.size() + kPayloadChars;
  SecretBytes text(covered + 1 + 2 * kChecksumSize);
  char* out = reinterpret_cast<char*>(text.RevealSecretMutable());
  std::memcpy(out, head.data(), head.size());
  Base32Encode(share.payload().RevealSecret(), share.payload().size(), out + head.size());
  out[covered] = ':';
  const Checksum checksum = ComputeChecksum(std::string_view(out, covered));
  std::string checksum_hex;
  AppendHex(checksum_hex, checksum.data(), checksum.size());
  std::memcpy(out + covered + 1, checksum_hex.data(), checksum_hex.size());
  return text;
}

absl::StatusOr<Share> ParseShare(std::string_view text) {
  text = TrimWhitespace(text);
  if (text.empty()) return Invalid("share text is empty");
  SecretBytes lowered(text.size());
  char* lower = reinterpret_cast<char*>(lowered.RevealSecretMutable());
  for (size_t i = 0; i < text.size(); ++i) lower[i] = LowerAscii(text[i]);
  const std::string_view line = AsText(lowered);

  const std::string prefix = absl::StrCat(std::string(kShareTextPrefix), ":");
  if (line.substr(0, prefix.size()) != prefix) {
    return Invalid(absl::StrCat("not a Confidant share: it must start with \"", prefix, "\""));
  }
  const std::vector<std::string_view> fields = SplitFields(line);
  if (fields.size() != kFieldCount) {
    return Invalid(absl::StrCat("malformed share: expected ", kFieldCount,
                                " fields separated by ':', found ", fields.size()));
  }
  Checksum given;
  if (!ParseHex(fields[5], given.data(), given.size())) {
    return Invalid("share has a typo: the checksum (last field) must be 8 hex digits");
  }
  const Checksum expected = ComputeChecksum(line.substr(0, line.size() - fields[5].size() - 1));
  if (sodium_memcmp(given.data(), expected.data(), kChecksumSize) != 0) {
    return Invalid("share has a typo: its checksum does not match; check every character");
  }

  unsigned char set_id_bytes[4];
  if (!ParseHex(fields[1], set_id_bytes, sizeof(set_id_bytes))) {
    return Invalid("malformed share: the set id must be 8 hex digits");
  }
  const uint32_t set_id = (uint32_t{set_id_bytes[0]} << 24) | (uint32_t{set_id_bytes[1]} << 16) |
                          (uint32_t{set_id_bytes[2]} << 8) | uint32_t{set_id_bytes[3]};
  int threshold = 0;
  if (!ParseSmallDecimal(fields[2], kShamirMinThreshold, kShamirMaxShares, &threshold)) {
    return Invalid(absl::StrCat("malformed share: the threshold must be a number from ",
                                kShamirMinThreshold, " to ", kShamirMaxShares));
  }
  int index = 0;
  if (!ParseSmallDecimal(fields[3], 1, kShamirMaxShares, &index)) {
    return Invalid(
        absl::StrCat("malformed share: the index must be a number from 1 to ", kShamirMaxShares));
  }
  SecretBytes payload(kShamirSecretSize);
  if (!Base32Decode(fields[4], payload.RevealSecretMutable(), payload.size())) {
    return Invalid(absl::StrCat("malformed share: the payload must be ", kPayloadChars,
                                " base32 characters (a-z, 2-7)"));
  }
  return Share::Create(set_id, threshold, index, std::move(payload));
}

}  // namespace confidant::crypto
