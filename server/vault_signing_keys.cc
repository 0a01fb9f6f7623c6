// VaultKeys' signing keys (vault identity, checkpoint, release): the current versions, their
// key-transition chains in Space::kMeta, and rotating them (crypto/key_transition.h).
#include <cstdio>
#include <string>
#include <tuple>
#include <utility>

#include "absl/strings/str_cat.h"
#include "base/status_macros.h"
#include "crypto/key_transition.h"
#include "crypto/signed_note.h"
#include "server/vault_keys.h"

#include "base/bytes.h"
#include "crypto/random.h"

namespace confidant::server {
namespace {

constexpr std::string_view kTransitionPrefix = "key-transition/";
constexpr std::string_view kTransitionMacPrefix = "key-transition-mac/";

// The keys-space purpose of each signing key and the name its transitions use.
struct SigningPurpose {
  std::string_view stored;
  std::string_view chain;
};
constexpr SigningPurpose kIdentity{"vault-identity", crypto::kIdentityKeyPurpose};
constexpr SigningPurpose kCheckpoint{"checkpoint", crypto::kCheckpointKeyPurpose};
constexpr SigningPurpose kRelease{"release", crypto::kReleaseKeyPurpose};

}  // namespace

std::string KeyTransitionStorageKey(std::string_view purpose, uint32_t version) {
  char digits[11];
  std::snprintf(digits, sizeof digits, "%010u", version);  // ordered scans: fixed width
  return absl::StrCat(std::string(kTransitionPrefix), std::string(purpose), "/", digits);
}

std::string KeyTransitionMacStorageKey(std::string_view purpose, uint32_t version) {
  char digits[11];
  std::snprintf(digits, sizeof digits, "%010u", version);  // ordered scans: fixed width
  return absl::StrCat(std::string(kTransitionMacPrefix), std::string(purpose), "/", digits);
}

VaultKeys::SigningKeyPtr VaultKeys::identity() const { return ring()->identity.key; }
VaultKeys::SigningKeyPtr VaultKeys::checkpoint_key() const { return ring()->checkpoint.key; }
VaultKeys::SigningKeyPtr VaultKeys::release_key() const { return ring()->release.key; }

VaultKeys::SigningKey VaultKeys::CurrentSigningKey(std::string_view purpose) const {
  std::shared_ptr<const KeyRing> keys = ring();
  if (purpose == kIdentity.chain) return keys->identity;
  if (purpose == kCheckpoint.chain) return keys->checkpoint;
  if (purpose == kRelease.chain) return keys->release;
  return {};
}

std::pair<std::shared_ptr<const IntakeKeyVersion>, VaultKeys::SigningKey>
VaultKeys::CurrentIntakeAndIdentity() const {
  std::shared_ptr<const KeyRing> keys = ring();
  return {keys->intake.rbegin()->second, keys->identity};
}

VaultKeys::SigningKey* VaultKeys::SigningKeyFor(KeyRing& ring, std::string_view purpose) {
  if (purpose == kIdentity.stored) return &ring.identity;
  if (purpose == kCheckpoint.stored) return &ring.checkpoint;
  if (purpose == kRelease.stored) return &ring.release;
  return nullptr;
}

absl::StatusOr<std::vector<std::string>> VaultKeys::KeyTransitions(const store::KvStore& store,
                                                                   std::string_view purpose) {
  const std::string prefix = absl::StrCat(std::string(kTransitionPrefix), std::string(purpose), "/");
  std::vector<std::string> notes;
  RETURN_IF_ERROR(store.Scan(store::Space::kMeta, prefix,
                             [&](std::string_view key, std::string_view value) {
                               if (key.substr(0, prefix.size()) != prefix) return false;
                               notes.emplace_back(value);
                               return true;
                             }));
  return notes;
}

std::string VaultKeys::TransitionMac(std::string_view note) const {
  std::string input = DomainTag("confidant/v1/key-transition-mac");
  input.append(note);
  return crypto::KeyedHash(metadata_key_, input);
}

absl::Status VaultKeys::LoadSigningKeyChains(const store::KvStore& store, KeyRing& ring) const {
  for (const auto& [purpose, key] :
       {std::make_pair(kIdentity, &ring.identity), std::make_pair(kCheckpoint, &ring.checkpoint),
        std::make_pair(kRelease, &ring.release)}) {
    ASSIGN_OR_RETURN(key->transitions, KeyTransitions(store, purpose.chain));
    bool matches = key->transitions.size() + 1 == key->version;
    if (matches && !key->transitions.empty()) {
      // Every link is checked (under the origin the chain names), and it must end at this key.
      absl::StatusOr<crypto::SplitNote> split = crypto::SplitSignedNote(key->transitions.front());
      absl::StatusOr<crypto::KeyTransition> first =
          split.ok() ? crypto::ParseKeyTransitionBody(split->body) : split.status();
      if (!first.ok() || first->version != 2) {
        return absl::DataLossError(absl::StrCat("the vault's ", std::string(purpose.chain),
                                                " key chain does not start at version 1"));
      }
      RETURN_IF_ERROR(crypto::KeyChainEndingAt(purpose.chain, first->origin,
                                               key->key->public_key, key->transitions)
                          .status());
    }
    if (!matches) {
      return absl::DataLossError(absl::StrCat("the vault's ", std::string(purpose.chain),
                                              " key does not match its stored key chain"));
    }
    for (size_t i = 0; i < key->transitions.size(); ++i) {
      const uint32_t version = static_cast<uint32_t>(i + 2);
      ASSIGN_OR_RETURN(std::optional<std::string> mac,
                       store.Get(store::Space::kMeta,
                                 KeyTransitionMacStorageKey(purpose.chain, version)));
      if (!mac.has_value() || *mac != TransitionMac(key->transitions[i])) {
        return absl::DataLossError(absl::StrCat("the stored ", std::string(purpose.chain),
                                                " key transition to version ", version,
                                                " was not written by this vault"));
      }
    }
  }
  return absl::OkStatus();
}

absl::Status VaultKeys::RotateSigningKeys(int64_t now, std::string_view origin, KeyRing& next,
                                          store::Mutation& batch, Rotation& rotation,
                                          const std::shared_ptr<std::string>& checkpoint_note) {
  // A new key after `current` (stored, the old one deleted) and the statement it needs.
  auto rotate = [&](const SigningPurpose& purpose, const SigningKey& current)
      -> absl::StatusOr<std::pair<SigningKey, crypto::KeyTransition>> {
    auto fresh = std::make_shared<const crypto::Ed25519KeyPair>(crypto::Ed25519KeyPair::Generate());
    const uint32_t version = current.version + 1;
    RETURN_IF_ERROR(StoreKey(batch, purpose.stored, version, *fresh, now));
    batch.Delete(store::Space::kKeys, StoredKeyName(purpose.stored, current.version));
    crypto::KeyTransition t{std::string(origin), std::string(purpose.chain), version,
                            current.key->public_key, fresh->public_key, now, 0};
    return std::make_pair(SigningKey{version, std::move(fresh), {}}, std::move(t));
  };
  for (auto [purpose, key, version] :
       {std::make_tuple(kIdentity, &next.identity, &rotation.identity_version),
        std::make_tuple(kRelease, &next.release, &rotation.release_version)}) {
    ASSIGN_OR_RETURN(auto rotated, rotate(purpose, *key));
    ASSIGN_OR_RETURN(std::string note, crypto::SignKeyTransition(rotated.second, *key->key));
    batch.Put(store::Space::kMeta, KeyTransitionStorageKey(purpose.chain, rotated.first.version),
              note);
    batch.Put(store::Space::kMeta,
              KeyTransitionMacStorageKey(purpose.chain, rotated.first.version), TransitionMac(note));
    rotated.first.transitions = key->transitions;
    rotated.first.transitions.push_back(std::move(note));
    *key = std::move(rotated.first);
    *version = key->version;
  }
  // The checkpoint key's statement names the first tree size it signs, known only when the
  // audit log commits the batch: the old key signs it then (AuditLog::AppendWithKeyChange).
  ASSIGN_OR_RETURN(auto checkpoint, rotate(kCheckpoint, next.checkpoint));
  SigningKeyPtr old_key = next.checkpoint.key;
  checkpoint.first.transitions = next.checkpoint.transitions;  // the new one once committed
  next.checkpoint = checkpoint.first;
  rotation.checkpoint_version = next.checkpoint.version;
  rotation.checkpoint_change.next = next.checkpoint.key;
  rotation.checkpoint_change.statement =
      [this, old_key, t = std::move(checkpoint.second), checkpoint_note](
          uint64_t from_tree_size) mutable -> absl::StatusOr<store::Mutation> {
    t.from_tree_size = from_tree_size;
    ASSIGN_OR_RETURN(std::string note, crypto::SignKeyTransition(t, *old_key));
    *checkpoint_note = note;
    store::Mutation statement;
    statement.Put(store::Space::kMeta, KeyTransitionMacStorageKey(t.purpose, t.version),
                  TransitionMac(note));
    statement.Put(store::Space::kMeta, KeyTransitionStorageKey(t.purpose, t.version),
                  std::move(note));
    return statement;
  };
  return absl::OkStatus();
}

}  // namespace confidant::server
