#include "server/release_job.h"

#include <atomic>
#include <string>
#include <vector>

#include "absl/strings/escaping.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "base/log.h"
#include "base/status_macros.h"
#include "crypto/asymmetric.h"
#include "crypto/key_transition.h"
#include "crypto/random.h"
#include "server/clock.h"
#include "server/facts.h"
#include "server/restore.h"
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
             {{"why", "a restore is in progress, or the witnesses have not cosigned this log "
                      "since unseal"}});
  } else if (run->released + run->revised + run->withheld + run->refused_over_cap > 0) {
    LogEvent(LogLevel::kInfo, "release_job",
             {{"released", absl::StrCat(run->released)},
              {"revised", absl::StrCat(run->revised)},
              {"withheld", absl::StrCat(run->withheld)},
              {"refused_over_cap", absl::StrCat(run->refused_over_cap)}});
  }
}

absl::Status ReleaseJob::LoadAudited() {
  if (audited_loaded_) return absl::OkStatus();
  RETURN_IF_ERROR(log_.ReadEntries(0, UINT64_MAX, [&](const v1::AuditEntry& entry) {
    const v1::AuditEvent& event = entry.event();
    if (event.rule() != kReleaseJobRule ||
        (event.action() != "release_published" && event.action() != "release_revised" &&
         event.action() != "release_withheld")) {
      return true;
    }
    // "table <id> period <period>[:] [version <n> ...]" (written by Publish and Withhold).
    const std::vector<std::string> words = absl::StrSplit(event.detail(), absl::MaxSplits(' ', 6));
    if (words.size() >= 4 && words[0] == "table" && words[2] == "period") {
      std::string period = words[3];
      if (!period.empty() && period.back() == ':') period.pop_back();
      uint32_t version = 1;
      if (words.size() >= 6 && words[4] == "version" && !absl::SimpleAtoi(words[5], &version)) {
        version = 1;
      }
      uint32_t& newest = audited_[{words[1], period}];
      newest = std::max(newest, version);
    }
    return true;
  }));
  audited_loaded_ = true;
  return absl::OkStatus();
}

absl::Status ReleaseJob::Publish(const Pass& pass, const policy::v1::CatalogueTable& table,
                                 const reporting::PeriodId& period, uint32_t version,
                                 uint32_t spent) {
  const std::string period_text = reporting::PeriodText(period);
  if (!pass.facts->has_value()) {
    ASSIGN_OR_RETURN(*pass.facts, LoadInterviewFacts(store_, FactKeys::Derive(keys_.index_key()),
                                                     pass.catalogue));
  }
  ASSIGN_OR_RETURN(LedgerHead head, releases_.Head());
  v1::Release release =
      reporting::ComputeRelease(pass.catalogue, table, period, **pass.facts, pass.noise);
  release.set_version(version);
  release.set_released_unix_seconds(pass.now);
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
  v1::LedgerEntry entry;
  entry.set_table_id(table.id());
  entry.set_period(period_text);
  entry.set_version(version);
  entry.set_unix_seconds(pass.now);
  entry.set_year(static_cast<uint32_t>(period.year));
  entry.set_kind(version == 1 ? "release" : "revision");
  entry.set_epsilon_millis(table.epsilon_millis());
  entry.set_release_hash(crypto::Blake2b256(signed_bytes));
  entry.set_year_spent_millis(spent + table.epsilon_millis());
  store::Mutation mutation;
  const LedgerHead next =
      releases_.Append(head, table.id(), period_text, signed_bytes, entry, mutation);
  RETURN_IF_ERROR(
      recorder_
          .Record(JobEvent(version == 1 ? "release_published" : "release_revised",
                           absl::StrCat("table ", table.id(), " period ", period_text,
                                        " version ", version, " epsilon ", table.epsilon_millis(),
                                        "/1000 (year ", period.year, ": ",
                                        entry.year_spent_millis(), "/",
                                        pass.catalogue.epsilon_cap_millis,
                                        ") release blake2b256 ",
                                        absl::BytesToHexString(entry.release_hash()),
                                        " ledger entry ", entry.index(), " head ",
                                        absl::BytesToHexString(next.hash))),
                  std::move(mutation))
          .status());
  uint32_t& newest = audited_[{table.id(), period_text}];
  newest = std::max(newest, version);
  return absl::OkStatus();
}

absl::Status ReleaseJob::Withhold(const Pass& pass, const policy::v1::CatalogueTable& table,
                                  const reporting::PeriodId& period, uint32_t spent) {
  const std::string period_text = reporting::PeriodText(period);
  ASSIGN_OR_RETURN(LedgerHead head, releases_.Head());
  v1::LedgerEntry entry;
  entry.set_table_id(table.id());
  entry.set_period(period_text);
  entry.set_version(1);
  entry.set_unix_seconds(pass.now);
  entry.set_year(static_cast<uint32_t>(period.year));
  entry.set_kind("withheld");
  // Charged as if released: it may have been, in the history the restore lost, and the ledger
  // must not under-count the year.
  entry.set_epsilon_millis(table.epsilon_millis());
  entry.set_year_spent_millis(spent + table.epsilon_millis());
  store::Mutation mutation;
  const LedgerHead next = releases_.Append(head, table.id(), period_text, "", entry, mutation);
  RETURN_IF_ERROR(recorder_
                      .Record(JobEvent("release_withheld",
                                       absl::StrCat("table ", table.id(), " period ", period_text,
                                                    ": due before the vault was restored, so "
                                                    "never computed; ledger entry ", entry.index(),
                                                    " head ", absl::BytesToHexString(next.hash))),
                              std::move(mutation))
                      .status());
  uint32_t& newest = audited_[{table.id(), period_text}];
  newest = std::max<uint32_t>(newest, 1);
  return absl::OkStatus();
}

absl::Status ReleaseJob::Revise(const Pass& pass, const std::string& table_id,
                                const std::string& period_text, ReleaseRun& run) {
  const policy::v1::CatalogueTable* table = pass.catalogue.FindTable(table_id);
  absl::StatusOr<reporting::PeriodId> period = reporting::ParsePeriod(period_text);
  absl::StatusOr<std::optional<std::pair<uint32_t, std::string>>> newest =
      releases_.FindVersion(table_id, period_text, 0);
  RETURN_IF_ERROR(newest.status());
  RETURN_IF_ERROR(LoadAudited());
  const auto audited = audited_.find({table_id, period_text});
  std::string refused;
  uint32_t spent = 0;
  if (table == nullptr || !period.ok() || !newest->has_value() ||
      (period->quarter == 0) != (table->period() == policy::v1::YEAR)) {
    refused = "the table left the catalogue or changed its period, or the period was never released";
  } else if (audited != audited_.end() && audited->second > (*newest)->first) {
    // A version the audit log names but storage lost is never drawn again.
    refused = absl::StrCat("version ", audited->second,
                           " is in the audit log but not in storage; it is never drawn again");
  } else if (reporting::PeriodEnd(*period) <= pass.withheld_through) {
    // Versions made in the history a restore lost are not in this ledger.
    refused = "the vault was restored since this period closed; it is frozen for good";
  } else {
    const uint32_t year = static_cast<uint32_t>(period->year);
    ASSIGN_OR_RETURN(spent, releases_.SpentInYear(year));
    ASSIGN_OR_RETURN(const uint32_t revised, releases_.RevisionsInYear(year));
    // Revisions spend only what the catalogue leaves under the cap: scheduled releases never
    // pass the catalogue's worst case, so the year stays under the cap even if a restore lost
    // revisions this ledger cannot see.
    const uint32_t cap = pass.catalogue.epsilon_cap_millis;
    const uint32_t worst = pass.catalogue.worst_case_epsilon_millis;
    const uint32_t headroom = cap > worst ? cap - worst : 0;
    if (uint64_t{revised} + table->epsilon_millis() > headroom ||
        uint64_t{spent} + table->epsilon_millis() > cap) {
      refused = absl::StrCat("revisions of ", year, " may spend ", headroom,
                             "/1000 (the cap less the catalogue's worst case); ", revised,
                             " spent on revisions, ", spent, "/", cap, " in all");
    }
  }
  if (!refused.empty()) {
    store::Mutation drop;
    drop.Delete(store::Space::kMeta, RevisionRequestKey(table_id, period_text));
    v1::AuditEvent event = JobEvent("release_revision_refused",
                                    absl::StrCat("table ", table_id, " period ", period_text,
                                                 ": ", refused));
    event.set_flagged(true);
    RETURN_IF_ERROR(recorder_.Record(std::move(event), std::move(drop)).status());
    ++run.refused_over_cap;
    return absl::OkStatus();
  }
  RETURN_IF_ERROR(Publish(pass, *table, *period, (*newest)->first + 1, spent));
  ++run.revised;
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
  // A restore in progress (its shred register not yet re-applied): nothing is computed.
  ASSIGN_OR_RETURN(std::optional<std::string> restoring,
                   store_.Get(store::Space::kMeta, kRestoreMarkerKey));
  if (restoring.has_value()) {
    run.deferred = true;
    return run;
  }
  ASSIGN_OR_RETURN(const int64_t withheld_through, releases_.WithheldThrough());
  std::optional<std::vector<reporting::InterviewFacts>> facts;  // loaded once, when needed
  std::unique_ptr<reporting::UniformSource> noise = reporting::NewSodiumUniformSource();
  const Pass pass{catalogue, now, &facts, *noise, withheld_through};
  for (const policy::v1::CatalogueTable& table : catalogue.tables) {
    for (const reporting::PeriodId& period : DuePeriods(catalogue, table.period(), now)) {
      const std::string period_text = reporting::PeriodText(period);
      ASSIGN_OR_RETURN(bool decided, releases_.Decided(table.id(), period_text));
      if (decided) continue;
      RETURN_IF_ERROR(LoadAudited());
      if (audited_.count({table.id(), period_text}) > 0) {  // any version
        return absl::DataLossError(absl::StrCat(
            "release ", table.id(), " ", period_text,
            " is in the audit log but not in storage; it is never computed again"));
      }
      ASSIGN_OR_RETURN(uint32_t spent, releases_.SpentInYear(static_cast<uint32_t>(period.year)));
      // Any release in the history a restore lost had its period ended before the restore,
      // whatever the lag was then (the policy may have changed it since).
      if (reporting::PeriodEnd(period) <= withheld_through) {
        RETURN_IF_ERROR(Withhold(pass, table, period, spent));
        ++run.withheld;
        continue;
      }
      if (uint64_t{spent} + table.epsilon_millis() > catalogue.epsilon_cap_millis) {
        ++run.refused_over_cap;  // logged by Tick; the ledger stays as it is
        continue;
      }
      RETURN_IF_ERROR(Publish(pass, table, period, 1, spent));
      ++run.released;
    }
  }
  // Revisions a custodian asked for: new versions, charged like releases.
  ASSIGN_OR_RETURN(auto pending, releases_.PendingRevisions());
  for (const auto& [table_id, period_text] : pending) {
    RETURN_IF_ERROR(Revise(pass, table_id, period_text, run));
  }
  return run;
}

}  // namespace confidant::server
