#include "server/policy_service.h"

#include <algorithm>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "base/status_macros.h"
#include "policy/policy.h"
#include "proto/record_validation.h"
#include "server/call.h"
#include "server/break_glass_store.h"
#include "server/clock.h"

namespace confidant::server {
namespace {

using policy::Action;

absl::StatusOr<Action> ActionFromName(std::string_view name) {
  for (Action action : {Action::kGetIntakeKey, Action::kSubmitRecord, Action::kGetRecord,
                        Action::kListRecords, Action::kReadCheckpoint, Action::kReadAudit,
                        Action::kAmendRecord, Action::kRequestBreakGlass,
                        Action::kApproveBreakGlass, Action::kRecordConsent,
                        Action::kReloadPolicy, Action::kRequestErasure,
                        Action::kApproveErasure, Action::kLinkPersons,
                        Action::kReadReports, Action::kCheckHealth,
                        Action::kListOwnRequests, Action::kOperateVault}) {
    if (policy::ActionName(action) == name) return action;
  }
  return absl::InvalidArgumentError("action: unknown action name");
}

// The record a request names, as the policy sees it (NOT_FOUND if there is none).
absl::StatusOr<policy::RecordFacts> FactsOf(Call& call, const std::string& record_id) {
  RETURN_IF_ERROR(ValidateRecordId(record_id));
  call.event.add_record_ids(record_id);
  ASSIGN_OR_RETURN(std::optional<policy::RecordFacts> facts, call.vault->records.Facts(record_id));
  if (!facts.has_value()) return absl::NotFoundError("no such record");
  return *std::move(facts);
}

}  // namespace

grpc::Status PolicyServiceImpl::ReloadPolicy(grpc::ServerContext* context,
                                             const v1::ReloadPolicyRequest* request,
                                             v1::ReloadPolicyResponse* response) {
  return Serve(context, *request, "ReloadPolicy", Action::kReloadPolicy, [&](Call& call) -> absl::Status {
    RETURN_IF_ERROR(Begin(state_, *context, call));
    RETURN_IF_ERROR(Authorize(call, Action::kReloadPolicy));
    ASSIGN_OR_RETURN(LoadedPolicy loaded, reload_(call.principal));
    response->set_version(loaded.policy->version());
    response->set_blake2b256(loaded.hash_hex);
    call.event.set_detail(absl::StrCat("policy version ", loaded.policy->version(), " blake2b256 ",
                                       loaded.hash_hex));
    return absl::OkStatus();
  });
}

grpc::Status PolicyServiceImpl::ExplainDecision(grpc::ServerContext* context,
                                                const v1::ExplainDecisionRequest* request,
                                                v1::ExplainDecisionResponse* response) {
  return Serve(context, *request, "ExplainDecision", Action::kReadAudit, [&](Call& call) -> absl::Status {
    call.event.set_action("explain_decision");
    RETURN_IF_ERROR(Begin(state_, *context, call));
    RETURN_IF_ERROR(Authorize(call, Action::kReadAudit));
    ASSIGN_OR_RETURN(Action action, ActionFromName(request->action()));
    const policy::v1::Person* person =
        call.authorizer->policy().FindPersonById(request->person_id());
    if (person == nullptr || person->certificates_size() == 0) {
      return absl::NotFoundError("person_id: no such person in the policy in force");
    }
    std::optional<policy::RecordFacts> facts;
    if (!request->record_id().empty()) {
      ASSIGN_OR_RETURN(facts, FactsOf(call, request->record_id()));
    }
    policy::AccessRequest access;
    access.principal = person->certificates(0);
    access.action = action;
    access.purpose = static_cast<policy::v1::Purpose>(request->purpose());
    access.record = facts.has_value() ? &*facts : nullptr;
    access.now_unix_seconds = WallSeconds();
    access.section = static_cast<policy::v1::Section>(request->section());
    const policy::Explanation explanation = call.authorizer->Explain(access);
    response->set_allowed(explanation.decision.allowed());
    response->set_rule(explanation.decision.rule);
    response->set_explanation(explanation.text);
    return absl::OkStatus();
  });
}

grpc::Status PolicyServiceImpl::WhoCan(grpc::ServerContext* context,
                                       const v1::WhoCanRequest* request,
                                       v1::WhoCanResponse* response) {
  return Serve(context, *request, "WhoCan", Action::kReadAudit, [&](Call& call) -> absl::Status {
    call.event.set_action("who_can");
    RETURN_IF_ERROR(Begin(state_, *context, call));
    RETURN_IF_ERROR(Authorize(call, Action::kReadAudit));
    ASSIGN_OR_RETURN(policy::RecordFacts facts, FactsOf(call, request->record_id()));
    // Persons reading through break-glass belong in the register too, while their grant lasts.
    const policy::Policy& policy = call.authorizer->policy();
    ASSIGN_OR_RETURN(std::vector<storage::v1::BreakGlassRequest> stored,
                     call.vault->break_glass.All());
    std::vector<policy::BreakGlassGrant> grants;
    for (const storage::v1::BreakGlassRequest& r : stored) {
      if (r.record_id() != facts.record_id ||
          !BreakGlassApproved(r, std::max<uint32_t>(1, policy.min_break_glass_approvals()))) {
        continue;
      }
      grants.push_back(ToGrant(r, call.vault->break_glass.SteadyDeadline(r.id()), SteadyMicros()));
    }
    for (const policy::WhoCanRead& who : call.authorizer->WhoCan(facts, WallSeconds(), grants)) {
      v1::WhoCanEntry* entry = response->add_entries();
      entry->set_section(static_cast<v1::Section>(who.section));
      entry->set_person_id(who.person_id);
      entry->set_display_name(who.display_name);
      entry->set_role(policy::RoleName(who.role));
      // Never the record's region, facility or consent history: those are need-to-know. The
      // scope says whether the person reads everywhere or by their region/facility scope, and
      // the purposes listed are those that need no consent.
      const bool break_glass = absl::StartsWith(who.scope_reason, "break-glass ");
      entry->set_scope_reason(who.scope_reason == "everywhere" ? "everywhere"
                              : break_glass                    ? who.scope_reason
                                                               : "within scope");
      const policy::v1::RoleGrant* role_grant = call.authorizer->policy().GrantFor(who.role);
      google::protobuf::RepeatedField<int> purposes;
      if (break_glass) {
        for (policy::v1::Purpose p : who.purposes) purposes.Add(p);
      } else if (role_grant != nullptr) {
        purposes = role_grant->purposes();
      }
      for (int p : purposes) {
        const auto purpose = static_cast<policy::v1::Purpose>(p);
        if (!call.authorizer->policy().RequiresConsent(purpose)) {
          entry->add_purposes(static_cast<v1::Purpose>(purpose));
        }
      }
    }
    return absl::OkStatus();
  });
}

}  // namespace confidant::server
