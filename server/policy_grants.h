// What a policy reload does to wraps: refused if it leaves a section no role reads (that would
// crypto-shred the section everywhere), and, when section grants change, an audited start of
// the wrap job (Rewrapper::StartForGrants) that adds and deletes wraps to match.
#ifndef CONFIDANT_SERVER_POLICY_GRANTS_H_
#define CONFIDANT_SERVER_POLICY_GRANTS_H_

#include "absl/status/status.h"
#include "policy/policy.h"
#include "server/vault_state.h"

namespace confidant::server {

// FAILED_PRECONDITION naming the sections `before` lets some role read and `after` lets none.
absl::Status CheckSectionsStillRead(const policy::Policy& before, const policy::Policy& after);

// With `after` already in force (VaultState::SetAuthorizer): if its section grants differ from
// `before`'s, writes the audit entry "wrap_grants_changed" (the policy version and each change)
// with the job's cursor reset in one synced batch, and starts the job (or makes a running one
// start over). Nothing when the grants are the same. Errors: the entry could not be written.
absl::Status StartWrapJobForGrants(OpenVault& open, const policy::Policy& before,
                                   const policy::Policy& after);

}  // namespace confidant::server

#endif  // CONFIDANT_SERVER_POLICY_GRANTS_H_
