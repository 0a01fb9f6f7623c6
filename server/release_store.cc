#include "server/release_store.h"

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "base/status_macros.h"
#include "crypto/random.h"

namespace confidant::server {
namespace {

constexpr std::string_view kReleasePrefix = "reporting/release/";
constexpr std::string_view kLedgerPrefix = "reporting/ledger/";
constexpr std::string_view kHeadKey = "reporting/ledger-head";

// absl::StrCat does not take std::string_view with this Abseil.
std::string Cat(std::initializer_list<std::string_view> parts) {
  std::string out;
  for (std::string_view p : parts) out.append(p);
  return out;
}

std::string LedgerKey(uint64_t index) {
  return absl::StrFormat("%s%016d", std::string(kLedgerPrefix), index);
}

}  // namespace

std::string ReleaseStorageKey(std::string_view table_id, std::string_view period) {
  return Cat({kReleasePrefix, table_id, "/", period});
}

std::string WithheldStorageKey(std::string_view table_id, std::string_view period) {
  return Cat({"reporting/withheld/", table_id, "/", period});
}

absl::StatusOr<bool> ReleaseStore::Decided(std::string_view table_id, std::string_view period) const {
  ASSIGN_OR_RETURN(std::optional<std::string> release, Find(table_id, period));
  if (release.has_value()) return true;
  ASSIGN_OR_RETURN(std::optional<std::string> withheld,
                   store_.Get(store::Space::kMeta, WithheldStorageKey(table_id, period)));
  return withheld.has_value();
}

std::string ReleaseVersionKey(std::string_view table_id, std::string_view period, uint32_t version) {
  if (version <= 1) return ReleaseStorageKey(table_id, period);
  return absl::StrFormat("%s/v%06d", ReleaseStorageKey(table_id, period), version);
}

std::string RevisionRequestKey(std::string_view table_id, std::string_view period) {
  return Cat({"reporting/revision-requested/", table_id, "/", period});
}

absl::StatusOr<std::optional<std::pair<uint32_t, std::string>>> ReleaseStore::FindVersion(
    std::string_view table_id, std::string_view period, uint32_t version) const {
  using Found = std::optional<std::pair<uint32_t, std::string>>;
  if (version != 0) {
    ASSIGN_OR_RETURN(std::optional<std::string> bytes,
                     store_.Get(store::Space::kMeta, ReleaseVersionKey(table_id, period, version)));
    if (!bytes.has_value()) return Found();
    return Found(std::make_pair(version, *std::move(bytes)));
  }
  ASSIGN_OR_RETURN(std::optional<std::string> first, Find(table_id, period));
  if (!first.has_value()) return Found();
  Found newest(std::make_pair(1u, *std::move(first)));
  const std::string prefix = Cat({ReleaseStorageKey(table_id, period), "/v"});
  absl::Status failed;
  RETURN_IF_ERROR(store_.Scan(store::Space::kMeta, prefix, [&](std::string_view key, std::string_view value) {
    uint32_t n = 0;
    if (!absl::SimpleAtoi(absl::string_view(key.data() + prefix.size(), key.size() - prefix.size()), &n) ||
        n < 2) {
      failed = absl::DataLossError("a stored release version is damaged");
      return false;
    }
    if (n > newest->first) newest = std::make_pair(n, std::string(value));
    return true;
  }));
  RETURN_IF_ERROR(failed);
  return newest;
}

absl::StatusOr<std::vector<std::pair<std::string, std::string>>> ReleaseStore::PendingRevisions()
    const {
  std::vector<std::pair<std::string, std::string>> pending;
  constexpr std::string_view kPrefix = "reporting/revision-requested/";
  RETURN_IF_ERROR(store_.Scan(store::Space::kMeta, kPrefix, [&](std::string_view key, std::string_view) {
    const std::string_view rest = key.substr(kPrefix.size());
    const size_t slash = rest.find('/');
    if (slash != std::string_view::npos) {
      pending.emplace_back(std::string(rest.substr(0, slash)), std::string(rest.substr(slash + 1)));
    }
    return true;
  }));
  return pending;
}

std::string ReleaseSigningBytes(std::string_view release_bytes) {
  return Cat({"confidant/v1/release", std::string_view("\0", 1), release_bytes});
}

std::string LedgerHead::Encode() const {
  std::string out(8, '\0');
  for (int i = 0; i < 8; ++i) out[i] = static_cast<char>(count >> (56 - 8 * i));
  return absl::StrCat(out, hash);
}

absl::StatusOr<std::optional<std::string>> ReleaseStore::Find(std::string_view table_id,
                                                              std::string_view period) const {
  return store_.Get(store::Space::kMeta, ReleaseStorageKey(table_id, period));
}

absl::StatusOr<std::vector<std::string>> ReleaseStore::ReleasedPeriods(
    std::string_view table_id) const {
  std::vector<std::string> periods;
  const std::string prefix = Cat({kReleasePrefix, table_id, "/"});
  RETURN_IF_ERROR(store_.Scan(store::Space::kMeta, prefix, [&](std::string_view key, std::string_view) {
    const std::string_view period = key.substr(prefix.size());
    if (period.find('/') == std::string_view::npos) periods.emplace_back(period);  // not "/vN"
    return true;
  }));
  return periods;
}

absl::StatusOr<LedgerHead> ReleaseStore::Head() const {
  ASSIGN_OR_RETURN(std::optional<std::string> stored, store_.Get(store::Space::kMeta, kHeadKey));
  LedgerHead head;
  if (!stored.has_value()) return head;
  if (stored->size() != 40) return absl::DataLossError("the privacy ledger's head is damaged");
  head.count = 0;
  for (int i = 0; i < 8; ++i) head.count = (head.count << 8) | static_cast<uint8_t>((*stored)[i]);
  head.hash = stored->substr(8);
  return head;
}

absl::StatusOr<v1::Ledger> ReleaseStore::Ledger() const {
  ASSIGN_OR_RETURN(LedgerHead head, Head());
  v1::Ledger ledger;
  std::string previous(32, '\0');
  uint64_t expected = 0;
  bool broken = false;
  RETURN_IF_ERROR(store_.Scan(store::Space::kMeta, kLedgerPrefix, [&](std::string_view key,
                                                                      std::string_view value) {
    v1::LedgerEntry entry;
    if (key != LedgerKey(expected) || !entry.ParseFromString(std::string(value)) ||
        entry.index() != expected || entry.previous_hash() != previous) {
      broken = true;
      return false;
    }
    previous = crypto::Blake2b256(value);
    *ledger.add_entries() = std::move(entry);
    ++expected;
    return true;
  }));
  if (broken || expected != head.count || previous != head.hash) {
    return absl::DataLossError("the privacy ledger does not verify");
  }
  ledger.set_head(previous);
  return ledger;
}

absl::StatusOr<uint32_t> ReleaseStore::SpentInYear(uint32_t year) const {
  ASSIGN_OR_RETURN(v1::Ledger ledger, Ledger());
  uint64_t spent = 0;
  for (const v1::LedgerEntry& e : ledger.entries()) {
    if (e.year() == year) spent += e.epsilon_millis();
  }
  return static_cast<uint32_t>(std::min<uint64_t>(spent, UINT32_MAX));
}

absl::StatusOr<uint32_t> ReleaseStore::RevisionsInYear(uint32_t year) const {
  ASSIGN_OR_RETURN(v1::Ledger ledger, Ledger());
  uint64_t spent = 0;
  for (const v1::LedgerEntry& e : ledger.entries()) {
    if (e.year() == year && e.kind() == "revision") spent += e.epsilon_millis();
  }
  return static_cast<uint32_t>(std::min<uint64_t>(spent, UINT32_MAX));
}

absl::StatusOr<int64_t> ReleaseStore::WithheldThrough() const {
  ASSIGN_OR_RETURN(std::optional<std::string> stored,
                   store_.Get(store::Space::kMeta, kReleaseWithheldThroughKey));
  int64_t through = 0;
  if (stored.has_value() && !absl::SimpleAtoi(*stored, &through)) {
    return absl::DataLossError("the release withholding mark is damaged");
  }
  return through;
}

LedgerHead ReleaseStore::Append(const LedgerHead& head, std::string_view table_id,
                                std::string_view period, std::string_view signed_release,
                                v1::LedgerEntry& entry, store::Mutation& mutation) const {
  entry.set_index(head.count);
  entry.set_previous_hash(head.hash);
  const std::string entry_bytes = entry.SerializeAsString();
  LedgerHead next{head.count + 1, crypto::Blake2b256(entry_bytes)};
  // A withheld period gets a marker instead of a release, so that it is decided once.
  const std::string key = signed_release.empty()
                              ? WithheldStorageKey(table_id, period)
                              : ReleaseVersionKey(table_id, period, entry.version());
  if (entry.kind() == "revision") {
    mutation.Delete(store::Space::kMeta, RevisionRequestKey(table_id, period));
  }
  mutation.Put(store::Space::kMeta, key, std::string(signed_release));
  mutation.Put(store::Space::kMeta, LedgerKey(head.count), entry_bytes);
  mutation.Put(store::Space::kMeta, std::string(kHeadKey), next.Encode());
  return next;
}

}  // namespace confidant::server
