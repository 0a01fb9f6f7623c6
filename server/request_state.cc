#include "server/request_state.h"

#include <algorithm>

#include "server/erasure_store.h"

namespace confidant::server {

uint32_t BreakGlassApprovalsNeeded(const policy::Policy& policy) {
  return std::max<uint32_t>(1, policy.min_break_glass_approvals());
}

bool BreakGlassRequestExpired(const storage::v1::BreakGlassRequest& request,
                              const policy::Policy& policy, int64_t now) {
  return request.request_expired() ||
         now >= request.created_unix_seconds() + policy.break_glass_request_seconds();
}

bool BreakGlassAwaitingDecision(const storage::v1::BreakGlassRequest& request,
                                const policy::Policy& policy, int64_t now) {
  return request.rejected_by().empty() &&
         static_cast<uint32_t>(request.approvals_size()) < BreakGlassApprovalsNeeded(policy) &&
         request.expires_unix_seconds() == 0 && !BreakGlassRequestExpired(request, policy, now);
}

v1::BreakGlassRequestSummary BreakGlassSummary(const storage::v1::BreakGlassRequest& request,
                                               const policy::Policy& policy, int64_t now) {
  v1::BreakGlassRequestSummary summary;
  summary.set_request_id(request.id());
  summary.set_record_id(request.record_id());
  summary.set_requester_person_id(request.requester_person_id());
  summary.set_purpose(static_cast<v1::Purpose>(request.purpose()));
  summary.set_reason(request.reason());
  summary.set_created_unix_seconds(request.created_unix_seconds());
  summary.set_approvals(static_cast<uint32_t>(request.approvals_size()));
  summary.set_approvals_needed(BreakGlassApprovalsNeeded(policy));
  if (!request.rejected_by().empty()) {
    summary.set_state(v1::REQUEST_REJECTED);
  } else if (request.expires_unix_seconds() != 0) {  // granted: until the access ends
    summary.set_state(v1::REQUEST_APPROVED);
    summary.set_expires_unix_seconds(request.expires_unix_seconds());
  } else if (BreakGlassRequestExpired(request, policy, now)) {
    summary.set_state(v1::REQUEST_EXPIRED);
  } else {
    summary.set_state(v1::REQUEST_OPEN);
    summary.set_expires_unix_seconds(request.created_unix_seconds() +
                                     policy.break_glass_request_seconds());
  }
  return summary;
}

v1::ErasureRequestSummary ErasureSummary(const storage::v1::ErasureRequest& request,
                                         const policy::Policy& policy, int64_t now) {
  v1::ErasureRequestSummary summary;
  summary.set_request_id(request.id());
  summary.set_record_id(request.record_id());
  summary.set_requester_person_id(request.requester_person_id());
  summary.set_reason(request.reason());
  summary.set_created_unix_seconds(request.created_unix_seconds());
  const int64_t ttl = policy.erasure_request_seconds();
  if (!request.decided_by().empty()) {
    summary.set_state(request.approved() ? v1::REQUEST_APPROVED : v1::REQUEST_REJECTED);
  } else if (!ErasureRequestOpen(request, ttl, now)) {
    summary.set_state(v1::REQUEST_EXPIRED);
  } else {
    summary.set_state(v1::REQUEST_OPEN);
    summary.set_expires_unix_seconds(request.created_unix_seconds() + ttl);
  }
  return summary;
}

}  // namespace confidant::server
