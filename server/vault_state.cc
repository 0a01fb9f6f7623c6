#include "server/vault_state.h"

#include "base/log.h"
#include "base/status_macros.h"

namespace confidant::server {

absl::Status VaultState::Unseal(const crypto::SecretBytes& master_key) {
  absl::MutexLock lock(&mu_);
  if (open_ != nullptr) return absl::FailedPreconditionError("the vault is already unsealed");
  ASSIGN_OR_RETURN(std::unique_ptr<VaultKeys> keys,
                   VaultKeys::LoadOrCreate(*store_, master_key, clock_() / 1000000));
  ASSIGN_OR_RETURN(std::unique_ptr<audit::AuditLog> log,
                   audit::AuditLog::Open(*store_, keys->audit_key(), keys->checkpoint_key(), clock_,
                                         [](uint64_t done, uint64_t total) {
                                           LogEvent(LogLevel::kInfo, "audit_verify_progress",
                                                    {{"done", std::to_string(done)},
                                                     {"total", std::to_string(total)}});
                                         }));
  open_ = std::make_shared<OpenVault>(std::move(keys), std::move(log), witnesses_, witness_tls_,
                                      *store_, clock_, authorizer_);
  return absl::OkStatus();
}

absl::Status VaultState::Seal() {
  std::shared_ptr<OpenVault> closing;
  {
    absl::MutexLock lock(&mu_);
    if (open_ == nullptr) return absl::FailedPreconditionError("the vault is already sealed");
    closing = std::move(open_);
  }
  closing.reset();  // outside the lock: flushing merged denials writes to the log
  return absl::OkStatus();
}

void VaultState::Hold(v1::AuditEvent event) {
  absl::MutexLock lock(&mu_);
  if (held_.size() >= kMaxHeldEvents) {
    ++held_dropped_;
    return;
  }
  held_.push_back(std::move(event));
}

std::pair<std::vector<v1::AuditEvent>, uint64_t> VaultState::TakeHeld() {
  absl::MutexLock lock(&mu_);
  std::pair<std::vector<v1::AuditEvent>, uint64_t> out(std::move(held_), held_dropped_);
  held_.clear();
  held_dropped_ = 0;
  return out;
}

VaultState::~VaultState() {
  absl::MutexLock lock(&mu_);
  open_.reset();  // flushes merged denials and stops the log before the store closes
}

absl::StatusOr<std::shared_ptr<OpenVault>> VaultState::Open() const {
  absl::MutexLock lock(&mu_);
  if (open_ == nullptr) return absl::FailedPreconditionError("the vault is sealed");
  return open_;
}

void VaultState::SetAuthorizer(std::shared_ptr<const policy::Authorizer> authorizer) {
  absl::MutexLock lock(&mu_);
  if (open_ != nullptr) {
    open_->break_glass_timer.SetAuthorizer(authorizer);
    open_->retention_timer.SetAuthorizer(authorizer);
  }
  authorizer_ = std::move(authorizer);
}

std::shared_ptr<const policy::Authorizer> VaultState::authorizer() const {
  absl::MutexLock lock(&mu_);
  return authorizer_;
}

}  // namespace confidant::server
