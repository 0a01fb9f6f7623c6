// Rewrapper: the background job that moves every section data key wrap made under an older role
// key version to the newest version, and then destroys the old versions no wrap uses any more.
#ifndef CONFIDANT_SERVER_REWRAPPER_H_
#define CONFIDANT_SERVER_REWRAPPER_H_

#include <cstdint>
#include <string>
#include <thread>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/synchronization/mutex.h"
#include "confidant/v1/operator.pb.h"
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
// so a shredded record never gets a wrap back), together with the cursor (meta "rewrap/cursor"). At the end of the pass, with
// submissions and amendments paused, every held role key version that is not current and that
// no wrap uses is destroyed (audited "role_key_destroyed"), intake keys past their grace are
// destroyed, and the cursor is deleted with a "rewrap_completed" entry.
class Rewrapper {
 public:
  Rewrapper(store::KvStore& store, VaultKeys& keys, RecordVault& records, Shredder& shredder,
            AuditRecorder& recorder)
      : store_(store), keys_(keys), records_(records), shredder_(shredder), recorder_(recorder) {}
  ~Rewrapper();
  Rewrapper(const Rewrapper&) = delete;
  Rewrapper& operator=(const Rewrapper&) = delete;

  // Starts the job (from the stored cursor if one is left, else from the start). `record_start`
  // writes the given mutation (the cursor) with the call's audit entry. Already running: OK,
  // nothing changes.
  absl::Status Start(const VaultKeys::CommitFn& record_start) ABSL_LOCKS_EXCLUDED(mu_);
  // Resumes a job whose cursor is stored (after a restart or a seal); nothing if there is none.
  absl::Status ResumeIfPending() ABSL_LOCKS_EXCLUDED(mu_);

  v1::RewrapStatus Status() const ABSL_LOCKS_EXCLUDED(mu_);

 private:
  void Launch(std::string cursor, bool resumed) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void Run(std::string cursor);
  absl::Status Pass(const std::string& cursor);
  // Rewraps the wraps of one record version (`record_key` in the records space).
  absl::Status RewrapRecord(const std::string& record_key, const std::string& header_value);
  // With wrap writes paused: destroys unused old role key versions and finishes the job.
  absl::Status Finish();
  bool Stopping() const ABSL_LOCKS_EXCLUDED(mu_);

  store::KvStore& store_;
  VaultKeys& keys_;
  RecordVault& records_;
  Shredder& shredder_;
  AuditRecorder& recorder_;

  mutable absl::Mutex mu_;
  std::thread thread_ ABSL_GUARDED_BY(mu_);
  bool running_ ABSL_GUARDED_BY(mu_) = false;
  bool stop_ ABSL_GUARDED_BY(mu_) = false;
  v1::RewrapStatus status_ ABSL_GUARDED_BY(mu_);
};

}  // namespace confidant::server

#endif  // CONFIDANT_SERVER_REWRAPPER_H_
