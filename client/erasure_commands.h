// `confidant erasure request|list|approve|reject`: early crypto-shredding of a record, asked by
// one person and approved by another (an approver).
#ifndef CONFIDANT_CLIENT_ERASURE_COMMANDS_H_
#define CONFIDANT_CLIENT_ERASURE_COMMANDS_H_

#include <ostream>
#include <string>

#include "absl/status/status.h"
#include "client/vault_client.h"

namespace confidant::client {

// Asks for `record_id` to be shredded early; prints the request id. INVALID_ARGUMENT for an
// empty reason (checked before any call).
absl::Status ErasureRequestCommand(VaultClient& client, const std::string& record_id,
                                   const std::string& reason, std::ostream& out);

// Approvers: one line per open request (id, record, requester, created, reason).
absl::Status ErasureListCommand(VaultClient& client, bool mine, std::ostream& out);

// Approvers: approves (the record is shredded at once) or rejects one request.
absl::Status ErasureDecideCommand(VaultClient& client, const std::string& request_id,
                                  bool approve, std::ostream& out);

}  // namespace confidant::client

#endif  // CONFIDANT_CLIENT_ERASURE_COMMANDS_H_
