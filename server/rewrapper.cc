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
#include "server/record_versions.h"

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

void Rewrapper::Run(std::string cursor) {
  absl::Status result = Pass(cursor);
  if (result.ok() && !Stopping()) result = Finish();
  absl::MutexLock lock(&mu_);
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
}

absl::Status Rewrapper::Pass(const std::string& cursor) {
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
    RETURN_IF_ERROR(shredder_.WhileNotShredding([&]() -> absl::Status {
      ASSIGN_OR_RETURN(std::optional<std::string> header,
                       store_.Get(store::Space::kRecords, record_key));
      if (!header.has_value()) return absl::OkStatus();  // shredded since the scan
      return RewrapRecord(record_key, *header);
    }));
    uint64_t scanned;
    {
      absl::MutexLock lock(&mu_);
      status_.set_records_scanned(status_.records_scanned() + 1);
      scanned = status_.records_scanned();
    }
    if (++since_cursor >= kCursorEvery) {
      store::Mutation progress;
      progress.Put(store::Space::kMeta, std::string(kCursorKey), record_key);
      RETURN_IF_ERROR(store_.Commit(progress));
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

absl::Status Rewrapper::RewrapRecord(const std::string& record_key,
                                     const std::string& header_value) {
  const std::string raw_id = record_key.substr(0, kRecordIdBytes);
  const std::string id_hex = RecordIdToHex(raw_id);
  ASSIGN_OR_RETURN(LoadedRecord loaded, OpenHeader(keys_, id_hex, header_value));
  std::map<std::string, std::string> wraps;
  RETURN_IF_ERROR(store_.Scan(store::Space::kWraps, record_key,
                              [&](std::string_view key, std::string_view value) {
                                if (key.size() == kWrapKeyBytes) wraps.emplace(key, value);
                                return true;
                              }));
  store::Mutation batch;
  uint64_t moved = 0;
  for (const auto& [key, value] : wraps) {
    const auto section = static_cast<v1::Section>(static_cast<uint8_t>(key[kRecordKeyBytes]));
    const auto role = static_cast<Role>(static_cast<uint8_t>(key[kRecordKeyBytes + 1]));
    const uint32_t from = WrapKeyVersion(key);
    const VaultKeys::RoleKek to = keys_.CurrentRoleKek(role);
    if (to.key == nullptr || from >= to.version) continue;
    const std::string new_key = WrapKey(raw_id, loaded.header.version(), section, role, to.version);
    batch.Expect(store::Space::kWraps, key, value);  // unchanged (not shredded) meanwhile
    batch.Delete(store::Space::kWraps, key);
    if (wraps.count(new_key) > 0) continue;  // already wrapped under the newest version
    const VaultKeys::KeyPtr old_kek = keys_.RoleKekVersion(role, from);
    auto stored = std::find_if(loaded.header.sections().begin(), loaded.header.sections().end(),
                               [&](const auto& s) { return s.section() == uint32_t(section); });
    if (old_kek == nullptr || stored == loaded.header.sections().end()) {
      return absl::DataLossError("decryption failed");
    }
    const std::string section_name = policy::SectionName(static_cast<policy::v1::Section>(section));
    const std::string role_name = policy::RoleName(role);
    const crypto::SectionContext context{id_hex, loaded.header.version(), section_name,
                                         stored->data_key_id()};
    ASSIGN_OR_RETURN(crypto::SecretBytes data_key,
                     crypto::UnwrapDataKey(*old_kek,
                                           {id_hex, section_name, role_name, from,
                                            stored->data_key_id()},
                                           value, context, stored->commitment()));
    ASSIGN_OR_RETURN(std::string wrapped,
                     crypto::WrapDataKey(*to.key,
                                         {id_hex, section_name, role_name, to.version,
                                          stored->data_key_id()},
                                         data_key));
    batch.Put(store::Space::kWraps, new_key, std::move(wrapped));
    ++moved;
  }
  if (batch.empty()) return absl::OkStatus();
  batch.Put(store::Space::kMeta, std::string(kCursorKey), record_key);
  absl::Status committed = store_.Commit(batch);
  if (absl::IsFailedPrecondition(committed)) return absl::OkStatus();  // shredded meanwhile
  RETURN_IF_ERROR(committed);
  absl::MutexLock lock(&mu_);
  status_.set_wraps_rewrapped(status_.wraps_rewrapped() + moved);
  return absl::OkStatus();
}

absl::Status Rewrapper::Finish() {
  return records_.WithWrapWritesPaused([&]() -> absl::Status {
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
    RETURN_IF_ERROR(recorder_
                        .Record(VaultEvent("rewrap_completed",
                                           absl::StrCat(done.records_scanned(),
                                                        " record versions scanned, ",
                                                        done.wraps_rewrapped(), " wraps rewrapped, ",
                                                        destroyed.size(),
                                                        " role key versions destroyed")),
                                std::move(finish))
                        .status());
    LogEvent(LogLevel::kInfo, "rewrap_completed",
             {{"records", std::to_string(done.records_scanned())},
              {"wraps", std::to_string(done.wraps_rewrapped())},
              {"destroyed", std::to_string(destroyed.size())},
              {"intake_destroyed", std::to_string(intake.size())}});
    absl::MutexLock lock(&mu_);
    for (v1::RoleKeyVersion& entry : destroyed) *status_.add_destroyed() = std::move(entry);
    return absl::OkStatus();
  });
}

}  // namespace confidant::server
