// QuotaTracker: per-person limits on reads and submissions over sliding windows of one hour and
// one day (issue 4, "Abuse limits").
//
// Counters live in memory; server/quota_keeper.h saves them (sealed) every few seconds and when
// the vault seals or stops, and loads them at unseal, so a restart does not reset a quota. A
// crash loses at most the charges since the last save.
#ifndef CONFIDANT_SERVER_QUOTA_H_
#define CONFIDANT_SERVER_QUOTA_H_

#include <cstddef>
#include <cstdint>
#include <deque>
#include <map>
#include <string>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/synchronization/mutex.h"
#include "policy/policy.h"
#include "server/store/storage.pb.h"

namespace confidant::server {

inline constexpr int64_t kQuotaHourSeconds = 3600;
inline constexpr int64_t kQuotaDaySeconds = 86400;

// Thread-safe. Counts each person's allowed reads and submissions; a charge at time `now`
// counts the charges made in (now - window, now], so a charge made at T stops counting at
// exactly T + window. Memory is bounded: per person and kind, one entry per distinct second
// still inside the day window (so at most min(quota per day, 86400) entries), and persons with
// nothing left in their windows are forgotten.
class QuotaTracker {
 public:
  // kCall counts every call a person makes, whatever its outcome (denied, not found, invalid
  // and allowed alike): it bounds the audit entries one identity can cause (server/call.cc).
  enum class Kind { kRead, kSubmission, kCall };

  QuotaTracker() = default;
  QuotaTracker(const QuotaTracker&) = delete;
  QuotaTracker& operator=(const QuotaTracker&) = delete;

  // Counts one `kind` call by `person_id` at `now` (unix seconds) and returns OK, or, if the
  // call would exceed `quota` for the hour or the day, counts nothing and returns
  // RESOURCE_EXHAUSTED "quota exceeded: N reads per hour; the next read is allowed in 12 min
  // (at 2026-12-05T10:14Z)" (or per day, or submissions): the first moment at which, with no
  // further charge, both windows have room again, rounded up to the minute ("1 h 5 min" past an
  // hour; "the policy allows no reads for you" for a zero limit). Then,
  // if `limit` is not null, sets it to the exceeded limit's policy name ("reads_per_hour",
  // "reads_per_day", "submissions_per_hour", "submissions_per_day", "calls_per_hour" or
  // "calls_per_day"). A limit of 0 refuses
  // every call (fail closed). A clock that goes back keeps later charges counted longer.
  absl::Status Charge(const std::string& person_id, Kind kind, const policy::Quota& quota,
                      int64_t now, std::string* limit = nullptr) ABSL_LOCKS_EXCLUDED(mu_);

  // The counters still inside the day window at `now`, to be saved.
  storage::v1::QuotaCounters Export(int64_t now) const ABSL_LOCKS_EXCLUDED(mu_);
  // Adds saved counters (those still inside the day window at `now`; malformed series are
  // skipped) to what is counted already.
  void Import(const storage::v1::QuotaCounters& saved, int64_t now) ABSL_LOCKS_EXCLUDED(mu_);
  // Goes up with every charge and import: a saver compares it with what it last saved.
  uint64_t generation() const ABSL_LOCKS_EXCLUDED(mu_);

  // For tests and monitoring: persons with at least one counted call, and stored entries.
  size_t TrackedPersons() const ABSL_LOCKS_EXCLUDED(mu_);
  size_t TrackedEntries() const ABSL_LOCKS_EXCLUDED(mu_);

 private:
  // Charges made in one second.
  struct Second {
    int64_t at = 0;
    uint32_t count = 0;
  };
  // One person's charges of one kind, oldest first, all within the last day; `in_day` is the
  // sum of their counts.
  struct Series {
    std::deque<Second> seconds;
    uint64_t in_day = 0;
  };
  struct Person {
    Series reads;
    Series submissions;
    Series calls;
    bool empty() const {
      return reads.seconds.empty() && submissions.seconds.empty() && calls.seconds.empty();
    }
  };

  // Drops what is older than a day at `now`.
  static void Expire(Series& series, int64_t now);
  // Charges in (now - kQuotaHourSeconds, now].
  static uint64_t InLastHour(const Series& series, int64_t now);
  // The first moment at or after `now` at which fewer than `limit` charges of `series` lie in
  // (t - window, t], with no new charge; `now` if that holds already.
  static int64_t FreesAt(const Series& series, int64_t now, int64_t window, uint64_t limit);
  // The first moment both windows have room (limits above zero).
  static int64_t NextAllowed(const Series& series, int64_t now, uint32_t per_hour,
                             uint32_t per_day);
  // "12 min", "2 h", "1 h 5 min": `seconds` rounded up to whole minutes (at least one).
  static std::string WaitText(int64_t seconds);
  // "2026-12-05T10:14Z": `unix_seconds` rounded up to the minute.
  static std::string MinuteUtc(int64_t unix_seconds);
  static void ExportSeries(const Series& series, int64_t now,
                           storage::v1::QuotaCounters::Series& out);
  // Forgets persons with no charge left; run at most once an hour.
  void Sweep(int64_t now) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  mutable absl::Mutex mu_;
  std::map<std::string, Person, std::less<>> persons_ ABSL_GUARDED_BY(mu_);
  int64_t last_sweep_ ABSL_GUARDED_BY(mu_) = 0;  // unix seconds of the last Sweep
  uint64_t generation_ ABSL_GUARDED_BY(mu_) = 0;
};

}  // namespace confidant::server

#endif  // CONFIDANT_SERVER_QUOTA_H_
