#include "server/quota_keeper.h"

#include <optional>
#include <string>
#include <utility>

#include "base/bytes.h"
#include "base/log.h"
#include "base/status_macros.h"
#include "crypto/aead.h"

namespace confidant::server {
namespace {

constexpr char kCountersKey[] = "quota-counters";

std::string AssociatedData() {
  std::string ad = DomainTag("confidant/v1/quota-counters");
  AppendLengthPrefixed(ad, kCountersKey);
  return ad;
}

}  // namespace

QuotaKeeper::QuotaKeeper(store::KvStore& store, const VaultKeys& keys, QuotaTracker& tracker,
                         SecondsClock clock, absl::Duration period)
    : store_(store), keys_(keys), tracker_(tracker), clock_(std::move(clock)), period_(period) {
  if (absl::Status loaded = Load(); !loaded.ok()) {
    LogEvent(LogLevel::kWarning, "quota_counters_unreadable",
             {{"code", absl::StatusCodeToString(loaded.code())}});
  }
  {
    absl::MutexLock lock(&save_mu_);
    saved_generation_ = tracker_.generation();
  }
  thread_ = std::thread([this] { Run(); });
}

QuotaKeeper::~QuotaKeeper() { Stop(); }

absl::Status QuotaKeeper::Load() {
  ASSIGN_OR_RETURN(std::optional<std::string> sealed, store_.Get(store::Space::kMeta, kCountersKey));
  if (!sealed.has_value()) return absl::OkStatus();
  absl::StatusOr<std::string> opened =
      crypto::AeadOpen(keys_.metadata_key(), *sealed, AssociatedData());
  storage::v1::QuotaCounters saved;
  if (!opened.ok() || !saved.ParseFromString(*opened)) {
    return absl::DataLossError("the saved quota counters do not open");
  }
  tracker_.Import(saved, clock_());
  return absl::OkStatus();
}

absl::Status QuotaKeeper::SaveIfChanged() {
  absl::MutexLock lock(&save_mu_);
  const uint64_t generation = tracker_.generation();
  if (generation == saved_generation_) return absl::OkStatus();
  ASSIGN_OR_RETURN(std::string sealed,
                   crypto::AeadSeal(keys_.metadata_key(),
                                    tracker_.Export(clock_()).SerializeAsString(),
                                    AssociatedData()));
  store::Mutation mutation;
  mutation.Put(store::Space::kMeta, kCountersKey, std::move(sealed));
  RETURN_IF_ERROR(store_.Commit(mutation));
  saved_generation_ = generation;
  return absl::OkStatus();
}

void QuotaKeeper::Stop() {
  {
    absl::MutexLock lock(&mu_);
    if (stopping_) return;
    stopping_ = true;
  }
  if (thread_.joinable()) thread_.join();
  if (absl::Status saved = SaveIfChanged(); !saved.ok()) {
    LogEvent(LogLevel::kWarning, "quota_counters_not_saved",
             {{"code", absl::StatusCodeToString(saved.code())}});
  }
}

void QuotaKeeper::Run() {
  absl::MutexLock lock(&mu_);
  while (!stopping_) {
    mu_.AwaitWithTimeout(absl::Condition(&stopping_), period_);
    if (stopping_) break;
    mu_.Unlock();
    if (absl::Status saved = SaveIfChanged(); !saved.ok()) {
      LogEvent(LogLevel::kWarning, "quota_counters_not_saved",
               {{"code", absl::StatusCodeToString(saved.code())}});
    }
    mu_.Lock();
  }
}

}  // namespace confidant::server
