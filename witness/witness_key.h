// The witness's own Ed25519 signing key, kept in one 0600 file (64 bytes, libsodium's
// seed || public key form) beside the state file. The state file holds no secret.
#ifndef CONFIDANT_WITNESS_WITNESS_KEY_H_
#define CONFIDANT_WITNESS_WITNESS_KEY_H_

#include <string>

#include "absl/status/statusor.h"
#include "crypto/asymmetric.h"

namespace confidant::witness {

inline constexpr char kWitnessKeyFileName[] = "witness.key";
inline constexpr char kWitnessStateFileName[] = "state";

// Reads the key at `path`. If the file is absent and `create` is true, generates a key and
// writes it (mode 0600, fsync + rename) first. NOT_FOUND if absent and not `create`;
// FAILED_PRECONDITION if the file is readable or writable by group or others, or is not a
// regular file; DATA_LOSS if it is not a valid 64-byte Ed25519 key. Requires InitCrypto().
absl::StatusOr<crypto::Ed25519KeyPair> LoadOrCreateWitnessKey(const std::string& path,
                                                              bool create);

}  // namespace confidant::witness

#endif  // CONFIDANT_WITNESS_WITNESS_KEY_H_
