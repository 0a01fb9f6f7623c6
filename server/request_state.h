// Where a two-person request (break-glass, early erasure) stands under the policy in force, and
// its summary as listed to approvers and to the person who filed it
// (RecordService.List{BreakGlass,Erasure}Requests, proto/confidant/v1/record_service.proto).
#ifndef CONFIDANT_SERVER_REQUEST_STATE_H_
#define CONFIDANT_SERVER_REQUEST_STATE_H_

#include <cstdint>

#include "confidant/v1/record_service.pb.h"
#include "policy/policy.h"
#include "server/store/storage.pb.h"

namespace confidant::server {

// The approvals a break-glass request needs under `policy` (at least 1).
uint32_t BreakGlassApprovalsNeeded(const policy::Policy& policy);

// True once a break-glass request has waited unanswered longer than the policy lets it (whether
// or not the timer has closed it yet): it can no longer be listed, decided or granted.
bool BreakGlassRequestExpired(const storage::v1::BreakGlassRequest& request,
                              const policy::Policy& policy, int64_t now);

// True while `request` waits for approvals: not rejected, not yet granted, not expired.
bool BreakGlassAwaitingDecision(const storage::v1::BreakGlassRequest& request,
                                const policy::Policy& policy, int64_t now);

// The summary of `request` at `now`, with its state and expiry.
v1::BreakGlassRequestSummary BreakGlassSummary(const storage::v1::BreakGlassRequest& request,
                                               const policy::Policy& policy, int64_t now);
v1::ErasureRequestSummary ErasureSummary(const storage::v1::ErasureRequest& request,
                                         const policy::Policy& policy, int64_t now);

}  // namespace confidant::server

#endif  // CONFIDANT_SERVER_REQUEST_STATE_H_
