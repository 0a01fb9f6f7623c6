#include "server/vault_state.h"

#include <algorithm>

#include "base/log.h"
#include "base/status_macros.h"

namespace confidant::server {

absl::Status VaultState::Unseal(const crypto::SecretBytes& master_key,
                                const BeforeOpen& before_open) {
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
  auto vault = std::make_shared<OpenVault>(std::move(keys), std::move(log), witnesses_,
                                           witness_tls_, *store_, clock_, authorizer_,
                                           escrow_.get());
  // The calls answered while sealed go first, in the order they came.
  for (v1::AuditEvent& event : held_) RETURN_IF_ERROR(vault->recorder.Record(std::move(event)).status());
  if (held_dropped_ > 0) {
    v1::AuditEvent event;
    event.set_action("held_entries_dropped");
    event.set_decision(v1::DENY);
    event.set_rule("vault:held-while-sealed");
    event.set_status_code("RESOURCE_EXHAUSTED");
    event.set_count(static_cast<uint32_t>(held_dropped_));
    event.set_flagged(true);
    RETURN_IF_ERROR(vault->recorder.Record(std::move(event)).status());
  }
  held_.clear();
  held_dropped_ = held_allowed_ = held_refused_ = 0;
  if (before_open) {
    ASSIGN_OR_RETURN(std::shared_ptr<const policy::Authorizer> authorizer, before_open(*vault));
    if (authorizer != nullptr) {
      authorizer_ = authorizer;
      vault->request_timer.SetAuthorizer(authorizer);
      vault->rewrapper.SetAuthorizer(authorizer);
      vault->retention_timer.SetAuthorizer(authorizer);
      vault->rotation_timer.SetAuthorizer(authorizer);
      vault->release_job.SetAuthorizer(std::move(authorizer));
    }
  }
  open_ = std::move(vault);
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

void VaultState::Hold(v1::AuditEvent event, bool allowed_by_policy, bool mergeable) {
  absl::MutexLock lock(&mu_);
  if (mergeable) {
    for (v1::AuditEvent& held : held_) {
      if (held.action() == event.action() && held.principal() == event.principal() &&
          held.rule() == event.rule() && held.status_code() == event.status_code() &&
          held.decision() == event.decision()) {
        held.set_count(std::max<uint32_t>(held.count(), 1) + 1);
        return;
      }
    }
  }
  size_t& kept = allowed_by_policy ? held_allowed_ : held_refused_;
  if (kept >= (allowed_by_policy ? kMaxHeldEvents : kMaxHeldRefusals)) {
    ++held_dropped_;
    return;
  }
  ++kept;
  held_.push_back(std::move(event));
}


VaultState::~VaultState() {
  absl::MutexLock lock(&mu_);
  open_.reset();  // flushes merged denials and stops the log before the store closes
}

absl::StatusOr<std::shared_ptr<OpenVault>> VaultState::Open() const {
  absl::MutexLock lock(&mu_);
  if (open_ == nullptr) {
    return absl::FailedPreconditionError(
        "the vault is sealed (locked): nothing can be read or stored until its custodians "
        "unseal it; contact them. Records submitted meanwhile wait, encrypted, in the "
        "submitter's outbox");
  }
  return open_;
}

void VaultState::SetAuthorizer(std::shared_ptr<const policy::Authorizer> authorizer) {
  absl::MutexLock lock(&mu_);
  if (open_ != nullptr) {
    open_->request_timer.SetAuthorizer(authorizer);
    open_->retention_timer.SetAuthorizer(authorizer);
    open_->rotation_timer.SetAuthorizer(authorizer);
    open_->release_job.SetAuthorizer(authorizer);
    open_->rewrapper.SetAuthorizer(authorizer);
  }
  authorizer_ = std::move(authorizer);
}

std::shared_ptr<const policy::Authorizer> VaultState::authorizer() const {
  absl::MutexLock lock(&mu_);
  return authorizer_;
}

}  // namespace confidant::server
