// VaultKeys: every key the unsealed vault holds, loaded from (or, for a new vault, created in)
// the keys space, each wrapped under the key-wrapping key derived from the master key.
#ifndef CONFIDANT_SERVER_VAULT_KEYS_H_
#define CONFIDANT_SERVER_VAULT_KEYS_H_

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>
#include <string_view>

#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "crypto/asymmetric.h"
#include "crypto/secret_bytes.h"
#include "policy/policy.pb.h"
#include "server/audit/audit_log.h"
#include "server/store/kv_store.h"
#include "server/store/storage.pb.h"

namespace confidant::server {

// How long a retired intake key still opens envelopes sealed to it (published to clients).
inline constexpr int64_t kIntakeGraceSeconds = 14 * 24 * 3600;
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

// Thread-safe. Holds secrets in guarded memory; destroying it wipes them (this is what sealing
// does). The fixed keys never change after LoadOrCreate. The versioned keys (role KEKs, intake
// key pairs, and the vault identity, checkpoint and release signing keys, of which only the
// newest version is held) live in an immutable key ring that rotation and destruction replace
// as a whole:
// every accessor of a versioned key returns a shared pointer, so a call that holds one keeps
// using it even if a newer ring drops it (the bytes are wiped when the last holder lets go).
// The key-wrapping key is kept (as long as the vault is unsealed) so that new versions can be
// stored; it protects only keys this object already holds in memory.
class VaultKeys {
 public:
  // Opens the keys in `store` with `master_key`. A new vault (no keys and no data at all) gets
  // every key, wrapped and committed in one batch first; an existing vault never gets a key
  // created: DATA_LOSS when any key is missing ("the vault's key set is incomplete"), when data
  // exists without keys, or "stored keys do not open under this master key" when one fails to
  // unwrap. New versions are added only by Rotate.
  static absl::StatusOr<std::unique_ptr<VaultKeys>> LoadOrCreate(store::KvStore& store,
                                                                 const crypto::SecretBytes& master_key,
                                                                 int64_t now_unix_seconds);

  VaultKeys(const VaultKeys&) = delete;
  VaultKeys& operator=(const VaultKeys&) = delete;

  using KeyPtr = std::shared_ptr<const crypto::SecretBytes>;
  // The newest KEK version of `role`, or a null key if the role has none (non-reading roles).
  struct RoleKek {
    uint32_t version = 0;
    KeyPtr key;
  };
  RoleKek CurrentRoleKek(policy::v1::Role role) const;
  // Null if the vault does not hold (or no longer holds) that version.
  KeyPtr RoleKekVersion(policy::v1::Role role, uint32_t version) const;
  // Every version of `role`'s KEK the vault holds, oldest first.
  std::vector<uint32_t> RoleKekVersions(policy::v1::Role role) const;

  using SigningKeyPtr = std::shared_ptr<const crypto::Ed25519KeyPair>;
  // The current vault identity key (signs intake keys, receipts and the log key statement).
  SigningKeyPtr identity() const;
  std::shared_ptr<const IntakeKeyVersion> current_intake() const;
  std::shared_ptr<const IntakeKeyVersion> intake(uint32_t version) const;
  const crypto::SecretBytes& metadata_key() const { return metadata_key_; }
  const crypto::SecretBytes& index_key() const { return index_key_; }
  const crypto::SecretBytes& audit_key() const { return audit_key_; }
  // The checkpoint key the vault held when the ring was last published: the audit log is told of
  // a new one by the rotation's own batch (AuditLog::AppendWithKeyChange).
  SigningKeyPtr checkpoint_key() const;
  // The release key: signs frozen statistical releases (the reporting service).
  SigningKeyPtr release_key() const;
  // A signing key as one consistent snapshot: its version (1 until the first rotation), the
  // key, and its signed transitions (crypto/key_transition.h), oldest first, whose last names
  // this key.
  struct SigningKey {
    uint32_t version = 0;  // 0: not loaded
    SigningKeyPtr key;
    std::vector<std::string> transitions;
  };
  // `purpose` is crypto::kIdentityKeyPurpose, kCheckpointKeyPurpose or kReleaseKeyPurpose
  // (anything else: a default SigningKey).
  SigningKey CurrentSigningKey(std::string_view purpose) const;
  // The current intake key and the identity key that signed it, from one key ring.
  std::pair<std::shared_ptr<const IntakeKeyVersion>, SigningKey> CurrentIntakeAndIdentity() const;
  // The signed transitions (crypto/key_transition.h) of a signing key, oldest first, as stored in
  // Space::kMeta; empty before the first rotation. DATA_LOSS if one is unreadable.
  static absl::StatusOr<std::vector<std::string>> KeyTransitions(const store::KvStore& store,
                                                                 std::string_view purpose);
  // The key-wrapping key derived from the master key, for keys created while the vault runs
  // (backup epoch keys). A re-share replaces it: hold the pointer for one use only.
  KeyPtr key_wrapping_key() const ABSL_LOCKS_EXCLUDED(mu_);
  // True if this LoadOrCreate created the vault (there was no vault identity key before).
  bool created() const { return created_; }

  // Writes a mutation to storage together with its audit entry, in one synced batch.
  using CommitFn = std::function<absl::Status(store::Mutation)>;

  struct Rotation {
    std::vector<std::pair<policy::v1::Role, uint32_t>> role_keks;  // the new versions
    uint32_t intake_version = 0;          // the new current intake key
    uint32_t retired_intake_version = 0;  // the previous one, accepted for the grace period
    std::vector<uint32_t> destroyed_intake_versions;  // retired past their grace
    uint32_t identity_version = 0;    // the new versions of the signing keys
    uint32_t checkpoint_version = 0;
    uint32_t release_version = 0;
    // The new checkpoint key and its transition statement: `commit` must write it with the
    // mutation through AuditLog::AppendWithKeyChange.
    audit::CheckpointKeyChange checkpoint_change;
  };
  // Adds a new version of every role KEK and a new intake key pair (the previous one retired at
  // `now`), and destroys intake keys retired more than kIntakeGraceSeconds ago. Replaces the
  // vault identity, checkpoint and release keys by new versions, each with a transition
  // statement for the log `origin` signed by the old key (Space::kMeta, "key-transition/..."),
  // and deletes the old private keys in the same batch. `commit` must write the mutation
  // durably (with its audit entry and the checkpoint change); only then do the new versions
  // come into use (intake keys are then signed by the new identity key). Rotations are
  // serialised. Errors of `commit` pass through and change nothing.
  using RotateCommitFn = std::function<absl::Status(store::Mutation, const Rotation&)>;
  absl::StatusOr<Rotation> Rotate(int64_t now, std::string_view origin,
                                  const RotateCommitFn& commit);

  // Destroys intake keys retired more than kIntakeGraceSeconds before `now` (never the current
  // one): their versions, after `commit` stored the deletion. Empty: nothing was due (and
  // `commit` was not called).
  absl::StatusOr<std::vector<uint32_t>> DestroyExpiredIntakeKeys(int64_t now,
                                                                 const CommitFn& commit);

  // Destroys `version` of `role`'s KEK (deleted from the keys space once `commit` stored it, then
  // dropped from memory). FAILED_PRECONDITION for the current version; NOT_FOUND if not held.
  absl::Status DestroyRoleKek(policy::v1::Role role, uint32_t version, const CommitFn& commit);

  // When the newest role KEK version was created (Unix seconds; the newest of every role's).
  int64_t NewestRoleKekCreatedUnixSeconds() const ABSL_LOCKS_EXCLUDED(mu_);

  // Re-key: DATA_LOSS unless `current_master` derives the key-wrapping key in use (compared in
  // constant time). Otherwise every entry of the keys space (`store`) is unwrapped and wrapped
  // again under the key-wrapping key of `new_master`, and `commit` must store that mutation
  // durably (adding the new custody record and the audit entry to the same batch); only then
  // does the new key-wrapping key replace the old one in memory. Serialised with Rotate and
  // Destroy*; callers also keep other writers of the keys space (backup epochs) out. Errors of
  // `commit` pass through and change nothing. Returns the number of keys re-wrapped.
  absl::StatusOr<size_t> Rekey(store::KvStore& store, const crypto::SecretBytes& current_master,
                               const crypto::SecretBytes& new_master, const CommitFn& commit);

 private:
  // The versioned keys; never modified once published.
  struct KeyRing {
    std::map<std::pair<int, uint32_t>, KeyPtr> role_keks;
    std::map<uint32_t, std::shared_ptr<const IntakeKeyVersion>> intake;
    SigningKey identity;
    SigningKey checkpoint;
    SigningKey release;
    int64_t newest_role_kek_created = 0;
  };
  VaultKeys() = default;
  absl::Status Load(store::KvStore& store, const crypto::SecretBytes& kwk, KeyRing& ring);
  static absl::Status Create(store::KvStore& store, const crypto::SecretBytes& kwk, int64_t now);
  absl::Status Adopt(const std::string& purpose, uint32_t version,
                     const storage::v1::StoredKey& stored, crypto::SecretBytes secret,
                     KeyRing& ring, std::map<uint32_t, IntakeKeyVersion>& unsigned_intake,
                     bool& has_intake, bool& has_metadata, bool& has_index);
  static std::shared_ptr<const IntakeKeyVersion> SignedIntake(IntakeKeyVersion entry,
                                                              const crypto::Ed25519KeyPair& identity);
  // "<purpose>/<version>", the keys-space key of a stored key.
  static std::string StoredKeyName(std::string_view purpose, uint32_t version);
  // Adds to `batch` `pair` wrapped under the key-wrapping key.
  absl::Status StoreKey(store::Mutation& batch, std::string_view purpose, uint32_t version,
                        const crypto::Ed25519KeyPair& pair, int64_t now) const;
  // The ring's signing key for a keys-space purpose, or null for another purpose.
  static SigningKey* SigningKeyFor(KeyRing& ring, std::string_view purpose);
  // Reads each signing key's transitions into `ring`: DATA_LOSS unless each key is the last of
  // its stored chain, which starts at version 1 and whose every link is valid (the message
  // names a bad one).
  // Checks every stored chain, including each transition's MAC (TransitionMac).
  absl::Status LoadSigningKeyChains(const store::KvStore& store, KeyRing& ring) const;
  // Stored transitions are MAC'd under a key derived from the metadata key, so that someone who
  // can write the data directory cannot replace a chain with one of their own keys.
  std::string TransitionMac(std::string_view note) const;
  // Adds to `batch` (and `next`) new identity and release keys with their transitions, and to
  // `rotation` the new checkpoint key with the statement its batch will carry; that statement,
  // once made, is also left in `*checkpoint_note`.
  absl::Status RotateSigningKeys(int64_t now, std::string_view origin, KeyRing& next,
                                 store::Mutation& batch, Rotation& rotation,
                                 const std::shared_ptr<std::string>& checkpoint_note);
  std::shared_ptr<const KeyRing> ring() const ABSL_LOCKS_EXCLUDED(mu_);
  void Publish(std::shared_ptr<const KeyRing> ring) ABSL_LOCKS_EXCLUDED(mu_);
  // Adds to `batch` the deletion of intake keys of `ring` retired past their grace at `now`.
  static std::vector<uint32_t> ExpiredIntake(const KeyRing& ring, int64_t now,
                                             store::Mutation& batch);

  crypto::SecretBytes metadata_key_;
  crypto::SecretBytes index_key_;
  crypto::SecretBytes audit_key_;
  bool created_ = false;

  absl::Mutex change_mu_;  // serialises Rotate and Destroy*: read ring, commit, publish
  mutable absl::Mutex mu_;
  std::shared_ptr<const KeyRing> ring_ ABSL_GUARDED_BY(mu_);
  KeyPtr kwk_ ABSL_GUARDED_BY(mu_);  // replaced only by Rekey (a re-share)
};

// Space::kMeta key of the transition of `purpose` (crypto::k*KeyPurpose) to `version`.
std::string KeyTransitionStorageKey(std::string_view purpose, uint32_t version);
// Where the MAC of that transition is kept (meta space).
std::string KeyTransitionMacStorageKey(std::string_view purpose, uint32_t version);

// Roles that hold key-encryption keys: every role that may ever be granted sections.
bool RoleHoldsKek(policy::v1::Role role);

}  // namespace confidant::server

#endif  // CONFIDANT_SERVER_VAULT_KEYS_H_
