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
// with the job's cursor reset and the grants the wraps now follow (meta
// "policy/section-grants") in one synced batch, and starts the job (or makes a running one
// start over). Nothing when the grants are the same. Errors: the entry could not be written.
absl::Status StartWrapJobForGrants(OpenVault& open, const policy::Policy& before,
                                   const policy::Policy& after);

// At unseal, with `in_force` in force: if the grants stored by the last change differ from its
// grants (a policy with other grants was installed while the vault was down), does as
// StartWrapJobForGrants. A vault with no stored grants (new, or older than this) stores them
// and starts nothing. Storage and audit errors as they come.
absl::Status StartWrapJobIfGrantsChangedWhileDown(OpenVault& open, store::KvStore& store,
                                                  const policy::Policy& in_force);

}  // namespace confidant::server

#endif  // CONFIDANT_SERVER_POLICY_GRANTS_H_
