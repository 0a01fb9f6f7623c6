// `confidant audit ...`: the auditor's tools.
#ifndef CONFIDANT_CLIENT_AUDIT_COMMANDS_H_
#define CONFIDANT_CLIENT_AUDIT_COMMANDS_H_

#include <functional>
#include <ostream>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "client/log_client.h"

namespace confidant::client {

// A witness whose cosignature `audit verify` requires: its name and raw Ed25519 public key.
struct TrustedWitness {
  std::string name;
  std::string public_key;
};

// Feeds (position, leaf bytes, signed checkpoint note committed with it or "") for positions
// 0..size-1 to a visitor, in order.
using LeafVisitor = std::function<absl::Status(uint64_t position, const std::string& leaf,
                                               const std::string& checkpoint_note)>;
using EntrySource = std::function<absl::Status(uint64_t size, const LeafVisitor& visit)>;

// The checks shared by online and offline verification: witness cosignatures, every leaf in
// order with its own index and non-decreasing time, the root after every group commit equal to
// that commit's signed checkpoint (which names the altered entry, or the entries of its group),
// and the final root equal to the signed checkpoint's. DATA_LOSS naming the first bad entry.
absl::Status VerifyEntries(const VerifiedCheckpoint& checkpoint,
                           const std::vector<TrustedWitness>& witnesses, const EntrySource& source,
                           std::ostream& progress);

// Prints the final line of a verification and passes `verified` through.
absl::Status Conclude(const absl::Status& verified, const VerifiedCheckpoint& checkpoint,
                      std::ostream& out);

// Downloads every entry, recomputes the tree, checks the checkpoint's signatures (log key
// vouched for by the pinned vault key; each trusted witness's cosignature) and consistency with
// the last checkpoint this auditor verified (kept by `log`). Prints progress to `progress` and
// ends with one line on `out`: "verified N entries up to root R", or the first entry that fails
// and why (and a non-OK status).
absl::Status AuditVerifyCommand(LogClient& log, const std::vector<TrustedWitness>& witnesses,
                                std::ostream& out, std::ostream& progress);

// Prints the last `count` entries; with `follow`, keeps printing new ones every 2 s for at most
// `follow_seconds`. With `flagged_only`, scans the whole log and prints only the last `count`
// flagged entries (e.g. quota refusals), then, with `follow`, new flagged ones.
absl::Status AuditTailCommand(LogClient& log, uint64_t count, bool follow, int follow_seconds,
                              std::ostream& out, bool flagged_only = false);

// Prints every entry that touched `record_id`: when, who, which role, why, what was disclosed.
absl::Status AuditShowCommand(LogClient& log, const std::string& record_id, std::ostream& out);

// One line for an entry (never prints the reason unless `with_reason`).
std::string FormatEntry(const v1::AuditEntry& entry, bool with_reason);

}  // namespace confidant::client

#endif  // CONFIDANT_CLIENT_AUDIT_COMMANDS_H_
