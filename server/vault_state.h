// VaultState: the vault's storage, policy and (once unsealed) keys, shared by the services.
#ifndef CONFIDANT_SERVER_VAULT_STATE_H_
#define CONFIDANT_SERVER_VAULT_STATE_H_

#include <memory>

#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "crypto/secret_bytes.h"
#include "policy/authorizer.h"
#include "server/record_vault.h"
#include "server/store/kv_store.h"
#include "server/vault_keys.h"

namespace confidant::server {

// The keys of an unsealed vault together with the RecordVault that borrows them.
struct OpenVault {
  OpenVault(std::unique_ptr<VaultKeys> k, store::KvStore& store, RecordVault::Clock clock)
      : keys(std::move(k)), records(store, *keys, std::move(clock)) {}
  std::unique_ptr<VaultKeys> keys;
  RecordVault records;
};

// Thread-safe. Starts sealed: no master key, no keys, every data RPC refused.
class VaultState {
 public:
  VaultState(std::unique_ptr<store::KvStore> store,
             std::shared_ptr<const policy::Authorizer> authorizer, RecordVault::Clock clock)
      : store_(std::move(store)), authorizer_(std::move(authorizer)), clock_(std::move(clock)) {}

  // Loads (or, for a new vault, creates) every key under `master_key`. DATA_LOSS for a wrong
  // master key; FAILED_PRECONDITION if already unsealed.
  absl::Status Unseal(const crypto::SecretBytes& master_key) ABSL_LOCKS_EXCLUDED(mu_);

  // The open vault, or FAILED_PRECONDITION "the vault is sealed". Callers hold the returned
  // pointer for one request; keys stay alive until the last holder lets go.
  absl::StatusOr<std::shared_ptr<OpenVault>> Open() const ABSL_LOCKS_EXCLUDED(mu_);

  std::shared_ptr<const policy::Authorizer> authorizer() const ABSL_LOCKS_EXCLUDED(mu_);
  store::KvStore& store() { return *store_; }

 private:
  std::unique_ptr<store::KvStore> store_;
  mutable absl::Mutex mu_;
  std::shared_ptr<const policy::Authorizer> authorizer_ ABSL_GUARDED_BY(mu_);
  std::shared_ptr<OpenVault> open_ ABSL_GUARDED_BY(mu_);
  RecordVault::Clock clock_;
};

}  // namespace confidant::server

#endif  // CONFIDANT_SERVER_VAULT_STATE_H_
