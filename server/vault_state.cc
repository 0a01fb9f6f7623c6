#include "server/vault_state.h"

#include "base/status_macros.h"

namespace confidant::server {

absl::Status VaultState::Unseal(const crypto::SecretBytes& master_key) {
  absl::MutexLock lock(&mu_);
  if (open_ != nullptr) return absl::FailedPreconditionError("the vault is already unsealed");
  ASSIGN_OR_RETURN(std::unique_ptr<VaultKeys> keys,
                   VaultKeys::LoadOrCreate(*store_, master_key, clock_()));
  open_ = std::make_shared<OpenVault>(std::move(keys), *store_, clock_);
  return absl::OkStatus();
}

absl::StatusOr<std::shared_ptr<OpenVault>> VaultState::Open() const {
  absl::MutexLock lock(&mu_);
  if (open_ == nullptr) return absl::FailedPreconditionError("the vault is sealed");
  return open_;
}

std::shared_ptr<const policy::Authorizer> VaultState::authorizer() const {
  absl::MutexLock lock(&mu_);
  return authorizer_;
}

}  // namespace confidant::server
