// AuditRecorder: writes one audit event per RPC, merging floods of identical denials.
#ifndef CONFIDANT_SERVER_AUDIT_RECORDER_H_
#define CONFIDANT_SERVER_AUDIT_RECORDER_H_

#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <thread>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "server/audit/audit_log.h"

namespace confidant::server {

// How long identical denials (same principal, action, rule, status, purpose and records) are
// merged into one counted entry. Short, so a crash loses at most a few seconds of repeats of a
// denial whose first occurrence is already on disk.
inline constexpr int64_t kDenialMergeWindowSeconds = 10;

// Thread-safe. Borrows `log`, which must outlive it.
class AuditRecorder {
 public:
  using SecondsClock = std::function<int64_t()>;
  AuditRecorder(audit::AuditLog& log, SecondsClock clock);
  // Writes every pending merged count, then stops the flusher.
  ~AuditRecorder();

  // Appends `event` with `data` in one synced batch and returns once durable.
  absl::StatusOr<audit::AuditLog::Committed> Record(v1::AuditEvent event,
                                                    store::Mutation data = {});
  // Record, with the batch also changing the checkpoint key (AuditLog::AppendWithKeyChange).
  absl::StatusOr<audit::AuditLog::Committed> RecordWithKeyChange(
      v1::AuditEvent event, store::Mutation data, audit::CheckpointKeyChange change);
  // The origin of the log it writes to.
  const std::string& log_origin() const { return log_.origin(); }

  // The first event with a given (principal, action, rule, status, purpose, record ids) in a
  // window is appended at once; repeats are counted and appended as one entry with `count`
  // when the window closes. For denials, and for reads that disclose nothing (checkpoints).
  // `window_seconds` is how long the window stays open (a window's length is set by the event
  // that opens it).
  absl::Status RecordMergeable(v1::AuditEvent event,
                               int64_t window_seconds = kDenialMergeWindowSeconds);

  // Appends every pending merged count now (also done every few seconds and on destruction).
  void Flush(bool all = true);

 private:
  struct Window {
    int64_t opened = 0;
    int64_t length = kDenialMergeWindowSeconds;
    uint32_t repeats = 0;  // denials counted but not yet written
    v1::AuditEvent event;
    bool written = true;  // false after a failed write: the next denial writes at once
  };
  void RunFlusher();
  // The entry for a window's unwritten denials.
  static v1::AuditEvent Counted(const Window& window);

  audit::AuditLog& log_;
  SecondsClock clock_;
  absl::Mutex mu_;
  std::map<std::string, Window> windows_ ABSL_GUARDED_BY(mu_);
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  std::thread flusher_;
};

}  // namespace confidant::server

#endif  // CONFIDANT_SERVER_AUDIT_RECORDER_H_
