// Retention: finding records past the policy's retention and crypto-shredding them, on demand
// (OperatorService.ShredExpired) and once a day (RetentionTimer). Issue 6, "Retention and
// crypto-shredding".
#ifndef CONFIDANT_SERVER_RETENTION_TIMER_H_
#define CONFIDANT_SERVER_RETENTION_TIMER_H_

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "policy/authorizer.h"
#include "server/audit_recorder.h"
#include "server/backup_epochs.h"
#include "server/policy_timer.h"
#include "server/shredder.h"

namespace confidant::server {

inline constexpr char kRetentionRule[] = "vault:retention-expired";

// What one retention pass found and did.
struct RetentionPass {
  size_t expired = 0;                   // records past retention at the pass's time
  uint32_t limit = 0;                   // the policy's max_shred_without_confirmation
  bool waiting_for_confirmation = false;  // more than `limit` and not confirmed: nothing shredded
  std::vector<std::string> shredded;    // record ids, oldest submission first
};

// One pass at `now_seconds` under `policy`: shreds every record past retention, unless there
// are more than max_shred_without_confirmation of them and `confirmed` is false (then nothing is
// shredded and the pass says it is waiting). Receipts name `principal` and `requested_by` (see
// ShredOrder). Progress goes to the operational log (counts only, never ids). Errors as
// Shredder::Shred.
absl::StatusOr<RetentionPass> RunRetentionPass(Shredder& shredder, const policy::Policy& policy,
                                               int64_t now_seconds, bool confirmed,
                                               const std::string& principal,
                                               const std::string& requested_by);

// Thread-safe. Borrows `shredder` and `recorder`, which must outlive it. Owns one thread that
// runs a pass `first_delay` after construction, then every `period` (real time), until Stop or
// destruction. A pass never confirms: when more records are due than the policy allows without
// confirmation, it writes a flagged audit entry "shred_waiting_for_confirmation" (rule
// "vault:retention-needs-confirmation", the count in its detail) and shreds nothing; a custodian
// then runs `confidant operator shred --expired --confirm`. With `backup_epochs` (borrowed; may
// be null), each pass also destroys the backup epoch keys past the policy's backup window.
class RetentionTimer {
 public:
  RetentionTimer(Shredder& shredder, AuditRecorder& recorder,
                 std::shared_ptr<const policy::Authorizer> authorizer,
                 absl::Duration first_delay = absl::Hours(1),
                 absl::Duration period = absl::Hours(24), BackupEpochs* backup_epochs = nullptr);
  ~RetentionTimer();  // Stop()
  RetentionTimer(const RetentionTimer&) = delete;
  RetentionTimer& operator=(const RetentionTimer&) = delete;

  // The policy later passes use (after a reload).
  void SetAuthorizer(std::shared_ptr<const policy::Authorizer> authorizer);

  // Ends the thread, waiting for a pass in progress. Idempotent.
  void Stop();

  // One pass at `now_seconds`, as the thread runs it.
  absl::StatusOr<RetentionPass> RunOnce(int64_t now_seconds);

 private:
  void Tick();

  Shredder& shredder_;
  AuditRecorder& recorder_;
  BackupEpochs* const backup_epochs_;
  PolicyTimer timer_;  // last: its thread stops first
};

}  // namespace confidant::server

#endif  // CONFIDANT_SERVER_RETENTION_TIMER_H_
