// Key transitions: how the vault hands one of its long-lived Ed25519 keys (vault identity,
// checkpoint, release) on to a new version, each new key signed by the old one, so that a
// verifier who pinned any earlier key can follow the chain to the current one. Pure: no I/O.
//
// A transition is a C2SP signed note (crypto/signed_note.h) whose body is exactly these lines,
// each ending in "\n":
//   confidant key transition v1
//   <origin>                          the vault's log origin (binds the chain to one vault)
//   purpose <identity|checkpoint|release>
//   version <new version, decimal>    the old key is version - 1; version >= 2
//   old <base64 of the old public key>
//   new <base64 of the new public key>
//   time <unix seconds>
//   from <tree size, decimal>         checkpoint: the new key signs checkpoints of at least this
//                                     size and the old key signed only smaller ones; 0 otherwise
// signed by the OLD key under the note name "<origin>". A chain lists the transitions of one
// purpose oldest first, with consecutive versions, each old key the previous new key.
#ifndef CONFIDANT_CRYPTO_KEY_TRANSITION_H_
#define CONFIDANT_CRYPTO_KEY_TRANSITION_H_

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "crypto/asymmetric.h"

namespace confidant::crypto {

inline constexpr std::string_view kIdentityKeyPurpose = "identity";
inline constexpr std::string_view kCheckpointKeyPurpose = "checkpoint";
inline constexpr std::string_view kReleaseKeyPurpose = "release";

struct KeyTransition {
  std::string origin;
  std::string purpose;
  uint32_t version = 0;  // of the new key
  std::string old_public_key;
  std::string new_public_key;
  int64_t time_unix_seconds = 0;
  uint64_t from_tree_size = 0;
};

std::string FormatKeyTransitionBody(const KeyTransition& transition);
// INVALID_ARGUMENT unless `text` is exactly a transition body in the form above.
absl::StatusOr<KeyTransition> ParseKeyTransitionBody(std::string_view text);

// The signed note of `transition` by `old_key`. INVALID_ARGUMENT if `old_key` is not the
// transition's old key, the keys are not Ed25519 public keys, or version < 2.
absl::StatusOr<std::string> SignKeyTransition(const KeyTransition& transition,
                                              const Ed25519KeyPair& old_key);

// One key of a verified chain.
struct ChainKey {
  uint32_t version = 0;          // 0 for a pinned key the chain does not number (no rotation yet)
  std::string public_key;
  uint64_t from_tree_size = 0;   // checkpoint keys: the first tree size it signs
};

// Follows `notes` (transitions of `purpose` for `origin`, oldest first, as the vault serves
// them) from `pinned_public_key`. Every link is checked, also those before the pinned key:
// purpose, origin, consecutive versions, old key = previous new key, signature by the old key,
// non-decreasing tree sizes. Returns the pinned key and every later one, oldest first (just the
// pinned key when `notes` is empty). DATA_LOSS naming the first bad transition ("key
// transition to identity version 3 is not signed by the previous key"), or "the pinned ... key
// is not in the vault's key chain".
absl::StatusOr<std::vector<ChainKey>> FollowKeyChain(std::string_view purpose,
                                                     std::string_view origin,
                                                     std::string_view pinned_public_key,
                                                     const std::vector<std::string>& notes);

// The whole chain of `notes` (every link checked as above) when it ends at `newest_public_key`,
// a key vouched for otherwise (the log key, by the vault identity key); just that key when
// `notes` is empty. DATA_LOSS naming a bad transition, or "the checkpoint key chain does not end
// at the vault's current key".
absl::StatusOr<std::vector<ChainKey>> KeyChainEndingAt(std::string_view purpose,
                                                       std::string_view origin,
                                                       std::string_view newest_public_key,
                                                       const std::vector<std::string>& notes);

// The key of `chain` (as FollowKeyChain or KeyChainEndingAt return it) that signs checkpoints of `tree_size`:
// the newest whose from_tree_size <= tree_size. Null if the size is before the first key's.
const ChainKey* SignerForTreeSize(const std::vector<ChainKey>& chain, uint64_t tree_size);

}  // namespace confidant::crypto

#endif  // CONFIDANT_CRYPTO_KEY_TRANSITION_H_
