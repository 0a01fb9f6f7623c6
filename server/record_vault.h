// RecordVault: submitting, reading and listing records on top of KvStore and VaultKeys. No gRPC
// here; the service layer authenticates, authorises and maps statuses.
//
// Storage layout (record id = 16 random bytes; written as 32 hex characters outside storage):
//   records:  id || u64(version)                                -> StoredRecord
//   sections: id || u64(version) || u8(section)                 -> section ciphertext
//   wraps:    id || u64(version) || u8(section) || u8(role) || u32(role key version)
//                                                               -> wrapped data key
//   index:    KeyedHash(index key, "confidant/v1/submission" 0x00 lp(principal) lp(submission id))
//                                                               -> SubmissionEntry, sealed
//             (submissions and amendments share it: a submission id is used once per principal)
//   index:    "C" || id || u64(time micros) || 4 random bytes   -> ConsentChange, sealed
//   index:    "D" || KeyedHash(likely-duplicate key, lp(pseudonym) lp(facility) lp(visit date))
//                                                               -> LikelyDuplicateEntry, sealed
//             (the first record of one person at one facility on one date; one Get at intake
//             flags later ones; record_layout.h LikelyDuplicateKey)
// An amendment adds version N+1 (header, sections, wraps) and never touches version N.
// Sealed metadata uses the metadata key with associated data
//   "confidant/v1/record-meta" 0x00 lp(record id hex) u64(version)   (StoredRecord)
//   "confidant/v1/submission"  0x00 lp(index key bytes)               (SubmissionEntry)
//   "confidant/v1/consent"     0x00 lp(record id hex) lp(storage key)  (ConsentChange)
//   "confidant/v1/likely-duplicate" 0x00 lp(storage key)              (LikelyDuplicateEntry)
#ifndef CONFIDANT_SERVER_RECORD_VAULT_H_
#define CONFIDANT_SERVER_RECORD_VAULT_H_

#include <array>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "confidant/v1/record_service.pb.h"
#include "policy/authorizer.h"
#include "server/store/kv_store.h"
#include "server/store/storage.pb.h"
#include "server/facility_history.h"
#include "server/vault_keys.h"

namespace confidant::server {

// How far an envelope's created_unix_seconds may lie before its intake key's creation or after
// the vault's clock (a field laptop in the wrong time zone).
inline constexpr int64_t kEnvelopeClockSlackSeconds = 24 * 3600;

// A page of ListRecords holds at most this many bytes of summaries (besides page_size), half
// the gRPC message limit (proto/record_validation.h), so a listing never fails to send.
inline constexpr size_t kMaxListPageBytes = 128 * 1024;

// True when envelopes sealed to `key` are accepted at `now`: the current key, or a retired one
// within kIntakeGraceSeconds of its retirement.
bool IntakeKeyAccepted(const IntakeKeyVersion& key, uint32_t current_version, int64_t now);

// Thread-safe. Borrows `store` and `keys`, which must outlive it.
class RecordVault {
 public:
  using Clock = std::function<int64_t()>;  // unix seconds
  // `facilities` (borrowed): a facility dropped from the registry after an envelope was sealed
  // is accepted within the grace (server/facility_history.h).
  RecordVault(store::KvStore& store, const VaultKeys& keys, const FacilityHistory& facilities,
              Clock clock)
      : store_(store), keys_(keys), facilities_(facilities), clock_(std::move(clock)) {}

  // Opens, checks and stores one sealed submission from `principal` (already authorised to
  // submit). Wraps each section's data key for every role `authorizer` grants that section.
  // INVALID_ARGUMENT: bad id, unknown/expired intake key, envelope that does not open, payload
  // that does not parse or match the request, a creation time outside [intake key created -
  // kEnvelopeClockSlackSeconds, now + kEnvelopeClockSlackSeconds], invalid record. PERMISSION_DENIED: envelope sealed
  // for another principal. ALREADY_EXISTS: submission id reused with other content.
  //
  // Likely duplicates: a record whose identity gives a person pseudonym (server/facts.h) and
  // whose pseudonym, facility_id and visit_date match an earlier record's is stored all the
  // same, with response.likely_duplicate set; `commit` is then told the earlier record's id (for
  // the audit entry), and listings show it (RecordSummary.likely_duplicate_of). The first record
  // of such a triple owns its index entry, which the shredder deletes with it.
  //
  // The record is not written by Submit itself: `commit` receives the mutation (empty for a
  // duplicate), the response and the id of the record this one likely duplicates (empty if
  // none), and must write both the mutation and the audit entry in one synced batch (filling the
  // response's receipt); Submit holds the submission's lock meanwhile.
  using CommitFn = std::function<absl::Status(store::Mutation, v1::SubmitRecordResponse&,
                                              std::string_view likely_duplicate_of)>;
  absl::StatusOr<v1::SubmitRecordResponse> Submit(std::string_view principal,
                                                  std::string_view person_id,
                                                  const v1::SubmitRecordRequest& request,
                                                  const policy::Authorizer& authorizer,
                                                  const CommitFn& commit);

  // Stores a new version of `request.record_id()` from `principal` (already authorised to amend
  // it: in scope, its submitter, within the window). The envelope must be an intake payload
  // whose amends_record_id names the record; the amended record keeps the region and facility
  // (the scope) of the newest version. Errors as Submit, plus NOT_FOUND for no such record and
  // INVALID_ARGUMENT for a changed region or facility. `commit` as for Submit; concurrent
  // amendments of one record are serialised, so each gets its own version. An amendment keeps
  // the likely-duplicate flag of the record's first submission (it is not decided again).
  absl::StatusOr<v1::SubmitRecordResponse> Amend(std::string_view principal,
                                                 std::string_view person_id,
                                                 const v1::AmendRecordRequest& request,
                                                 const policy::Authorizer& authorizer,
                                                 const CommitFn& commit);

  // The sections of version `version` (0: the newest) of `record_id` that `decision` allows and
  // for which a wrap exists for the granted role. NOT_FOUND for no such record or version;
  // PERMISSION_DENIED when no allowed section is keyed for the caller's roles; DATA_LOSS when
  // anything fails to open.
  absl::StatusOr<v1::GetRecordResponse> Get(std::string_view record_id,
                                            const policy::Decision& decision, uint64_t version = 0);

  // The lock that serialises amendments, reads and shredding of one record (by raw id).
  absl::Mutex& RecordMutex(std::string_view raw_id) { return RecordLock(raw_id); }

  // Every version of `record_id`, oldest first (metadata only). NOT_FOUND for no such record.
  absl::StatusOr<v1::ListRecordVersionsResponse> Versions(std::string_view record_id);

  // The mutation that records `person_id`'s consent change for `record_id` (which must exist);
  // the caller commits it with its audit entry. INVALID_ARGUMENT for a bad purpose or date.
  absl::StatusOr<store::Mutation> ConsentChangeMutation(std::string_view record_id,
                                                        v1::Purpose purpose, bool given,
                                                        std::string_view recorded_on,
                                                        std::string_view person_id);

  // What the policy decides on for the newest version of `record_id` (region, facility,
  // submitter, consent with later changes applied); nullopt if there is no such record.
  // DATA_LOSS if it does not open.
  absl::StatusOr<std::optional<policy::RecordFacts>> Facts(std::string_view record_id);

  // Metadata of the newest version of each record for which `visible` is true, filtered and
  // paged by count and by bytes (kMaxListPageBytes). likely_duplicate_of is set only while the earlier record exists and is visible too.
  using Visible = std::function<bool(const policy::RecordFacts&)>;
  absl::StatusOr<v1::ListRecordsResponse> List(const v1::ListRecordsRequest& request,
                                               const Visible& visible);

  // Runs `fn` while no submission or amendment is between choosing its role key versions and
  // committing its wraps: after a role key version stops being current, `fn` sees every wrap
  // that will ever be written under it (the rewrap job destroys a version only from here).
  absl::Status WithWrapWritesPaused(const std::function<absl::Status()>& fn);

 private:
  absl::Mutex& SubmissionLock(std::string_view index_key);
  absl::Mutex& DuplicateLock(std::string_view duplicate_key);
  // Under the duplicate lock of `duplicate_key`: the entry of the record that owns it, or
  // nullopt. DATA_LOSS if the entry does not open.
  absl::StatusOr<std::optional<storage::v1::LikelyDuplicateEntry>> FindLikelyDuplicate(
      std::string_view duplicate_key);
  // Sets `metadata`'s likely-duplicate fields for a new record `id_hex` filed by `person_id`
  // (shown to them only if they filed the earlier record too), and adds its index entry to
  // `batch` when it is the first of its triple.
  absl::Status MarkLikelyDuplicate(std::string_view duplicate_key, std::string_view id_hex,
                                   std::string_view person_id,
                                   storage::v1::RecordMetadata& metadata, store::Mutation& batch);
  absl::Mutex& RecordLock(std::string_view raw_id);
  // A retried envelope: the stored answer, and its likely-duplicate record id (or empty).
  struct Retry {
    v1::SubmitRecordResponse response;
    std::string likely_duplicate_of;
  };
  // Under the submission lock: nullopt for a new submission id; the duplicate's response for
  // the same envelope (and, for an amendment, the same record); ALREADY_EXISTS otherwise.
  absl::StatusOr<std::optional<Retry>> FindDuplicate(
      std::string_view index_key, std::string_view envelope_hash,
      std::string_view amends_record_id);
  // Adds to `batch` `record` as version `version` of `raw_id` (sections, wraps, and the header
  // with `metadata` completed from `record`) and the submission index entry pointing at it.
  absl::Status StoreVersion(const v1::InterviewRecord& record, std::string_view raw_id,
                            uint64_t version, storage::v1::RecordMetadata& metadata,
                            const policy::Authorizer& authorizer, std::string_view index_key,
                            std::string_view envelope_hash, store::Mutation& batch);

  store::KvStore& store_;
  const VaultKeys& keys_;
  const FacilityHistory& facilities_;
  Clock clock_;
  // Held shared by Submit and Amend for their whole run; exclusively by WithWrapWritesPaused.
  absl::Mutex wrap_gate_;
  // Serialises check-then-write of one submission index entry (striped by index key).
  std::array<absl::Mutex, 64> submission_locks_;
  // Serialises amendments of one record (striped by record id); taken after a submission lock.
  std::array<absl::Mutex, 64> record_locks_;
  // Serialises check-then-write of one likely-duplicate entry (striped by its key); taken after
  // a submission lock.
  std::array<absl::Mutex, 64> duplicate_locks_;
};

}  // namespace confidant::server

#endif  // CONFIDANT_SERVER_RECORD_VAULT_H_
