// Authorizer: the pure access decision over a Policy. No I/O, no clock of its own (the caller
// passes `now`), deterministic, and thread-safe (all methods are const; the Policy is shared
// immutable state).
#ifndef CONFIDANT_POLICY_AUTHORIZER_H_
#define CONFIDANT_POLICY_AUTHORIZER_H_

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "policy/policy.h"

namespace confidant::policy {

enum class Action {
  kGetIntakeKey,
  kSubmitRecord,
  kGetRecord,
  kListRecords,
  kReadCheckpoint,  // open to every known person within their validity window
  kReadAudit,
  kAmendRecord,
  kRequestBreakGlass,
  kApproveBreakGlass,
  kRecordConsent,
  kReloadPolicy,
  kRequestErasure,  // ask for a record in scope to be shredded early
  kApproveErasure,  // approve or reject another person's erasure request
  kLinkPersons,     // link two records in scope as one person (reporting counts them once)
  kReadReports,     // the reporting listener: catalogue, releases, ledger (reporting-only persons)
  kCheckHealth,     // the gRPC health check on the main listener: every known person, audited
  kListOwnRequests,  // list one's own break-glass or erasure requests: every known person
  kOperateVault,  // custodians: status, init, unseal, seal (the last action: tests loop to it)
};

// Snake-case name, e.g. "get_record"; used in rules ("deny:no-grant/get_record") and logs.
std::string_view ActionName(Action action);

// A detainee's consent for one purpose. Absent from the map means kNone.
enum class Consent { kNone, kGiven, kWithdrawn };

// What the server knows about a record without opening a section.
struct RecordFacts {
  std::string record_id;
  v1::Region region = v1::REGION_UNSPECIFIED;
  std::string facility_id;
  std::string submitter_person_id;  // person id of the visit team member who submitted it
  int64_t submitted_unix_seconds = 0;
  std::map<v1::Purpose, Consent> consent;  // latest state per purpose
};

// A break-glass grant as the server stored it. The Authorizer counts distinct approver persons
// other than the requester; the server records an approval only after Decide allowed
// kApproveBreakGlass for it. expires = moment of the last needed approval + break_glass_seconds().
struct BreakGlassGrant {
  std::string record_id;
  std::string requester_person_id;
  int64_t expires_unix_seconds = 0;
  std::vector<std::string> approver_person_ids;
  // The purpose requested and approved; UNSPECIFIED (older callers) is not checked.
  v1::Purpose purpose = v1::PURPOSE_UNSPECIFIED;
  std::string request_id;  // for the register (WhoCan); not decided on
};

// One request. Pointers are borrowed for the call only and may be null where not needed.
struct AccessRequest {
  std::string_view principal;  // URI SAN of the caller's certificate
  Action action = Action::kGetRecord;
  // kGetRecord and kRequestBreakGlass: the purpose of the read (required). kRecordConsent: the
  // purpose whose consent is recorded (required).
  v1::Purpose purpose = v1::PURPOSE_UNSPECIFIED;
  // Required for kGetRecord, kAmendRecord and kRecordConsent, which it must be in the person's
  // scope for (kGetRecord alone may instead be covered by `break_glass`). Optional for
  // kListRecords and kSubmitRecord: when given, it must be in scope. Ignored by other actions.
  const RecordFacts* record = nullptr;
  int64_t now_unix_seconds = 0;                  // from a clock the server keeps monotonic
  const BreakGlassGrant* break_glass = nullptr;  // kGetRecord outside scope
  std::string_view requester_person_id;          // kApproveBreakGlass: whose request
  // kGetRecord: when set, decide for this one section only ("deny:section" if not readable).
  v1::Section section = v1::SECTION_UNSPECIFIED;
};

// A section the caller may read, and the role whose key wrap opens it.
struct SectionGrant {
  v1::Section section = v1::SECTION_UNSPECIFIED;
  v1::Role role = v1::ROLE_UNSPECIFIED;
};

struct Decision {
  enum class Outcome { kAllow, kUnknownPrincipal, kDeny };
  Outcome outcome = Outcome::kDeny;
  // The rule that decided: "allow:grant/<role>", "allow:break-glass/<role>",
  // "allow:log-open-to-every-person", or "deny:<reason>" (see Authorizer::Decide).
  std::string rule;
  std::string person_id;                 // empty only for kUnknownPrincipal
  v1::Role role = v1::ROLE_UNSPECIFIED;  // the role whose grant allowed it (first, for reads)
  std::vector<SectionGrant> sections;    // kGetRecord allows only: in section order
  bool break_glass = false;              // allowed only through an approved break-glass grant
  bool allowed() const { return outcome == Outcome::kAllow; }
};

// One line of the register of personnel with access: `person_id` could read `section` today
// through `role`, because the record is in scope for `scope_reason`, for `purposes`.
struct WhoCanRead {
  v1::Section section = v1::SECTION_UNSPECIFIED;
  std::string person_id;
  std::string display_name;
  v1::Role role = v1::ROLE_UNSPECIFIED;
  std::string scope_reason;           // "everywhere", "region ontario" or "facility on-tor-ihc"
  std::vector<v1::Purpose> purposes;  // allowed for the role, minus those lacking consent
};

// Decide plus a human-readable, multi-line account of it (for `confidant policy explain`).
struct Explanation {
  Decision decision;
  std::string text;
};

// Why `record` is in the person's scope: "everywhere", "region ontario" or "facility
// on-tor-ihc" (the first that applies, in that order); "" when it is out of scope.
std::string ScopeReason(const v1::Person& person, const RecordFacts& record);

class Authorizer {
 public:
  explicit Authorizer(std::shared_ptr<const Policy> policy) : policy_(std::move(policy)) {}

  // Deny by default. Checks, in order, each denial naming its rule:
  //   unknown certificate → kUnknownPrincipal "deny:unknown-principal";
  //   outside the validity window → "deny:person-not-valid-now";
  //   a read (kGetRecord, kRequestBreakGlass) by a person holding custodian, auditor or
  //     reporting, or only non-reading roles → "deny:separation-of-duties" (whatever the policy);
  //   no role of the person grants the action → "deny:no-grant/<action>";
  //   a record outside scope → "deny:scope" (kGetRecord: unless an approved break-glass grant for
  //     this record, person and purpose covers it; then "deny:break-glass-not-approved" /
  //     "deny:break-glass-expired" / "deny:break-glass-other-purpose", and only roles with
  //     may_request_break_glass count);
  //   purpose missing → "deny:purpose-required", not allowed → "deny:purpose-not-allowed-for-role";
  //   consent required and not kGiven → "deny:consent" (break-glass never bypasses it);
  //   a requested section no role holds → "deny:section".
  // kAmendRecord adds "deny:not-submitter" and "deny:amendment-window"; kApproveBreakGlass and
  // kApproveErasure add "deny:requester-required" and "deny:self-approval"; a missing record →
  // "deny:record-required" (kRequestErasure needs one, in scope).
  Decision Decide(const AccessRequest& request) const;

  // Whether `record` lies in the person's scope (for filtering list results).
  bool InScope(const v1::Person& person, const RecordFacts& record) const;

  // Every person who could read each section of `record` at `now_unix_seconds`: within their
  // scope, in section order, then policy order of persons and roles; then the holders of
  // `grants` (approved break-glass grants for this record) that are still in force, with
  // scope_reason "break-glass REQUEST_ID until UNIX_SECONDS" and the grant's purpose only.
  std::vector<WhoCanRead> WhoCan(const RecordFacts& record, int64_t now_unix_seconds,
                                 const std::vector<BreakGlassGrant>& grants = {}) const;

  // Decide(request), explained line by line.
  Explanation Explain(const AccessRequest& request) const;

  // Roles the policy grants `section` to (never a non-reading role), in role order. These are
  // the roles a new record's data key for `section` is wrapped for.
  std::vector<v1::Role> RolesThatRead(v1::Section section) const;

  const Policy& policy() const { return *policy_; }

 private:
  Decision DecideRead(const AccessRequest& request, const v1::Person& person) const;
  Decision DecideAmend(const AccessRequest& request, const v1::Person& person) const;
  Decision DecideBreakGlass(const AccessRequest& request, const v1::Person& person) const;
  Decision DecideFlag(const AccessRequest& request, const v1::Person& person) const;
  // "" if the grant lets `person` read `record` outside scope, else the denying rule.
  std::string CheckBreakGlass(const AccessRequest& request, const v1::Person& person) const;

  std::shared_ptr<const Policy> policy_;
};

}  // namespace confidant::policy

#endif  // CONFIDANT_POLICY_AUTHORIZER_H_
