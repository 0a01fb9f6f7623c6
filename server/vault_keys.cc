#include "server/vault_keys.h"

#include <algorithm>
#include <string>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "base/status_macros.h"
#include "crypto/key_hierarchy.h"
#include "policy/policy.h"
#include "proto/intake_key_format.h"
#include "server/store/storage.pb.h"
#include "server/vault_keys_internal.h"

namespace confidant::server {
namespace {

using crypto::SecretBytes;

constexpr std::string_view kIdentityPurpose = "vault-identity";
constexpr std::string_view kMetadataPurpose = "metadata";
constexpr std::string_view kIndexPurpose = "index";
constexpr std::string_view kAuditPurpose = "audit-body";
constexpr std::string_view kCheckpointPurpose = "checkpoint";
constexpr std::string_view kReleasePurpose = "release";

absl::Status WrongMasterKey() {
  return absl::DataLossError("stored keys do not open under this master key");
}

absl::StatusOr<SecretBytes> Unwrap(const SecretBytes& kwk, std::string_view purpose,
                                   uint32_t version, const storage::v1::StoredKey& stored) {
  absl::StatusOr<SecretBytes> key =
      crypto::UnwrapStoredKey(kwk, crypto::KeyLabel{purpose, version}, stored.wrapped());
  if (!key.ok()) return WrongMasterKey();
  return key;
}

}  // namespace

namespace vault_keys_internal {

std::string StorageKey(std::string_view purpose, uint32_t version) {
  return absl::StrCat(std::string(purpose), "/", version);
}

absl::StatusOr<KeyEntry> ParseKeyEntry(std::string_view key, std::string_view value) {
  KeyEntry entry;
  const size_t slash = key.rfind('/');
  if (slash == std::string_view::npos ||
      !entry.stored.ParseFromArray(value.data(), static_cast<int>(value.size())) ||
      !absl::SimpleAtoi(absl::string_view(key.data() + slash + 1, key.size() - slash - 1),
                        &entry.version)) {
    return absl::DataLossError("a stored key entry is malformed");
  }
  entry.purpose = key.substr(0, slash);
  return entry;
}

absl::Status AddKey(store::Mutation& batch, const SecretBytes& kwk, std::string_view purpose,
                    uint32_t version, const SecretBytes& key, std::string public_key,
                    int64_t now, int64_t retired) {
  storage::v1::StoredKey stored;
  ASSIGN_OR_RETURN(*stored.mutable_wrapped(),
                   crypto::WrapStoredKey(kwk, crypto::KeyLabel{purpose, version}, key));
  stored.set_public_key(std::move(public_key));
  stored.set_created_unix_seconds(now);
  stored.set_retired_unix_seconds(retired);
  batch.Put(store::Space::kKeys, StorageKey(purpose, version), stored.SerializeAsString());
  return absl::OkStatus();
}

absl::StatusOr<IntakeKeyVersion> CopyIntake(const IntakeKeyVersion& entry) {
  IntakeKeyVersion copy;
  copy.version = entry.version;
  copy.created_unix_seconds = entry.created_unix_seconds;
  copy.retired_unix_seconds = entry.retired_unix_seconds;
  ASSIGN_OR_RETURN(copy.key_pair,
                   crypto::X25519KeyPair::FromSecretKey(SecretBytes::CopyFrom(std::string_view(
                       reinterpret_cast<const char*>(entry.key_pair.secret_key.RevealSecret()),
                       entry.key_pair.secret_key.size()))));
  return copy;
}

}  // namespace vault_keys_internal

using crypto::SecretBytes;
using policy::v1::Role;
using namespace vault_keys_internal;  // NOLINT: this file's own helpers

std::string VaultKeys::StoredKeyName(std::string_view purpose, uint32_t version) {
  return StorageKey(purpose, version);
}

absl::Status VaultKeys::StoreKey(store::Mutation& batch, std::string_view purpose,
                                 uint32_t version, const crypto::Ed25519KeyPair& pair,
                                 int64_t now) const {
  const KeyPtr kwk = key_wrapping_key();
  return AddKey(batch, *kwk, purpose, version, pair.secret_key, pair.public_key, now);
}

bool RoleHoldsKek(Role role) {
  return role != policy::v1::ROLE_UNSPECIFIED && !policy::IsNonReadingRole(role);
}

absl::StatusOr<std::unique_ptr<VaultKeys>> VaultKeys::LoadOrCreate(store::KvStore& store,
                                                                   const SecretBytes& master_key,
                                                                   int64_t now) {
  ASSIGN_OR_RETURN(SecretBytes kwk, crypto::DeriveKeyWrappingKey(master_key));
  // Keys are created only for a vault that has nothing at all: never "topped up". A vault with
  // data but a missing key was tampered with (deleting the identity key would otherwise pass it
  // off as new, skipping the policy-state check; deleting the audit key would orphan the log).
  auto any = [&](store::Space space) -> absl::StatusOr<bool> {
    bool found = false;
    RETURN_IF_ERROR(store.Scan(space, "", [&](std::string_view, std::string_view) {
      found = true;
      return false;
    }));
    return found;
  };
  ASSIGN_OR_RETURN(bool has_keys, any(store::Space::kKeys));
  std::unique_ptr<VaultKeys> keys(new VaultKeys());
  if (!has_keys) {
    for (store::Space space : {store::Space::kRecords, store::Space::kSections,
                               store::Space::kWraps, store::Space::kAudit,
                               store::Space::kFacts}) {
      ASSIGN_OR_RETURN(bool has_data, any(space));
      if (has_data) {
        return absl::DataLossError(absl::StrCat(
            "this vault holds data (", std::string(store::SpaceName(space)),
            ") but no keys: they were removed from storage; refusing to create new ones"));
      }
    }
    ASSIGN_OR_RETURN(auto head, store.Get(store::Space::kMeta, "audit/head"));
    if (head.has_value()) {
      return absl::DataLossError(
          "this vault has an audit log but no keys: they were removed from storage; refusing to "
          "create new ones");
    }
    RETURN_IF_ERROR(Create(store, kwk, now));
    keys->created_ = true;
  }
  auto ring = std::make_shared<KeyRing>();
  RETURN_IF_ERROR(keys->Load(store, kwk, *ring));
  keys->Publish(std::move(ring));
  {
    absl::MutexLock lock(&keys->mu_);
    keys->kwk_ = std::make_shared<const SecretBytes>(std::move(kwk));
  }
  for (int r = policy::v1::Role_MIN; r <= policy::v1::Role_MAX; ++r) {
    const auto role = static_cast<Role>(r);
    if (policy::v1::Role_IsValid(r) && RoleHoldsKek(role) && keys->CurrentRoleKek(role).key == nullptr) {
      return absl::DataLossError("the vault's key set is incomplete");
    }
  }
  return keys;
}

absl::Status VaultKeys::Create(store::KvStore& store, const SecretBytes& kwk, int64_t now) {
  store::Mutation batch;
  auto missing = [&](std::string_view purpose) -> absl::StatusOr<bool> {
    ASSIGN_OR_RETURN(auto existing, store.Get(store::Space::kKeys, StorageKey(purpose, 1)));
    return !existing.has_value();
  };
  for (int r = policy::v1::Role_MIN; r <= policy::v1::Role_MAX; ++r) {
    const auto role = static_cast<Role>(r);
    if (!policy::v1::Role_IsValid(r) || !RoleHoldsKek(role)) continue;
    const std::string purpose = absl::StrCat(std::string(kRoleKekPrefix), policy::RoleName(role));
    ASSIGN_OR_RETURN(bool add, missing(purpose));
    if (add) RETURN_IF_ERROR(AddKey(batch, kwk, purpose, 1, SecretBytes::Random(32), "", now));
  }
  for (std::string_view purpose : {kIdentityPurpose, kCheckpointPurpose, kReleasePurpose}) {
    ASSIGN_OR_RETURN(bool add, missing(purpose));
    if (!add) continue;
    crypto::Ed25519KeyPair pair = crypto::Ed25519KeyPair::Generate();
    RETURN_IF_ERROR(AddKey(batch, kwk, purpose, 1, pair.secret_key, pair.public_key, now));
  }
  ASSIGN_OR_RETURN(bool add_intake, missing(kIntakePurpose));
  if (add_intake) {
    crypto::X25519KeyPair intake = crypto::X25519KeyPair::Generate();
    RETURN_IF_ERROR(AddKey(batch, kwk, kIntakePurpose, 1, intake.secret_key, intake.public_key, now));
  }
  for (std::string_view purpose : {kMetadataPurpose, kIndexPurpose, kAuditPurpose}) {
    ASSIGN_OR_RETURN(bool add, missing(purpose));
    if (add) RETURN_IF_ERROR(AddKey(batch, kwk, purpose, 1, SecretBytes::Random(32), "", now));
  }
  if (batch.empty()) return absl::OkStatus();
  return store.Commit(batch);
}

absl::Status VaultKeys::Load(store::KvStore& store, const SecretBytes& kwk, KeyRing& ring) {
  absl::Status status;
  bool has_intake = false, has_metadata = false, has_index = false;
  std::map<uint32_t, IntakeKeyVersion> unsigned_intake;  // signed once the identity key is in
  RETURN_IF_ERROR(store.Scan(store::Space::kKeys, "", [&](std::string_view key,
                                                          std::string_view value) {
    absl::StatusOr<KeyEntry> parsed = ParseKeyEntry(key, value);
    if (!parsed.ok()) {
      status = parsed.status();
      return false;
    }
    const storage::v1::StoredKey& stored = parsed->stored;
    const uint32_t version = parsed->version;
    const std::string purpose(parsed->purpose);
    absl::StatusOr<SecretBytes> secret = Unwrap(kwk, purpose, version, stored);
    if (!secret.ok()) {
      status = secret.status();
      return false;
    }
    status = Adopt(purpose, version, stored, *std::move(secret), ring, unsigned_intake, has_intake,
                   has_metadata, has_index);
    return status.ok();
  }));
  RETURN_IF_ERROR(status);
  if (!has_intake || ring.identity.key == nullptr || !has_metadata || !has_index ||
      audit_key_.empty() || ring.checkpoint.key == nullptr || ring.release.key == nullptr) {
    return absl::DataLossError("the vault's key set is incomplete");
  }
  RETURN_IF_ERROR(LoadSigningKeyChains(store, ring));
  for (auto& [version, entry] : unsigned_intake) {
    ring.intake.emplace(version, SignedIntake(std::move(entry), *ring.identity.key));
  }
  return absl::OkStatus();
}

absl::Status VaultKeys::Adopt(const std::string& purpose, uint32_t version,
                              const storage::v1::StoredKey& stored, SecretBytes secret,
                              KeyRing& ring, std::map<uint32_t, IntakeKeyVersion>& unsigned_intake,
                              bool& has_intake, bool& has_metadata, bool& has_index) {
  if (absl::StartsWith(purpose, absl::string_view(kRoleKekPrefix.data(), kRoleKekPrefix.size()))) {
    Role role;
    if (!policy::v1::Role_Parse(absl::AsciiStrToUpper(purpose.substr(kRoleKekPrefix.size())),
                                &role)) {
      return absl::DataLossError("a stored role key names an unknown role");
    }
    ring.role_keks.emplace(std::make_pair(static_cast<int>(role), version),
                           std::make_shared<const SecretBytes>(std::move(secret)));
    ring.newest_role_kek_created =
        std::max(ring.newest_role_kek_created, stored.created_unix_seconds());
  } else if (SigningKey* signing = SigningKeyFor(ring, purpose); signing != nullptr) {
    // Only the newest version is kept (rotation deletes the old one in its own batch).
    if (version <= signing->version) return absl::OkStatus();
    ASSIGN_OR_RETURN(crypto::Ed25519KeyPair pair,
                     crypto::Ed25519KeyPair::FromSecretKey(std::move(secret)));
    if (pair.public_key != stored.public_key()) {
      return absl::DataLossError("a stored signing key does not match its public key");
    }
    *signing =
        SigningKey{version, std::make_shared<const crypto::Ed25519KeyPair>(std::move(pair)), {}};
  } else if (purpose == kIntakePurpose) {
    IntakeKeyVersion entry;
    entry.version = version;
    entry.created_unix_seconds = stored.created_unix_seconds();
    entry.retired_unix_seconds = stored.retired_unix_seconds();
    ASSIGN_OR_RETURN(entry.key_pair, crypto::X25519KeyPair::FromSecretKey(std::move(secret)));
    unsigned_intake.emplace(version, std::move(entry));
    has_intake = true;
  } else if (purpose == kMetadataPurpose) {
    metadata_key_ = std::move(secret);
    has_metadata = true;
  } else if (purpose == kIndexPurpose) {
    index_key_ = std::move(secret);
    has_index = true;
  } else if (purpose == kAuditPurpose) {
    audit_key_ = std::move(secret);
  } else if (purpose == kBackupEpochPurpose) {
    // Backup epoch keys come and go while the vault runs (BackupEpochs owns them): they open
    // here only to prove they belong to this master key, and are no part of the complete set.
  } else {
    return absl::DataLossError("a stored key has an unknown purpose");
  }
  return absl::OkStatus();
}

std::shared_ptr<const IntakeKeyVersion> VaultKeys::SignedIntake(
    IntakeKeyVersion entry, const crypto::Ed25519KeyPair& identity) {
  entry.signature = crypto::Sign(
      identity, IntakeKeySigningBytes(entry.version, entry.key_pair.public_key,
                                       entry.created_unix_seconds));
  return std::make_shared<const IntakeKeyVersion>(std::move(entry));
}

std::shared_ptr<const VaultKeys::KeyRing> VaultKeys::ring() const {
  absl::MutexLock lock(&mu_);
  return ring_;
}

void VaultKeys::Publish(std::shared_ptr<const KeyRing> ring) {
  std::shared_ptr<const KeyRing> old;
  absl::MutexLock lock(&mu_);
  old = std::move(ring_);
  ring_ = std::move(ring);
}

VaultKeys::RoleKek VaultKeys::CurrentRoleKek(Role role) const {
  std::shared_ptr<const KeyRing> keys = ring();
  auto it = keys->role_keks.lower_bound(std::make_pair(static_cast<int>(role) + 1, 0u));
  if (it == keys->role_keks.begin()) return {};
  --it;
  if (it->first.first != static_cast<int>(role)) return {};
  return {it->first.second, it->second};
}

VaultKeys::KeyPtr VaultKeys::RoleKekVersion(Role role, uint32_t version) const {
  std::shared_ptr<const KeyRing> keys = ring();
  auto it = keys->role_keks.find(std::make_pair(static_cast<int>(role), version));
  return it == keys->role_keks.end() ? nullptr : it->second;
}

std::vector<uint32_t> VaultKeys::RoleKekVersions(Role role) const {
  std::shared_ptr<const KeyRing> keys = ring();
  std::vector<uint32_t> versions;
  for (auto it = keys->role_keks.lower_bound(std::make_pair(static_cast<int>(role), 0u));
       it != keys->role_keks.end() && it->first.first == static_cast<int>(role); ++it) {
    versions.push_back(it->first.second);
  }
  return versions;
}

std::shared_ptr<const IntakeKeyVersion> VaultKeys::current_intake() const {
  return ring()->intake.rbegin()->second;
}

std::shared_ptr<const IntakeKeyVersion> VaultKeys::intake(uint32_t version) const {
  std::shared_ptr<const KeyRing> keys = ring();
  auto it = keys->intake.find(version);
  return it == keys->intake.end() ? nullptr : it->second;
}

}  // namespace confidant::server
