#include "server/audit_recorder.h"

#include <optional>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/time/time.h"
#include "base/log.h"

namespace confidant::server {

v1::AuditEvent AuditRecorder::Counted(const Window& window) {
  v1::AuditEvent event = window.event;
  event.set_count(window.repeats);
  event.set_detail(window.written
                       ? absl::StrCat(window.repeats, " more identical call",
                                      window.repeats == 1 ? "" : "s", " merged into this entry")
                       : absl::StrCat(window.repeats, " repeats written late: an earlier write failed"));
  return event;
}

AuditRecorder::AuditRecorder(audit::AuditLog& log, SecondsClock clock)
    : log_(log), clock_(std::move(clock)) {
  flusher_ = std::thread([this] { RunFlusher(); });
}

AuditRecorder::~AuditRecorder() {
  {
    absl::MutexLock lock(&mu_);
    stopping_ = true;
  }
  flusher_.join();
  Flush(true);
}

absl::StatusOr<audit::AuditLog::Committed> AuditRecorder::Record(v1::AuditEvent event,
                                                                 store::Mutation data) {
  return log_.Append(std::move(event), std::move(data));
}

absl::StatusOr<audit::AuditLog::Committed> AuditRecorder::RecordWithKeyChange(
    v1::AuditEvent event, store::Mutation data, audit::CheckpointKeyChange change) {
  return log_.AppendWithKeyChange(std::move(event), std::move(data), std::move(change));
}

absl::Status AuditRecorder::RecordMergeable(v1::AuditEvent event, int64_t window_seconds) {
  // What was targeted is part of the key: attempts on different records are never merged.
  const std::string key =
      absl::StrCat(event.principal(), "\n", event.action(), "\n", event.rule(), "\n",
                   event.status_code(), "\n", event.purpose(), "\n",
                   absl::StrJoin(event.record_ids(), ","));
  std::optional<v1::AuditEvent> closed;  // an expired window's repeats, written first
  uint32_t count = 1;
  {
    absl::MutexLock lock(&mu_);
    auto it = windows_.find(key);
    const bool open = it != windows_.end() && clock_() - it->second.opened < it->second.length;
    if (open && it->second.written) {
      ++it->second.repeats;
      it->second.event = event;  // the latest request id and time of the merged ones
      return absl::OkStatus();
    }
    if (open) {  // the last write of this window failed: write everything counted now
      count += it->second.repeats;
      it->second.repeats = 0;
      it->second.written = true;
    } else {
      if (it != windows_.end() && it->second.repeats > 0) {
        closed = Counted(it->second);
      }
      windows_[key] = Window{clock_(), window_seconds, 0, event, true};
    }
  }
  if (closed.has_value() && !log_.Append(*std::move(closed)).ok()) {
    LogEvent(LogLevel::kError, "audit_merged_denials_lost");
  }
  event.set_count(count);
  absl::Status written = log_.Append(std::move(event)).status();
  if (!written.ok()) {
    absl::MutexLock lock(&mu_);
    auto it = windows_.find(key);
    if (it != windows_.end()) {
      it->second.repeats += count;  // all of them are still unwritten
      it->second.written = false;
    }
  }
  return written;
}

void AuditRecorder::Flush(bool all) {
  std::vector<v1::AuditEvent> merged;
  {
    absl::MutexLock lock(&mu_);
    for (auto it = windows_.begin(); it != windows_.end();) {
      if (!all && clock_() - it->second.opened < it->second.length) {
        ++it;
        continue;
      }
      if (it->second.repeats > 0) merged.push_back(Counted(it->second));
      it = windows_.erase(it);
    }
  }
  for (v1::AuditEvent& event : merged) {
    if (!log_.Append(std::move(event)).ok()) {
      LogEvent(LogLevel::kError, "audit_merged_denials_lost");
    }
  }
}

void AuditRecorder::RunFlusher() {
  absl::MutexLock lock(&mu_);
  while (!stopping_) {
    mu_.AwaitWithTimeout(absl::Condition(&stopping_), absl::Seconds(5));
    if (stopping_) break;
    mu_.Unlock();
    Flush(false);
    mu_.Lock();
  }
}

}  // namespace confidant::server
