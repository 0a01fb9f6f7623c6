// RotationTimer: role keys rotate on the period the policy sets (settings.role_key_rotation_days).
// Once the newest role key version is older than the period, it runs the same rotation as
// `confidant operator rotate` (new role key versions and a new intake key, audited
// "keys_rotated") and starts the background rewrap job, which destroys the old versions once no
// wrap uses them. Issue 6, "Rotation": the period plus the rewrap time is the erasure window for
// copies of wraps.
#ifndef CONFIDANT_SERVER_ROTATION_TIMER_H_
#define CONFIDANT_SERVER_ROTATION_TIMER_H_

#include <cstdint>
#include <memory>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "policy/authorizer.h"
#include "server/audit_recorder.h"
#include "server/policy_timer.h"
#include "server/rewrapper.h"
#include "server/store/kv_store.h"
#include "server/vault_keys.h"

namespace confidant::server {

// The rule the timer's audit entries name.
inline constexpr char kRotationPeriodRule[] = "vault:role-key-rotation-period";

// After a rotation: compacts the keys space, so the deleted private keys (old identity,
// checkpoint and release versions, intake keys past their grace) leave the data files (deferred
// by the store while a backup holds a snapshot). A failure is logged; the next compaction of
// the keys space (rewrap, backup epochs, re-share) removes them.
void CompactRotatedKeys(store::KvStore& store);

// --dev tests only: check every `seconds` (first check after as long) instead of the default
// (a first check ten minutes after unseal, then hourly). 0: the default.
void SetDevRotationCheckSeconds(int seconds);

// Thread-safe. Borrows `keys`, `rewrapper` and `recorder`, which must outlive it. Owns one
// thread that checks the period (real time between checks; the vault's clock decides what is
// due) until Stop or destruction.
class RotationTimer {
 public:
  RotationTimer(store::KvStore& store, VaultKeys& keys, Rewrapper& rewrapper,
                AuditRecorder& recorder,
                std::shared_ptr<const policy::Authorizer> authorizer);
  ~RotationTimer();  // Stop()
  RotationTimer(const RotationTimer&) = delete;
  RotationTimer& operator=(const RotationTimer&) = delete;

  // The policy later checks use (after a reload).
  void SetAuthorizer(std::shared_ptr<const policy::Authorizer> authorizer);

  // Ends the thread, waiting for a check in progress. Idempotent.
  void Stop();

  // One check at `now_seconds`, as the thread runs it: true if it rotated (and started the
  // rewrap job, or found it running). Nothing is due without a policy, with the period 0 (off),
  // or while the newest role key version is younger than the period. Errors of the rotation or
  // of its audit entry pass through and change nothing.
  absl::StatusOr<bool> RunOnce(int64_t now_seconds);

 private:
  void Tick();

  store::KvStore& store_;
  VaultKeys& keys_;
  Rewrapper& rewrapper_;
  AuditRecorder& recorder_;
  PolicyTimer timer_;  // last: its thread stops first
};

}  // namespace confidant::server

#endif  // CONFIDANT_SERVER_ROTATION_TIMER_H_
