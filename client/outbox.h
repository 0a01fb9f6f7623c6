// Outbox: sealed submissions waiting for the vault, kept in IDENTITY_DIR/outbox.
//
// Each queued submission is one envelope, exactly the bytes that will be sent (a serialized
// v1.SubmitRecordRequest: ciphertext sealed to the vault's intake key, never plaintext), in
// `ID.sealed` (an amendment of record R: `ID.amends-R.sealed`), beside a small state file
// `ID.state` (or `ID.amends-R.state`) that says when it was queued, how often sending failed
// and the last error (error messages from the vault never quote record content). Envelopes are
// written 0600 through a temporary file, fsync, rename and a sync of the folder, so a crash
// leaves the envelope either whole or absent. An envelope is deleted only after the vault's
// receipt for it verifies; a permanent refusal moves it to `refused/` with `ID.reason`.
//
// Thread-compatible. Processes take Lock() before changing the outbox.
#ifndef CONFIDANT_CLIENT_OUTBOX_H_
#define CONFIDANT_CLIENT_OUTBOX_H_

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "confidant/v1/record_service.pb.h"

namespace confidant::client {

// A permanent refusal is one that sending the same envelope again can never turn into a
// success (the record, the envelope or the caller's rights are wrong); everything else
// (unreachable, sealed, quota, clock, server error, an answer that failed verification) is kept
// and retried.
bool IsPermanentRefusal(const absl::Status& status);

class Outbox {
 public:
  struct Entry {
    std::string name;              // ID or ID.amends-RECORD: the file name without .sealed
    std::string submission_id;
    std::string amends_record_id;  // empty for a new record
    int64_t queued_unix_seconds = 0;
    // Order of queueing, 1 above the highest queued or refused when added (0 in entries queued
    // by older versions, which sort first): sent in this order, so two amendments of one record
    // queued in the same second (or across a clock correction) keep their order.
    uint64_t sequence = 0;
    int attempts = 0;
    int64_t last_attempt_unix_seconds = 0;
    std::string last_error;        // "CODE: message", or empty
    std::string reason;            // refused entries only
  };

  // Releases the lock when destroyed.
  class Lock {
   public:
    explicit Lock(int fd) : fd_(fd) {}
    Lock(Lock&& other) noexcept : fd_(other.fd_) { other.fd_ = -1; }
    Lock& operator=(Lock&&) = delete;
    Lock(const Lock&) = delete;
    ~Lock();

   private:
    int fd_;
  };

  explicit Outbox(std::string dir) : dir_(std::move(dir)) {}

  const std::string& dir() const { return dir_; }

  // An exclusive lock on the outbox (creating the folder 0700 if needed). FAILED_PRECONDITION
  // if another confidant process holds it.
  absl::StatusOr<Lock> TakeLock() const;

  // The name an envelope gets (see the file comment).
  static std::string NameOf(const std::string& submission_id, const std::string& amends_record_id);

  // Queues `request` under NameOf(...). ALREADY_EXISTS if that name is queued already.
  absl::Status Add(const v1::SubmitRecordRequest& request, const std::string& amends_record_id,
                   int64_t now) const;
  // The queued envelope of `name`; nullopt if none. DATA_LOSS if the file is damaged.
  absl::StatusOr<std::optional<v1::SubmitRecordRequest>> Find(const std::string& name) const;
  // Queued entries, oldest first.
  absl::StatusOr<std::vector<Entry>> Pending() const;
  // Refused entries, oldest first, each with its reason.
  absl::StatusOr<std::vector<Entry>> Refused() const;
  // The refused entry of `name`, if any.
  absl::StatusOr<std::optional<Entry>> FindRefused(const std::string& name) const;

  // Notes a failed attempt to send `entry` (its state file is rewritten).
  absl::Status RecordFailure(const Entry& entry, const absl::Status& error, int64_t now) const;
  // Moves `entry` to refused/ with `reason`. It is never sent again.
  absl::Status Refuse(const Entry& entry, const absl::Status& reason, int64_t now) const;
  // Moves refused `entry` back to the queue, to be sent by the next flush (once what refused it
  // was put right by staff: a facility or grant restored). ALREADY_EXISTS if an envelope of that
  // name is queued. A crash midway leaves it queued or refused, never lost or in both.
  absl::Status Requeue(const Entry& entry, int64_t now) const;
  // Deletes `entry` (after its receipt verified).
  absl::Status Remove(const Entry& entry) const;
  // Deletes every queued and refused envelope (only the refused ones with `refused_only`);
  // returns how many envelopes went.
  absl::StatusOr<int> Wipe(bool refused_only = false) const;

 private:
  absl::StatusOr<std::vector<Entry>> Scan(const std::string& dir, bool refused) const;
  std::string dir_;
};

}  // namespace confidant::client

#endif  // CONFIDANT_CLIENT_OUTBOX_H_
