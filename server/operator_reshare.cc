// OperatorService: Reshare and ResetReshare, the re-key of the master key (see
// proto/confidant/v1/operator.proto).
#include <algorithm>
#include <string>
#include <utility>

#include "absl/strings/str_cat.h"
#include "base/log.h"
#include "base/status_macros.h"
#include "server/call.h"
#include "server/clock.h"
#include "server/operator_service.h"

namespace confidant::server {
namespace {

constexpr size_t kMaxShareTextBytes = 256;

// Authenticates, names the audit action, authorises the custodian, and needs an unsealed vault.
absl::Status BeginReshareCall(VaultState& state, grpc::ServerContext& context, Call& call,
                              std::string_view action) {
  call.event.set_action(std::string(action));
  RETURN_IF_ERROR(BeginEvenIfSealed(state, context, call));
  RETURN_IF_ERROR(Authorize(call, policy::Action::kOperateVault));
  if (call.vault == nullptr) {
    return absl::FailedPreconditionError(
        "the vault is sealed; a re-share needs an unsealed vault (unseal it first)");
  }
  return absl::OkStatus();
}

// Re-wraps every stored key under `new_master` and writes them with the new custody record and
// the call's "master_key_reshared" entry in one synced batch. Backup epoch keys are neither
// created nor destroyed meanwhile.
absl::Status CommitReshare(Call& call, store::KvStore& store, const crypto::SecretBytes& current,
                           const crypto::SecretBytes& fresh, store::Mutation custody,
                           const std::string& detail) {
  OpenVault& vault = *call.vault;
  return vault.backup_epochs.Exclusive([&]() -> absl::Status {
    return vault.keys
        ->Rekey(store, current, fresh,
                [&](store::Mutation keys) -> absl::Status {
                  call.event.set_action("master_key_reshared");
                  call.event.set_detail(
                      absl::StrCat(detail, "; ", keys.ops().size(), " stored keys re-wrapped"));
                  for (const store::Mutation::Op& op : custody.ops()) {
                    keys.Put(op.space, op.key, *op.value);
                  }
                  return RecordAllowed(call, std::move(keys)).status();
                })
        .status();
  });
}

}  // namespace

grpc::Status OperatorServiceImpl::Reshare(grpc::ServerContext* context,
                                          const v1::ReshareRequest* request,
                                          v1::ReshareResponse* response) {
  return Serve(context, *request, "Reshare", policy::Action::kOperateVault, [&](Call& call) -> absl::Status {
    RETURN_IF_ERROR(BeginReshareCall(state_, *context, call, "master_key_reshare"));
    if (request->share().empty() || request->share().size() > kMaxShareTextBytes) {
      return absl::InvalidArgumentError("share: one current share in its text form is required");
    }
    const int threshold = static_cast<int>(std::min<uint32_t>(request->threshold(), 256));
    const int shares = static_cast<int>(std::min<uint32_t>(request->shares(), 256));
    absl::StatusOr<Custody::ReshareProgress> progress = custody_.AddReshareShare(
        request->share(), call.decision.person_id, threshold, shares, WallSeconds(),
        [&](const crypto::SecretBytes& current, const crypto::SecretBytes& fresh,
            store::Mutation custody, uint32_t old_set_id, uint32_t new_set_id) {
          const std::string detail = absl::StrCat(
              "share set ", crypto::ShareSetIdHex(new_set_id), " (", threshold, " of ", shares,
              " shares) replaces share set ", crypto::ShareSetIdHex(old_set_id));
          return CommitReshare(call, state_.store(), current, fresh, std::move(custody), detail);
        });
    if (!progress.ok()) {
      if (call.event.action() == "master_key_reshare") call.event.set_detail("share refused");
      return progress.status();
    }
    response->set_shares_received(progress->received);
    response->set_threshold(progress->needed);
    response->set_previous_share_set_id(progress->old_set_id_hex);
    if (progress->share_texts.empty()) {
      call.event.set_detail(absl::StrCat("share accepted, ", progress->received, " of ",
                                         progress->needed, " (new: ", threshold, " of ", shares,
                                         ")"));
      return absl::OkStatus();
    }
    // The old wraps leave the data files, so the old shares open no copy of the keys left there.
    if (absl::Status compacted = state_.store().CompactRange(store::Space::kKeys, "", "\xff");
        !compacted.ok()) {
      LogEvent(LogLevel::kWarning, "reshare_compaction_failed",
               {{"code", absl::StatusCodeToString(compacted.code())}});
    }
    response->set_share_set_id(progress->new_set_id_hex);
    for (const crypto::SecretBytes& text : progress->share_texts) {
      response->add_shares(
          std::string(reinterpret_cast<const char*>(text.RevealSecret()), text.size()));
    }
    return absl::OkStatus();
  });
}

grpc::Status OperatorServiceImpl::ResetReshare(grpc::ServerContext* context,
                                               const v1::ResetReshareRequest* request,
                                               v1::ReshareResponse* response) {
  return Serve(context, *request, "ResetReshare", policy::Action::kOperateVault,
               [&](Call& call) -> absl::Status {
                 RETURN_IF_ERROR(
                     BeginReshareCall(state_, *context, call, "master_key_reshare_reset"));
                 custody_.ResetReshare();
                 ASSIGN_OR_RETURN(CustodyStatus status, custody_.Status());
                 response->set_threshold(status.threshold);
                 response->set_previous_share_set_id(status.set_id_hex);
                 return absl::OkStatus();
               });
}

}  // namespace confidant::server
