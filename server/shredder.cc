// Crypto-shredding: one batch and one disposal receipt per record, then compaction.
#include "server/shredder.h"

#include <algorithm>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "base/status_macros.h"
#include "crypto/aead.h"
#include "server/facts.h"
#include "server/record_consent.h"
#include "server/record_layout.h"
#include "server/record_versions.h"

namespace confidant::server {
namespace {

constexpr size_t kSubmissionKeyBytes = 32;  // a keyed hash (record_layout.h)

std::string Utc(int64_t unix_seconds) {
  return absl::FormatTime("%Y-%m-%dT%H:%M:%SZ", absl::FromUnixSeconds(unix_seconds),
                          absl::UTCTimeZone());
}

// What one record's shred deletes, counted for its receipt.
struct Deletion {
  store::Mutation mutation;
  std::vector<std::pair<store::Space, std::string>> keys;
  int headers = 0, sections = 0, wraps = 0, consents = 0, submissions = 0, facts = 0;
  int likely_duplicates = 0;
  int64_t submitted_unix_seconds = 0;

  void Delete(store::Space space, std::string_view key) {
    mutation.Delete(space, std::string(key));
    keys.emplace_back(space, std::string(key));
  }
};

// Adds the deletion of every key under `prefix` in `space` (of exactly `key_size` bytes, when
// non-zero) to `deletion`; returns how many.
absl::StatusOr<int> DeleteUnder(const store::KvStore& store, store::Space space,
                                std::string_view prefix, size_t key_size, Deletion& deletion) {
  int n = 0;
  RETURN_IF_ERROR(store.Scan(space, prefix, [&](std::string_view key, std::string_view) {
    if (key_size == 0 || key.size() == key_size) {
      deletion.Delete(space, key);
      ++n;
    }
    return true;
  }));
  return n;
}

// Adds the deletion of the likely-duplicate index entry at `key` if it still names
// `record_id`; returns 0 or 1.
absl::StatusOr<int> DeleteDuplicateEntryAt(const store::KvStore& store, const VaultKeys& keys,
                                           const std::string& key, std::string_view record_id,
                                           Deletion& deletion) {
  if (key.size() != kLikelyDuplicateKeyBytes || key.substr(0, 1) != kLikelyDuplicatePrefix) {
    return 0;
  }
  ASSIGN_OR_RETURN(std::optional<std::string> value, store.Get(store::Space::kIndex, key));
  if (!value.has_value()) return 0;
  absl::StatusOr<std::string> opened =
      crypto::AeadOpen(keys.metadata_key(), *value, LikelyDuplicateAssociatedData(key));
  storage::v1::LikelyDuplicateEntry entry;
  if (!opened.ok() || !entry.ParseFromString(*opened)) {
    return absl::DataLossError("decryption failed");
  }
  if (entry.record_id() != record_id) return 0;
  deletion.Delete(store::Space::kIndex, key);
  return 1;
}

// Adds the deletion of the likely-duplicate index entries `first` (the record's first version)
// names as its own (record_vault.h): the triple's shared entry and its submitter's own entry,
// each if it still names this record; returns how many. A record flagged as a likely duplicate
// owns no shared entry: the earlier record's stays.
absl::StatusOr<int> DeleteLikelyDuplicateEntry(const store::KvStore& store, const VaultKeys& keys,
                                               const LoadedRecord& first,
                                               std::string_view record_id, Deletion& deletion) {
  ASSIGN_OR_RETURN(int shared, DeleteDuplicateEntryAt(store, keys,
                                                      first.metadata.likely_duplicate_key(),
                                                      record_id, deletion));
  ASSIGN_OR_RETURN(int own, DeleteDuplicateEntryAt(store, keys, first.metadata.own_duplicate_key(),
                                                   record_id, deletion));
  return shared + own;
}

// The disposal receipt of one record.
v1::AuditEvent Receipt(const std::string& record_id, const ShredOrder& order,
                       const Deletion& d, int break_glass_requests) {
  v1::AuditEvent event;
  event.set_action("record_shredded");
  event.set_principal(order.principal);
  if (!order.principal.empty()) event.set_role(order.role);
  event.set_decision(v1::ALLOW);
  event.set_rule(order.rule);
  event.set_status_code("OK");
  event.add_record_ids(record_id);
  auto why = order.why_by_record.find(record_id);
  event.set_detail(absl::StrCat(
      why == order.why_by_record.end() ? order.why : why->second, "; first submitted ", Utc(d.submitted_unix_seconds), "; ", order.requested_by,
      "; crypto-shred: destroyed ", d.wraps, " data-key wraps, ", d.sections,
      " section ciphertexts, ", d.headers, " version headers, ", d.consents,
      " consent changes, ", break_glass_requests, " break-glass requests, ", d.submissions,
      " submission index entries, ", d.likely_duplicates, " likely-duplicate index entries, ",
      d.facts, " facts and person links; the affected storage ranges are compacted next"));
  return event;
}

}  // namespace

void Shredder::Range::Add(std::string_view key) {
  if (first.empty() || key < first) first = std::string(key);
  if (last.empty() || key > last) last = std::string(key);
}

absl::Status Shredder::CheckClock() const {
  // The entry time first: an entry committed in between carries an earlier clock reading.
  const int64_t last_entry = log_.LastEntryMicros();
  if (clock_() >= last_entry) return absl::OkStatus();
  return absl::FailedPreconditionError(
      "the system clock reads earlier than the vault's last audit entry; nothing is shredded "
      "until it is corrected");
}

absl::StatusOr<std::vector<ExpiredRecord>> Shredder::FindExpired(int64_t now_seconds,
                                                                 int64_t retention_seconds) const {
  return FindExpired(now_seconds, [retention_seconds](std::string_view) {
    return retention_seconds;
  });
}

absl::StatusOr<std::vector<ExpiredRecord>> Shredder::FindExpired(
    int64_t now_seconds, const RetentionFor& retention_seconds) const {
  std::vector<ExpiredRecord> expired;
  absl::Status failed;
  RETURN_IF_ERROR(store_.Scan(store::Space::kRecords, "", [&](std::string_view key,
                                                              std::string_view value) {
    if (key.size() != kRecordIdBytes + 8) return true;
    const std::string_view raw_id = key.substr(0, kRecordIdBytes);
    if (key != RecordKey(raw_id, 1)) return true;  // the first version carries the submission
    const std::string id_hex = RecordIdToHex(raw_id);
    absl::StatusOr<LoadedRecord> loaded = OpenHeader(keys_, id_hex, value);
    if (!loaded.ok()) {
      failed = loaded.status();
      return false;
    }
    const int64_t submitted = loaded->metadata.submitted_unix_seconds();
    const std::string& record_class = loaded->metadata.record_class();
    if (now_seconds - submitted >= retention_seconds(record_class)) {
      expired.push_back({id_hex, submitted, record_class});
    }
    return true;
  }));
  RETURN_IF_ERROR(failed);
  std::stable_sort(expired.begin(), expired.end(), [](const auto& a, const auto& b) {
    return a.submitted_unix_seconds < b.submitted_unix_seconds;
  });
  return expired;
}

absl::StatusOr<std::map<std::string, std::vector<std::string>>> Shredder::SubmissionKeys() const {
  std::map<std::string, std::vector<std::string>> by_record;
  absl::Status failed;
  RETURN_IF_ERROR(store_.Scan(store::Space::kIndex, "", [&](std::string_view key,
                                                            std::string_view value) {
    // Consent changes ("C", 29 bytes) and break-glass requests ("B", 17 bytes) share the space.
    if (key.size() != kSubmissionKeyBytes) return true;
    absl::StatusOr<std::string> opened =
        crypto::AeadOpen(keys_.metadata_key(), value, SubmissionAssociatedData(key));
    storage::v1::SubmissionEntry entry;
    if (!opened.ok() || !entry.ParseFromString(*opened)) {
      failed = absl::DataLossError("decryption failed");
      return false;
    }
    by_record[entry.record_id()].emplace_back(key);
    return true;
  }));
  RETURN_IF_ERROR(failed);
  return by_record;
}

absl::StatusOr<bool> Shredder::ShredOne(const std::string& record_id,
                                        const std::vector<std::string>& submission_keys,
                                        const ShredOrder& order,
                                        std::map<store::Space, Range>& ranges) {
  const std::string raw_id = RecordIdFromHex(record_id);
  // No amendment, and no read, of this record while it goes.
  absl::MutexLock record_lock(record_lock_ ? &record_lock_(raw_id) : &own_record_lock_);
  Deletion d;
  ASSIGN_OR_RETURN(std::optional<LoadedRecord> first,
                   LoadVersion(store_, keys_, raw_id, record_id, 1));
  if (!first.has_value()) return false;  // already shredded (or never stored)
  d.submitted_unix_seconds = first->metadata.submitted_unix_seconds();
  ASSIGN_OR_RETURN(d.wraps, DeleteUnder(store_, store::Space::kWraps, raw_id, 0, d));
  ASSIGN_OR_RETURN(d.sections, DeleteUnder(store_, store::Space::kSections, raw_id, 0, d));
  ASSIGN_OR_RETURN(d.headers, DeleteUnder(store_, store::Space::kRecords, raw_id, 0, d));
  ASSIGN_OR_RETURN(d.consents, DeleteUnder(store_, store::Space::kIndex, ConsentPrefix(raw_id),
                                           kConsentKeyBytes, d));
  for (const std::string& key : submission_keys) d.Delete(store::Space::kIndex, key);
  d.submissions = static_cast<int>(submission_keys.size());
  ASSIGN_OR_RETURN(d.likely_duplicates,
                   DeleteLikelyDuplicateEntry(store_, keys_, *first, record_id, d));
  // Its de-identified facts and person links go too (a release already made keeps its noisy,
  // frozen numbers: that is the point of freezing).
  std::vector<std::string> fact_keys;
  RETURN_IF_ERROR(DeleteFacts(store_, raw_id, d.mutation, fact_keys));
  for (std::string& key : fact_keys) d.keys.emplace_back(store::Space::kFacts, std::move(key));
  d.facts = static_cast<int>(fact_keys.size());

  std::vector<std::string> break_glass_keys;
  store::Mutation mutation = std::move(d.mutation);
  RETURN_IF_ERROR(break_glass_.DeleteForRecord(
      record_id, std::move(mutation),
      [&](store::Mutation complete) -> absl::Status {
        const int requests = static_cast<int>(complete.ops().size()) -
                             static_cast<int>(d.keys.size());
        return recorder_.Record(Receipt(record_id, order, d, requests), std::move(complete))
            .status();  // the deletion and its receipt: one synced batch
      },
      break_glass_keys));
  for (const auto& [space, key] : d.keys) ranges[space].Add(key);
  for (const std::string& key : break_glass_keys) ranges[store::Space::kIndex].Add(key);
  return true;
}

absl::Status Shredder::Compact(const std::map<store::Space, Range>& ranges) {
  for (const auto& [space, range] : ranges) {
    RETURN_IF_ERROR(store_.CompactRange(space, range.first, range.last));
  }
  return absl::OkStatus();
}

absl::Status Shredder::WhileNotShredding(const std::function<absl::Status()>& fn) {
  absl::MutexLock lock(&mu_);
  return fn();
}

absl::StatusOr<std::vector<std::string>> Shredder::Shred(
    const std::vector<std::string>& record_ids, const ShredOrder& order,
    const Progress& progress) {
  absl::MutexLock lock(&mu_);
  RETURN_IF_ERROR(CheckClock());
  ASSIGN_OR_RETURN(auto submissions, SubmissionKeys());
  std::vector<std::string> shredded;
  std::map<store::Space, Range> ranges;
  absl::Status failed;
  for (size_t i = 0; i < record_ids.size(); ++i) {
    const std::string& id = record_ids[i];
    absl::StatusOr<bool> done = ShredOne(id, submissions[id], order, ranges);
    if (!done.ok()) {
      failed = done.status();
      break;
    }
    if (*done) shredded.push_back(id);
    if (progress) progress(i + 1, record_ids.size());
  }
  absl::Status compacted = Compact(ranges);
  RETURN_IF_ERROR(failed);
  RETURN_IF_ERROR(compacted);
  return shredded;
}

}  // namespace confidant::server
