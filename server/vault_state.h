// VaultState: the vault's storage, policy and (once unsealed) keys, shared by the services.
#ifndef CONFIDANT_SERVER_VAULT_STATE_H_
#define CONFIDANT_SERVER_VAULT_STATE_H_

#include <functional>
#include <memory>
#include <utility>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "crypto/key_transition.h"
#include "crypto/secret_bytes.h"
#include "policy/authorizer.h"
#include "server/audit/audit_log.h"
#include "server/audit_recorder.h"
#include "server/backup_epochs.h"
#include "server/break_glass_store.h"
#include "server/erasure_store.h"
#include "server/request_timer.h"
#include "server/quota.h"
#include "server/quota_keeper.h"
#include "server/record_vault.h"
#include "server/retention_timer.h"
#include "server/rewrapper.h"
#include "server/rotation_timer.h"
#include "server/release_job.h"
#include "server/shredder.h"
#include "server/store/kv_store.h"
#include "server/vault_keys.h"
#include "server/witness_pusher.h"

namespace confidant::server {

// The keys of an unsealed vault, its audit log, and what borrows them. Members are destroyed
// in reverse order: the retention and break-glass timers stop first, pending merged denials are flushed before
// the log stops, and keys go last.
struct OpenVault {
  OpenVault(std::unique_ptr<VaultKeys> k, std::unique_ptr<audit::AuditLog> l,
            const std::vector<WitnessEndpoint>& witnesses, const WitnessTls& tls,
            store::KvStore& store, std::function<int64_t()> micros,
            std::shared_ptr<const policy::Authorizer> authorizer,
            const BackupKeyEscrow* escrow = nullptr)
      : keys(std::move(k)),
        log(std::move(l)),
        pusher(witnesses.empty()
                   ? nullptr
                   : std::make_unique<WitnessPusher>(*log, witnesses, tls,
                                                     [k = keys.get()] {
                                                       return k->CurrentSigningKey(
                                                                    crypto::kCheckpointKeyPurpose)
                                                           .transitions;
                                                     })),
        recorder(*log, [micros] { return micros() / 1000000; }),
        facility_history(store, *keys),
        records(store, *keys, facility_history, [micros] { return micros() / 1000000; }),
        break_glass(store, *keys),
        erasure(store, *keys),
        quota_keeper(store, *keys, quotas, [micros] { return micros() / 1000000; }),
        shredder(store, *keys, *log, recorder, break_glass, micros,
                 [r = &records](std::string_view raw_id) -> absl::Mutex& {
                   return r->RecordMutex(raw_id);
                 }),
        backup_epochs(store, *keys, recorder, escrow),
        rewrapper(store, *keys, records, shredder, recorder, authorizer),
        request_timer(break_glass, erasure, recorder, authorizer),
        retention_timer(shredder, recorder, authorizer, absl::Hours(1),
                        absl::Hours(24), &backup_epochs),
        rotation_timer(store, *keys, rewrapper, recorder, authorizer),
        release_job(store, *keys, *log, pusher.get(), recorder, std::move(authorizer)) {}
  std::unique_ptr<VaultKeys> keys;
  std::unique_ptr<audit::AuditLog> log;
  std::unique_ptr<WitnessPusher> pusher;  // null without witnesses
  AuditRecorder recorder;
  FacilityHistory facility_history;  // facilities the registry dropped, for records sealed before
  RecordVault records;
  BreakGlassStore break_glass;
  ErasureStore erasure;  // early-erasure requests
  QuotaTracker quotas;  // per-person limits; outlive policy reloads and restarts (quota_keeper)
  QuotaKeeper quota_keeper;  // loads `quotas` at unseal, saves them while open and at seal
  Shredder shredder;    // crypto-shredding (retention)
  BackupEpochs backup_epochs;
  Rewrapper rewrapper;  // moves wraps to the newest role key versions; stopped before the rest
  // Last: their threads start once the rest is built.
  RequestTimer request_timer;
  RetentionTimer retention_timer;  // a retention pass an hour after unseal, then daily
  RotationTimer rotation_timer;  // role keys rotated on the policy's period, then rewrapped
  ReleaseJob release_job;        // catalogue tables released once each period closes
};

// Thread-safe. Starts sealed: no master key, no keys, every data RPC refused.
class VaultState {
 public:
  using MicrosClock = std::function<int64_t()>;
  VaultState(std::unique_ptr<store::KvStore> store,
             std::shared_ptr<const policy::Authorizer> authorizer, MicrosClock clock,
             std::vector<WitnessEndpoint> witnesses = {}, WitnessTls witness_tls = {},
             std::unique_ptr<BackupKeyEscrow> escrow = nullptr)
      : store_(std::move(store)),
        authorizer_(std::move(authorizer)),
        clock_(std::move(clock)),
        witnesses_(std::move(witnesses)),
        witness_tls_(std::move(witness_tls)),
        escrow_(std::move(escrow)) {}
  ~VaultState();

  // Loads (or, for a new vault, creates) every key under `master_key`, then opens and verifies
  // the audit log. DATA_LOSS for a wrong master key or a tampered log; FAILED_PRECONDITION if
  // already unsealed or the clock is behind the last checkpoint.
  //
  // Before the vault is published, the entries held while sealed are appended to its log (and a
  // flagged count of those dropped), then `before_open` runs on it (it must not call back into
  // this VaultState); its error leaves the vault sealed, and the authorizer it returns (if not
  // null) comes into force with the vault.
  using BeforeOpen =
      std::function<absl::StatusOr<std::shared_ptr<const policy::Authorizer>>(OpenVault&)>;
  absl::Status Unseal(const crypto::SecretBytes& master_key, const BeforeOpen& before_open = nullptr)
      ABSL_LOCKS_EXCLUDED(mu_);

  // Drops the open vault: every key is wiped once the calls holding it finish (they hold it for
  // one request). FAILED_PRECONDITION if already sealed.
  absl::Status Seal() ABSL_LOCKS_EXCLUDED(mu_);

  // Audit events of calls served while sealed (operator calls), kept in memory until the log is
  // open again. Calls the policy allowed (custodians) keep up to kMaxHeldEvents; refused calls
  // (anyone else with a certificate of the CA) have their own, smaller allowance, so they cannot
  // crowd out the custodians' entries. Past either, events are only counted. Unseal appends
  // them. A `mergeable` event (a health probe) identical in action, principal, rule and status
  // to one already held only adds to that one's count.
  static constexpr size_t kMaxHeldEvents = 1000;
  static constexpr size_t kMaxHeldRefusals = 100;
  void Hold(v1::AuditEvent event, bool allowed_by_policy, bool mergeable = false)
      ABSL_LOCKS_EXCLUDED(mu_);

  // The open vault, or FAILED_PRECONDITION "the vault is sealed". Callers hold the returned
  // pointer for one request; keys stay alive until the last holder lets go.
  absl::StatusOr<std::shared_ptr<OpenVault>> Open() const ABSL_LOCKS_EXCLUDED(mu_);

  std::shared_ptr<const policy::Authorizer> authorizer() const ABSL_LOCKS_EXCLUDED(mu_);
  // Puts a new policy in force for every call that begins from now on.
  void SetAuthorizer(std::shared_ptr<const policy::Authorizer> authorizer) ABSL_LOCKS_EXCLUDED(mu_);
  store::KvStore& store() { return *store_; }
  // Where backup epoch keys are escrowed (--backup_keys_dir); null without.
  const BackupKeyEscrow* escrow() const { return escrow_.get(); }

 private:
  std::unique_ptr<store::KvStore> store_;
  mutable absl::Mutex mu_;
  std::shared_ptr<const policy::Authorizer> authorizer_ ABSL_GUARDED_BY(mu_);
  std::shared_ptr<OpenVault> open_ ABSL_GUARDED_BY(mu_);
  std::vector<v1::AuditEvent> held_ ABSL_GUARDED_BY(mu_);
  uint64_t held_dropped_ ABSL_GUARDED_BY(mu_) = 0;
  size_t held_allowed_ ABSL_GUARDED_BY(mu_) = 0;
  size_t held_refused_ ABSL_GUARDED_BY(mu_) = 0;
  MicrosClock clock_;
  std::vector<WitnessEndpoint> witnesses_;
  WitnessTls witness_tls_;
  std::unique_ptr<BackupKeyEscrow> escrow_;
};

}  // namespace confidant::server

#endif  // CONFIDANT_SERVER_VAULT_STATE_H_
