#include "server/backup_epochs.h"

#include <algorithm>
#include <string>
#include <utility>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "base/status_macros.h"
#include "crypto/key_hierarchy.h"
#include "server/custody.h"
#include "server/store/storage.pb.h"

namespace confidant::server {
namespace {

constexpr std::string_view kLastEpochMeta = "backup/last-epoch";

std::string Prefix() { return absl::StrCat(std::string(kBackupEpochPurpose), "/"); }

std::string EpochKeyName(uint32_t epoch) { return absl::StrCat(Prefix(), epoch); }

v1::AuditEvent EpochEvent(std::string_view action, uint32_t epoch, std::string detail) {
  v1::AuditEvent event;
  event.set_action(std::string(action));
  event.set_decision(v1::ALLOW);
  event.set_rule("vault:backup-epochs");
  event.set_status_code("OK");
  event.set_detail(absl::StrCat("backup epoch ", epoch, ": ", detail));
  return event;
}

}  // namespace

absl::StatusOr<std::vector<BackupEpochs::Stored>> BackupEpochs::List() const {
  std::vector<Stored> epochs;
  absl::Status status;
  const std::string prefix = Prefix();
  RETURN_IF_ERROR(store_.Scan(store::Space::kKeys, prefix, [&](std::string_view key,
                                                               std::string_view value) {
    Stored entry;
    storage::v1::StoredKey stored;
    if (!absl::SimpleAtoi(absl::string_view(key.data() + prefix.size(), key.size() - prefix.size()),
                          &entry.epoch) ||
        !stored.ParseFromArray(value.data(), static_cast<int>(value.size()))) {
      status = absl::DataLossError("a stored backup epoch key is malformed");
      return false;
    }
    entry.started = stored.created_unix_seconds();
    entry.in_keys_space = true;
    epochs.push_back(entry);
    return true;
  }));
  RETURN_IF_ERROR(status);
  if (escrow_ != nullptr) {
    ASSIGN_OR_RETURN(std::vector<storage::v1::BackupKeyEscrow> escrowed, escrow_->List());
    for (const storage::v1::BackupKeyEscrow& e : escrowed) {
      if (std::none_of(epochs.begin(), epochs.end(),
                       [&](const Stored& s) { return s.epoch == e.epoch(); })) {
        epochs.push_back(Stored{e.epoch(), e.created_unix_seconds(), false});
      }
    }
  }
  std::sort(epochs.begin(), epochs.end(),
            [](const Stored& a, const Stored& b) { return a.epoch < b.epoch; });
  return epochs;
}

absl::StatusOr<uint32_t> BackupEpochs::ShareSetId() const {
  ASSIGN_OR_RETURN(std::optional<storage::v1::CustodyRecord> custody, LoadCustodyRecord(store_));
  return custody.has_value() ? custody->share_set_id() : 0;
}

absl::StatusOr<BackupEpochKey> BackupEpochs::Find(uint32_t epoch) const {
  ASSIGN_OR_RETURN(std::optional<std::string> value,
                   store_.Get(store::Space::kKeys, EpochKeyName(epoch)));
  if (!value.has_value() && escrow_ != nullptr) {
    ASSIGN_OR_RETURN(std::optional<storage::v1::BackupKeyEscrow> escrowed, escrow_->Get(epoch));
    if (escrowed.has_value()) {
      storage::v1::StoredKey from_escrow;
      from_escrow.set_wrapped(escrowed->wrapped());
      from_escrow.set_created_unix_seconds(escrowed->created_unix_seconds());
      value = from_escrow.SerializeAsString();
    }
  }
  if (!value.has_value()) {
    return absl::NotFoundError(absl::StrCat(
        "backup epoch ", epoch,
        " has no key: it was destroyed after its retention window (or never existed), so "
        "backups of that epoch can no longer be opened"));
  }
  storage::v1::StoredKey stored;
  if (!stored.ParseFromString(*value)) {
    return absl::DataLossError("a stored backup epoch key is malformed");
  }
  absl::StatusOr<crypto::SecretBytes> key = crypto::UnwrapStoredKey(
      *keys_.key_wrapping_key(), crypto::KeyLabel{kBackupEpochPurpose, epoch}, stored.wrapped());
  if (!key.ok()) return absl::DataLossError("a stored backup epoch key does not open");
  BackupEpochKey found;
  found.epoch = epoch;
  found.started_unix_seconds = stored.created_unix_seconds();
  found.key = *std::move(key);
  return found;
}

absl::StatusOr<BackupEpochKey> BackupEpochs::Current(int64_t now, const BackupWindow& window) {
  absl::MutexLock lock(&mu_);
  ASSIGN_OR_RETURN(std::vector<Stored> epochs, List());
  ASSIGN_OR_RETURN(const uint32_t set_id, ShareSetId());
  if (!epochs.empty() && epochs.back().in_keys_space && now >= epochs.back().started &&
      now < epochs.back().started + window.epoch_seconds) {
    // Reused only if its escrowed copy is there and belongs to the master key in use.
    bool escrowed = escrow_ == nullptr;
    if (escrow_ != nullptr) {
      ASSIGN_OR_RETURN(std::optional<storage::v1::BackupKeyEscrow> entry,
                       escrow_->Get(epochs.back().epoch));
      escrowed = entry.has_value() && entry->share_set_id() == set_id;
    }
    if (escrowed) return Find(epochs.back().epoch);
  }
  ASSIGN_OR_RETURN(std::optional<std::string> last, store_.Get(store::Space::kMeta, kLastEpochMeta));
  uint32_t epoch = 0;
  if (last.has_value() && !absl::SimpleAtoi(*last, &epoch)) {
    return absl::DataLossError("the backup epoch counter is malformed");
  }
  if (!epochs.empty()) epoch = std::max(epoch, epochs.back().epoch);
  ++epoch;
  BackupEpochKey created;
  created.epoch = epoch;
  created.started_unix_seconds = now;
  created.key = crypto::SecretBytes::Random(32);
  storage::v1::StoredKey stored;
  ASSIGN_OR_RETURN(*stored.mutable_wrapped(),
                   crypto::WrapStoredKey(*keys_.key_wrapping_key(),
                                         crypto::KeyLabel{kBackupEpochPurpose, epoch}, created.key));
  stored.set_created_unix_seconds(now);
  if (escrow_ != nullptr) {
    // Escrowed first: no backup is ever written under a key the escrow lacks.
    storage::v1::BackupKeyEscrow entry;
    entry.set_epoch(epoch);
    entry.set_share_set_id(set_id);
    entry.set_created_unix_seconds(now);
    entry.set_wrapped(stored.wrapped());
    RETURN_IF_ERROR(escrow_->Put(entry));
  }
  store::Mutation batch;
  batch.Put(store::Space::kKeys, EpochKeyName(epoch), stored.SerializeAsString());
  batch.Put(store::Space::kMeta, std::string(kLastEpochMeta), absl::StrCat(epoch));
  RETURN_IF_ERROR(recorder_
                      .Record(EpochEvent("backup_epoch_created", epoch,
                                         absl::StrCat("new key for backups of the next ",
                                                      window.epoch_seconds / 86400, " days")),
                              std::move(batch))
                      .status());
  return created;
}

absl::StatusOr<std::vector<uint32_t>> BackupEpochs::DestroyExpired(int64_t now,
                                                                   const BackupWindow& window) {
  absl::MutexLock lock(&mu_);
  ASSIGN_OR_RETURN(std::vector<Stored> epochs, List());
  std::vector<uint32_t> destroyed;
  for (const Stored& epoch : epochs) {
    const int64_t ended = epoch.started + window.epoch_seconds;
    if (now < ended + window.retention_seconds) continue;
    if (escrow_ != nullptr) RETURN_IF_ERROR(escrow_->Remove(epoch.epoch));
    store::Mutation batch;
    if (epoch.in_keys_space) batch.Delete(store::Space::kKeys, EpochKeyName(epoch.epoch));
    RETURN_IF_ERROR(
        recorder_
            .Record(EpochEvent("backup_epoch_destroyed", epoch.epoch,
                               absl::StrCat("key destroyed ", window.retention_seconds / 86400,
                                            " days after its window ended; backups of this "
                                            "epoch can no longer be opened")),
                    std::move(batch))
            .status());
    destroyed.push_back(epoch.epoch);
  }
  if (!destroyed.empty()) {
    const std::string prefix = Prefix();
    RETURN_IF_ERROR(store_.CompactRange(store::Space::kKeys, prefix, absl::StrCat(prefix, "\xff")));
  }
  return destroyed;
}

absl::Status BackupEpochs::Exclusive(const std::function<absl::Status()>& body) {
  absl::MutexLock lock(&mu_);
  return body();
}

}  // namespace confidant::server
