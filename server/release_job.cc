#include "server/release_job.h"

#include <atomic>
#include <string>
#include <vector>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "base/log.h"
#include "base/status_macros.h"
#include "crypto/asymmetric.h"
#include "crypto/key_transition.h"
#include "crypto/random.h"
#include "server/clock.h"
#include "server/facts.h"
#include "server/reporting/discrete_laplace.h"
#include "server/reporting/release_engine.h"

namespace confidant::server {
namespace {

std::atomic<int> check_seconds{0};

absl::Duration FirstDelay() {
  const int s = check_seconds.load();
  return s > 0 ? absl::Seconds(s) : absl::Minutes(10);
}
absl::Duration Period() {
  const int s = check_seconds.load();
  return s > 0 ? absl::Seconds(s) : absl::Hours(1);
}

v1::AuditEvent JobEvent(std::string action, std::string detail) {
  v1::AuditEvent event;
  event.set_action(std::move(action));
  event.set_decision(v1::ALLOW);
  event.set_rule(kReleaseJobRule);
  event.set_status_code("OK");
  event.set_detail(std::move(detail));
  return event;
}

// Every period of `kind` from the catalogue's first year whose end plus the lag is due.
std::vector<reporting::PeriodId> DuePeriods(const policy::Catalogue& catalogue,
                                            policy::v1::Period kind, int64_t now) {
  std::vector<reporting::PeriodId> due;
  const int64_t lag = int64_t{catalogue.release_lag_days} * 86400;
  for (int year = static_cast<int>(catalogue.first_year); year <= 2100; ++year) {
    bool any = false;
    for (int q = kind == policy::v1::QUARTER ? 1 : 0; q <= (kind == policy::v1::QUARTER ? 4 : 0); ++q) {
      const reporting::PeriodId period{year, q};
      if (reporting::PeriodEnd(period) + lag > now) break;
      due.push_back(period);
      any = true;
    }
    if (!any) break;
  }
  return due;
}

}  // namespace

void SetReleaseCheckSeconds(int seconds) { check_seconds.store(seconds); }

ReleaseJob::ReleaseJob(store::KvStore& store, const VaultKeys& keys, const audit::AuditLog& log,
                       const WitnessPusher* witnesses, AuditRecorder& recorder,
                       std::shared_ptr<const policy::Authorizer> authorizer)
    : store_(store),
      keys_(keys),
      log_(log),
      witnesses_(witnesses),
      size_at_start_(log.LatestCheckpoint().tree_size()),
      recorder_(recorder),
      releases_(store),
      timer_(std::move(authorizer), FirstDelay(), Period()) {
  timer_.Start([this] { Tick(); });
}

ReleaseJob::~ReleaseJob() { Stop(); }

void ReleaseJob::SetAuthorizer(std::shared_ptr<const policy::Authorizer> authorizer) {
  timer_.SetAuthorizer(std::move(authorizer));
}

void ReleaseJob::Stop() { timer_.Stop(); }

void ReleaseJob::Tick() {
  absl::StatusOr<ReleaseRun> run = RunOnce(WallSeconds());
  if (!run.ok()) {
    LogEvent(LogLevel::kWarning, "release_job_failed",
             {{"code", absl::StatusCodeToString(run.status().code())}});
  } else if (run->deferred) {
    LogEvent(LogLevel::kWarning, "release_job_deferred",
             {{"why", "the witnesses have not cosigned this log since unseal"}});
  } else if (run->released + run->withheld + run->refused_over_cap > 0) {
    LogEvent(LogLevel::kInfo, "release_job",
             {{"released", absl::StrCat(run->released)},
              {"withheld", absl::StrCat(run->withheld)},
              {"refused_over_cap", absl::StrCat(run->refused_over_cap)}});
  }
}

absl::Status ReleaseJob::LoadAudited() {
  if (audited_loaded_) return absl::OkStatus();
  RETURN_IF_ERROR(log_.ReadEntries(0, UINT64_MAX, [&](const v1::AuditEntry& entry) {
    const v1::AuditEvent& event = entry.event();
    if (event.rule() != kReleaseJobRule ||
        (event.action() != "release_published" && event.action() != "release_withheld")) {
      return true;
    }
    // "table <id> period <period>..." (written by RunOnce below).
    const std::vector<std::string> words = absl::StrSplit(event.detail(), absl::MaxSplits(' ', 4));
    if (words.size() >= 4 && words[0] == "table" && words[2] == "period") {
      std::string period = words[3];
      if (!period.empty() && period.back() == ':') period.pop_back();
      audited_.emplace(words[1], period);
    }
    return true;
  }));
  audited_loaded_ = true;
  return absl::OkStatus();
}

absl::StatusOr<ReleaseRun> ReleaseJob::RunOnce(int64_t now) {
  absl::MutexLock lock(&run_mu_);
  ReleaseRun run;
  const std::shared_ptr<const policy::Authorizer> authorizer = timer_.authorizer();
  if (authorizer == nullptr) return run;
  const policy::Catalogue& catalogue = authorizer->policy().catalogue();
  if (!catalogue.enabled || catalogue.tables.empty()) return run;
  if (witnesses_ != nullptr) {
    const std::optional<v1::Checkpoint> cosigned = witnesses_->LatestCosigned();
    if (!cosigned.has_value() || cosigned->tree_size() < size_at_start_) {
      run.deferred = true;
      return run;
    }
  }
  ASSIGN_OR_RETURN(const int64_t withheld_through, releases_.WithheldThrough());
  std::optional<std::vector<reporting::InterviewFacts>> facts;  // loaded once, when needed
  std::unique_ptr<reporting::UniformSource> noise = reporting::NewSodiumUniformSource();
  for (const policy::v1::CatalogueTable& table : catalogue.tables) {
    for (const reporting::PeriodId& period : DuePeriods(catalogue, table.period(), now)) {
      const std::string period_text = reporting::PeriodText(period);
      ASSIGN_OR_RETURN(bool decided, releases_.Decided(table.id(), period_text));
      if (decided) continue;
      RETURN_IF_ERROR(LoadAudited());
      if (audited_.count({table.id(), period_text}) > 0) {
        return absl::DataLossError(absl::StrCat(
            "release ", table.id(), " ", period_text,
            " is in the audit log but not in storage; it is never computed again"));
      }
      ASSIGN_OR_RETURN(LedgerHead head, releases_.Head());
      v1::LedgerEntry entry;
      entry.set_table_id(table.id());
      entry.set_period(period_text);
      entry.set_version(1);
      entry.set_unix_seconds(now);
      entry.set_year(static_cast<uint32_t>(period.year));
      ASSIGN_OR_RETURN(uint32_t spent, releases_.SpentInYear(entry.year()));
      store::Mutation mutation;
      // Any release in the history a restore lost had its period ended before the restore,
      // whatever the lag was then (the policy may have changed it since).
      if (reporting::PeriodEnd(period) <= withheld_through) {
        // Restored: this release may have been made in the history the restore lost.
        entry.set_kind("withheld");
        entry.set_year_spent_millis(spent);
        const LedgerHead next = releases_.Append(head, table.id(), period_text, "", entry, mutation);
        RETURN_IF_ERROR(recorder_
                            .Record(JobEvent("release_withheld",
                                             absl::StrCat("table ", table.id(), " period ", period_text,
                                                          ": due before the vault was restored, so "
                                                          "never computed; ledger entry ", entry.index(),
                                                          " head ", absl::BytesToHexString(next.hash))),
                                    std::move(mutation))
                            .status());
        audited_.emplace(table.id(), period_text);
        ++run.withheld;
        continue;
      }
      if (uint64_t{spent} + table.epsilon_millis() > catalogue.epsilon_cap_millis) {
        ++run.refused_over_cap;  // logged by Tick; the ledger stays as it is
        continue;
      }
      if (!facts.has_value()) {
        ASSIGN_OR_RETURN(facts, LoadInterviewFacts(store_, FactKeys::Derive(keys_.index_key()),
                                                   catalogue));
      }
      v1::Release release = reporting::ComputeRelease(catalogue, table, period, *facts, *noise);
      release.set_released_unix_seconds(now);
      release.set_ledger_previous_hash_hex(absl::BytesToHexString(head.hash));
      const std::string release_bytes = release.SerializeAsString();
      const VaultKeys::SigningKey key = keys_.CurrentSigningKey(crypto::kReleaseKeyPurpose);
      if (key.key == nullptr) return absl::FailedPreconditionError("no release key");
      v1::SignedRelease signed_release;
      signed_release.set_release(release_bytes);
      signed_release.set_signature(crypto::Sign(*key.key, ReleaseSigningBytes(release_bytes)));
      signed_release.set_release_key_version(key.version);
      signed_release.set_release_public_key(key.key->public_key);
      const std::string signed_bytes = signed_release.SerializeAsString();
      entry.set_kind("release");
      entry.set_epsilon_millis(table.epsilon_millis());
      entry.set_release_hash(crypto::Blake2b256(signed_bytes));
      entry.set_year_spent_millis(spent + table.epsilon_millis());
      const LedgerHead next =
          releases_.Append(head, table.id(), period_text, signed_bytes, entry, mutation);
      RETURN_IF_ERROR(
          recorder_
              .Record(JobEvent("release_published",
                               absl::StrCat("table ", table.id(), " period ", period_text,
                                            " version 1 epsilon ", table.epsilon_millis(),
                                            "/1000 (year ", period.year, ": ",
                                            entry.year_spent_millis(), "/",
                                            catalogue.epsilon_cap_millis, ") release blake2b256 ",
                                            absl::BytesToHexString(entry.release_hash()),
                                            " ledger entry ", entry.index(), " head ",
                                            absl::BytesToHexString(next.hash))),
                      std::move(mutation))
              .status());
      audited_.emplace(table.id(), period_text);
      ++run.released;
    }
  }
  return run;
}

}  // namespace confidant::server
