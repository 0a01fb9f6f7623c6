// OperatorService::RequestRevision: a custodian asks for a new version of a released catalogue
// table. Nothing is computed here: the release job computes it at its next pass (so no one
// chooses the moment of the computation), charged to the period's year like any release.
#include <string>

#include "absl/strings/str_cat.h"
#include "base/status_macros.h"
#include "server/call.h"
#include "server/operator_service.h"
#include "server/release_store.h"
#include "server/reporting/release_engine.h"

namespace confidant::server {

grpc::Status OperatorServiceImpl::RequestRevision(grpc::ServerContext* context,
                                                  const v1::RequestRevisionRequest* request,
                                                  v1::RequestRevisionResponse* response) {
  return Serve(context, *request, "RequestRevision", policy::Action::kOperateVault,
               [&](Call& call) -> absl::Status {
    call.event.set_action("release_revision_requested");
    RETURN_IF_ERROR(BeginEvenIfSealed(state_, *context, call));
    RETURN_IF_ERROR(Authorize(call, policy::Action::kOperateVault));
    if (call.vault == nullptr) {
      return absl::FailedPreconditionError("the vault is sealed; unseal it first");
    }
    if (request->reason().empty() || request->reason().size() > 500) {
      return absl::InvalidArgumentError("reason: required, at most 500 bytes");
    }
    const policy::v1::CatalogueTable* table =
        call.authorizer->policy().catalogue().FindTable(request->table_id());
    if (table == nullptr) return absl::InvalidArgumentError("table_id: not in the catalogue");
    absl::StatusOr<reporting::PeriodId> period = reporting::ParsePeriod(request->period());
    if (!period.ok() || (period->quarter == 0) != (table->period() == policy::v1::YEAR)) {
      return absl::InvalidArgumentError(
          "period: YYYYQn for a quarterly table, YYYY for an annual one");
    }
    call.event.set_reason(request->reason());  // stored only inside the encrypted entry
    call.event.set_detail(absl::StrCat("table ", table->id(), " period ", request->period()));
    ReleaseStore releases(state_.store());
    ASSIGN_OR_RETURN(auto newest, releases.FindVersion(table->id(), request->period(), 0));
    if (!newest.has_value()) {
      return absl::FailedPreconditionError("that period is not released yet; nothing to revise");
    }
    // One request at a time: two custodians asking at once must not both be told it is queued.
    static absl::Mutex requests_mu(absl::kConstInit);
    absl::MutexLock lock(&requests_mu);
    const std::string key = RevisionRequestKey(table->id(), request->period());
    ASSIGN_OR_RETURN(std::optional<std::string> pending, state_.store().Get(store::Space::kMeta, key));
    if (pending.has_value()) {
      return absl::AlreadyExistsError("a revision of that release is already pending");
    }
    store::Mutation mutation;
    mutation.Put(store::Space::kMeta, key, call.decision.person_id);
    RETURN_IF_ERROR(RecordAllowed(call, std::move(mutation)).status());  // request + entry
    response->set_released_version(newest->first);
    return absl::OkStatus();
  });
}

}  // namespace confidant::server
