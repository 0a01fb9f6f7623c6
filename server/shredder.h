// Shredder: crypto-shredding of whole records (issue 6, "Retention and crypto-shredding"). No
// gRPC and no policy decisions here: callers decide which records go and why.
//
// Shredding one record deletes, in one synced batch together with its disposal receipt (an
// audit entry "record_shredded"), every stored key of it (layout in record_vault.h):
//   wraps:    id || ...   every wrap of every version's data keys: the crypto-shred itself,
//                         since without a wrap no key can open the section ciphertexts
//   sections: id || ...   the section ciphertexts
//   records:  id || ...   every version's header (sealed metadata, data-key commitments)
//   index:    "C" || id || ...   its consent changes
//             "B" || request id  its break-glass requests (under the break-glass decision lock)
//             keyed hashes       its submission index entries (found by opening every entry)
//             "D" || keyed hash  the likely-duplicate entry it owns (named in its metadata)
// A run then compacts, per space, the range spanning every key it deleted, so that no deleted
// byte remains in any file of the data directory (see KvStore::CompactRange).
#ifndef CONFIDANT_SERVER_SHREDDER_H_
#define CONFIDANT_SERVER_SHREDDER_H_

#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "server/audit/audit_log.h"
#include "server/audit_recorder.h"
#include "server/break_glass_store.h"
#include "server/store/kv_store.h"
#include "server/vault_keys.h"

namespace confidant::server {

// Why and on whose behalf records are shredded; copied into every disposal receipt.
struct ShredOrder {
  std::string rule;           // e.g. "vault:retention-expired"
  std::string why;            // e.g. "retention 3650 days (policy version 4)"
  std::string principal;      // the custodian who asked; empty for the vault's own daily run
  std::string requested_by;   // "person custodian-1" or "daily retention run"
  std::string role = "custodian";  // the principal's role, for the receipt
  // Per record id: the reason for that record's receipt instead of `why` (e.g. its retention
  // class and period).
  std::map<std::string, std::string> why_by_record = {};
};

// A record past retention: its id and when it was first submitted.
struct ExpiredRecord {
  std::string record_id;  // 32 hex characters
  int64_t submitted_unix_seconds = 0;
  std::string record_class = {};  // as stored; empty: the default class
};

// Thread-safe; one shredding run at a time. Borrows everything, which must outlive it.
class Shredder {
 public:
  using MicrosClock = std::function<int64_t()>;
  using Progress = std::function<void(size_t done, size_t total)>;
  // `record_lock` gives the lock that serialises writes to one record (RecordVault::RecordMutex,
  // by raw id): a record is shredded under it, so an amendment cannot land half-way. Without
  // one (tests with no record vault), a lock of the shredder's own is used.
  using RecordLock = std::function<absl::Mutex&(std::string_view raw_id)>;
  Shredder(store::KvStore& store, const VaultKeys& keys, const audit::AuditLog& log,
           AuditRecorder& recorder, BreakGlassStore& break_glass, MicrosClock clock,
           RecordLock record_lock = nullptr)
      : store_(store),
        keys_(keys),
        log_(log),
        recorder_(recorder),
        break_glass_(break_glass),
        clock_(std::move(clock)),
        record_lock_(std::move(record_lock)) {}
  Shredder(const Shredder&) = delete;
  Shredder& operator=(const Shredder&) = delete;

  // Records whose first submission is at least their retention before `now_seconds`, oldest
  // first; `retention_seconds` gives it for a record's class (as stored; empty for the default
  // class). DATA_LOSS if a header does not open.
  using RetentionFor = std::function<int64_t(std::string_view record_class)>;
  absl::StatusOr<std::vector<ExpiredRecord>> FindExpired(
      int64_t now_seconds, const RetentionFor& retention_seconds) const;
  // The same with one period for every record.
  absl::StatusOr<std::vector<ExpiredRecord>> FindExpired(int64_t now_seconds,
                                                         int64_t retention_seconds) const;

  // Shreds each of `record_ids` (already validated hex ids), one batch with its receipt per
  // record, reporting progress after each; records already gone are skipped. Then compacts the
  // affected ranges. Returns the ids shredded. FAILED_PRECONDITION (nothing done) while the
  // clock reads earlier than the audit log's last entry; on a failure part-way, the records
  // shredded so far stay shredded (their receipts are in the log), their ranges are still
  // compacted, and the first error is returned.
  absl::StatusOr<std::vector<std::string>> Shred(const std::vector<std::string>& record_ids,
                                                 const ShredOrder& order,
                                                 const Progress& progress = nullptr)
      ABSL_LOCKS_EXCLUDED(mu_);

  // FAILED_PRECONDITION while the clock reads earlier than the audit log's last entry.
  absl::Status CheckClock() const;

  // Runs `fn` while no shred runs (waiting for one to finish), and returns its status. For
  // writers of wraps that must not re-create a wrap of a record being shredded (the rewrap job).
  absl::Status WhileNotShredding(const std::function<absl::Status()>& fn) ABSL_LOCKS_EXCLUDED(mu_);

 private:
  // The first and last key deleted in one space.
  struct Range {
    std::string first, last;
    void Add(std::string_view key);
  };
  // Submission index keys by the record id their entry names.
  absl::StatusOr<std::map<std::string, std::vector<std::string>>> SubmissionKeys() const;
  // Shreds one record; false if it was already gone.
  absl::StatusOr<bool> ShredOne(const std::string& record_id,
                                const std::vector<std::string>& submission_keys,
                                const ShredOrder& order, std::map<store::Space, Range>& ranges);
  absl::Status Compact(const std::map<store::Space, Range>& ranges);

  store::KvStore& store_;
  const VaultKeys& keys_;
  const audit::AuditLog& log_;
  AuditRecorder& recorder_;
  BreakGlassStore& break_glass_;
  MicrosClock clock_;
  RecordLock record_lock_;
  absl::Mutex own_record_lock_;  // when no record_lock was given
  absl::Mutex mu_;  // one run at a time
};

}  // namespace confidant::server

#endif  // CONFIDANT_SERVER_SHREDDER_H_
