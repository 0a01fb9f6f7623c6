// `confidant audit export DIR` and `confidant audit verify --offline DIR`.
//
// An export holds what integrity needs and nothing readable: DIR/checkpoint.binpb (a
// GetCheckpointResponse: signed note, log key, the vault's statement for the key) and
// DIR/leaves.bin (per entry: lp(leaf) lp(the signed checkpoint committed with it, or empty),
// lp = u32 big-endian length; leaves are ciphertext, notes public).
// Anyone holding the pinned vault.pub can verify it offline.
#ifndef CONFIDANT_CLIENT_AUDIT_EXPORT_H_
#define CONFIDANT_CLIENT_AUDIT_EXPORT_H_

#include <ostream>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "client/audit_commands.h"
#include "client/log_client.h"

namespace confidant::client {

// Verifies the vault's checkpoint, then writes it and every leaf to `dir` (created 0700).
absl::Status AuditExportCommand(LogClient& log, const std::string& dir, std::ostream& out,
                                std::ostream& progress);

// Verifies an export with no network: the checkpoint against the pinned vault key (and trusted
// witnesses), then every leaf as `audit verify` does. Same final line.
absl::Status AuditVerifyOfflineCommand(const ClientIdentity& identity, const std::string& dir,
                                       const std::vector<TrustedWitness>& witnesses,
                                       std::ostream& out, std::ostream& progress);

}  // namespace confidant::client

#endif  // CONFIDANT_CLIENT_AUDIT_EXPORT_H_
