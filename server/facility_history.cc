#include "server/facility_history.h"

#include <optional>
#include <utility>

#include "base/bytes.h"
#include "base/log.h"
#include "base/status_macros.h"
#include "crypto/aead.h"
#include "policy/facility_registry.h"
#include "server/store/storage.pb.h"

namespace confidant::server {
namespace {

constexpr char kHistoryKey[] = "facility-history";

std::string AssociatedData() {
  std::string ad = DomainTag("confidant/v1/facility-history");
  AppendLengthPrefixed(ad, kHistoryKey);
  return ad;
}

}  // namespace

FacilityHistory::FacilityHistory(store::KvStore& store, const VaultKeys& keys)
    : store_(store), keys_(keys) {
  absl::StatusOr<std::optional<std::string>> sealed = store_.Get(store::Space::kMeta, kHistoryKey);
  if (!sealed.ok() || !sealed->has_value()) return;
  absl::StatusOr<std::string> opened =
      crypto::AeadOpen(keys_.metadata_key(), **sealed, AssociatedData());
  storage::v1::FacilityHistory saved;
  if (!opened.ok() || !saved.ParseFromString(*opened)) {
    LogEvent(LogLevel::kWarning, "facility_history_unreadable", {});
    return;
  }
  absl::MutexLock lock(&mu_);
  for (const storage::v1::FacilityHistory::Entry& entry : saved.entries()) {
    known_[entry.id()] = Known{static_cast<int>(entry.region()), entry.retired_unix_seconds()};
  }
}

absl::Status FacilityHistory::Observe(const policy::Catalogue& catalogue, int64_t now) {
  if (!policy::DeclaresFacilityRegistry(catalogue)) return absl::OkStatus();
  absl::MutexLock lock(&mu_);
  bool changed = false;
  std::map<std::string, Known, std::less<>> next;
  for (const policy::v1::Facility& facility : catalogue.facilities) {
    const Known listed{static_cast<int>(facility.region()), 0};
    auto it = known_.find(facility.id());
    changed = changed || it == known_.end() || it->second.region != listed.region ||
              it->second.retired != 0;
    next[facility.id()] = listed;
  }
  for (const auto& [id, known] : known_) {
    if (next.contains(id)) continue;
    const int64_t retired = known.retired != 0 ? known.retired : now;
    changed = changed || known.retired == 0;
    if (now - retired >= kIntakeGraceSeconds) {  // past the grace: forgotten
      changed = true;
      continue;
    }
    next[id] = Known{known.region, retired};
  }
  if (!changed) return absl::OkStatus();
  known_ = std::move(next);
  return Save();
}

bool FacilityHistory::AcceptsDropped(std::string_view facility_id, int region,
                                     int64_t envelope_created, int64_t now) const {
  absl::MutexLock lock(&mu_);
  auto it = known_.find(facility_id);
  if (it == known_.end() || it->second.retired == 0) return false;
  return it->second.region == region && envelope_created < it->second.retired &&
         now < it->second.retired + kIntakeGraceSeconds;
}

absl::Status FacilityHistory::Save() const {
  storage::v1::FacilityHistory saved;
  for (const auto& [id, known] : known_) {
    storage::v1::FacilityHistory::Entry* entry = saved.add_entries();
    entry->set_id(id);
    entry->set_region(static_cast<uint32_t>(known.region));
    entry->set_retired_unix_seconds(known.retired);
  }
  ASSIGN_OR_RETURN(std::string sealed, crypto::AeadSeal(keys_.metadata_key(),
                                                        saved.SerializeAsString(),
                                                        AssociatedData()));
  store::Mutation mutation;
  mutation.Put(store::Space::kMeta, kHistoryKey, std::move(sealed));
  return store_.Commit(mutation);
}

}  // namespace confidant::server
