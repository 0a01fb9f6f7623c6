// VaultKeys: rotation of the role keys and the intake key pair, and destruction of old versions
// (the fixed keys' loading and creation are in vault_keys.cc, signing keys in
// vault_signing_keys.cc, re-keying in vault_keys_rekey.cc).
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "base/status_macros.h"
#include "policy/policy.h"
#include "server/vault_keys.h"
#include "server/vault_keys_internal.h"

namespace confidant::server {

using crypto::SecretBytes;
using policy::v1::Role;
using namespace vault_keys_internal;  // NOLINT: the keys space's naming and storage

std::vector<uint32_t> VaultKeys::ExpiredIntake(const KeyRing& ring, int64_t now,
                                               store::Mutation& batch) {
  std::vector<uint32_t> expired;
  const uint32_t current = ring.intake.rbegin()->first;
  for (const auto& [version, entry] : ring.intake) {
    if (version == current || entry->retired_unix_seconds == 0) continue;
    if (now < entry->retired_unix_seconds + kIntakeGraceSeconds) continue;
    batch.Delete(store::Space::kKeys, StorageKey(kIntakePurpose, version));
    expired.push_back(version);
  }
  return expired;
}

absl::StatusOr<VaultKeys::Rotation> VaultKeys::Rotate(int64_t now, std::string_view origin,
                                                      const RotateCommitFn& commit) {
  absl::MutexLock change(&change_mu_);
  std::shared_ptr<const KeyRing> old = ring();
  auto next = std::make_shared<KeyRing>(*old);
  next->newest_role_kek_created = now;
  const KeyPtr kwk_holder = key_wrapping_key();
  const SecretBytes& kwk = *kwk_holder;
  store::Mutation batch;
  Rotation rotation;
  for (int r = policy::v1::Role_MIN; r <= policy::v1::Role_MAX; ++r) {
    const auto role = static_cast<Role>(r);
    if (!policy::v1::Role_IsValid(r) || !RoleHoldsKek(role)) continue;
    const uint32_t version = CurrentRoleKek(role).version + 1;
    const std::string purpose = absl::StrCat(std::string(kRoleKekPrefix), policy::RoleName(role));
    SecretBytes kek = SecretBytes::Random(32);
    RETURN_IF_ERROR(AddKey(batch, kwk, purpose, version, kek, "", now));
    next->role_keks[std::make_pair(r, version)] = std::make_shared<const SecretBytes>(std::move(kek));
    rotation.role_keks.emplace_back(role, version);
  }
  // The current intake key is retired now: stored again with its retirement time.
  const IntakeKeyVersion& previous = *old->intake.rbegin()->second;
  RETURN_IF_ERROR(AddKey(batch, kwk, kIntakePurpose, previous.version,
                         previous.key_pair.secret_key, previous.key_pair.public_key,
                         previous.created_unix_seconds, now));
  IntakeKeyVersion retired;
  retired.version = previous.version;
  retired.created_unix_seconds = previous.created_unix_seconds;
  retired.retired_unix_seconds = now;
  ASSIGN_OR_RETURN(retired.key_pair,
                   crypto::X25519KeyPair::FromSecretKey(SecretBytes::CopyFrom(std::string_view(
                       reinterpret_cast<const char*>(previous.key_pair.secret_key.RevealSecret()),
                       previous.key_pair.secret_key.size()))));
  auto checkpoint_note = std::make_shared<std::string>();
  RETURN_IF_ERROR(RotateSigningKeys(now, origin, *next, batch, rotation, checkpoint_note));
  next->intake[previous.version] = SignedIntake(std::move(retired), *next->identity.key);
  IntakeKeyVersion fresh;
  fresh.version = previous.version + 1;
  fresh.created_unix_seconds = now;
  fresh.key_pair = crypto::X25519KeyPair::Generate();
  RETURN_IF_ERROR(AddKey(batch, kwk, kIntakePurpose, fresh.version, fresh.key_pair.secret_key,
                         fresh.key_pair.public_key, now));
  rotation.intake_version = fresh.version;
  rotation.retired_intake_version = previous.version;
  next->intake[fresh.version] = SignedIntake(std::move(fresh), *next->identity.key);
  rotation.destroyed_intake_versions = ExpiredIntake(*old, now, batch);
  for (uint32_t version : rotation.destroyed_intake_versions) next->intake.erase(version);
  // Older retired intake keys stay valid within their grace: signed again by the new identity.
  for (auto& [version, entry] : next->intake) {
    if (version == previous.version || version == rotation.intake_version) continue;
    ASSIGN_OR_RETURN(IntakeKeyVersion copy, CopyIntake(*entry));
    entry = SignedIntake(std::move(copy), *next->identity.key);
  }
  RETURN_IF_ERROR(commit(std::move(batch), rotation));
  if (checkpoint_note->empty()) {
    return absl::InternalError("the checkpoint key change was committed without its statement");
  }
  next->checkpoint.transitions.push_back(*checkpoint_note);
  rotation.checkpoint_change = {};  // lets go of the old checkpoint key
  Publish(std::move(next));
  return rotation;
}

absl::StatusOr<std::vector<uint32_t>> VaultKeys::DestroyExpiredIntakeKeys(int64_t now,
                                                                          const CommitFn& commit) {
  absl::MutexLock change(&change_mu_);
  std::shared_ptr<const KeyRing> old = ring();
  store::Mutation batch;
  std::vector<uint32_t> expired = ExpiredIntake(*old, now, batch);
  if (expired.empty()) return expired;
  auto next = std::make_shared<KeyRing>(*old);
  for (uint32_t version : expired) next->intake.erase(version);
  RETURN_IF_ERROR(commit(std::move(batch)));
  Publish(std::move(next));
  return expired;
}

absl::Status VaultKeys::DestroyRoleKek(Role role, uint32_t version, const CommitFn& commit) {
  absl::MutexLock change(&change_mu_);
  std::shared_ptr<const KeyRing> old = ring();
  const auto key = std::make_pair(static_cast<int>(role), version);
  if (old->role_keks.find(key) == old->role_keks.end()) {
    return absl::NotFoundError("no such role key version");
  }
  if (CurrentRoleKek(role).version == version) {
    return absl::FailedPreconditionError("the current role key version is never destroyed");
  }
  store::Mutation batch;
  batch.Delete(store::Space::kKeys,
               StorageKey(absl::StrCat(std::string(kRoleKekPrefix), policy::RoleName(role)),
                          version));
  auto next = std::make_shared<KeyRing>(*old);
  next->role_keks.erase(key);
  RETURN_IF_ERROR(commit(std::move(batch)));
  Publish(std::move(next));
  return absl::OkStatus();
}

}  // namespace confidant::server
