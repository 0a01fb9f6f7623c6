// `confidant break-glass request|list|approve|reject`: the break-glass workflow from the CLI.
#ifndef CONFIDANT_CLIENT_BREAK_GLASS_COMMANDS_H_
#define CONFIDANT_CLIENT_BREAK_GLASS_COMMANDS_H_

#include <ostream>
#include <string>

#include "absl/status/status.h"
#include "client/vault_client.h"

namespace confidant::client {

// Asks for access to `record_id` outside the caller's scope; prints the request id.
// INVALID_ARGUMENT for an unknown purpose code or an empty reason (checked before any call).
absl::Status BreakGlassRequestCommand(VaultClient& client, const std::string& record_id,
                                      const std::string& purpose, const std::string& reason,
                                      std::ostream& out);

// Approvers: one line per open request (id, record, requester, purpose, created, approvals,
// reason). Never record content.
absl::Status BreakGlassListCommand(VaultClient& client, bool mine, std::ostream& out);

// Approvers: approves (`approve`) or rejects one request; prints the outcome.
absl::Status BreakGlassDecideCommand(VaultClient& client, const std::string& request_id,
                                     bool approve, std::ostream& out);

}  // namespace confidant::client

#endif  // CONFIDANT_CLIENT_BREAK_GLASS_COMMANDS_H_
