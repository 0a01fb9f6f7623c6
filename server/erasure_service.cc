// RecordService's early-erasure RPCs: a person in scope asks for a record to be crypto-shredded
// before its retention ends, and a different person (an approver) approves or rejects. One
// insider can never destroy a record alone. Approval shreds at once (server/shredder.h), with a
// disposal receipt naming the request, the requester and the approver.
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "policy/policy.h"
#include "base/status_macros.h"
#include "proto/display_text.h"
#include "proto/record_validation.h"
#include "server/break_glass_store.h"
#include "server/erasure_store.h"
#include "server/call.h"
#include "server/clock.h"
#include "server/record_service.h"
#include "server/request_paging.h"
#include "server/request_state.h"

namespace confidant::server {
namespace {

using policy::Action;

// At approval, the requester must still be allowed to ask for this record under the policy in
// force (still a person, still valid, still holding the grant, the record still in scope).
absl::Status RequesterStillMayAsk(const Call& call, const storage::v1::ErasureRequest& stored) {
  const policy::v1::Person* requester =
      call.authorizer->policy().FindPersonById(stored.requester_person_id());
  if (requester == nullptr || requester->certificates_size() == 0) {
    return absl::FailedPreconditionError("the requester is no longer in the policy");
  }
  ASSIGN_OR_RETURN(std::optional<policy::RecordFacts> facts,
                   call.vault->records.Facts(stored.record_id()));
  if (!facts.has_value()) return absl::OkStatus();  // already gone: approving shreds nothing
  policy::AccessRequest ask;
  ask.principal = requester->certificates(0);
  ask.action = Action::kRequestErasure;
  ask.record = &*facts;
  ask.now_unix_seconds = WallSeconds();
  const policy::Decision d = call.authorizer->Decide(ask);
  if (!d.allowed()) {
    return absl::FailedPreconditionError(absl::StrCat(
        "the requester may no longer ask to erase this record (", d.rule, ")"));
  }
  return absl::OkStatus();
}

// The open-request limits (server/request_paging.h): per person, then for the vault.
absl::Status AdmitErasureRequest(Call& call, const std::vector<storage::v1::ErasureRequest>& all,
                                 std::string_view record_id, int64_t ttl, int64_t now) {
  OpenRequests open;
  for (const storage::v1::ErasureRequest& r : all) {
    if (!ErasureRequestOpen(r, ttl, now)) continue;
    ++open.all;
    if (r.requester_person_id() != call.decision.person_id) continue;
    ++open.own;
    if (r.record_id() == record_id) {  // one open request per person and record
      return absl::FailedPreconditionError(absl::StrCat(
          "you already have an open erasure request for this record (", r.id(),
          "): it waits for an approver"));
    }
  }
  return AdmitOpenRequest(call, "erasure", open, kMaxOpenErasureRequestsPerPerson,
                          kMaxOpenErasureRequests);
}

}  // namespace

grpc::Status RecordServiceImpl::RequestErasure(grpc::ServerContext* context,
                                               const v1::RequestErasureRequest* request,
                                               v1::RequestErasureResponse* response) {
  return Serve(context, *request, "RequestErasure", Action::kRequestErasure, [&](Call& call) -> absl::Status {
    RETURN_IF_ERROR(Begin(state_, *context, call));
    RETURN_IF_ERROR(ValidateRecordId(request->record_id()));
    call.event.add_record_ids(request->record_id());
    if (request->reason().empty()) return absl::InvalidArgumentError("reason: required");
    if (request->reason().size() > kMaxReasonBytes) {
      return absl::InvalidArgumentError("reason: longer than 500 bytes");
    }
    RETURN_IF_ERROR(CheckDisplayText("reason", request->reason()));  // shown to others
    call.event.set_reason(request->reason());  // stored only inside the encrypted entry
    ASSIGN_OR_RETURN(std::optional<policy::RecordFacts> facts,
                     call.vault->records.Facts(request->record_id()));
    if (!facts.has_value()) return RefuseMissingRecord(call, Action::kRequestErasure);
    RETURN_IF_ERROR(Authorize(call, Action::kRequestErasure, policy::v1::PURPOSE_UNSPECIFIED,
                              &*facts));
    const int64_t now = WallSeconds();
    const int64_t ttl = call.authorizer->policy().erasure_request_seconds();
    storage::v1::ErasureRequest stored;
    stored.set_record_id(request->record_id());
    stored.set_requester_person_id(call.decision.person_id);
    stored.set_reason(request->reason());
    stored.set_created_unix_seconds(now);
    auto admit = [&](const std::vector<storage::v1::ErasureRequest>& all) -> absl::Status {
      return AdmitErasureRequest(call, all, request->record_id(), ttl, now);
    };
    RETURN_IF_ERROR(call.vault->erasure.Create(stored, admit, [&](store::Mutation mutation) {
      call.event.set_detail(absl::StrCat("erasure request ", stored.id()));
      return RecordAllowed(call, std::move(mutation)).status();  // request + entry
    }));
    response->set_request_id(stored.id());
    return absl::OkStatus();
  });
}

grpc::Status RecordServiceImpl::ListErasureRequests(grpc::ServerContext* context,
                                                    const v1::ListErasureRequestsRequest* request,
                                                    v1::ListErasureRequestsResponse* response) {
  // Approvers list the open requests of others; anyone lists their own, in every state.
  const bool mine = request->mine();
  const Action action = mine ? Action::kListOwnRequests : Action::kApproveErasure;
  return Serve(context, *request, "ListErasureRequests", action,
               [&](Call& call) -> absl::Status {
    call.event.set_action(mine ? "list_own_erasure_requests" : "list_erasure_requests");
    RETURN_IF_ERROR(Begin(state_, *context, call));
    RETURN_IF_ERROR(Authorize(call, action, policy::v1::PURPOSE_UNSPECIFIED, nullptr, nullptr,
                              kAnyRequester));
    ASSIGN_OR_RETURN(const RequestPage page,
                     ParseRequestPage(request->page_size(), request->page_token()));
    ASSIGN_OR_RETURN(std::vector<storage::v1::ErasureRequest> all, call.vault->erasure.All());
    const policy::Policy& policy = call.authorizer->policy();
    const int64_t now = WallSeconds();
    const int64_t ttl = policy.erasure_request_seconds();
    v1::ListErasureRequestsResponse listed;
    for (const storage::v1::ErasureRequest& r : all) {  // in id order
      if (!page.after_id.empty() && r.id() <= page.after_id) continue;
      const bool own = r.requester_person_id() == call.decision.person_id;
      if (mine ? !own : (own || !ErasureRequestOpen(r, ttl, now))) continue;
      if (static_cast<size_t>(listed.requests_size()) == page.size) {
        listed.set_next_page_token(listed.requests().rbegin()->request_id());
        break;
      }
      *listed.add_requests() = ErasureSummary(r, policy, now);
      call.event.add_record_ids(r.record_id());
    }
    call.event.set_detail(mine ? "own erasure requests" : "erasure list");
    // A person's own requests are merged by Serve (server/call.cc); others' are written first.
    if (!mine) RETURN_IF_ERROR(RecordAllowed(call).status());
    *response = std::move(listed);
    return absl::OkStatus();
  });
}

grpc::Status RecordServiceImpl::DecideErasure(grpc::ServerContext* context,
                                              const v1::DecideErasureRequest* request,
                                              v1::DecideErasureResponse* response) {
  return Serve(context, *request, "DecideErasure", Action::kApproveErasure, [&](Call& call) -> absl::Status {
    RETURN_IF_ERROR(Begin(state_, *context, call));
    RETURN_IF_ERROR(ValidateBreakGlassRequestId(request->request_id()));
    // Only approvers learn whether a request id exists.
    RETURN_IF_ERROR(Authorize(call, Action::kApproveErasure, policy::v1::PURPOSE_UNSPECIFIED,
                              nullptr, nullptr, kAnyRequester));
    return call.vault->erasure.Decide(
        request->request_id(),
        [&](storage::v1::ErasureRequest& stored) -> absl::Status {
          call.event.add_record_ids(stored.record_id());
          RETURN_IF_ERROR(Authorize(call, Action::kApproveErasure, policy::v1::PURPOSE_UNSPECIFIED,
                                    nullptr, nullptr, stored.requester_person_id()));
          if (!stored.decided_by().empty()) {
            return absl::FailedPreconditionError("this erasure request is already decided");
          }
          if (!ErasureRequestOpen(stored, call.authorizer->policy().erasure_request_seconds(),
                                  WallSeconds())) {
            return absl::FailedPreconditionError(
                "this erasure request has expired: the requester may ask again");
          }
          if (request->approve()) RETURN_IF_ERROR(RequesterStillMayAsk(call, stored));
          response->set_record_id(stored.record_id());
          stored.set_decided_by(call.decision.person_id);
          stored.set_approved(request->approve());
          stored.set_decided_unix_seconds(WallSeconds());
          call.event.set_detail(absl::StrCat(
              request->approve() ? "erasure approved " : "erasure rejected ", stored.id()));
          if (!request->approve()) return absl::OkStatus();
          // Shred first (its receipt names the request, requester and approver); the decision
          // is stored after. If storing it fails, the record is gone and the request stays open:
          // approving it again shreds nothing more and closes it.
          ShredOrder order;
          order.rule = "vault:erasure-approved";
          order.why = absl::StrCat("early erasure ", stored.id(), " requested by ",
                                   stored.requester_person_id(), ", approved by ",
                                   call.decision.person_id);
          order.principal = call.principal;
          order.role = policy::RoleName(call.decision.role);
          order.requested_by = absl::StrCat("person ", call.decision.person_id);
          ASSIGN_OR_RETURN(std::vector<std::string> shredded,
                           call.vault->shredder.Shred({stored.record_id()}, order));
          response->set_shredded(!shredded.empty());
          // The reason is staff text about the detainee: it goes with the record (it stays in
          // the encrypted audit entry of the request).
          stored.clear_reason();
          return absl::OkStatus();
        },
        [&](store::Mutation mutation) -> absl::Status {
          return RecordAllowed(call, std::move(mutation)).status();  // decision + entry
        });
  });
}

}  // namespace confidant::server
