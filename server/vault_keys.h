// VaultKeys: every key the unsealed vault holds, loaded from (or, for a new vault, created in)
// the keys space, each wrapped under the key-wrapping key derived from the master key.
#ifndef CONFIDANT_SERVER_VAULT_KEYS_H_
#define CONFIDANT_SERVER_VAULT_KEYS_H_

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "crypto/asymmetric.h"
#include "crypto/secret_bytes.h"
#include "policy/policy.pb.h"
#include "server/store/kv_store.h"
#include "server/store/storage.pb.h"

namespace confidant::server {

// Keys-space purpose of backup epoch keys ("backup-epoch/<N>"). Unlike every other key they are
// created and destroyed while the vault runs (server/backup_epochs.h), so a vault whose epoch
// keys are all gone is still complete.
inline constexpr std::string_view kBackupEpochPurpose = "backup-epoch";

struct IntakeKeyVersion {
  uint32_t version = 0;
  int64_t created_unix_seconds = 0;
  int64_t retired_unix_seconds = 0;  // 0 while current
  crypto::X25519KeyPair key_pair;
  std::string signature;  // by the vault identity key over IntakeKeySigningBytes
};

// Immutable after LoadOrCreate; safe to share across threads. Holds secrets in guarded memory;
// destroying it wipes them (this is what sealing does).
class VaultKeys {
 public:
  // Opens the keys in `store` with `master_key`. A new vault (no keys and no data at all) gets
  // every key, wrapped and committed in one batch first; an existing vault never gets a key
  // created: DATA_LOSS when any key is missing ("the vault's key set is incomplete"), when data
  // exists without keys, or "stored keys do not open under this master key" when one fails to
  // unwrap.
  static absl::StatusOr<std::unique_ptr<VaultKeys>> LoadOrCreate(store::KvStore& store,
                                                                 const crypto::SecretBytes& master_key,
                                                                 int64_t now_unix_seconds);

  VaultKeys(const VaultKeys&) = delete;
  VaultKeys& operator=(const VaultKeys&) = delete;

  // The newest KEK version of `role`, or nullptr if the role has none (non-reading roles).
  struct RoleKek {
    uint32_t version = 0;
    const crypto::SecretBytes* key = nullptr;
  };
  RoleKek CurrentRoleKek(policy::v1::Role role) const;
  const crypto::SecretBytes* RoleKekVersion(policy::v1::Role role, uint32_t version) const;

  const crypto::Ed25519KeyPair& identity() const { return identity_; }
  const IntakeKeyVersion& current_intake() const { return intake_.rbegin()->second; }
  const IntakeKeyVersion* intake(uint32_t version) const;
  const crypto::SecretBytes& metadata_key() const { return metadata_key_; }
  const crypto::SecretBytes& index_key() const { return index_key_; }
  const crypto::SecretBytes& audit_key() const { return audit_key_; }
  const crypto::Ed25519KeyPair& checkpoint_key() const { return checkpoint_key_; }
  // The key-wrapping key derived from the master key, for keys created while the vault runs
  // (backup epoch keys). Lives as long as this object.
  const crypto::SecretBytes& key_wrapping_key() const { return key_wrapping_key_; }
  // True if this LoadOrCreate created the vault (there was no vault identity key before).
  bool created() const { return created_; }

 private:
  VaultKeys() = default;
  absl::Status Load(store::KvStore& store, const crypto::SecretBytes& kwk);
  static absl::Status Create(store::KvStore& store, const crypto::SecretBytes& kwk, int64_t now);
  absl::Status Adopt(const std::string& purpose, uint32_t version,
                     const storage::v1::StoredKey& stored, crypto::SecretBytes secret,
                     bool& has_intake, bool& has_identity, bool& has_metadata, bool& has_index);
  absl::Status SignIntakeKeys();

  std::map<std::pair<int, uint32_t>, crypto::SecretBytes> role_keks_;
  crypto::Ed25519KeyPair identity_;
  std::map<uint32_t, IntakeKeyVersion> intake_;
  crypto::SecretBytes metadata_key_;
  crypto::SecretBytes index_key_;
  crypto::SecretBytes audit_key_;
  crypto::Ed25519KeyPair checkpoint_key_;
  crypto::SecretBytes key_wrapping_key_;
  bool created_ = false;
};

// Roles that hold key-encryption keys: every role that may ever be granted sections.
bool RoleHoldsKek(policy::v1::Role role);

}  // namespace confidant::server

#endif  // CONFIDANT_SERVER_VAULT_KEYS_H_
