// The signed policy: a policy file is in force only when K of N governance keys (Ed25519, held
// offline by neither operators nor custodians) have signed its exact bytes, and its version is
// not older than the one in force. Pure: the caller reads the files. Thread-compatible values.
//
// Governance keys file (pinned when the vault is created), one item per line; blank lines and
// lines starting with '#' are ignored:
//   threshold 2
//   alice <base64 of the 32-byte Ed25519 public key>
//   bob   <base64 ...>
// Signatures sidecar (e.g. policy.textproto.sig), one signature per line, same comment rules:
//   alice <base64 of the 64-byte Ed25519 signature>
// Names are 1 to 64 of [A-Za-z0-9._-]. Base64 is standard, padded and canonical.
// Signed message: "confidant/v1/policy" 0x00 || 4-byte big-endian length || policy file bytes.
#ifndef CONFIDANT_POLICY_SIGNED_POLICY_H_
#define CONFIDANT_POLICY_SIGNED_POLICY_H_

#include <cstdint>
#include <map>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "crypto/asymmetric.h"
#include "policy/policy.h"

namespace confidant::policy {

struct GovernanceKeys {
  uint32_t threshold = 0;                          // K, 1 <= K <= number of keys
  std::map<std::string, std::string> public_keys;  // name → 32 raw bytes

  // Parses the keys file. INVALID_ARGUMENT with "line N: ..." per problem: a malformed line, a
  // bad name or key, a name or a key listed twice (one key must never count twice), a missing or
  // repeated threshold, or a threshold outside 1..N.
  static absl::StatusOr<GovernanceKeys> FromText(std::string_view text);
  // The keys file for these keys (round-trips through FromText).
  std::string ToText() const;
};

// The exact bytes a governance key signs for `policy_text`.
std::string PolicySigningMessage(std::string_view policy_text);

// One signature line, "NAME BASE64SIG\n", for appending to the sidecar. `policy_text` must be
// the exact file bytes (under 4 GiB) and `name` a valid key name.
std::string SignPolicy(std::string_view policy_text, std::string_view name,
                       const crypto::Ed25519KeyPair& key);

// Verifies, then parses. Signatures are checked first, over the exact bytes: a line whose name
// is not a governance key, or whose signature does not verify, is ignored; several lines by one
// key count once. Errors: a malformed signature line → INVALID_ARGUMENT "signatures line N: ...";
// fewer than K valid signatures → PERMISSION_DENIED "policy has N of K required governance
// signatures"; a policy that does not load → INVALID_ARGUMENT with its line-numbered errors;
// version < min_version → FAILED_PRECONDITION "policy version V is older than the version in
// force (M)". Equal versions pass (a restart reloads the policy in force); a caller that wants a
// strictly newer reload passes current + 1.
absl::StatusOr<Policy> VerifySignedPolicy(std::string_view policy_text,
                                          std::string_view signatures_text,
                                          const GovernanceKeys& keys, uint64_t min_version);

}  // namespace confidant::policy

#endif  // CONFIDANT_POLICY_SIGNED_POLICY_H_
