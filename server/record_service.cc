#include "server/record_service.h"

#include <algorithm>
#include <optional>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/time/time.h"

#include "base/status_macros.h"
#include "crypto/asymmetric.h"
#include "policy/facility_registry.h"
#include "proto/facility_registry_format.h"
#include "proto/receipt_format.h"
#include "proto/display_text.h"
#include "proto/record_validation.h"
#include "server/call.h"
#include "server/clock.h"
#include "server/request_state.h"

namespace confidant::server {

using policy::Action;

namespace {

// Writes a submission's or amendment's data with the call's audit entry in one synced batch and
// fills the response's signed receipt.
RecordVault::CommitFn CommitWithReceipt(Call& call) {
  return [&call](store::Mutation data, v1::SubmitRecordResponse& submitted,
                 std::string_view likely_duplicate_of) -> absl::Status {
    call.event.clear_record_ids();
    call.event.add_record_ids(submitted.record_id());
    call.event.set_detail(absl::StrCat(
        submitted.duplicate() ? "duplicate of version " : "stored version ",
        submitted.record_version(), likely_duplicate_of.empty() ? "" : "; likely duplicate of ",
        std::string(likely_duplicate_of),
        submitted.facility_dropped()
            ? "; facility dropped from the registry after the envelope's stated creation time, "
              "accepted within the grace"
            : ""));
    ASSIGN_OR_RETURN(audit::AuditLog::Committed committed, RecordAllowed(call, std::move(data)));
    submitted.set_audit_index(committed.index);
    *submitted.mutable_checkpoint() = committed.checkpoint;
    submitted.set_receipt_signature(crypto::Sign(
        *call.vault->keys->identity(),
        ReceiptSigningBytes(submitted.record_id(), submitted.envelope_hash(), committed.index,
                            committed.checkpoint.note())));
    return absl::OkStatus();
  };
}

// The policy's facility list and record classes, bound to the intake key version they are
// served with and signed by `identity` (the key that signed that intake key), so a client can
// check a record before sealing, offline too.
void FillFacilityRegistry(const policy::Policy& policy, uint32_t intake_key_version,
                          int64_t served_unix_seconds,
                          const crypto::Ed25519KeyPair& identity, v1::FacilityRegistry& registry) {
  registry.set_policy_version(policy.version());
  registry.set_intake_key_version(intake_key_version);
  registry.set_served_unix_seconds(served_unix_seconds);
  registry.set_lists_facilities(policy::DeclaresFacilityRegistry(policy.catalogue()));
  for (const policy::v1::Facility& facility : policy.catalogue().facilities) {
    v1::RegisteredFacility* entry = registry.add_facilities();
    entry->set_id(facility.id());
    entry->set_region(static_cast<v1::Region>(facility.region()));
  }
  for (const policy::v1::RetentionClass& c : policy.proto().settings().retention_classes()) {
    registry.add_record_classes(c.name());
  }
  registry.set_signature(crypto::Sign(identity, FacilityRegistrySigningBytes(registry)));
}

// A read refused for scope when the reader has asked for this record and purpose through
// break-glass: the refusal says where their newest such request stands (waiting, rejected or
// expired unanswered) rather than suggesting a new request. Only the caller's own request is
// named.
absl::StatusOr<absl::Status> WithOwnBreakGlass(Call& call, absl::Status refused,
                                               const std::string& record_id,
                                               v1::Purpose purpose) {
  ASSIGN_OR_RETURN(std::vector<storage::v1::BreakGlassRequest> all,
                   call.vault->break_glass.All());
  const policy::Policy& policy = call.authorizer->policy();
  const int64_t now = WallSeconds();
  std::optional<v1::BreakGlassRequestSummary> newest;
  for (const storage::v1::BreakGlassRequest& r : all) {
    if (r.requester_person_id() != call.decision.person_id || r.record_id() != record_id ||
        r.purpose() != static_cast<uint32_t>(purpose)) {
      continue;
    }
    v1::BreakGlassRequestSummary summary = BreakGlassSummary(r, policy, now);
    // A waiting request wins; otherwise the newest.
    if (!newest.has_value() || summary.state() == v1::REQUEST_OPEN ||
        (newest->state() != v1::REQUEST_OPEN &&
         summary.created_unix_seconds() >= newest->created_unix_seconds())) {
      newest = std::move(summary);
    }
  }
  if (!newest.has_value()) return refused;
  const std::string which = absl::StrCat("denied by policy (", call.decision.rule,
                                         "); your break-glass request ", newest->request_id(),
                                         " for this record and purpose ");
  switch (newest->state()) {
    case v1::REQUEST_OPEN:
      return absl::PermissionDeniedError(absl::StrCat(
          which, "waits for approvers (", newest->approvals(), " of ",
          newest->approvals_needed(), " approvals; it expires unanswered at ",
          absl::FormatTime("%Y-%m-%d %H:%M UTC",
                           absl::FromUnixSeconds(newest->expires_unix_seconds()),
                           absl::UTCTimeZone()),
          "): read again once it is approved. `confidant break-glass list --mine` shows where "
          "it stands"));
    case v1::REQUEST_REJECTED:
      return absl::PermissionDeniedError(absl::StrCat(
          which, "was rejected by an approver: speak to the approvers before asking again"));
    case v1::REQUEST_EXPIRED:
      return absl::PermissionDeniedError(absl::StrCat(
          which, "expired unanswered: if you still need the record, request again with "
                 "confidant break-glass request RECORD_ID --purpose P --reason TEXT"));
    default:
      return refused;  // approved: the grant check above decided
  }
}

}  // namespace

grpc::Status RecordServiceImpl::GetIntakeKey(grpc::ServerContext* context,
                                             const v1::GetIntakeKeyRequest* request,
                                             v1::IntakeKey* response) {
  return Serve(context, *request, "GetIntakeKey", Action::kGetIntakeKey, [&](Call& call) {
    RETURN_IF_ERROR(Begin(state_, *context, call));
    RETURN_IF_ERROR(Authorize(call, Action::kGetIntakeKey));
    // The intake key's signature and the identity chain from one published key ring.
    const auto [intake, identity] = call.vault->keys->CurrentIntakeAndIdentity();
    for (const std::string& note : identity.transitions) response->add_identity_transitions(note);
    response->set_version(intake->version);
    response->set_public_key(intake->key_pair.public_key);
    response->set_created_unix_seconds(intake->created_unix_seconds);
    response->set_signature(intake->signature);
    FillFacilityRegistry(call.authorizer->policy(), intake->version, WallSeconds(), *identity.key,
                         *response->mutable_facility_registry());
    return absl::OkStatus();
  });
}

grpc::Status RecordServiceImpl::SubmitRecord(grpc::ServerContext* context,
                                             const v1::SubmitRecordRequest* request,
                                             v1::SubmitRecordResponse* response) {
  return Serve(context, *request, "SubmitRecord", Action::kSubmitRecord, [&](Call& call) {
    RETURN_IF_ERROR(Begin(state_, *context, call));
    RETURN_IF_ERROR(Authorize(call, Action::kSubmitRecord));
    ASSIGN_OR_RETURN(*response,
                     call.vault->records.Submit(call.principal, call.decision.person_id, *request,
                                                *call.authorizer, CommitWithReceipt(call)));
    return absl::OkStatus();
  });
}

grpc::Status RecordServiceImpl::AmendRecord(grpc::ServerContext* context,
                                            const v1::AmendRecordRequest* request,
                                            v1::SubmitRecordResponse* response) {
  return Serve(context, *request, "AmendRecord", Action::kAmendRecord, [&](Call& call) -> absl::Status {
    RETURN_IF_ERROR(Begin(state_, *context, call));
    RETURN_IF_ERROR(ValidateRecordId(request->record_id()));
    call.event.add_record_ids(request->record_id());
    ASSIGN_OR_RETURN(std::optional<policy::RecordFacts> facts,
                     call.vault->records.Facts(request->record_id()));
    if (!facts.has_value()) return RefuseMissingRecord(call, Action::kAmendRecord);
    // In scope, the person who submitted it, within the amendment window.
    RETURN_IF_ERROR(Authorize(call, Action::kAmendRecord, policy::v1::PURPOSE_UNSPECIFIED, &*facts));
    ASSIGN_OR_RETURN(*response,
                     call.vault->records.Amend(call.principal, call.decision.person_id, *request,
                                               *call.authorizer, CommitWithReceipt(call)));
    return absl::OkStatus();
  });
}

grpc::Status RecordServiceImpl::GetRecord(grpc::ServerContext* context,
                                          const v1::GetRecordRequest* request,
                                          v1::GetRecordResponse* response) {
  return Serve(context, *request, "GetRecord", Action::kGetRecord, [&](Call& call) {
    RETURN_IF_ERROR(Begin(state_, *context, call));
    RETURN_IF_ERROR(ValidateRecordId(request->record_id()));
    call.event.add_record_ids(request->record_id());
    if (request->purpose() == v1::PURPOSE_UNSPECIFIED || !v1::Purpose_IsValid(request->purpose())) {
      return absl::InvalidArgumentError("purpose: a known purpose code is required");
    }
    call.event.set_purpose(request->purpose());
    if (request->reason().size() > kMaxReasonBytes) {
      return absl::InvalidArgumentError("reason: longer than 500 bytes");
    }
    RETURN_IF_ERROR(CheckDisplayText("reason", request->reason()));  // shown to others
    call.event.set_reason(request->reason());  // stored only inside the encrypted entry
    if (request->version() != 0) {
      call.event.set_detail(absl::StrCat("version ", request->version()));
    }
    const auto purpose = static_cast<policy::v1::Purpose>(request->purpose());
    // Every version is decided on the newest one's facts: amendments keep region and facility,
    // and the newest consent (with later changes) governs every version.
    ASSIGN_OR_RETURN(std::optional<policy::RecordFacts> facts,
                     call.vault->records.Facts(request->record_id()));
    if (!facts.has_value()) return RefuseMissingRecord(call, Action::kGetRecord, purpose);
    absl::Status allowed = Authorize(call, Action::kGetRecord, purpose, &*facts);
    if (!allowed.ok() && call.decision.rule == "deny:scope") {
      // Outside scope: an approved break-glass grant of this person for this record may cover it.
      ASSIGN_OR_RETURN(std::optional<storage::v1::BreakGlassRequest> grant,
                       call.vault->break_glass.FindGrant(
                           request->record_id(), call.decision.person_id,
                           static_cast<uint32_t>(request->purpose()),
                           std::max<uint32_t>(1, call.authorizer->policy().min_break_glass_approvals())));
      if (grant.has_value()) {
        // Expired when the wall-clock expiry has passed, or the monotonic deadline kept since
        // the grant (this run only), or the timer has recorded its lapse.
        const policy::BreakGlassGrant bg =
            ToGrant(*grant, call.vault->break_glass.SteadyDeadline(grant->id()), SteadyMicros());
        allowed = Authorize(call, Action::kGetRecord, purpose, &*facts, &bg);
        if (allowed.ok()) {
          call.event.set_detail(absl::StrCat("break-glass use ", grant->id()));
        } else if (call.decision.rule == "deny:break-glass-expired") {
          call.event.set_detail(absl::StrCat("break-glass lapsed ", grant->id()));
        }
      } else {
        ASSIGN_OR_RETURN(allowed, WithOwnBreakGlass(call, std::move(allowed),
                                                    request->record_id(), request->purpose()));
      }
    }
    RETURN_IF_ERROR(allowed);
    ASSIGN_OR_RETURN(v1::GetRecordResponse record,
                     call.vault->records.Get(request->record_id(), call.decision,
                                             request->version()));
    for (int section : record.sections_released()) {
      call.event.add_sections_disclosed(static_cast<v1::Section>(section));
    }
    RETURN_IF_ERROR(RecordAllowed(call).status());  // fail closed: no entry, no data
    *response = std::move(record);
    return absl::OkStatus();
  });
}

grpc::Status RecordServiceImpl::ListRecords(grpc::ServerContext* context,
                                            const v1::ListRecordsRequest* request,
                                            v1::ListRecordsResponse* response) {
  return Serve(context, *request, "ListRecords", Action::kListRecords, [&](Call& call) {
    RETURN_IF_ERROR(Begin(state_, *context, call));
    RETURN_IF_ERROR(Authorize(call, Action::kListRecords));
    const policy::Authorizer& authorizer = *call.authorizer;
    const policy::v1::Person& person = *call.person;
    ASSIGN_OR_RETURN(v1::ListRecordsResponse listed,
                     call.vault->records.List(*request, [&](const policy::RecordFacts& facts) {
                       return authorizer.InScope(person, facts);
                     }));
    for (const v1::RecordSummary& summary : listed.records()) {
      call.event.add_record_ids(summary.record_id());
    }
    const policy::Catalogue& catalogue = authorizer.policy().catalogue();
    if (!request->facility_id().empty() && policy::DeclaresFacilityRegistry(catalogue) &&
        std::none_of(
            catalogue.facilities.begin(), catalogue.facilities.end(),
            [&](const policy::v1::Facility& f) { return f.id() == request->facility_id(); })) {
      for (std::string& id :
           policy::ClosestFacilityIds(catalogue.facilities, request->facility_id())) {
        listed.add_closest_registered_facilities(std::move(id));
      }
    }
    RETURN_IF_ERROR(RecordAllowed(call).status());
    *response = std::move(listed);
    return absl::OkStatus();
  });
}

grpc::Status RecordServiceImpl::ListRecordVersions(grpc::ServerContext* context,
                                                   const v1::ListRecordVersionsRequest* request,
                                                   v1::ListRecordVersionsResponse* response) {
  return Serve(context, *request, "ListRecordVersions", Action::kListRecords, [&](Call& call) -> absl::Status {
    RETURN_IF_ERROR(Begin(state_, *context, call));
    RETURN_IF_ERROR(ValidateRecordId(request->record_id()));
    call.event.add_record_ids(request->record_id());
    call.event.set_detail("record versions");
    ASSIGN_OR_RETURN(std::optional<policy::RecordFacts> facts,
                     call.vault->records.Facts(request->record_id()));
    // Without the record, only the right to list is decided; with it, also its scope.
    RETURN_IF_ERROR(Authorize(call, Action::kListRecords, policy::v1::PURPOSE_UNSPECIFIED,
                              facts.has_value() ? &*facts : nullptr));
    if (!facts.has_value()) return absl::NotFoundError("no such record");
    ASSIGN_OR_RETURN(v1::ListRecordVersionsResponse versions,
                     call.vault->records.Versions(request->record_id()));
    RETURN_IF_ERROR(RecordAllowed(call).status());
    *response = std::move(versions);
    return absl::OkStatus();
  });
}

grpc::Status RecordServiceImpl::RecordConsent(grpc::ServerContext* context,
                                              const v1::RecordConsentRequest* request,
                                              v1::RecordConsentResponse* response) {
  return Serve(context, *request, "RecordConsent", Action::kRecordConsent, [&](Call& call) -> absl::Status {
    RETURN_IF_ERROR(Begin(state_, *context, call));
    RETURN_IF_ERROR(ValidateRecordId(request->record_id()));
    call.event.add_record_ids(request->record_id());
    if (request->purpose() == v1::PURPOSE_UNSPECIFIED || !v1::Purpose_IsValid(request->purpose())) {
      return absl::InvalidArgumentError("purpose: a known purpose code is required");
    }
    if (!IsValidDate(request->recorded_on())) {
      return absl::InvalidArgumentError("recorded_on: must be YYYY-MM-DD");
    }
    call.event.set_purpose(request->purpose());
    const auto purpose = static_cast<policy::v1::Purpose>(request->purpose());
    ASSIGN_OR_RETURN(std::optional<policy::RecordFacts> facts,
                     call.vault->records.Facts(request->record_id()));
    if (!facts.has_value()) return RefuseMissingRecord(call, Action::kRecordConsent, purpose);
    RETURN_IF_ERROR(Authorize(call, Action::kRecordConsent, purpose, &*facts));
    ASSIGN_OR_RETURN(store::Mutation change,
                     call.vault->records.ConsentChangeMutation(
                         request->record_id(), request->purpose(), request->given(),
                         request->recorded_on(), call.decision.person_id));
    call.event.set_detail(request->given() ? "consent given" : "consent withdrawn");
    RETURN_IF_ERROR(RecordAllowed(call, std::move(change)).status());  // change + entry: one batch
    response->set_record_id(request->record_id());
    response->set_purpose(request->purpose());
    response->set_given(request->given());
    return absl::OkStatus();
  });
}

}  // namespace confidant::server
