#include "server/call.h"

#include <string>
#include <utility>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "base/log.h"
#include "base/status_macros.h"
#include "crypto/random.h"
#include "policy/denial_hint.h"
#include "policy/policy.h"
#include "proto/unknown_fields.h"
#include "server/clock.h"
#include "server/peer_identity.h"

namespace confidant::server {

grpc::Status ToGrpcStatus(const absl::Status& status) {
  std::string message(status.message());
  switch (status.code()) {
    case absl::StatusCode::kInternal:
    case absl::StatusCode::kUnknown:
      message = "internal error";
      break;
    case absl::StatusCode::kUnavailable:
      message = "the vault cannot reach its storage or audit log; try again later";
      break;
    default:
      break;
  }
  return grpc::Status(static_cast<grpc::StatusCode>(status.code()), message);
}

// The entry time is read first: an entry committed by another call in between carries a clock
// reading taken before ours, so a clock that did not go back always passes.
absl::Status CheckClockNotBehindLog(const audit::AuditLog& log) {
  const int64_t last_entry = log.LastEntryMicros();
  const int64_t now = WallMicros();
  if (now >= last_entry) return absl::OkStatus();
  LogEvent(LogLevel::kWarning, "clock_behind_audit_log",
           {{"behind_seconds", absl::StrCat((last_entry - now) / 1000000)}});
  return absl::FailedPreconditionError(
      "the system clock reads earlier than the vault's last audit entry; refusing to serve until "
      "it is corrected");
}

absl::Status ChargeCallBudget(QuotaTracker& quotas, const policy::Policy& policy,
                              const policy::v1::Person* person, const std::string& principal,
                              v1::AuditEvent& event) {
  const std::string charged =
      person != nullptr ? person->id() : absl::StrCat("unknown ", principal);
  const policy::Quota quota = person != nullptr ? policy.QuotaFor(*person) : policy::Quota{};
  std::string limit;
  absl::Status charged_ok =
      quotas.Charge(charged, QuotaTracker::Kind::kCall, quota, WallSeconds(), &limit);
  if (charged_ok.ok()) return charged_ok;
  event.set_action("call_budget_exceeded");
  event.set_decision(v1::DENY);
  event.set_rule(absl::StrCat("deny:quota/", limit));
  event.set_flagged(true);
  return charged_ok;
}

namespace {

// Every call charges its caller's call budget, whatever its outcome (issue 13, item 3). Past
// the budget the call is refused before anything else, and Serve counts it in one flagged entry
// per caller and hour (kOverBudgetMergeSeconds) instead of an entry per call.
absl::Status ChargeCall(Call& call) {
  absl::Status charged = ChargeCallBudget(call.vault->quotas, call.authorizer->policy(),
                                          call.person, call.principal, call.event);
  call.over_budget = !charged.ok();
  return charged;
}

}  // namespace

namespace {

// A request carrying fields this build does not know is refused (and audited as a denial) before
// a handler reads it, so nothing it carries is stored or served (issue 13, item 7).
absl::Status CheckRequestFields(const Call& call) {
  if (call.request == nullptr) return absl::OkStatus();
  return RejectUnknownFields(*call.request, "request");
}

}  // namespace

absl::Status Begin(VaultState& state, grpc::ServerContext& context, Call& call) {
  ASSIGN_OR_RETURN(call.principal, AuthenticatedPrincipal(context));
  ASSIGN_OR_RETURN(std::shared_ptr<OpenVault> vault, state.Open());
  RETURN_IF_ERROR(CheckClockNotBehindLog(*vault->log));
  call.vault = std::move(vault);
  call.authorizer = state.authorizer();
  call.event.set_principal(call.principal);
  call.person = call.authorizer->policy().FindPerson(call.principal);
  RETURN_IF_ERROR(ChargeCall(call));
  if (call.person == nullptr) {
    call.event.set_decision(v1::DENY);
    call.event.set_rule("deny:unknown-principal");
    return absl::UnauthenticatedError("this certificate's principal is not in the policy");
  }
  return CheckRequestFields(call);
}

absl::Status BeginEvenIfSealed(VaultState& state, grpc::ServerContext& context, Call& call) {
  ASSIGN_OR_RETURN(call.principal, AuthenticatedPrincipal(context));
  call.held_by = &state;
  absl::StatusOr<std::shared_ptr<OpenVault>> open = state.Open();
  if (open.ok()) call.vault = *std::move(open);
  call.authorizer = state.authorizer();
  call.event.set_principal(call.principal);
  call.person = call.authorizer->policy().FindPerson(call.principal);
  // Sealed, there is no tracker (it lives in the open vault) and the few operator calls that
  // work sealed are custodian-only; open, they cost the call budget like any other.
  if (call.vault != nullptr) RETURN_IF_ERROR(ChargeCall(call));
  if (call.person == nullptr) {
    call.event.set_decision(v1::DENY);
    call.event.set_rule("deny:unknown-principal");
    return absl::UnauthenticatedError("this certificate's principal is not in the policy");
  }
  return CheckRequestFields(call);
}

namespace {

// Quotas (issue 4): charges an allowed read (get or list) or write (submit or amend) to the
// person's quota in the policy in force. Past it, the call becomes a flagged denial naming the
// limit, e.g. "deny:quota/reads_per_hour", and fails with RESOURCE_EXHAUSTED.
absl::Status ChargeQuota(Call& call, policy::Action action, int64_t now) {
  QuotaTracker::Kind kind;
  switch (action) {
    case policy::Action::kGetRecord:
    case policy::Action::kListRecords:
    case policy::Action::kReadReports:  // each call is a synced audit entry: not unlimited
      kind = QuotaTracker::Kind::kRead;
      break;
    case policy::Action::kSubmitRecord:
    case policy::Action::kAmendRecord:
      kind = QuotaTracker::Kind::kSubmission;
      break;
    default:
      return absl::OkStatus();
  }
  const policy::Policy& policy = call.authorizer->policy();
  const policy::v1::Person* person = policy.FindPersonById(call.decision.person_id);
  if (person == nullptr) return absl::InternalError("an allowed decision names no person");
  std::string limit;
  absl::Status charged =
      call.vault->quotas.Charge(person->id(), kind, policy.QuotaFor(*person), now, &limit);
  if (charged.ok()) return charged;
  return RefuseOverLimit(call, limit, std::string(charged.message()));
}

}  // namespace

absl::Status RefuseOverLimit(Call& call, std::string_view limit, const std::string& message) {
  call.decision.outcome = policy::Decision::Outcome::kDeny;
  call.decision.rule = absl::StrCat("deny:quota/", std::string(limit));
  call.event.set_rule(call.decision.rule);
  call.event.set_decision(v1::DENY);
  call.event.set_flagged(true);
  return absl::ResourceExhaustedError(message);
}

absl::Status Authorize(Call& call, policy::Action action, policy::v1::Purpose purpose,
                       const policy::RecordFacts* record,
                       const policy::BreakGlassGrant* break_glass,
                       std::string_view requester_person_id) {
  policy::AccessRequest request;
  request.principal = call.principal;
  request.action = action;
  request.purpose = purpose;
  request.record = record;
  request.break_glass = break_glass;
  request.requester_person_id = requester_person_id;
  request.now_unix_seconds = WallSeconds();
  call.decision = call.authorizer->Decide(request);
  call.event.set_rule(call.decision.rule);
  if (call.decision.role != policy::v1::ROLE_UNSPECIFIED) {
    call.event.set_role(policy::RoleName(call.decision.role));
  }
  if (call.decision.allowed()) {
    call.event.set_decision(v1::ALLOW);
    return ChargeQuota(call, action, request.now_unix_seconds);
  }
  call.event.set_decision(v1::DENY);
  // The entry says which roles the refused person holds (the decision names none when no
  // role's grant applied), so an auditor reading it is not left with "role -".
  if (call.event.role().empty() && call.person != nullptr && call.person->roles_size() > 0) {
    std::vector<std::string> roles;
    for (int role : call.person->roles()) {
      roles.emplace_back(policy::RoleName(static_cast<policy::v1::Role>(role)));
    }
    call.event.set_role(absl::StrJoin(roles, "+"));
  }
  if (call.decision.outcome == policy::Decision::Outcome::kUnknownPrincipal) {
    return absl::UnauthenticatedError("this certificate's principal is not in the policy");
  }
  // The rule, and what the caller could do instead, from their own grants only.
  return absl::PermissionDeniedError(absl::StrCat(
      "denied by policy (", call.decision.rule, ")",
      call.person == nullptr ? ""
                             : policy::DenialHint(call.authorizer->policy(), *call.person, action,
                                                  call.decision.rule)));
}

absl::Status RefuseMissingRecord(Call& call, policy::Action action, policy::v1::Purpose purpose) {
  absl::Status refused = Authorize(call, action, purpose);
  if (call.decision.rule != "deny:record-required") return refused;
  call.event.set_decision(v1::ALLOW);
  call.event.set_rule("allow:grant-but-no-such-record");
  // A read of an id that does not exist is a read: it costs the reads quota like any other.
  if (call.person != nullptr) {
    call.decision.person_id = call.person->id();
    RETURN_IF_ERROR(ChargeQuota(call, action, WallSeconds()));
  }
  return absl::NotFoundError("no such record");
}

absl::StatusOr<audit::AuditLog::Committed> RecordAllowed(Call& call, store::Mutation data) {
  call.event.set_decision(v1::ALLOW);
  call.event.set_status_code("OK");
  ASSIGN_OR_RETURN(audit::AuditLog::Committed committed,
                   call.vault->recorder.Record(call.event, std::move(data)));
  call.recorded = true;
  return committed;
}

absl::StatusOr<audit::AuditLog::Committed> RecordAllowedWithKeyChange(
    Call& call, store::Mutation data, audit::CheckpointKeyChange change) {
  call.event.set_decision(v1::ALLOW);
  call.event.set_status_code("OK");
  ASSIGN_OR_RETURN(audit::AuditLog::Committed committed,
                   call.vault->log->AppendWithKeyChange(call.event, std::move(data),
                                                        std::move(change)));
  call.recorded = true;
  return committed;
}

namespace {

// The entry of a call that failed with `status`.
void MarkFailed(const absl::Status& status, v1::AuditEvent& event) {
  // A call that failed disclosed nothing and created nothing, whatever it had gathered.
  event.clear_sections_disclosed();
  if (event.action() == "submit_record") event.clear_record_ids();
  // Refused input is a denial even where the policy allowed the action; other failures (not
  // found, data loss, unavailable, a state that does not allow it) keep the policy's decision.
  const absl::StatusCode code = status.code();
  const bool refused = code == absl::StatusCode::kInvalidArgument ||
                       code == absl::StatusCode::kPermissionDenied ||
                       code == absl::StatusCode::kAlreadyExists ||
                       code == absl::StatusCode::kUnauthenticated ||
                       code == absl::StatusCode::kResourceExhausted;
  if (event.decision() != v1::DENY &&
      (refused || event.decision() == v1::AUDIT_DECISION_UNSPECIFIED)) {
    event.set_decision(v1::DENY);
    event.set_rule(absl::StrCat("deny:invalid/", absl::StatusCodeToString(code)));
  }
}

}  // namespace

grpc::Status Serve(grpc::ServerContext* context, const google::protobuf::Message& request,
                   std::string_view method, policy::Action action,
                   const std::function<absl::Status(Call&)>& body) {
  Call call;
  call.request = &request;
  const std::string request_id = crypto::RandomHexId(8);
  context->AddTrailingMetadata("x-request-id", request_id);
  call.event.set_action(std::string(policy::ActionName(action)));
  call.event.set_request_id(request_id);
  call.event.set_client_address(context->peer());
  absl::Status status = body(call);
  if (!call.recorded && call.vault == nullptr && call.held_by != nullptr &&
      !call.principal.empty()) {
    // Served while sealed: the entry waits in memory for the log (see VaultState::Hold).
    if (status.ok()) {
      call.event.set_decision(v1::ALLOW);
    } else {
      MarkFailed(status, call.event);
    }
    call.event.set_status_code(absl::StatusCodeToString(status.code()));
    // The log stamps the entry when it is appended; keep when it really happened.
    call.event.set_detail(absl::StrCat(
        call.event.detail(), call.event.detail().empty() ? "" : "; ", "while sealed at ",
        absl::FormatTime("%Y-%m-%dT%H:%M:%SZ", absl::FromUnixMicros(WallMicros()),
                         absl::UTCTimeZone())));
    // Health probes poll: their held entries merge into one with a count.
    call.held_by->Hold(call.event, call.decision.allowed(),
                       action == policy::Action::kCheckHealth);
  } else if (!call.recorded && call.vault != nullptr) {
    absl::Status audited;
    if (status.ok() &&
        (call.event.action() == policy::ActionName(policy::Action::kReadCheckpoint) ||
         call.event.action() == policy::ActionName(policy::Action::kCheckHealth) ||
         absl::StartsWith(call.event.action(), "list_own_"))) {
      // Checkpoints, proofs, health checks and a person's own requests disclose nothing the
      // caller may not know: repeats merge, so no known principal can flood the log with them.
      call.event.set_status_code("OK");
      audited = call.vault->recorder.RecordMergeable(call.event);
    } else if (status.ok()) {
      audited = RecordAllowed(call).status();
      if (!audited.ok()) status = absl::UnavailableError("the audit log could not be written");
    } else {
      MarkFailed(status, call.event);
      call.event.set_status_code(absl::StatusCodeToString(status.code()));
      audited = call.vault->recorder.RecordMergeable(
          call.event, call.over_budget ? kOverBudgetMergeSeconds : kDenialMergeWindowSeconds);
    }
    if (!audited.ok()) LogEvent(LogLevel::kError, "audit_write_failed", {{"request_id", request_id}});
  } else if (call.vault == nullptr && status.code() == absl::StatusCode::kUnauthenticated) {
    LogEvent(LogLevel::kWarning, "unauthenticated_peer", {{"request_id", request_id}});
  }
  LogEvent(status.ok() ? LogLevel::kInfo : LogLevel::kWarning, "rpc",
           {{"method", method},
            {"request_id", request_id},
            {"code", absl::StatusCodeToString(status.code())}});
  if (status.code() == absl::StatusCode::kInternal ||
      status.code() == absl::StatusCode::kUnavailable ||
      status.code() == absl::StatusCode::kUnknown) {
    LogEvent(LogLevel::kError, "rpc_failure",
             {{"request_id", request_id},
              {"detail", std::string_view(status.message().data(), status.message().size())}});
  }
  return ToGrpcStatus(status);
}

}  // namespace confidant::server
