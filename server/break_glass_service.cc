// RecordService's break-glass RPCs: request, list open requests, approve or reject. Each change
// is written in one synced batch with its audit entry; approvers never see record content.
#include <algorithm>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "base/status_macros.h"
#include "proto/display_text.h"
#include "proto/record_validation.h"
#include "server/break_glass_store.h"
#include "server/call.h"
#include "server/clock.h"
#include "server/record_service.h"
#include "server/request_paging.h"
#include "server/request_state.h"

namespace confidant::server {
namespace {

using policy::Action;

// Applies `person_id`'s decision to `request` at `now`. FAILED_PRECONDITION if it is no longer
// open, has expired, or this person already approved it.
absl::Status ApplyDecision(storage::v1::BreakGlassRequest& request, const std::string& person_id,
                           bool approve, const policy::Policy& policy, int64_t now) {
  const uint32_t needed = BreakGlassApprovalsNeeded(policy);
  if (!request.rejected_by().empty() || static_cast<uint32_t>(request.approvals_size()) >= needed ||
      request.expires_unix_seconds() > 0) {
    return absl::FailedPreconditionError("this break-glass request is no longer open");
  }
  if (BreakGlassRequestExpired(request, policy, now)) {
    return absl::FailedPreconditionError("this break-glass request has expired");
  }
  for (const std::string& approver : request.approvals()) {
    if (approver == person_id) {
      return absl::FailedPreconditionError("you already approved this break-glass request");
    }
  }
  if (!approve) {
    request.set_rejected_by(person_id);
    return absl::OkStatus();
  }
  request.add_approvals(person_id);
  if (static_cast<uint32_t>(request.approvals_size()) >= needed) {
    request.set_expires_unix_seconds(now + policy.break_glass_seconds());
  }
  return absl::OkStatus();
}

// The open-request limits (server/request_paging.h): per person, then for the vault.
absl::Status AdmitBreakGlassRequest(Call& call,
                                    const std::vector<storage::v1::BreakGlassRequest>& all,
                                    const storage::v1::BreakGlassRequest& asked, int64_t now) {
  const policy::Policy& policy = call.authorizer->policy();
  OpenRequests open;
  for (const storage::v1::BreakGlassRequest& r : all) {
    if (!BreakGlassAwaitingDecision(r, policy, now)) continue;
    ++open.all;
    if (r.requester_person_id() != call.decision.person_id) continue;
    ++open.own;
    if (r.record_id() == asked.record_id() && r.purpose() == asked.purpose()) {
      return absl::FailedPreconditionError(absl::StrCat(
          "you already have an open break-glass request for this record and purpose (", r.id(),
          "): it waits for approvers"));
    }
  }
  return AdmitOpenRequest(call, "break-glass", open, kMaxOpenBreakGlassRequestsPerPerson,
                          kMaxOpenBreakGlassRequests);
}

}  // namespace

grpc::Status RecordServiceImpl::RequestBreakGlass(grpc::ServerContext* context,
                                                  const v1::RequestBreakGlassRequest* request,
                                                  v1::RequestBreakGlassResponse* response) {
  return Serve(context, *request, "RequestBreakGlass", Action::kRequestBreakGlass,
               [&](Call& call) -> absl::Status {
    RETURN_IF_ERROR(Begin(state_, *context, call));
    RETURN_IF_ERROR(ValidateRecordId(request->record_id()));
    call.event.add_record_ids(request->record_id());
    if (request->purpose() == v1::PURPOSE_UNSPECIFIED || !v1::Purpose_IsValid(request->purpose())) {
      return absl::InvalidArgumentError("purpose: a known purpose code is required");
    }
    call.event.set_purpose(request->purpose());
    if (request->reason().empty()) return absl::InvalidArgumentError("reason: required");
    if (request->reason().size() > kMaxReasonBytes) {
      return absl::InvalidArgumentError("reason: longer than 500 bytes");
    }
    RETURN_IF_ERROR(CheckDisplayText("reason", request->reason()));  // shown to others
    call.event.set_reason(request->reason());  // stored only inside the encrypted entry
    const auto purpose = static_cast<policy::v1::Purpose>(request->purpose());
    ASSIGN_OR_RETURN(std::optional<policy::RecordFacts> facts,
                     call.vault->records.Facts(request->record_id()));
    RETURN_IF_ERROR(Authorize(call, Action::kRequestBreakGlass, purpose,
                              facts.has_value() ? &*facts : nullptr));
    if (!facts.has_value()) return absl::NotFoundError("no such record");
    if (call.authorizer->InScope(*call.person, *facts)) {
      return absl::FailedPreconditionError("this record is in your scope: read it directly");
    }
    const int64_t now = WallSeconds();
    storage::v1::BreakGlassRequest stored;
    stored.set_record_id(request->record_id());
    stored.set_requester_person_id(call.decision.person_id);
    stored.set_purpose(request->purpose());
    stored.set_reason(request->reason());
    stored.set_created_unix_seconds(now);
    auto admit = [&](const std::vector<storage::v1::BreakGlassRequest>& all) -> absl::Status {
      return AdmitBreakGlassRequest(call, all, stored, now);
    };
    RETURN_IF_ERROR(call.vault->break_glass.Create(stored, admit, [&](store::Mutation mutation) {
      call.event.set_detail(absl::StrCat("break-glass request ", stored.id()));
      return RecordAllowed(call, std::move(mutation)).status();  // request + entry
    }));
    response->set_request_id(stored.id());
    return absl::OkStatus();
  });
}

grpc::Status RecordServiceImpl::ListBreakGlassRequests(grpc::ServerContext* context,
                                                       const v1::ListBreakGlassRequestsRequest* request,
                                                       v1::ListBreakGlassRequestsResponse* response) {
  // Approvers list the open requests of others; anyone lists their own, in every state.
  const bool mine = request->mine();
  const Action action = mine ? Action::kListOwnRequests : Action::kApproveBreakGlass;
  return Serve(context, *request, "ListBreakGlassRequests", action,
               [&](Call& call) -> absl::Status {
    // Which list, in the entry (merged repeats of one never hide calls to the other).
    if (mine) call.event.set_action("list_own_break_glass_requests");
    RETURN_IF_ERROR(Begin(state_, *context, call));
    RETURN_IF_ERROR(Authorize(call, action, policy::v1::PURPOSE_UNSPECIFIED, nullptr, nullptr,
                              kAnyRequester));
    ASSIGN_OR_RETURN(const RequestPage page,
                     ParseRequestPage(request->page_size(), request->page_token()));
    ASSIGN_OR_RETURN(std::vector<storage::v1::BreakGlassRequest> all,
                     call.vault->break_glass.All());
    v1::ListBreakGlassRequestsResponse listed;
    const policy::Policy& policy = call.authorizer->policy();
    const int64_t now = WallSeconds();
    for (const storage::v1::BreakGlassRequest& r : all) {  // in id order
      if (!page.after_id.empty() && r.id() <= page.after_id) continue;
      const bool own = r.requester_person_id() == call.decision.person_id;
      if (mine ? !own : (own || !BreakGlassAwaitingDecision(r, policy, now))) continue;
      if (static_cast<size_t>(listed.requests_size()) == page.size) {
        listed.set_next_page_token(listed.requests().rbegin()->request_id());
        break;
      }
      *listed.add_requests() = BreakGlassSummary(r, policy, now);
      call.event.add_record_ids(r.record_id());
    }
    call.event.set_detail(mine ? "own break-glass requests" : "break-glass list");
    // A person's own requests are merged by Serve (server/call.cc); others' are written first.
    if (!mine) RETURN_IF_ERROR(RecordAllowed(call).status());
    *response = std::move(listed);
    return absl::OkStatus();
  });
}

grpc::Status RecordServiceImpl::DecideBreakGlass(grpc::ServerContext* context,
                                                 const v1::DecideBreakGlassRequest* request,
                                                 v1::DecideBreakGlassResponse* response) {
  return Serve(context, *request, "DecideBreakGlass", Action::kApproveBreakGlass,
               [&](Call& call) -> absl::Status {
    RETURN_IF_ERROR(Begin(state_, *context, call));
    RETURN_IF_ERROR(ValidateBreakGlassRequestId(request->request_id()));
    // Only approvers learn whether a request id exists.
    RETURN_IF_ERROR(Authorize(call, Action::kApproveBreakGlass, policy::v1::PURPOSE_UNSPECIFIED,
                              nullptr, nullptr, kAnyRequester));
    const policy::Policy& policy = call.authorizer->policy();
    int64_t steady_deadline = 0;  // of the grant, if this decision makes one
    return call.vault->break_glass.Decide(
        request->request_id(),
        [&](storage::v1::BreakGlassRequest& stored) -> absl::Status {
          call.event.add_record_ids(stored.record_id());
          call.event.set_purpose(static_cast<v1::Purpose>(stored.purpose()));
          RETURN_IF_ERROR(Authorize(call, Action::kApproveBreakGlass,
                                    policy::v1::PURPOSE_UNSPECIFIED, nullptr, nullptr,
                                    stored.requester_person_id()));
          steady_deadline = SteadyMicros() + policy.break_glass_seconds() * 1000000;
          RETURN_IF_ERROR(ApplyDecision(stored, call.decision.person_id, request->approve(),
                                        policy, WallSeconds()));
          response->set_granted(!stored.rejected_by().empty()
                                    ? false
                                    : stored.expires_unix_seconds() > 0);
          response->set_expires_unix_seconds(stored.expires_unix_seconds());
          response->set_record_id(stored.record_id());
          call.event.set_detail(absl::StrCat(request->approve() ? "break-glass approved "
                                                                : "break-glass rejected ",
                                             stored.id(),
                                             response->granted() ? " (granted)" : ""));
          return absl::OkStatus();
        },
        [&](store::Mutation mutation) -> absl::Status {
          RETURN_IF_ERROR(RecordAllowed(call, std::move(mutation)).status());  // decision + entry
          if (response->granted()) {
            call.vault->break_glass.RememberSteadyDeadline(request->request_id(), steady_deadline);
          }
          return absl::OkStatus();
        });
  });
}

}  // namespace confidant::server
