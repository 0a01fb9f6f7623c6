#include "server/rewrapper.h"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <map>
#include <set>
#include <utility>

#include "absl/strings/str_cat.h"
#include "base/log.h"
#include "base/status_macros.h"
#include "crypto/key_hierarchy.h"
#include "policy/policy.h"
#include "server/clock.h"
#include "server/record_layout.h"
#include "server/record_wraps.h"

namespace confidant::server {
namespace {

using policy::v1::Role;

constexpr std::string_view kCursorKey = "rewrap/cursor";
constexpr size_t kRecordKeyBytes = kRecordIdBytes + 8;     // id || u64(version)
constexpr size_t kWrapKeyBytes = kRecordKeyBytes + 1 + 1 + 4;  // || section || role || u32
constexpr uint64_t kCursorEvery = 256;  // record versions between cursor-only writes

std::atomic<int> dev_pause_millis{0};

v1::AuditEvent VaultEvent(std::string_view action, std::string detail) {
  v1::AuditEvent event;
  event.set_action(std::string(action));
  event.set_decision(v1::ALLOW);
  event.set_rule("vault:rewrap");
  event.set_status_code("OK");
  event.set_detail(std::move(detail));
  return event;
}

}  // namespace

void SetDevRewrapPauseMillis(int millis) { dev_pause_millis.store(millis); }

Rewrapper::~Rewrapper() {
  std::thread thread;
  {
    absl::MutexLock lock(&mu_);
    stop_ = true;
    thread = std::move(thread_);
  }
  if (thread.joinable()) thread.join();
}

absl::Status Rewrapper::Start(const VaultKeys::CommitFn& record_start) {
  absl::MutexLock lock(&mu_);
  if (running_) return absl::OkStatus();
  ASSIGN_OR_RETURN(std::optional<std::string> cursor,
                   store_.Get(store::Space::kMeta, kCursorKey));
  store::Mutation start;
  if (!cursor.has_value()) start.Put(store::Space::kMeta, std::string(kCursorKey), "");
  RETURN_IF_ERROR(record_start(std::move(start)));
  Launch(cursor.value_or(""), cursor.has_value());
  status_.set_trigger("operator request");
  return absl::OkStatus();
}

absl::Status Rewrapper::ResumeIfPending() {
  absl::MutexLock lock(&mu_);
  if (running_) return absl::OkStatus();
  ASSIGN_OR_RETURN(std::optional<std::string> cursor,
                   store_.Get(store::Space::kMeta, kCursorKey));
  if (!cursor.has_value()) return absl::OkStatus();
  LogEvent(LogLevel::kInfo, "rewrap_resumed");
  Launch(*std::move(cursor), true);
  return absl::OkStatus();
}

void Rewrapper::Launch(std::string cursor, bool resumed) {
  if (thread_.joinable()) thread_.join();  // the previous job has finished (running_ is false)
  running_ = true;
  status_ = v1::RewrapStatus();
  status_.set_running(true);
  status_.set_resumed(resumed);
  thread_ = std::thread([this, cursor = std::move(cursor)] { Run(cursor); });
}

v1::RewrapStatus Rewrapper::Status() const {
  absl::MutexLock lock(&mu_);
  return status_;
}

bool Rewrapper::Stopping() const {
  absl::MutexLock lock(&mu_);
  return stop_;
}

bool Rewrapper::Restarting() const {
  absl::MutexLock lock(&mu_);
  return restart_;
}

std::shared_ptr<const policy::Authorizer> Rewrapper::authorizer() const {
  absl::MutexLock lock(&mu_);
  return authorizer_;
}

void Rewrapper::SetAuthorizer(std::shared_ptr<const policy::Authorizer> authorizer) {
  absl::MutexLock lock(&mu_);
  authorizer_ = std::move(authorizer);
}

absl::Status Rewrapper::StartForGrants(std::string trigger,
                                       const VaultKeys::CommitFn& record_start) {
  absl::MutexLock cursor_lock(&cursor_mu_);
  store::Mutation reset;
  reset.Put(store::Space::kMeta, std::string(kCursorKey), "");
  RETURN_IF_ERROR(record_start(std::move(reset)));
  absl::MutexLock lock(&mu_);
  if (running_) {
    restart_ = true;
  } else {
    Launch("", false);
  }
  status_.set_trigger(std::move(trigger));
  return absl::OkStatus();
}

void Rewrapper::Run(std::string cursor) {
  for (;;) {
    std::set<std::string> visited;
    absl::Status result = Pass(cursor, visited);
    if (result.ok() && !Stopping()) result = Finish(cursor, visited);
    absl::MutexLock lock(&mu_);
    if (restart_ && !stop_) {  // the grants changed: every record is visited again
      restart_ = false;
      cursor.clear();
      status_.set_restarts(status_.restarts() + 1);
      LogEvent(LogLevel::kInfo, "rewrap_restarted", {{"trigger", status_.trigger()}});
      continue;
    }
    running_ = false;
    if (!result.ok()) {
      status_.set_error(absl::IsDataLoss(result) ? "a stored record does not open"
                                                 : "storage or audit log unavailable");
      LogEvent(LogLevel::kWarning, "rewrap_stopped",
               {{"code", absl::StatusCodeToString(result.code())},
                {"records", std::to_string(status_.records_scanned())}});
    } else if (!stop_) {
      status_.set_completed(true);
    }
    status_.set_running(false);
    return;
  }
}

absl::Status Rewrapper::Pass(const std::string& cursor, std::set<std::string>& visited) {
  // Keys only (small); the headers are read again one by one so a long pass holds no snapshot.
  std::vector<std::string> record_keys;
  RETURN_IF_ERROR(store_.Scan(store::Space::kRecords, "", [&](std::string_view key,
                                                               std::string_view) {
    if (key.size() == kRecordKeyBytes && key > cursor) record_keys.emplace_back(key);
    return true;
  }));
  LogEvent(LogLevel::kInfo, "rewrap_started", {{"records", std::to_string(record_keys.size())}});
  uint64_t since_cursor = 0;
  for (const std::string& record_key : record_keys) {
    if (Stopping()) return absl::OkStatus();
    if (Restarting()) return absl::AbortedError("restart");
    RETURN_IF_ERROR(VisitRecord(record_key));
    visited.insert(record_key);
    uint64_t scanned;
    {
      absl::MutexLock lock(&mu_);
      scanned = status_.records_scanned();
    }
    if (++since_cursor >= kCursorEvery) {
      store::Mutation progress;
      progress.Put(store::Space::kMeta, std::string(kCursorKey), record_key);
      RETURN_IF_ERROR(CommitUnlessRestarting(progress));
      since_cursor = 0;
      LogEvent(LogLevel::kInfo, "rewrap_progress",
               {{"records", std::to_string(scanned)},
                {"total", std::to_string(record_keys.size())}});
    }
    if (const int pause = dev_pause_millis.load(); pause > 0) {
      std::this_thread::sleep_for(std::chrono::milliseconds(pause));
    }
  }
  return absl::OkStatus();
}

absl::Status Rewrapper::VisitRecord(const std::string& record_key) {
  RETURN_IF_ERROR(shredder_.WhileNotShredding([&]() -> absl::Status {
    // After the shredder's lock, as a shred takes them: no read sees the record half-way.
    absl::MutexLock record_lock(&records_.RecordMutex(record_key.substr(0, kRecordIdBytes)));
    ASSIGN_OR_RETURN(std::optional<std::string> header,
                     store_.Get(store::Space::kRecords, record_key));
    if (!header.has_value()) return absl::OkStatus();  // shredded since the scan
    return RewrapRecord(record_key, *header);
  }));
  absl::MutexLock lock(&mu_);
  status_.set_records_scanned(status_.records_scanned() + 1);
  return absl::OkStatus();
}

absl::Status Rewrapper::CommitUnlessRestarting(const store::Mutation& batch) {
  absl::MutexLock cursor(&cursor_mu_);
  if (Restarting()) return absl::AbortedError("restart");
  return store_.Commit(batch);
}

absl::Status Rewrapper::RewrapRecord(const std::string& record_key,
                                     const std::string& header_value) {
  const std::shared_ptr<const policy::Authorizer> grants = authorizer();
  ASSIGN_OR_RETURN(RecordWrapPlan plan,
                   PlanRecordWraps(store_, keys_, grants.get(), record_key, header_value));
  if (plan.batch.empty()) return absl::OkStatus();
  plan.batch.Put(store::Space::kMeta, std::string(kCursorKey), record_key);
  absl::Status committed = CommitUnlessRestarting(plan.batch);
  if (absl::IsFailedPrecondition(committed)) return absl::OkStatus();  // shredded meanwhile
  RETURN_IF_ERROR(committed);
  absl::MutexLock lock(&mu_);
  status_.set_wraps_rewrapped(status_.wraps_rewrapped() + plan.moved);
  status_.set_wraps_added(status_.wraps_added() + plan.added);
  status_.set_wraps_removed(status_.wraps_removed() + plan.removed);
  return absl::OkStatus();
}

absl::Status Rewrapper::Finish(const std::string& cursor, const std::set<std::string>& visited) {
  return records_.WithWrapWritesPaused([&]() -> absl::Status {
    // Versions written during the pass: their calls may have chosen wraps under the previous
    // policy. No call is between choosing and committing wraps now.
    std::vector<std::string> late;
    RETURN_IF_ERROR(store_.Scan(store::Space::kRecords, "", [&](std::string_view key,
                                                                 std::string_view) {
      if (key.size() == kRecordKeyBytes && key > cursor && visited.count(std::string(key)) == 0) {
        late.emplace_back(key);
      }
      return true;
    }));
    for (const std::string& record_key : late) RETURN_IF_ERROR(VisitRecord(record_key));
    std::set<std::pair<int, uint32_t>> used;
    RETURN_IF_ERROR(store_.Scan(store::Space::kWraps, "", [&](std::string_view key,
                                                             std::string_view) {
      if (key.size() == kWrapKeyBytes) {
        used.emplace(static_cast<uint8_t>(key[kRecordKeyBytes + 1]), WrapKeyVersion(key));
      }
      return true;
    }));
    std::vector<v1::RoleKeyVersion> destroyed;
    for (int r = policy::v1::Role_MIN; r <= policy::v1::Role_MAX; ++r) {
      const auto role = static_cast<Role>(r);
      if (!policy::v1::Role_IsValid(r) || !RoleHoldsKek(role)) continue;
      const uint32_t current = keys_.CurrentRoleKek(role).version;
      for (uint32_t version : keys_.RoleKekVersions(role)) {
        if (version == current || used.count({r, version}) > 0) continue;
        const std::string name = absl::StrCat(policy::RoleName(role), " v", version);
        RETURN_IF_ERROR(keys_.DestroyRoleKek(role, version, [&](store::Mutation batch) {
          return recorder_.Record(VaultEvent("role_key_destroyed",
                                             absl::StrCat("role key ", name,
                                                          " destroyed: no wrap uses it")),
                                  std::move(batch))
              .status();
        }));
        v1::RoleKeyVersion& entry = destroyed.emplace_back();
        entry.set_role(policy::RoleName(role));
        entry.set_version(version);
      }
    }
    ASSIGN_OR_RETURN(std::vector<uint32_t> intake,
                     keys_.DestroyExpiredIntakeKeys(
                         WallSeconds(),
                         [&](store::Mutation batch) {
                           return recorder_.Record(
                                      VaultEvent("intake_key_destroyed",
                                                 "retired intake keys past their grace destroyed"),
                                      std::move(batch))
                               .status();
                         }));
    v1::RewrapStatus done = Status();
    store::Mutation finish;
    finish.Delete(store::Space::kMeta, std::string(kCursorKey));
    {
      absl::MutexLock cursor_lock(&cursor_mu_);
      if (Restarting()) return absl::AbortedError("restart");
      RETURN_IF_ERROR(
          recorder_
              .Record(VaultEvent("rewrap_completed",
                                 absl::StrCat(done.records_scanned(), " record versions scanned, ",
                                              done.wraps_rewrapped(), " wraps rewrapped, ",
                                              done.wraps_added(),
                                              " wraps added for newly granted roles, ",
                                              done.wraps_removed(),
                                              " wraps of roles no longer granted deleted, ",
                                              destroyed.size(), " role key versions destroyed",
                                              done.trigger().empty() ? "" : "; after ",
                                              done.trigger())),
                      std::move(finish))
              .status());
    }
    LogEvent(LogLevel::kInfo, "rewrap_completed",
             {{"records", std::to_string(done.records_scanned())},
              {"wraps", std::to_string(done.wraps_rewrapped())},
              {"added", std::to_string(done.wraps_added())},
              {"removed", std::to_string(done.wraps_removed())},
              {"destroyed", std::to_string(destroyed.size())},
              {"intake_destroyed", std::to_string(intake.size())}});
    absl::MutexLock lock(&mu_);
    for (v1::RoleKeyVersion& entry : destroyed) *status_.add_destroyed() = std::move(entry);
    return absl::OkStatus();
  });
}

}  // namespace confidant::server
