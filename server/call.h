// One RPC's view of its caller, its access decision and its audit entry, shared by every
// service. Every call that reaches a handler with a readable certificate and an open vault
// produces exactly one audit entry (or joins a merged count of identical denials).
#ifndef CONFIDANT_SERVER_CALL_H_
#define CONFIDANT_SERVER_CALL_H_

#include <functional>
#include <memory>
#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "confidant/v1/audit.pb.h"
#include "google/protobuf/message.h"
#include "grpcpp/server_context.h"
#include "grpcpp/support/status.h"
#include "policy/authorizer.h"
#include "server/vault_state.h"

namespace confidant::server {

struct Call {
  std::string principal;
  const policy::v1::Person* person = nullptr;  // in `authorizer`'s policy, which the call holds
  std::shared_ptr<OpenVault> vault;
  std::shared_ptr<const policy::Authorizer> authorizer;
  policy::Decision decision;
  v1::AuditEvent event;   // filled as the call proceeds
  bool recorded = false;  // the entry is durable
  // Calls served while sealed (operator calls): where the entry waits for the log to open.
  VaultState* held_by = nullptr;
  bool over_budget = false;  // refused by the call budget: merged over kOverBudgetMergeSeconds
  // The request as received; Begin refuses it if it carries unknown fields.
  const google::protobuf::Message* request = nullptr;
};

// Calls refused past a caller's call budget are counted in one flagged entry per caller per
// this many seconds (the first is written at once).
inline constexpr int64_t kOverBudgetMergeSeconds = 3600;

// Converts an internal status to the status a client sees. Codes pass through; messages of
// INTERNAL, UNKNOWN and UNAVAILABLE (which may carry storage detail) are replaced by fixed text.
grpc::Status ToGrpcStatus(const absl::Status& status);

// Authenticates the peer certificate (UNAUTHENTICATED, not audited: there is no principal),
// refuses while sealed (FAILED_PRECONDITION), refuses while the wall clock reads earlier than
// the audit log's last entry (FAILED_PRECONDITION; not audited, since no entry could be written
// in order: one operational warning line instead), and refuses principals the policy does not
// know (UNAUTHENTICATED, audited).
absl::Status Begin(VaultState& state, grpc::ServerContext& context, Call& call);

// FAILED_PRECONDITION while the wall clock reads earlier than `log`'s last entry (and one
// operational warning line, "clock_behind_audit_log"). Begin runs it for every data call.
absl::Status CheckClockNotBehindLog(const audit::AuditLog& log);

// Like Begin, but for calls served while the vault is sealed (OperatorService): `call.vault` is
// set only if the vault is open, and otherwise the call's audit entry is held in `state` until
// the log opens again. UNAUTHENTICATED as Begin.
absl::Status BeginEvenIfSealed(VaultState& state, grpc::ServerContext& context, Call& call);

// Not a valid person id: an approver's call that concerns no one request yet (listing, or
// before a request is loaded) passes it as requester_person_id; self-approval is then decided
// per request, once loaded.
inline constexpr std::string_view kAnyRequester = "(any requester)";

// Decides `action` (on `record`, when it concerns one) at the current time; PERMISSION_DENIED
// "denied by policy (RULE)" unless allowed, followed by policy::DenialHint (the purposes the
// caller's roles may state; the break-glass command for a read outside scope). Fills the event. An allowed get, list, submit or amend is
// charged to the person's quota (call.vault->quotas); past it, RESOURCE_EXHAUSTED with a denied,
// flagged event whose rule names the limit ("deny:quota/reads_per_hour"). `break_glass` (a grant
// for kGetRecord outside scope) and `requester_person_id` (kApproveBreakGlass) are borrowed for
// the call only.
absl::Status Authorize(Call& call, policy::Action action,
                       policy::v1::Purpose purpose = policy::v1::PURPOSE_UNSPECIFIED,
                       const policy::RecordFacts* record = nullptr,
                       const policy::BreakGlassGrant* break_glass = nullptr,
                       std::string_view requester_person_id = {});

// Charges one call to the call budget of `person` (or, for a certificate the policy does not
// know, of "unknown PRINCIPAL" with the default limits). Past the budget, RESOURCE_EXHAUSTED
// saying when the next call is allowed, and `event` becomes the flagged denial
// "call_budget_exceeded" with rule "deny:quota/LIMIT". Used by every handler (Begin) and by
// server/malformed_request_interceptor.cc for requests that never reach one.
absl::Status ChargeCallBudget(QuotaTracker& quotas, const policy::Policy& policy,
                              const policy::v1::Person* person, const std::string& principal,
                              v1::AuditEvent& event);

// Refuses an otherwise allowed call as over a limit: the decision and event become a flagged
// denial with rule "deny:quota/LIMIT", and the status RESOURCE_EXHAUSTED `message`.
absl::Status RefuseOverLimit(Call& call, std::string_view limit, const std::string& message);

// For a call naming a record that does not exist: decides `action` without a record. Only a
// person whose roles could act on records learns that it does not exist (NOT_FOUND, audited as
// allowed with rule "allow:grant-but-no-such-record"); anyone else gets the policy's refusal.
absl::Status RefuseMissingRecord(Call& call, policy::Action action,
                                 policy::v1::Purpose purpose = policy::v1::PURPOSE_UNSPECIFIED);

// Writes the call's entry as allowed, with `data` in the same synced batch, and returns once it
// is durable. Handlers call it before releasing data; Serve calls it for the rest.
absl::StatusOr<audit::AuditLog::Committed> RecordAllowed(Call& call, store::Mutation data = {});

// RecordAllowed for a call that also changes the checkpoint key (key rotation): the entry's batch
// carries `change` (AuditLog::AppendWithKeyChange).
absl::StatusOr<audit::AuditLog::Committed> RecordAllowedWithKeyChange(
    Call& call, store::Mutation data, audit::CheckpointKeyChange change);

// Runs `body` for `request`, audits the call if the body did not (a failure becomes a denial
// entry), fails closed (UNAVAILABLE) if an allowed call cannot be audited, logs one operational
// line, and converts the status. Begin and BeginEvenIfSealed refuse a request that carries
// fields this build does not know (INVALID_ARGUMENT, audited).
grpc::Status Serve(grpc::ServerContext* context, const google::protobuf::Message& request,
                   std::string_view method, policy::Action action,
                   const std::function<absl::Status(Call&)>& body);

}  // namespace confidant::server

#endif  // CONFIDANT_SERVER_CALL_H_
