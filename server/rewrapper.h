// Rewrapper: the background job that moves every section data key wrap made under an older role
// key version to the newest version, and then destroys the old versions no wrap uses any more.
// The same walk brings every record's wraps in line with the section grants of the policy in
// force: a reload that changes them (StartForGrants) adds wraps for roles newly granted a
// section and deletes those of roles no longer granted it.
#ifndef CONFIDANT_SERVER_REWRAPPER_H_
#define CONFIDANT_SERVER_REWRAPPER_H_

#include <cstdint>
#include <memory>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/synchronization/mutex.h"
#include "confidant/v1/operator.pb.h"
#include "policy/authorizer.h"
#include "server/audit_recorder.h"
#include "server/record_vault.h"
#include "server/shredder.h"
#include "server/store/kv_store.h"
#include "server/vault_keys.h"

namespace confidant::server {

// --dev tests only: sleep this long after each record version the job visits (0: off).
void SetDevRewrapPauseMillis(int millis);

// Thread-safe. Borrows everything it is given, which must outlive it; its destructor stops the
// job (the cursor stays stored, so the next Start or ResumeIfPending continues from there).
//
// A pass walks the records space in key order. For each record version, every wrap under an
// older role key version is unwrapped with that version (the data key's commitment checked),
// wrapped under the role's newest version, and the new wrap written and the old one deleted in
// one synced batch (never while a shred runs, and conditional on the old wrap being unchanged,
// so a shredded record never gets a wrap back), together with the cursor (meta "rewrap/cursor").
// In the same batch, wraps are added for roles the policy in force (SetAuthorizer) grants a
// section they hold no wrap of (the data key unwrapped through any wrap the vault can open) and
// deleted for roles it no longer grants the section; a section granted to no role keeps its
// wraps (see record_wraps.h). At the end of the pass, with submissions and amendments paused,
// record versions written during the pass are brought in line too (a call may have chosen its
// wraps under the previous policy), every held role key version that is not current and that
// no wrap uses is destroyed (audited "role_key_destroyed"), intake keys past their grace are
// destroyed, and the cursor is deleted with a "rewrap_completed" entry.
class Rewrapper {
 public:
  Rewrapper(store::KvStore& store, VaultKeys& keys, RecordVault& records, Shredder& shredder,
            AuditRecorder& recorder, std::shared_ptr<const policy::Authorizer> authorizer = nullptr)
      : store_(store),
        keys_(keys),
        records_(records),
        shredder_(shredder),
        recorder_(recorder),
        authorizer_(std::move(authorizer)) {}
  ~Rewrapper();
  Rewrapper(const Rewrapper&) = delete;
  Rewrapper& operator=(const Rewrapper&) = delete;

  // Starts the job (from the stored cursor if one is left, else from the start). `record_start`
  // writes the given mutation (the cursor) with the call's audit entry. Already running: OK,
  // nothing changes.
  absl::Status Start(const VaultKeys::CommitFn& record_start) ABSL_LOCKS_EXCLUDED(mu_);
  // Resumes a job whose cursor is stored (after a restart or a seal); nothing if there is none.
  absl::Status ResumeIfPending() ABSL_LOCKS_EXCLUDED(mu_);

  // The policy whose section grants the wraps follow (null: only key versions move). Records
  // visited from now on follow it; StartForGrants makes a running job start over.
  void SetAuthorizer(std::shared_ptr<const policy::Authorizer> authorizer)
      ABSL_LOCKS_EXCLUDED(mu_);

  // After a reload that changed section grants (call SetAuthorizer first): stores a cursor at
  // the start, written by `record_start` with the entry that names the change, then starts the
  // job from the start, or makes a running job start over (its records visited so far followed
  // the previous policy). `trigger` is reported in the status ("policy version 7").
  absl::Status StartForGrants(std::string trigger, const VaultKeys::CommitFn& record_start)
      ABSL_LOCKS_EXCLUDED(mu_, cursor_mu_);

  v1::RewrapStatus Status() const ABSL_LOCKS_EXCLUDED(mu_);

 private:
  void Launch(std::string cursor, bool resumed) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void Run(std::string cursor);
  // Visits every record version after `cursor`, adding each to `visited`. ABORTED when a
  // restart was asked for.
  absl::Status Pass(const std::string& cursor, std::set<std::string>& visited);
  // Rewraps the wraps of one record version (`record_key` in the records space), under the
  // shredder's exclusion and then the record's lock (RecordVault::RecordMutex).
  absl::Status VisitRecord(const std::string& record_key);
  absl::Status RewrapRecord(const std::string& record_key, const std::string& header_value);
  // Commits `batch` (which writes the cursor) unless a restart was asked for (ABORTED).
  absl::Status CommitUnlessRestarting(const store::Mutation& batch) ABSL_LOCKS_EXCLUDED(cursor_mu_);
  // With wrap writes paused: visits record versions after `cursor` not in `visited`, destroys
  // unused old role key versions and finishes the job.
  absl::Status Finish(const std::string& cursor, const std::set<std::string>& visited);
  bool Stopping() const ABSL_LOCKS_EXCLUDED(mu_);
  bool Restarting() const ABSL_LOCKS_EXCLUDED(mu_);
  std::shared_ptr<const policy::Authorizer> authorizer() const ABSL_LOCKS_EXCLUDED(mu_);

  store::KvStore& store_;
  VaultKeys& keys_;
  RecordVault& records_;
  Shredder& shredder_;
  AuditRecorder& recorder_;

  // Orders cursor writes: a restart's cursor reset is never overwritten by the previous pass.
  // Taken before mu_.
  absl::Mutex cursor_mu_;
  mutable absl::Mutex mu_;
  std::shared_ptr<const policy::Authorizer> authorizer_ ABSL_GUARDED_BY(mu_);
  bool restart_ ABSL_GUARDED_BY(mu_) = false;  // start the pass over (grants changed)
  std::thread thread_ ABSL_GUARDED_BY(mu_);
  bool running_ ABSL_GUARDED_BY(mu_) = false;
  bool stop_ ABSL_GUARDED_BY(mu_) = false;
  v1::RewrapStatus status_ ABSL_GUARDED_BY(mu_);
};

}  // namespace confidant::server

#endif  // CONFIDANT_SERVER_REWRAPPER_H_
