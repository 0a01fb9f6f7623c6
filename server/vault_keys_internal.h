// What vault_keys.cc and vault_keys_rotate.cc share: how keys are named and stored in the keys
// space. Not for other files.
#ifndef CONFIDANT_SERVER_VAULT_KEYS_INTERNAL_H_
#define CONFIDANT_SERVER_VAULT_KEYS_INTERNAL_H_

#include <cstdint>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "crypto/secret_bytes.h"
#include "server/store/kv_store.h"
#include "server/store/storage.pb.h"
#include "server/vault_keys.h"

namespace confidant::server::vault_keys_internal {

inline constexpr std::string_view kRoleKekPrefix = "role-kek/";
inline constexpr std::string_view kIntakePurpose = "intake";

// Keys-space key for a stored key: "<purpose>/<version>". Labels, never secrets.
std::string StorageKey(std::string_view purpose, uint32_t version);

// One keys-space entry read back: its label and stored key. DATA_LOSS "a stored key entry is
// malformed" when the key is not "<purpose>/<version>" or the value does not parse. `purpose`
// points into `key`.
struct KeyEntry {
  std::string_view purpose;
  uint32_t version = 0;
  storage::v1::StoredKey stored;
};
absl::StatusOr<KeyEntry> ParseKeyEntry(std::string_view key, std::string_view value);

// Adds to `batch` `key` wrapped under `kwk` (label purpose/version), with its public key and
// times.
absl::Status AddKey(store::Mutation& batch, const crypto::SecretBytes& kwk,
                    std::string_view purpose, uint32_t version, const crypto::SecretBytes& key,
                    std::string public_key, int64_t now, int64_t retired = 0);

// A copy of an intake key version (its secret copied into new guarded memory).
absl::StatusOr<IntakeKeyVersion> CopyIntake(const IntakeKeyVersion& entry);

}  // namespace confidant::server::vault_keys_internal

#endif  // CONFIDANT_SERVER_VAULT_KEYS_INTERNAL_H_
