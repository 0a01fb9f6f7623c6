// The shred register: every record id named by a disposal receipt ("record_shredded") in an
// audit log. A restore re-applies it so that records shredded after the backup was taken do not
// come back (the register must then come from a log newer than the backup's own).
#ifndef CONFIDANT_SERVER_SHRED_REGISTER_H_
#define CONFIDANT_SERVER_SHRED_REGISTER_H_

#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "server/audit/audit_log.h"
#include "server/shredder.h"

namespace confidant::server {

inline constexpr char kShredRegisterRule[] = "vault:shred-register-reapplied";

// The record ids of every disposal receipt in `log`, in log order, each once. Errors as
// AuditLog::ReadEntries.
absl::StatusOr<std::vector<std::string>> ReadShredRegister(const audit::AuditLog& log);

// Shreds, with `shredder`, every record of `register_ids` still present in its store (one new
// receipt each, rule kShredRegisterRule, `source` saying where the register came from); records
// already gone are skipped. Returns the ids shredded now. Errors as Shredder::Shred.
absl::StatusOr<std::vector<std::string>> ReapplyShredRegister(
    const std::vector<std::string>& register_ids, Shredder& shredder, std::string_view source);

}  // namespace confidant::server

#endif  // CONFIDANT_SERVER_SHRED_REGISTER_H_
