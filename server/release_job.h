// ReleaseJob: the scheduled release of catalogue tables (docs/ARCHITECTURE.md "Reporting"). Each (table,
// period) is computed once, on the job's own schedule, when the period has closed plus the
// policy's lag: never on request, so nobody chooses the moment or times the computation. Each
// release is frozen, signed with the release key, appended to the privacy ledger (refused past
// the per-person-year cap), and audited ("release_published", with the ledger head) in the same
// synced batch. After a restore, periods that were due before it are withheld, never computed.
#ifndef CONFIDANT_SERVER_RELEASE_JOB_H_
#define CONFIDANT_SERVER_RELEASE_JOB_H_

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <vector>
#include <string>
#include <utility>

#include "absl/status/statusor.h"
#include "policy/authorizer.h"
#include "server/audit_recorder.h"
#include "server/policy_timer.h"
#include "server/release_store.h"
#include "server/reporting/release_engine.h"
#include "server/store/kv_store.h"
#include "server/vault_keys.h"
#include "server/witness_pusher.h"

namespace confidant::server {

inline constexpr char kReleaseJobRule[] = "vault:release-schedule";

// The job's check interval: default hourly (first check ten minutes after unseal). confidantd
// --release_check_seconds sets it (tests and the demo use a few seconds). 0: the default.
void SetReleaseCheckSeconds(int seconds);

struct ReleaseRun {
  // A restore is in progress, or the witnesses have not yet cosigned this log since unseal.
  bool deferred = false;
  int released = 0;
  int revised = 0;   // revisions computed (new versions)
  int withheld = 0;
  int refused_over_cap = 0;  // releases and revisions the year's budget has no room for
};

// Thread-safe. Borrows `store`, `keys` and `recorder`, which must outlive it.
class ReleaseJob {
 public:
  // `witnesses` (null: none configured) must have cosigned this log at least as far as it
  // reached when the job was built (at unseal) before anything is released: a data directory
  // rolled back to an older copy has a log the witnesses refuse, so no release it lacks is
  // computed again with fresh noise.
  ReleaseJob(store::KvStore& store, const VaultKeys& keys, const audit::AuditLog& log,
             const WitnessPusher* witnesses, AuditRecorder& recorder,
             std::shared_ptr<const policy::Authorizer> authorizer);
  ~ReleaseJob();
  ReleaseJob(const ReleaseJob&) = delete;
  ReleaseJob& operator=(const ReleaseJob&) = delete;

  void SetAuthorizer(std::shared_ptr<const policy::Authorizer> authorizer);
  void Stop();

  // One pass at `now_seconds`: every due, undecided (table, period) is released (or withheld
  // after a restore, or refused past the cap). Stops at the first error (nothing half-written:
  // each release is one batch). A (table, period) the audit log already records as released or
  // withheld is never computed again, even if storage lost it (DATA_LOSS: deleting a release
  // from the data directory must not buy fresh noise); the log is read once per job.
  absl::StatusOr<ReleaseRun> RunOnce(int64_t now_seconds);

 private:
  void Tick();
  // What one pass shares: the policy's catalogue, the time, the facts (loaded on first need)
  // and the noise source.
  struct Pass {
    const policy::Catalogue& catalogue;
    int64_t now;
    std::optional<std::vector<reporting::InterviewFacts>>* facts;
    reporting::UniformSource& noise;
    int64_t withheld_through;  // after a restore: periods ended by then are never computed
  };
  // Computes, signs, stores, charges and audits version `version` of (table, period).
  absl::Status Publish(const Pass& pass, const policy::v1::CatalogueTable& table,
                       const reporting::PeriodId& period, uint32_t version, uint32_t spent)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(run_mu_);
  absl::Status Withhold(const Pass& pass, const policy::v1::CatalogueTable& table,
                        const reporting::PeriodId& period, uint32_t spent)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(run_mu_);
  // A requested revision: the next version, or a flagged refusal (past the cap, or no longer in
  // the catalogue) that clears the request.
  absl::Status Revise(const Pass& pass, const std::string& table_id,
                      const std::string& period_text, ReleaseRun& run)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(run_mu_);
  // The (table, period) pairs the audit log names in release entries, read on first use.
  absl::Status LoadAudited() ABSL_EXCLUSIVE_LOCKS_REQUIRED(run_mu_);

  store::KvStore& store_;
  const VaultKeys& keys_;
  const audit::AuditLog& log_;
  const WitnessPusher* const witnesses_;
  const uint64_t size_at_start_;
  bool audited_loaded_ ABSL_GUARDED_BY(run_mu_) = false;
  // (table, period) -> the newest version the audit log names (withheld counts as version 1).
  std::map<std::pair<std::string, std::string>, uint32_t> audited_ ABSL_GUARDED_BY(run_mu_);
  AuditRecorder& recorder_;
  ReleaseStore releases_;
  absl::Mutex run_mu_;  // one pass at a time
  PolicyTimer timer_;   // last: its thread stops first
};

}  // namespace confidant::server

#endif  // CONFIDANT_SERVER_RELEASE_JOB_H_
