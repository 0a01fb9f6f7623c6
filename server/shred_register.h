// The shred register: every record id named by a disposal receipt ("record_shredded") in an
// audit log. A restore re-applies it so that records shredded after the backup was taken do not
// come back (the register must then come from a log newer than the backup's own).
#ifndef CONFIDANT_SERVER_SHRED_REGISTER_H_
#define CONFIDANT_SERVER_SHRED_REGISTER_H_

#include <cstdint>
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

// What an audit export (`confidant audit export DIR`: checkpoint.binpb and leaves.bin) newer than
// a restored backup says about shredding.
struct ExportedShredRegister {
  std::vector<std::string> record_ids;  // every disposal receipt's records, in log order, once
  uint64_t tree_size = 0;               // of the export's signed checkpoint
  std::string root_hex;
  int64_t time_unix_seconds = 0;
  size_t cosignatures = 0;  // witness cosignature lines on that checkpoint (not checked here)
};

// Reads the export in `dir` of the SAME log as `log`: its checkpoint must be signed by this log's
// origin and `checkpoint_public_key` (or a newer key the export's checkpoint key chain leads to
// from it: a broken chain is DATA_LOSS naming the link), every leaf must hash into it, and its first
// restored.tree_size() leaves must hash to restored.root_hash() (the restored backup's log), so
// an export of another vault, a forged one or one that is not newer is refused (DATA_LOSS or
// FAILED_PRECONDITION naming the problem). Every leaf is opened with `audit_key`.
absl::StatusOr<ExportedShredRegister> ReadShredRegisterFromExport(
    const std::string& dir, const audit::AuditLog& log, const v1::Checkpoint& restored,
    const crypto::SecretBytes& audit_key, std::string_view checkpoint_public_key);

// Shreds, with `shredder`, every record of `register_ids` still present in its store (one new
// receipt each, rule kShredRegisterRule, `source` saying where the register came from); records
// already gone are skipped. Returns the ids shredded now. Errors as Shredder::Shred.
absl::StatusOr<std::vector<std::string>> ReapplyShredRegister(
    const std::vector<std::string>& register_ids, Shredder& shredder, std::string_view source);

}  // namespace confidant::server

#endif  // CONFIDANT_SERVER_SHRED_REGISTER_H_
