// The text form of a Shamir unseal share, for custodians to print, store and type back in:
//
//   confidant-share-v1:<set id>:<threshold>:<index>:<payload>:<checksum>
//
//   set id     8 lower-case hex digits; the same for every share of one init
//   threshold  decimal, 2..255, no leading zeros (how many shares open the vault)
//   index      decimal, 1..255, no leading zeros (which share this is)
//   payload    the 32-byte share in RFC 4648 base32, lower case, no padding: 52 characters
//   checksum   8 lower-case hex digits: the first 4 bytes of BLAKE2b-128 (unkeyed) over
//              "confidant/v1/share-checksum" 0x00, then every character before the last ':'
//
// e.g. confidant-share-v1:5f0c9a1e:3:2:<52 characters>:9b03e1d4
//
// The checksum catches typos (a random change slips through with probability 2^-32) before a
// share is used; it is not a MAC and proves nothing about who made the share: the share hashes
// recorded at init (crypto/shamir.h) do that. Parsing ignores surrounding whitespace and letter
// case (the checksum is over the lower-cased text), so a share read aloud or typed in capitals
// still parses.
#ifndef CONFIDANT_CRYPTO_SHARE_TEXT_H_
#define CONFIDANT_CRYPTO_SHARE_TEXT_H_

#include <string_view>

#include "absl/status/statusor.h"
#include "crypto/secret_bytes.h"
#include "crypto/shamir.h"

namespace confidant::crypto {

inline constexpr std::string_view kShareTextPrefix = "confidant-share-v1";

// The text form of `share`, as ASCII in guarded memory (it carries the share). Never fails.
SecretBytes EncodeShare(const Share& share);

// Parses the text form. The caller keeps ownership of `text` and should wipe its copy. Errors
// are INVALID_ARGUMENT naming what is wrong, never echoing the text: a missing prefix, a wrong
// number of fields, a malformed checksum field, "share has a typo" when the checksum does not
// match, then a malformed set id, threshold, index or payload.
absl::StatusOr<Share> ParseShare(std::string_view text);

}  // namespace confidant::crypto

#endif  // CONFIDANT_CRYPTO_SHARE_TEXT_H_
