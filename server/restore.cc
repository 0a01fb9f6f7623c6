#include "server/restore.h"

#include <algorithm>
#include <set>
#include <utility>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "base/status_macros.h"
#include "crypto/key_hierarchy.h"
#include "server/clock.h"
#include "server/custody.h"
#include "server/release_store.h"
#include "server/shred_register.h"
#include "server/vault_state.h"

namespace confidant::server {

absl::Status CheckNoInterruptedRestore(const store::KvStore& store) {
  ASSIGN_OR_RETURN(std::optional<std::string> marker,
                   store.Get(store::Space::kMeta, kRestoreMarkerKey));
  if (marker.has_value()) {
    return absl::FailedPreconditionError(
        "this data directory holds an interrupted restore; move it away and run the restore "
        "again into an empty data directory");
  }
  return absl::OkStatus();
}

absl::StatusOr<std::unique_ptr<PendingRestore>> PendingRestore::Prepare(
    std::string backup_dir, std::string shred_register_export, bool without_newer_register,
    const store::KvStore& store, const BackupKeyEscrow* escrow,
    std::vector<std::string> may_exist) {
  if (backup_dir.empty() || backup_dir.front() != '/') {
    return absl::InvalidArgumentError("--restore needs the backup directory's absolute path");
  }
  if (escrow == nullptr) {
    return absl::InvalidArgumentError(
        "--restore needs --backup_keys_dir: the backup's epoch key is kept there");
  }
  if (shred_register_export.empty() == !without_newer_register) {
    return absl::InvalidArgumentError(
        "--restore needs --restore_shred_register DIR (a `confidant audit export` taken after the "
        "backup, so that records shredded since are shredded again) or, only when no such export "
        "exists, --restore_without_newer_register (records shredded after the backup then come "
        "back); not both");
  }
  std::unique_ptr<PendingRestore> restore(new PendingRestore());
  ASSIGN_OR_RETURN(restore->manifest_, ReadBackupManifest(backup_dir));
  if (restore->manifest_.custody_record.empty() ||
      !restore->custody_.ParseFromString(restore->manifest_.custody_record) ||
      restore->custody_.threshold() < 2) {
    return absl::FailedPreconditionError(
        "this backup names no unseal share set (a --dev vault's, or an older format): it cannot "
        "be restored with shares");
  }
  // As after an emergency seal: each share must come from a different custodian.
  restore->custody_.set_emergency(true);
  bool empty = true;
  RETURN_IF_ERROR(store.ScanSnapshot([&](store::Space space, std::string_view k, std::string_view) {
    if (space == store::Space::kMeta &&
        std::find(may_exist.begin(), may_exist.end(), std::string(k)) != may_exist.end()) {
      return true;
    }
    empty = false;
    return false;
  }));
  if (!empty) {
    return absl::FailedPreconditionError(
        "--restore writes into an empty data directory only; this one holds a vault");
  }
  ASSIGN_OR_RETURN(std::optional<storage::v1::BackupKeyEscrow> key,
                   escrow->Get(restore->manifest_.epoch));
  if (!key.has_value()) {
    return absl::NotFoundError(absl::StrCat(
        "backup epoch ", restore->manifest_.epoch, " has no key in --backup_keys_dir: it was "
        "destroyed after its retention window (or this is another vault's directory), so this "
        "backup can no longer be opened"));
  }
  if (key->share_set_id() != restore->custody_.share_set_id()) {
    return absl::FailedPreconditionError(
        "the backup's epoch key belongs to another share set than its MANIFEST names (a "
        "re-share ran while it was taken): this backup cannot be restored; use another");
  }
  restore->backup_dir_ = std::move(backup_dir);
  restore->shred_register_export_ = std::move(shred_register_export);
  restore->escrow_ = escrow;
  restore->may_exist_ = std::move(may_exist);
  return restore;
}

absl::StatusOr<size_t> PendingRestore::Approve(const std::string& person_id) {
  absl::MutexLock lock(&mu_);
  if (std::find(approvers_.begin(), approvers_.end(), person_id) != approvers_.end()) {
    return absl::InvalidArgumentError(
        "you already approved this restore; a second custodian must approve it");
  }
  approvers_.push_back(person_id);
  return approvers_.size();
}

size_t PendingRestore::approvals() const {
  absl::MutexLock lock(&mu_);
  return approvers_.size();
}

absl::Status PendingRestore::RestoreStorage(const crypto::SecretBytes& master_key,
                                            store::KvStore& store) {
  absl::MutexLock lock(&mu_);
  if (approvers_.size() < kRestoreApprovalsNeeded) {
    return absl::FailedPreconditionError("a restore needs two custodians' approval first");
  }
  ASSIGN_OR_RETURN(std::optional<storage::v1::BackupKeyEscrow> escrowed,
                   escrow_->Get(manifest_.epoch));
  if (!escrowed.has_value()) {
    return absl::NotFoundError(absl::StrCat("backup epoch ", manifest_.epoch,
                                            " has no key any more: the backup cannot be opened"));
  }
  ASSIGN_OR_RETURN(crypto::SecretBytes kwk, crypto::DeriveKeyWrappingKey(master_key));
  absl::StatusOr<crypto::SecretBytes> epoch_key = crypto::UnwrapStoredKey(
      kwk, crypto::KeyLabel{kBackupEpochPurpose, manifest_.epoch}, escrowed->wrapped());
  if (!epoch_key.ok()) {
    return absl::DataLossError(
        "the backup's epoch key does not open under this master key (another vault's, or "
        "tampered with)");
  }
  BackupEpochKey key;
  key.epoch = manifest_.epoch;
  key.started_unix_seconds = escrowed->created_unix_seconds();
  key.key = *std::move(epoch_key);
  store::Mutation marker;
  marker.Put(store::Space::kMeta, kRestoreMarkerKey, backup_dir_);
  // From the first restored byte on, no release due by now is ever computed (the release job
  // also stays idle while the marker stands); Finish moves the mark to its own time.
  marker.Put(store::Space::kMeta, std::string(kReleaseWithheldThroughKey), absl::StrCat(WallSeconds()));
  std::string custody;
  ASSIGN_OR_RETURN(BackupSummary summary,
                   RestoreBackup(backup_dir_, key, store, marker, may_exist_,
                                 [&](store::Space space, std::string_view k, std::string_view v) {
                                   if (space != store::Space::kMeta || k != kCustodyRecordKey) {
                                     return false;
                                   }
                                   custody.assign(v);
                                   return true;
                                 }));
  if (custody.empty()) return absl::DataLossError("the backup holds no custody record");
  held_custody_ = std::move(custody);
  entries_restored_ = summary.entries;
  ASSIGN_OR_RETURN(std::optional<std::string> head, store.Get(store::Space::kMeta, "audit/head"));
  storage::v1::AuditHead parsed;
  if (!head.has_value() || !parsed.ParseFromString(*head)) {
    return absl::DataLossError("the backup holds no audit log head");
  }
  backup_log_ = parsed.checkpoint();  // its signature is checked when the log opens
  return absl::OkStatus();
}

absl::Status PendingRestore::Finish(OpenVault& open) {
  std::vector<std::string> ids;
  ASSIGN_OR_RETURN(ids, ReadShredRegister(*open.log));
  v1::Checkpoint restored;
  {
    absl::MutexLock lock(&mu_);
    restored = backup_log_;
  }
  std::string sources = absl::StrCat("the restored log (", ids.size(), " records)");
  std::vector<std::string> witnessed;
  uint64_t exported_size = 0;
  if (!shred_register_export_.empty()) {
    ASSIGN_OR_RETURN(ExportedShredRegister exported,
                     ReadShredRegisterFromExport(shred_register_export_, *open.log, restored,
                                                 open.keys->audit_key(),
                                                 open.keys->checkpoint_key()->public_key));
    std::set<std::string> seen(ids.begin(), ids.end());
    for (std::string& id : exported.record_ids) {
      if (seen.insert(id).second) ids.push_back(std::move(id));
    }
    exported_size = exported.tree_size;
    absl::StrAppend(&sources, " and an audit export up to size ", exported.tree_size, " (",
                    exported.record_ids.size(), " records)");
    witnessed.push_back(absl::StrCat("export checkpoint size ", exported.tree_size, " root ",
                                     exported.root_hex, " at ", exported.time_unix_seconds,
                                     " with ", exported.cosignatures, " cosignature(s)"));
  }
  // How far the register reaches; a witness that cosigned beyond it shows a gap whose shreds
  // cannot be re-applied.
  bool gap = shred_register_export_.empty();
  uint64_t register_reaches = restored.tree_size();
  if (!shred_register_export_.empty()) register_reaches = exported_size;
  if (open.pusher != nullptr) {
    for (const WitnessPusher::Witnessed& w : open.pusher->AskWitnesses()) {
      if (!w.reachable) {
        witnessed.push_back(absl::StrCat("witness ", w.name, " unreachable"));
        continue;
      }
      witnessed.push_back(absl::StrCat("witness ", w.name, " last cosigned size ", w.tree_size,
                                       " root ", w.root_hex));
      if (w.tree_size > register_reaches) gap = true;
    }
  }
  if (witnessed.empty()) witnessed.push_back("none known (no witness configured, no export)");
  ASSIGN_OR_RETURN(std::vector<std::string> shredded,
                   ReapplyShredRegister(ids, open.shredder, sources));
  std::vector<std::string> approvers;
  uint64_t entries = 0;
  {
    absl::MutexLock lock(&mu_);
    approvers = approvers_;
    entries = entries_restored_;
  }
  v1::AuditEvent event;
  event.set_action("vault_restored");
  event.set_decision(v1::ALLOW);
  event.set_rule("vault:restore");
  event.set_status_code("OK");
  event.set_detail(absl::StrCat(
      "restored from backup epoch ", manifest_.epoch, " (", entries,
      " entries; its audit log ends at size ", restored.tree_size(), " root ",
      absl::BytesToHexString(restored.root_hash()), "); approved by ",
      absl::StrJoin(approvers, " and "), "; shred register re-applied from ", sources, ": ",
      shredded.size(), " record(s) shredded again; last witnessed: ",
      absl::StrJoin(witnessed, "; "),
      ". Entries after the backup's size and up to the last witnessed one are lost.",
      gap ? absl::StrCat(" WARNING: the shred register reaches only size ", register_reaches,
                         shred_register_export_.empty() ? " (no newer export was given)" : "",
                         "; records shredded after that may have come back")
          : "",
      " Statistical releases for periods ended by now and not in the backup are withheld, never "
      "computed (they may have been released in the lost history)."));
  event.set_flagged(gap);
  for (const std::string& id : shredded) event.add_record_ids(id);
  store::Mutation done;
  done.Delete(store::Space::kMeta, kRestoreMarkerKey);
  // A release made after the backup was taken is lost with the history, and computing it again
  // would draw fresh noise over the same data (an averaging attack): the release job withholds
  // every (table, period) due by now that the backup does not hold.
  done.Put(store::Space::kMeta, std::string(kReleaseWithheldThroughKey),
           absl::StrCat(WallSeconds()));
  {
    absl::MutexLock lock(&mu_);
    done.Put(store::Space::kMeta, std::string(kCustodyRecordKey), held_custody_);
  }
  return open.recorder.Record(std::move(event), std::move(done)).status();
}

}  // namespace confidant::server
