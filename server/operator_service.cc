#include "server/operator_service.h"

#include "server/restore.h"

#include <optional>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "base/status_macros.h"
#include "server/call.h"
#include "policy/policy.h"
#include "server/clock.h"
#include "server/restore.h"
#include "server/retention_timer.h"
#include "server/rotation_timer.h"

namespace confidant::server {
namespace {

using policy::Action;

constexpr size_t kMaxShareTextBytes = 256;

// Authenticates (sealed or not), names the call's audit action, and authorises the custodian.
absl::Status BeginOperator(VaultState& state, grpc::ServerContext& context, Call& call,
                           std::string_view action) {
  call.event.set_action(std::string(action));
  RETURN_IF_ERROR(BeginEvenIfSealed(state, context, call));
  return Authorize(call, Action::kOperateVault);
}

// "role keys: analyst v2, ...; intake v3 (v2 retired, grace 14 days); intake destroyed: v1".
std::string RotationDetail(const VaultKeys::Rotation& rotation) {
  std::vector<std::string> roles;
  for (const auto& [role, version] : rotation.role_keks) {
    roles.push_back(absl::StrCat(policy::RoleName(role), " v", version));
  }
  std::string detail = absl::StrCat("role keys: ", absl::StrJoin(roles, ", "), "; intake v",
                                    rotation.intake_version, " (v",
                                    rotation.retired_intake_version, " retired, grace ",
                                    kIntakeGraceSeconds / 86400, " days)");
  if (!rotation.destroyed_intake_versions.empty()) {
    absl::StrAppend(&detail, "; intake destroyed: v",
                    absl::StrJoin(rotation.destroyed_intake_versions, ", v"));
  }
  absl::StrAppend(&detail, "; identity v", rotation.identity_version, ", checkpoint v",
                  rotation.checkpoint_version, ", release v", rotation.release_version,
                  " (each signed by the old key, old private keys destroyed)");
  return detail;
}

}  // namespace

absl::StatusOr<v1::VaultStatus> OperatorServiceImpl::CurrentStatus() const {
  ASSIGN_OR_RETURN(CustodyStatus custody, custody_.Status());
  v1::VaultStatus status;
  status.set_sealed(!state_.Open().ok());
  status.set_initialised(custody.initialised || custody.keyed_without_shares ||
                         !status.sealed());
  status.set_threshold(custody.threshold);
  status.set_shares(custody.shares);
  status.set_shares_received(custody.received);
  status.set_emergency(custody.emergency);
  status.set_share_set_id(custody.set_id_hex);
  if (absl::StatusOr<std::shared_ptr<OpenVault>> open = state_.Open(); open.ok()) {
    status.set_vault_public_key((*open)->keys->identity()->public_key);
  }
  if (control_.restore_progress) {
    const RestoreProgress restore = control_.restore_progress();
    status.set_restore_pending(restore.pending);
    status.set_restore_approvals(restore.approvals);
    status.set_restore_backup_epoch(restore.epoch);
  }
  return status;
}

grpc::Status OperatorServiceImpl::GetStatus(grpc::ServerContext* context,
                                            const v1::GetStatusRequest* request,
                                            v1::VaultStatus* response) {
  return Serve(context, *request, "GetStatus", Action::kOperateVault, [&](Call& call) -> absl::Status {
    RETURN_IF_ERROR(BeginOperator(state_, *context, call, "vault_status"));
    ASSIGN_OR_RETURN(*response, CurrentStatus());
    return absl::OkStatus();
  });
}

grpc::Status OperatorServiceImpl::Init(grpc::ServerContext* context, const v1::InitRequest* request,
                                       v1::InitResponse* response) {
  return Serve(context, *request, "Init", Action::kOperateVault, [&](Call& call) -> absl::Status {
    RETURN_IF_ERROR(BeginOperator(state_, *context, call, "vault_init"));
    if (request->shares() < 2 || request->shares() > 255 || request->threshold() < 2 ||
        request->threshold() > request->shares()) {
      return absl::InvalidArgumentError(
          "shares and threshold: need 2 <= threshold <= shares <= 255 (one person must never "
          "open the vault alone)");
    }
    if (call.vault != nullptr) return absl::FailedPreconditionError("this vault is initialised");
    call.event.set_detail(
        absl::StrCat("init ", request->threshold(), " of ", request->shares(), " shares"));
    ASSIGN_OR_RETURN(Custody::Initialised init,
                     custody_.Init(static_cast<int>(request->threshold()),
                                   static_cast<int>(request->shares()), WallSeconds()));
    absl::Status opened = control_.unseal(init.master_key, call.decision.person_id);
    if (!opened.ok()) {
      return absl::Status(opened.code(),
                          absl::StrCat("init could not open the new vault (",
                                       std::string(opened.message()),
                                       "); start again with an empty data directory"));
    }
    ASSIGN_OR_RETURN(call.vault, state_.Open());  // the entry goes to the new log at once
    ASSIGN_OR_RETURN(*response->mutable_status(), CurrentStatus());
    call.event.set_detail(absl::StrCat(call.event.detail(), ", share set ",
                                       response->status().share_set_id()));
    RETURN_IF_ERROR(RecordAllowed(call).status());  // no shares leave unless this is durable
    for (const crypto::SecretBytes& text : init.share_texts) {
      response->add_shares(std::string(reinterpret_cast<const char*>(text.RevealSecret()),
                                        text.size()));
    }
    return absl::OkStatus();
  });
}

grpc::Status OperatorServiceImpl::Unseal(grpc::ServerContext* context,
                                         const v1::UnsealRequest* request,
                                         v1::VaultStatus* response) {
  return Serve(context, *request, "Unseal", Action::kOperateVault, [&](Call& call) -> absl::Status {
    RETURN_IF_ERROR(BeginOperator(state_, *context, call, "vault_unseal"));
    if (call.vault != nullptr) return absl::FailedPreconditionError("the vault is not sealed");
    if (request->share().empty() || request->share().size() > kMaxShareTextBytes) {
      return absl::InvalidArgumentError("share: one share in its text form is required");
    }
    if (control_.restore_progress) {
      const RestoreProgress restore = control_.restore_progress();
      if (restore.pending && restore.approvals < kRestoreApprovalsNeeded) {
        return absl::FailedPreconditionError(absl::StrCat(
            "this server is restoring backup epoch ", restore.epoch, ": two custodians must "
            "approve (operator approve-restore) before shares are taken; ", restore.approvals,
            " so far"));
      }
    }
    absl::StatusOr<std::optional<crypto::SecretBytes>> master =
        custody_.AddShare(request->share(), call.decision.person_id);
    if (!master.ok()) {
      call.event.set_detail("share refused");
      return master.status();
    }
    if (!master->has_value()) {
      ASSIGN_OR_RETURN(*response, CurrentStatus());
      call.event.set_detail(absl::StrCat("share accepted, ", response->shares_received(), " of ",
                                         response->threshold()));
      return absl::OkStatus();
    }
    call.event.set_detail("threshold reached");
    absl::Status opened = control_.unseal(**master, call.decision.person_id);
    if (!opened.ok()) return opened;
    RETURN_IF_ERROR(custody_.SetEmergency(false));  // K custodians acted: the emergency is over
    ASSIGN_OR_RETURN(call.vault, state_.Open());  // this entry follows the held ones
    call.event.set_detail("threshold reached, vault unsealed");
    ASSIGN_OR_RETURN(*response, CurrentStatus());
    return absl::OkStatus();
  });
}

grpc::Status OperatorServiceImpl::ApproveRestore(grpc::ServerContext* context,
                                                 const v1::ApproveRestoreRequest* request,
                                                 v1::VaultStatus* response) {
  return Serve(context, *request, "ApproveRestore", Action::kOperateVault, [&](Call& call) -> absl::Status {
    RETURN_IF_ERROR(BeginOperator(state_, *context, call, "restore_approved"));
    if (!control_.approve_restore) return absl::FailedPreconditionError("no restore is pending");
    ASSIGN_OR_RETURN(const size_t approvals, control_.approve_restore(call.decision.person_id));
    call.event.set_detail(absl::StrCat("restore approval ", approvals, " of ",
                                       kRestoreApprovalsNeeded));
    ASSIGN_OR_RETURN(*response, CurrentStatus());
    return absl::OkStatus();
  });
}

grpc::Status OperatorServiceImpl::ResetUnseal(grpc::ServerContext* context,
                                              const v1::ResetUnsealRequest* request,
                                              v1::VaultStatus* response) {
  return Serve(context, *request, "ResetUnseal", Action::kOperateVault, [&](Call& call) -> absl::Status {
    RETURN_IF_ERROR(BeginOperator(state_, *context, call, "vault_unseal_reset"));
    custody_.Reset();
    ASSIGN_OR_RETURN(*response, CurrentStatus());
    return absl::OkStatus();
  });
}

grpc::Status OperatorServiceImpl::Seal(grpc::ServerContext* context, const v1::SealRequest* request,
                                       v1::VaultStatus* response) {
  return Serve(context, *request, "Seal", Action::kOperateVault, [&](Call& call) -> absl::Status {
    RETURN_IF_ERROR(BeginOperator(state_, *context, call, "vault_seal"));
    call.event.set_detail(request->emergency() ? "emergency seal" : "seal");
    if (call.vault == nullptr) {
      // Already sealed: an emergency (shares feared stolen) can still be declared.
      if (!request->emergency()) return absl::FailedPreconditionError("the vault is already sealed");
      RETURN_IF_ERROR(custody_.SetEmergency(true));
      call.event.set_detail("emergency declared while sealed");
      ASSIGN_OR_RETURN(*response, CurrentStatus());
      return absl::OkStatus();
    }
    // Audited before the keys go; a seal never waits on storage: the keys go first, then the
    // emergency flag is stored.
    absl::Status audited = RecordAllowed(call).status();
    custody_.Reset();
    custody_.ResetReshare();  // shares given towards a re-share are wiped too
    RETURN_IF_ERROR(control_.seal());
    call.vault.reset();  // the last holder: every key is wiped now
    absl::Status flagged = custody_.SetEmergency(request->emergency());
    ASSIGN_OR_RETURN(*response, CurrentStatus());
    if (absl::IsFailedPrecondition(flagged)) return flagged;  // a dev vault has no shares
    if (!flagged.ok()) {
      return absl::UnavailableError("sealed, but the emergency flag could not be stored");
    }
    return audited.ok() ? absl::OkStatus()
                        : absl::UnavailableError("sealed, but the seal could not be audited");
  });
}

grpc::Status OperatorServiceImpl::ShredExpired(grpc::ServerContext* context,
                                               const v1::ShredExpiredRequest* request,
                                               v1::ShredExpiredResponse* response) {
  return Serve(context, *request, "ShredExpired", Action::kOperateVault, [&](Call& call) -> absl::Status {
    RETURN_IF_ERROR(BeginOperator(state_, *context, call, "shred_expired"));
    if (call.vault == nullptr) {
      return absl::FailedPreconditionError("the vault is sealed; unseal it before shredding");
    }
    if (absl::Status clock = CheckClockNotBehindLog(*call.vault->log); !clock.ok()) {
      // No entry could be written in order: like Begin, the refusal goes to the operational log
      // only (the vault and the held queue are let go, so Serve writes no entry).
      call.vault.reset();
      call.held_by = nullptr;
      return clock;
    }
    const policy::Policy& policy = call.authorizer->policy();
    response->set_retention_days(static_cast<uint32_t>(policy.retention_days()));
    ASSIGN_OR_RETURN(RetentionPass pass,
                     RunRetentionPass(call.vault->shredder, policy, WallSeconds(),
                                      request->confirm(), call.principal,
                                      absl::StrCat("requested by person ",
                                                   call.decision.person_id)));
    if (pass.waiting_for_confirmation) {
      call.event.set_flagged(true);
      call.event.set_detail(absl::StrCat(pass.expired, " records past retention, more than ",
                                         pass.limit, "; waiting for confirmation"));
      return absl::FailedPreconditionError(absl::StrCat(
          pass.expired, " records are past retention (", policy.retention_days(),
          " days), more than max_shred_without_confirmation (", pass.limit,
          "); nothing was shredded: confirm to shred them (confidant operator shred --expired "
          "--confirm)"));
    }
    response->set_shredded(static_cast<uint32_t>(pass.shredded.size()));
    for (const std::string& id : pass.shredded) {
      response->add_record_ids(id);
      call.event.add_record_ids(id);
    }
    call.event.set_detail(absl::StrCat("shredded ", pass.shredded.size(),
                                       " records past retention (", policy.retention_days(),
                                       " days)", request->confirm() ? ", confirmed" : ""));
    return absl::OkStatus();
  });
}

grpc::Status OperatorServiceImpl::Rotate(grpc::ServerContext* context, const v1::RotateRequest* request,
                                         v1::RotateResponse* response) {
  return Serve(context, *request, "Rotate", Action::kOperateVault, [&](Call& call) -> absl::Status {
    RETURN_IF_ERROR(BeginOperator(state_, *context, call, "keys_rotated"));
    if (call.vault == nullptr) {
      return absl::FailedPreconditionError("the vault is sealed; unseal it before rotating keys");
    }
    const int64_t now = WallSeconds();
    // The entry names the new versions; it is written with the new keys in one synced batch.
    ASSIGN_OR_RETURN(VaultKeys::Rotation rotation,
                     call.vault->keys->Rotate(
                         now, call.vault->log->origin(),
                         [&](store::Mutation batch, const VaultKeys::Rotation& planned) {
                           call.event.set_detail(RotationDetail(planned));
                           return RecordAllowedWithKeyChange(call, std::move(batch),
                                                             planned.checkpoint_change)
                               .status();
                         }));
    CompactRotatedKeys(state_.store());
    for (const auto& [role, version] : rotation.role_keks) {
      v1::RoleKeyVersion* entry = response->add_role_keys();
      entry->set_role(policy::RoleName(role));
      entry->set_version(version);
    }
    response->set_intake_key_version(rotation.intake_version);
    response->set_retired_intake_key_version(rotation.retired_intake_version);
    response->set_intake_grace_until_unix_seconds(now + kIntakeGraceSeconds);
    for (uint32_t v : rotation.destroyed_intake_versions) {
      response->add_destroyed_intake_key_versions(v);
    }
    response->set_identity_key_version(rotation.identity_version);
    response->set_checkpoint_key_version(rotation.checkpoint_version);
    response->set_release_key_version(rotation.release_version);
    return absl::OkStatus();
  });
}

grpc::Status OperatorServiceImpl::Rewrap(grpc::ServerContext* context, const v1::RewrapRequest* request,
                                         v1::RewrapStatus* response) {
  return Serve(context, *request, "Rewrap", Action::kOperateVault, [&](Call& call) -> absl::Status {
    RETURN_IF_ERROR(BeginOperator(state_, *context, call, "rewrap_started"));
    if (call.vault == nullptr) {
      return absl::FailedPreconditionError("the vault is sealed; unseal it before rewrapping");
    }
    if (call.vault->rewrapper.Status().running()) {
      call.event.set_detail("already running");
    } else {
      RETURN_IF_ERROR(call.vault->rewrapper.Start([&](store::Mutation cursor) -> absl::Status {
        call.event.set_detail(cursor.empty() ? "resumed from the stored cursor" : "started");
        return RecordAllowed(call, std::move(cursor)).status();
      }));
    }
    *response = call.vault->rewrapper.Status();
    return absl::OkStatus();
  });
}

grpc::Status OperatorServiceImpl::GetRewrapStatus(grpc::ServerContext* context,
                                                  const v1::GetRewrapStatusRequest* request,
                                                  v1::RewrapStatus* response) {
  return Serve(context, *request, "GetRewrapStatus", Action::kOperateVault, [&](Call& call) -> absl::Status {
    RETURN_IF_ERROR(BeginOperator(state_, *context, call, "rewrap_status"));
    if (call.vault == nullptr) return absl::FailedPreconditionError("the vault is sealed");
    *response = call.vault->rewrapper.Status();
    return absl::OkStatus();
  });
}

}  // namespace confidant::server
