// VaultKeys: the key-wrapping key and re-keying under a new master key (a re-share).
#include <string>
#include <utility>

#include "absl/strings/numbers.h"
#include "base/status_macros.h"
#include "crypto/key_hierarchy.h"
#include "server/vault_keys.h"
#include "server/vault_keys_internal.h"

namespace confidant::server {

VaultKeys::KeyPtr VaultKeys::key_wrapping_key() const {
  absl::MutexLock lock(&mu_);
  return kwk_;
}

int64_t VaultKeys::NewestRoleKekCreatedUnixSeconds() const {
  return ring()->newest_role_kek_created;
}

absl::StatusOr<size_t> VaultKeys::Rekey(store::KvStore& store,
                                        const crypto::SecretBytes& current_master,
                                        const crypto::SecretBytes& new_master,
                                        const CommitFn& commit) {
  absl::MutexLock change(&change_mu_);
  const KeyPtr current = key_wrapping_key();
  ASSIGN_OR_RETURN(crypto::SecretBytes presented, crypto::DeriveKeyWrappingKey(current_master));
  if (!presented.ConstantTimeEquals(*current)) {
    return absl::DataLossError(
        "the shares recombine to a master key that is not the one in use; nothing was changed");
  }
  ASSIGN_OR_RETURN(crypto::SecretBytes fresh, crypto::DeriveKeyWrappingKey(new_master));
  store::Mutation batch;
  size_t count = 0;
  absl::Status status;
  RETURN_IF_ERROR(store.Scan(store::Space::kKeys, "", [&](std::string_view key,
                                                          std::string_view value) {
    absl::StatusOr<vault_keys_internal::KeyEntry> entry =
        vault_keys_internal::ParseKeyEntry(key, value);
    if (!entry.ok()) {
      status = entry.status();
      return false;
    }
    storage::v1::StoredKey& stored = entry->stored;
    const crypto::KeyLabel label{entry->purpose, entry->version};
    absl::StatusOr<crypto::SecretBytes> secret =
        crypto::UnwrapStoredKey(*current, label, stored.wrapped());
    if (!secret.ok()) {
      status = absl::DataLossError("stored keys do not open under this master key");
      return false;
    }
    absl::StatusOr<std::string> wrapped = crypto::WrapStoredKey(fresh, label, *secret);
    if (!wrapped.ok()) {
      status = wrapped.status();
      return false;
    }
    *stored.mutable_wrapped() = *std::move(wrapped);
    batch.Put(store::Space::kKeys, std::string(key), stored.SerializeAsString());
    ++count;
    return true;
  }));
  RETURN_IF_ERROR(status);
  RETURN_IF_ERROR(commit(std::move(batch)));
  auto next = std::make_shared<const crypto::SecretBytes>(std::move(fresh));
  KeyPtr old;
  absl::MutexLock lock(&mu_);
  old = std::exchange(kwk_, std::move(next));
  return count;
}

}  // namespace confidant::server
