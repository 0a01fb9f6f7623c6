#include "server/quota.h"

#include <algorithm>
#include <map>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/time/time.h"

namespace confidant::server {

void QuotaTracker::Expire(Series& series, int64_t now) {
  while (!series.seconds.empty() && series.seconds.front().at <= now - kQuotaDaySeconds) {
    series.in_day -= series.seconds.front().count;
    series.seconds.pop_front();
  }
}

uint64_t QuotaTracker::InLastHour(const Series& series, int64_t now) {
  uint64_t total = 0;
  for (auto it = series.seconds.rbegin();
       it != series.seconds.rend() && it->at > now - kQuotaHourSeconds; ++it) {
    total += it->count;
  }
  return total;
}

void QuotaTracker::Sweep(int64_t now) {
  if (now >= last_sweep_ && now - last_sweep_ < kQuotaHourSeconds) return;
  last_sweep_ = now;
  for (auto it = persons_.begin(); it != persons_.end();) {
    Expire(it->second.reads, now);
    Expire(it->second.submissions, now);
    Expire(it->second.calls, now);
    if (it->second.empty()) {
      it = persons_.erase(it);
    } else {
      ++it;
    }
  }
}

int64_t QuotaTracker::FreesAt(const Series& series, int64_t now, int64_t window,
                              uint64_t limit) {
  uint64_t counted = 0;
  for (const Second& s : series.seconds) counted += s.at > now - window ? s.count : 0;
  if (counted < limit) return now;
  // Charges leave the window oldest first, each at exactly its time + window.
  for (const Second& s : series.seconds) {
    if (s.at <= now - window) continue;
    counted -= s.count;
    if (counted < limit) return s.at + window;
  }
  return now + window;  // unreachable for limit > 0
}

int64_t QuotaTracker::NextAllowed(const Series& series, int64_t now, uint32_t per_hour,
                                  uint32_t per_day) {
  // With no new charge, both counts only fall: the later of the two moments frees both.
  return std::max(FreesAt(series, now, kQuotaHourSeconds, per_hour),
                  FreesAt(series, now, kQuotaDaySeconds, per_day));
}

std::string QuotaTracker::WaitText(int64_t seconds) {
  const int64_t minutes = std::max<int64_t>(1, (seconds + 59) / 60);  // rounded up
  if (minutes < 60) return absl::StrCat(minutes, " min");
  if (minutes % 60 == 0) return absl::StrCat(minutes / 60, " h");
  return absl::StrCat(minutes / 60, " h ", minutes % 60, " min");
}

std::string QuotaTracker::MinuteUtc(int64_t unix_seconds) {
  const int64_t rounded_up = (unix_seconds + 59) / 60 * 60;  // never before the moment itself
  return absl::FormatTime("%Y-%m-%dT%H:%MZ", absl::FromUnixSeconds(rounded_up),
                          absl::UTCTimeZone());
}

absl::Status QuotaTracker::Charge(const std::string& person_id, Kind kind,
                                  const policy::Quota& quota, int64_t now, std::string* limit) {
  uint32_t per_hour = quota.reads_per_hour, per_day = quota.reads_per_day;
  const char* noun = "reads";
  const char* one = "read";
  if (kind == Kind::kSubmission) {
    per_hour = quota.submissions_per_hour;
    per_day = quota.submissions_per_day;
    noun = "submissions";
    one = "submission";
  } else if (kind == Kind::kCall) {
    per_hour = quota.calls_per_hour;
    per_day = quota.calls_per_day;
    noun = "calls";
    one = "call";
  }
  absl::MutexLock lock(&mu_);
  Sweep(now);
  Person& person = persons_[person_id];
  Series& series = kind == Kind::kRead         ? person.reads
                   : kind == Kind::kSubmission ? person.submissions
                                               : person.calls;
  Expire(series, now);
  const char* window = nullptr;
  uint32_t exceeded = 0;
  if (InLastHour(series, now) >= per_hour) {
    window = "hour";
    exceeded = per_hour;
  } else if (series.in_day >= per_day) {
    window = "day";
    exceeded = per_day;
  }
  if (window != nullptr) {
    std::string when;
    if (per_hour == 0 || per_day == 0) {
      when = absl::StrCat("; the policy allows no ", noun, " for you");
    } else {
      const int64_t next = NextAllowed(series, now, per_hour, per_day);
      when = absl::StrCat("; the next ", one, " is allowed in ",
                          WaitText(next - now), " (at ", MinuteUtc(next), ")");
    }
    if (person.empty()) {
      persons_.erase(person_id);  // a zero limit refused a person with nothing counted
    }
    if (limit != nullptr) *limit = absl::StrCat(noun, "_per_", window);
    return absl::ResourceExhaustedError(
        absl::StrCat("quota exceeded: ", exceeded, " ", noun, " per ", window, when));
  }
  // A clock that went back charges the latest second seen, keeping the series in order.
  const int64_t at = series.seconds.empty() ? now : std::max(now, series.seconds.back().at);
  if (!series.seconds.empty() && series.seconds.back().at == at) {
    ++series.seconds.back().count;
  } else {
    series.seconds.push_back(Second{at, 1});
  }
  ++series.in_day;
  ++generation_;
  return absl::OkStatus();
}

void QuotaTracker::ExportSeries(const Series& series, int64_t now,
                                storage::v1::QuotaCounters::Series& out) {
  for (const Second& s : series.seconds) {
    if (s.at <= now - kQuotaDaySeconds) continue;
    out.add_at(s.at);
    out.add_count(s.count);
  }
}

storage::v1::QuotaCounters QuotaTracker::Export(int64_t now) const {
  absl::MutexLock lock(&mu_);
  storage::v1::QuotaCounters saved;
  for (const auto& [id, person] : persons_) {
    storage::v1::QuotaCounters::Person* out = saved.add_persons();
    out->set_person_id(id);
    ExportSeries(person.reads, now, *out->mutable_reads());
    ExportSeries(person.submissions, now, *out->mutable_submissions());
    ExportSeries(person.calls, now, *out->mutable_calls());
  }
  return saved;
}

void QuotaTracker::Import(const storage::v1::QuotaCounters& saved, int64_t now) {
  absl::MutexLock lock(&mu_);
  for (const storage::v1::QuotaCounters::Person& p : saved.persons()) {
    Person& person = persons_[p.person_id()];
    const std::pair<const storage::v1::QuotaCounters::Series*, Series*> pairs[] = {
        {&p.reads(), &person.reads},
        {&p.submissions(), &person.submissions},
        {&p.calls(), &person.calls}};
    for (const auto& [from, to] : pairs) {
      if (from->at_size() != from->count_size()) continue;  // malformed: skipped
      // Merge by second, keeping the series in time order.
      std::map<int64_t, uint64_t> merged;
      for (const Second& s : to->seconds) merged[s.at] += s.count;
      for (int i = 0; i < from->at_size(); ++i) {
        if (from->at(i) <= now - kQuotaDaySeconds) continue;
        merged[from->at(i)] += from->count(i);
      }
      to->seconds.clear();
      to->in_day = 0;
      for (const auto& [at, count] : merged) {
        const uint32_t bounded = static_cast<uint32_t>(std::min<uint64_t>(count, UINT32_MAX));
        to->seconds.push_back(Second{at, bounded});
        to->in_day += bounded;
      }
    }
    if (person.empty()) persons_.erase(p.person_id());
  }
  ++generation_;
}

uint64_t QuotaTracker::generation() const {
  absl::MutexLock lock(&mu_);
  return generation_;
}

size_t QuotaTracker::TrackedPersons() const {
  absl::MutexLock lock(&mu_);
  return persons_.size();
}

size_t QuotaTracker::TrackedEntries() const {
  absl::MutexLock lock(&mu_);
  size_t entries = 0;
  for (const auto& [id, person] : persons_) {
    entries += person.reads.seconds.size() + person.submissions.seconds.size() +
               person.calls.seconds.size();
  }
  return entries;
}

}  // namespace confidant::server
