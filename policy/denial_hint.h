// What a refused caller could do instead: a hint appended to a PERMISSION_DENIED message. Built
// only from the caller's own grants in the policy, never from the record (whose facts a refused
// caller may not know). Pure: no I/O.
#ifndef CONFIDANT_POLICY_DENIAL_HINT_H_
#define CONFIDANT_POLICY_DENIAL_HINT_H_

#include <string>
#include <string_view>
#include <vector>

#include "policy/authorizer.h"
#include "policy/policy.h"

namespace confidant::policy {

// The purposes the person's reading roles may state, in purpose order, without repeats.
std::vector<v1::Purpose> PurposesOf(const Policy& policy, const v1::Person& person);

// True when one of the person's roles has may_request_break_glass.
bool MayRequestBreakGlass(const Policy& policy, const v1::Person& person);

// The hint for a denial of `action` by `rule`, starting with "; ", or "" when there is none:
//   "deny:purpose-not-allowed-for-role":
//     "; your roles may state: follow_up, case_review" ("...may state no purpose" for none)
//   "deny:scope" on kGetRecord, for a person whose role may request break-glass:
//     "; a record outside your scope can be requested through: confidant break-glass request
//      RECORD_ID --purpose P --reason TEXT (others must approve it first)"
//   "deny:consent" on kGetRecord: "; this purpose needs the detainee's consent, which is not on
//      record or was withdrawn. If the detainee gave it, record it with: confidant consent
//      RECORD_ID --purpose P --give (add --on YYYY-MM-DD ...), then read again" (or, for a person whose roles
//      may not record consent, who to ask).
// RECORD_ID and P are placeholders: the hint never names the record (the CLI fills in what its
// user typed).
std::string DenialHint(const Policy& policy, const v1::Person& person, Action action,
                       std::string_view rule);

}  // namespace confidant::policy

#endif  // CONFIDANT_POLICY_DENIAL_HINT_H_
