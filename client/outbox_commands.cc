#include "client/outbox_commands.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <thread>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "base/files.h"
#include "base/status_macros.h"
#include "client/outbox_delivery.h"
#include "client/record_json.h"
#include "proto/display_text.h"
#include "crypto/random.h"
#include "crypto/secret_bytes.h"
#include "proto/record_validation.h"

namespace confidant::client {
namespace {

int64_t Now() { return absl::ToUnixSeconds(absl::Now()); }

std::string OutboxDir(const std::string& identity_dir) { return identity_dir + "/outbox"; }

// Overwrites `path` with zeros, syncs and deletes it. On a journaling or copy-on-write file
// system or an SSD, older copies of the blocks may survive: SECURITY.md says so.
// A symbolic link, a file with other hard links or anything but a regular file is left alone:
// zeroing it would destroy whatever else it names.
absl::Status WipeAndRemove(const std::string& path) {
  const int fd = ::open(path.c_str(), O_WRONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK);
  if (fd < 0) {
    return absl::PermissionDeniedError(absl::StrCat(
        "cannot open ", path, " to wipe it", errno == ELOOP ? " (a symbolic link)" : ""));
  }
  struct stat st;
  bool ok = ::fstat(fd, &st) == 0;
  if (ok && (!S_ISREG(st.st_mode) || st.st_nlink != 1)) {
    ::close(fd);
    return absl::FailedPreconditionError(absl::StrCat(
        path, " is not a plain file with one name (a hard link, device or pipe): not wiped"));
  }
  const std::string zeros(64 * 1024, '\0');
  for (off_t done = 0; ok && done < st.st_size;) {
    const size_t n = static_cast<size_t>(std::min<off_t>(st.st_size - done, zeros.size()));
    const ssize_t w = ::write(fd, zeros.data(), n);
    ok = w > 0;
    done += w > 0 ? w : 0;
  }
  ok = ok && ::fsync(fd) == 0;
  ::close(fd);
  if (!ok || ::unlink(path.c_str()) != 0) {
    return absl::PermissionDeniedError("cannot wipe " + path);
  }
  return SyncDirectory(DirectoryOf(path));
}

// --remove-source on something WipeAndRemove would refuse: said before anything is sealed, so
// the volunteer is not left with a record sent and its plaintext still on the laptop.
absl::Status CheckWipeable(const std::string& path) {
  struct stat st;
  if (::lstat(path.c_str(), &st) != 0) return absl::OkStatus();  // ReadRecord names it
  if (S_ISLNK(st.st_mode)) {
    return absl::InvalidArgumentError(absl::StrCat(
        "--remove-source: ", path, " is a symbolic link; wiping it would leave the file it points "
        "to. Submit the file itself. Nothing was sealed"));
  }
  if (!S_ISREG(st.st_mode) || st.st_nlink != 1) {
    return absl::InvalidArgumentError(absl::StrCat(
        "--remove-source: ", path, " is not a plain file with one name (a hard link, device or "
        "pipe), so it cannot be wiped. Nothing was sealed"));
  }
  return absl::OkStatus();
}

// A record read from its file, with where each field was written, so that a content rule's
// refusal can point at file:line:column too (client/record_json.h AtFieldPosition).
struct RecordFile {
  v1::InterviewRecord record;
  std::string source;  // the file name
  FieldPositions positions;

  absl::Status Locate(const absl::Status& status) const {
    return AtFieldPosition(status, source, positions);
  }
};

absl::StatusOr<RecordFile> ReadRecord(const std::string& json_path) {
  absl::StatusOr<std::string> read = ReadFile(json_path, 1 << 20);
  if (!read.ok()) {
    // The volunteer's input, not the vault: bad input (exit 2), whatever the file system said.
    return absl::InvalidArgumentError(absl::StrCat(read.status().message(), "; nothing was sealed"));
  }
  std::string json = *std::move(read);
  const size_t slash = json_path.rfind('/');
  RecordFile file;
  file.source = slash == std::string::npos ? json_path : json_path.substr(slash + 1);
  absl::StatusOr<v1::InterviewRecord> record = ParseRecordJson(json, file.source, &file.positions);
  crypto::WipeString(json);
  absl::Status checked = record.status();
  if (checked.ok()) {
    file.record = *std::move(record);
    checked = file.Locate(ValidateRecord(file.record));
  }
  if (!checked.ok()) {
    return absl::Status(checked.code(), absl::StrCat(checked.message(), ". Nothing was sealed: "
                                                     "fix the file and submit it again"));
  }
  return file;
}

// Seals the record in `json_path` and queues it; returns the queued entry and whether the
// vault answered (so it is worth sending now).
absl::StatusOr<std::pair<Outbox::Entry, bool>> SealAndQueue(
    VaultClient& client, const Outbox& outbox, const std::string& json_path,
    const std::string& identity_dir, const std::string& id, const SubmitOptions& options,
    std::ostream& err) {
  ASSIGN_OR_RETURN(RecordFile file, ReadRecord(json_path));
  v1::InterviewRecord& record = file.record;
  const int64_t now = Now();
  if (absl::Status date = file.Locate(CheckVisitDateNotInFuture(record, now)); !date.ok()) {
    return absl::Status(date.code(), absl::StrCat(date.message(), ". Nothing was sealed: fix the "
                                                                 "file and submit it again"));
  }
  ASSIGN_OR_RETURN(IntakeKeyChoice choice, ChooseIntakeKey(client, identity_dir, now));
  const v1::IntakeKey& key = choice.key.key;
  RETURN_IF_ERROR(file.Locate(CheckFacilityBeforeSealing(key, record)));
  if (now < key.created_unix_seconds() - kEnvelopeClockSlackSeconds) {
    return absl::FailedPreconditionError(absl::StrCat(
        "this computer's clock reads ", FormatUtc(now), ", more than a day before the vault's "
        "intake key was made (", FormatUtc(key.created_unix_seconds()),
        "): set the date and time right and submit again. Nothing was sealed"));
  }
  ASSIGN_OR_RETURN(v1::SubmitRecordRequest request,
                   SealSubmission(key, client.identity().principal, record, id, now,
                                  options.amends_record_id));
  record.Clear();
  RETURN_IF_ERROR(outbox.Add(request, options.amends_record_id, now));
  // Online, the file goes only once the receipt verifies (SubmitCommand). Offline, a new record
  // is wiped now (plaintext must not wait on a field laptop), unless the key may be stale; an
  // amendment is kept, since a mistyped record id is only found out by the vault.
  if (options.remove_source && choice.offline_reason.has_value()) {
    if (!options.amends_record_id.empty()) {
      err << "confidant: kept " << json_path << ": only the vault can check the record id of an "
             "amendment. Delete the file yourself once `confidant outbox flush` shows it sent\n";
    } else if (now > choice.key.SafeUntil()) {
      err << "confidant: kept " << json_path << ": the intake key was last confirmed "
          << FormatAge(now - choice.key.confirmed_unix_seconds)
          << "; if the vault rotated its keys since, it may refuse this envelope. Delete the "
             "file yourself once `confidant outbox status` shows the record sent\n";
    } else {
      if (absl::Status wiped = WipeAndRemove(json_path); !wiped.ok()) {
        err << "confidant: the record is sealed and queued, but " << wiped.message()
            << ": delete it yourself\n";
      } else {
        err << "confidant: " << json_path << " overwritten and deleted (--remove-source)\n";
      }
    }
  }
  if (choice.offline_reason.has_value()) {
    err << "confidant: queued, not sent: " << PlainOfflineReason(*choice.offline_reason)
        << ". The record is encrypted and waits in " << outbox.dir() << ". Send it with `confidant "
        << "outbox flush` when online, before " << FormatUtc(choice.key.SafeUntil()) << "\n";
  }
  Outbox::Entry entry;
  entry.name = Outbox::NameOf(id, options.amends_record_id);
  entry.submission_id = id;
  entry.amends_record_id = options.amends_record_id;
  entry.queued_unix_seconds = now;
  return std::make_pair(std::move(entry), !choice.offline_reason.has_value());
}

// What a volunteer does about a permanent refusal of an envelope (online or at a flush).
std::string RefusalNextStep(bool amendment, const absl::Status& refusal) {
  if (amendment && absl::StrContains(refusal.message(), "deny:amendment-window")) {
    return "The time to amend this record has passed: it can no longer be amended (ask a case "
           "officer if something in it must be corrected)";
  }
  if (amendment && absl::IsNotFound(refusal)) {
    return "No record has this id: check the record id, then amend again";
  }
  if (amendment) return "Check the record id and that you may amend it, then amend again";
  if (absl::IsPermissionDenied(refusal) || absl::IsInvalidArgument(refusal)) {
    return "Fix the record and submit it again; or, if the policy changed after it was sealed, "
           "ask staff to put it right, then `confidant outbox requeue NAME`";
  }
  return "Fix the record and submit it again (a new submission)";
}

std::string RefusedAdvice(const Outbox& outbox, bool amendment, const absl::Status& refusal) {
  const std::string next = RefusalNextStep(amendment, refusal);
  return absl::StrCat(" The vault will not accept this envelope: it was moved to ", outbox.dir(),
                      "/refused and will not be sent again. ", next);
}

// --remove-source once the vault holds the record: a failure to wipe is reported, not fatal.
void RemoveDeliveredSource(const std::string& json_path, std::ostream& err) {
  if (absl::Status wiped = WipeAndRemove(json_path); !wiped.ok()) {
    err << "confidant: the record is delivered, but " << wiped.message()
        << ": delete it yourself\n";
  } else {
    err << "confidant: " << json_path << " overwritten and deleted (--remove-source)\n";
  }
}

}  // namespace

absl::StatusOr<Delivery> SubmitCommand(VaultClient& client, LogClient& log,
                                       const std::string& json_path,
                                       const std::string& identity_dir,
                                       const SubmitOptions& options, std::ostream& out,
                                       std::ostream& err) {
  const std::string id =
      options.submission_id.empty() ? crypto::RandomHexId(16) : options.submission_id;
  RETURN_IF_ERROR(ValidateSubmissionId(id));
  if (!options.amends_record_id.empty()) RETURN_IF_ERROR(ValidateRecordId(options.amends_record_id));
  const Outbox outbox(OutboxDir(identity_dir));
  ASSIGN_OR_RETURN(Outbox::Lock lock, outbox.TakeLock());
  const std::string name = Outbox::NameOf(id, options.amends_record_id);
  ASSIGN_OR_RETURN(std::optional<Outbox::Entry> refused, outbox.FindRefused(name));
  if (refused.has_value()) {
    return absl::FailedPreconditionError(absl::StrCat(
        "submission ", id, " was refused by the vault (", refused->reason,
        "); fix the record and submit it again without --submission-id"));
  }
  ASSIGN_OR_RETURN(std::optional<v1::SubmitRecordRequest> kept, outbox.Find(name));
  Outbox::Entry entry;
  bool online = true;
  // Whether FILE is what the envelope holds: not on a retry, which resends the envelope sealed
  // before, whatever FILE holds now (it may have been edited since), so FILE is never wiped.
  bool sealed_from_file = false;
  if (kept.has_value()) {  // a retry: the very same envelope goes again
    entry.name = name;
    entry.submission_id = id;
    entry.amends_record_id = options.amends_record_id;
    if (options.remove_source) {
      err << "confidant: kept " << json_path << ": this resends the envelope sealed before as "
          << id << ", not this file. To send the file as it is now, submit it without "
             "--submission-id\n";
    }
  } else {
    if (options.remove_source) RETURN_IF_ERROR(CheckWipeable(json_path));
    sealed_from_file = true;
    ASSIGN_OR_RETURN(std::tie(entry, online),
                     SealAndQueue(client, outbox, json_path, identity_dir, id, options, err));
  }
  if (!online) {
    out << "queued " << id << "\n";
    return Delivery::kQueued;
  }
  const bool amendment = !options.amends_record_id.empty();
  const std::string kept_note =
      options.remove_source && sealed_from_file ? absl::StrCat(" ", json_path, " was kept.") : "";
  absl::StatusOr<v1::SubmitRecordResponse> receipt = DeliverEntry(client, log, outbox, entry);
  if (receipt.ok()) {
    PrintReceipt(*receipt, amendment, out, err);
    if (options.remove_source && sealed_from_file && ::access(json_path.c_str(), F_OK) == 0) {
      RemoveDeliveredSource(json_path, err);
    }
    return Delivery::kDelivered;
  }
  if (IsPermanentRefusal(receipt.status())) {
    // The vault answered: not a usage error of this command (exit 1, whatever the code).
    err << "confidant: " << absl::StatusCodeToString(receipt.status().code()) << ": "
        << receipt.status().message() << "." << RefusedAdvice(outbox, amendment, receipt.status()) << "."
        << kept_note << "\n";
    return Delivery::kRefused;
  }
  err << "confidant: not delivered (" << absl::StatusCodeToString(receipt.status().code()) << ": "
      << receipt.status().message() << "); the sealed envelope stays queued in " << outbox.dir()
      << ". Send it with `confidant outbox flush` (or retry with --submission-id " << id << ")."
      << (options.remove_source && sealed_from_file
              ? absl::StrCat(kept_note, " Delete it once `confidant outbox flush` shows it sent.")
              : "")
      << "\n";
  out << "queued " << id << "\n";
  return Delivery::kQueued;
}

absl::StatusOr<Delivery> OutboxFlushCommand(VaultClient& client, LogClient& log,
                                            const std::string& identity_dir, int wait_seconds,
                                            std::ostream& out, std::ostream& err) {
  const Outbox outbox(OutboxDir(identity_dir));
  ASSIGN_OR_RETURN(Outbox::Lock lock, outbox.TakeLock());
  // Also keeps the newest intake key for working offline later.
  absl::StatusOr<IntakeKeyChoice> key = ChooseIntakeKey(client, identity_dir, Now());
  if (!key.ok() && !absl::IsUnavailable(key.status())) return key.status();
  // Before a visit, a flush is how a team makes sure it can seal offline: say so.
  if (key.ok() && !key->offline_reason.has_value()) {
    out << "intake key version " << key->key.key.version()
        << " confirmed current now: records sealed offline with it are safe to deliver until "
        << FormatUtc(key->key.SafeUntil()) << "\n";
  } else if (key.ok()) {
    err << "confidant: the intake key could not be refreshed: "
        << PlainOfflineReason(*key->offline_reason) << ". The kept one (version "
        << key->key.key.version() << ") is safe to deliver until "
        << FormatUtc(key->key.SafeUntil()) << "\n";
  } else {
    err << "confidant: " << key.status().message() << "\n";
  }
  const absl::Time give_up = absl::Now() + absl::Seconds(std::max(0, wait_seconds));
  absl::Duration backoff = absl::Seconds(1);
  int sent = 0, refused = 0;
  ASSIGN_OR_RETURN(std::vector<Outbox::Entry> pending, outbox.Pending());
  while (!pending.empty()) {
    for (const Outbox::Entry& entry : pending) {
      absl::StatusOr<v1::SubmitRecordResponse> receipt = DeliverEntry(client, log, outbox, entry);
      if (receipt.ok()) {
        ++sent;
        out << "sent " << entry.name << " -> ";
        PrintReceipt(*receipt, !entry.amends_record_id.empty(), out, err);
        out.flush();  // progress, line by line
        continue;
      }
      const std::string why = absl::StrCat(absl::StatusCodeToString(receipt.status().code()),
                                           ": ", receipt.status().message());
      if (IsPermanentRefusal(receipt.status()) || absl::IsDataLoss(receipt.status())) {
        ++refused;
        out << "refused " << entry.name << ": " << why << ". "
            << RefusalNextStep(!entry.amends_record_id.empty(), receipt.status()) << std::endl;
        continue;
      }
      out << "kept " << entry.name << ": " << PlainOfflineReason(receipt.status()) << std::endl;
      if (VaultNotTakingSubmissions(receipt.status())) break;
    }
    ASSIGN_OR_RETURN(pending, outbox.Pending());
    const absl::Duration left = give_up - absl::Now();
    if (pending.empty() || left <= absl::ZeroDuration()) break;
    // The last wait is cut short so that a final try falls within --retry-for.
    const absl::Duration wait = std::min(backoff, left);
    err << "confidant: " << pending.size() << " still queued; trying again in "
        << absl::FormatDuration(absl::Ceil(wait, absl::Seconds(1))) << "\n";
    absl::SleepFor(wait);
    backoff = std::min(backoff * 2, absl::Seconds(60));
  }
  out << sent << " sent, " << refused << " refused, " << pending.size() << " still queued\n";
  if (refused > 0) {
    return absl::FailedPreconditionError(absl::StrCat(
        refused, " envelope(s) refused by the vault and moved to ", outbox.dir(),
        "/refused: see `confidant outbox status` for why each was refused; fix a record the "
        "vault found invalid and submit it again (an amendment refused for its time window "
        "cannot be sent again), then `confidant outbox wipe --refused --yes`; or, if staff put "
        "right what refused it (a policy change), `confidant outbox requeue NAME`"));
  }
  return pending.empty() ? Delivery::kDelivered : Delivery::kQueued;
}

absl::Status OutboxStatusCommand(const ClientIdentity& identity, const std::string& identity_dir,
                                 std::ostream& out) {
  const int64_t now = Now();
  const Outbox outbox(OutboxDir(identity_dir));
  absl::StatusOr<std::optional<CachedIntakeKey>> key =
      LoadIntakeKey(identity_dir + "/intake-key", identity.vault_public_key);
  if (!key.ok()) {
    out << "intake key: " << key.status().message() << "\n";
  } else if (!key->has_value()) {
    out << "intake key: none yet; run `confidant outbox flush` once while online, before working "
           "offline\n";
  } else {
    const CachedIntakeKey& k = **key;
    out << "intake key: version " << k.key.version() << ", confirmed current "
        << FormatUtc(k.confirmed_unix_seconds) << " (" << FormatAge(now - k.confirmed_unix_seconds)
        << "); records sealed to it are safe to deliver until " << FormatUtc(k.SafeUntil())
        << (now > k.SafeUntil() ? " (passed: connect soon)" : "") << "\n";
  }
  ASSIGN_OR_RETURN(std::vector<Outbox::Entry> pending, outbox.Pending());
  out << "queued: " << pending.size() << "\n";
  for (const Outbox::Entry& e : pending) {
    out << "  " << e.name << "  queued " << FormatUtc(e.queued_unix_seconds) << " ("
        << FormatAge(now - e.queued_unix_seconds) << ")  attempts " << e.attempts;
    if (!e.last_error.empty()) out << "  last error: " << e.last_error;
    out << "\n";
  }
  ASSIGN_OR_RETURN(std::vector<Outbox::Entry> refused, outbox.Refused());
  out << "refused: " << refused.size()
      << (refused.empty() ? ""
                          : " (not sent again: fix each record and submit it again; or, once "
                            "staff have put right what refused it, `confidant outbox requeue "
                            "NAME`)")
      << "\n";
  for (const Outbox::Entry& e : refused) {
    out << "  " << e.name << "  queued " << FormatUtc(e.queued_unix_seconds) << "  " << e.reason
        << "\n";
  }
  return absl::OkStatus();
}

absl::Status OutboxRequeueCommand(const std::string& identity_dir, const std::string& name,
                                  std::ostream& out) {
  const Outbox outbox(OutboxDir(identity_dir));
  ASSIGN_OR_RETURN(Outbox::Lock lock, outbox.TakeLock());
  ASSIGN_OR_RETURN(std::optional<Outbox::Entry> entry, outbox.FindRefused(name));
  if (!entry.has_value()) {
    return absl::NotFoundError(absl::StrCat(
        "no refused envelope is named ", ForTerminal(name),
        "; `confidant outbox status` lists the refused ones by name"));
  }
  // Nobody can put these right: the record id does not exist, or the submission id was used
  // for another record. Sending the same envelope again would be refused again.
  if (absl::StartsWith(entry->reason, "NOT_FOUND") ||
      absl::StartsWith(entry->reason, "ALREADY_EXISTS")) {
    return absl::FailedPreconditionError(absl::StrCat(
        entry->name, " was refused for a reason sending it again cannot change (",
        entry->reason, "): fix the record file and submit or amend it again"));
  }
  RETURN_IF_ERROR(outbox.Requeue(*entry, Now()));
  out << "queued again: " << entry->name << " (it was refused: " << entry->reason
      << "). `confidant outbox flush` sends it; if nothing changed since, the vault refuses it "
         "again and it returns to the refused list\n";
  return absl::OkStatus();
}

absl::Status OutboxWipeCommand(const std::string& identity_dir, bool yes, bool refused_only,
                               std::ostream& out) {
  const Outbox outbox(OutboxDir(identity_dir));
  ASSIGN_OR_RETURN(Outbox::Lock lock, outbox.TakeLock());
  ASSIGN_OR_RETURN(std::vector<Outbox::Entry> pending, outbox.Pending());
  ASSIGN_OR_RETURN(std::vector<Outbox::Entry> refused, outbox.Refused());
  // Without --yes nothing is deleted: a usage error (exit 2), not a failure.
  const size_t to_delete = refused.size() + (refused_only ? 0 : pending.size());
  if (!yes && to_delete == 0) {
    out << "nothing to delete: the outbox holds no " << (refused_only ? "refused " : "")
        << "records\n";
    return absl::OkStatus();
  }
  if (!yes && refused_only) {
    return absl::InvalidArgumentError(absl::StrCat(
        "nothing was deleted. This would delete ", refused.size(),
        " refused record(s), which the vault will never accept as they are (the ", pending.size(),
        " still waiting stay): add --yes to delete them"));
  }
  if (!yes) {
    return absl::InvalidArgumentError(absl::StrCat(
        "nothing was deleted. This would delete ", pending.size(),
        " record(s) not yet delivered to the vault (they would be lost: send them first with "
        "`confidant outbox flush`) and ", refused.size(),
        " refused one(s): add --yes to delete them all, or --refused --yes for the refused ones "
        "only"));
  }
  ASSIGN_OR_RETURN(int wiped, outbox.Wipe(refused_only));
  out << "wiped " << wiped << " envelope(s) from " << outbox.dir() << "\n";
  return absl::OkStatus();
}

}  // namespace confidant::client
