#include "client/audit_commands.h"

#include <algorithm>
#include <chrono>
#include <deque>
#include <thread>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/time/time.h"
#include "base/status_macros.h"
#include "crypto/merkle.h"

namespace confidant::client {
namespace {

constexpr uint64_t kPage = 10000;

// The index and time a leaf says it has (leaf format: u8(1) u64(index) i64(time) lp(body)).
bool LeafHeader(const std::string& leaf, uint64_t& index, uint64_t& time) {
  if (leaf.size() < 21 || leaf[0] != 1) return false;
  index = time = 0;
  for (int i = 1; i <= 8; ++i) index = (index << 8) | static_cast<uint8_t>(leaf[i]);
  for (int i = 9; i <= 16; ++i) time = (time << 8) | static_cast<uint8_t>(leaf[i]);
  return true;
}

std::string Hex(const crypto::Hash& hash) {
  return absl::BytesToHexString(absl::string_view(reinterpret_cast<const char*>(hash.data()), hash.size()));
}

absl::Status Paged(LogClient& log, uint64_t start, uint64_t end,
                   const std::function<absl::Status(const v1::AuditEntry&)>& visit) {
  for (uint64_t from = start; from < end; from += kPage) {
    RETURN_IF_ERROR(log.ReadEntries(from, std::min(end, from + kPage), visit));
  }
  return absl::OkStatus();
}

}  // namespace

std::string FormatEntry(const v1::AuditEntry& entry, bool with_reason) {
  const v1::AuditEvent& e = entry.event();
  std::vector<std::string> sections;
  for (int s : e.sections_disclosed()) sections.push_back(v1::Section_Name(static_cast<v1::Section>(s)));
  std::string line = absl::StrCat(
      "#", entry.index(), " ",
      absl::FormatTime("%Y-%m-%dT%H:%M:%SZ", absl::FromUnixMicros(entry.time_unix_micros()),
                       absl::UTCTimeZone()),
      " ", v1::AuditDecision_Name(e.decision()), " ", absl::CEscape(e.action()),
      " code=", absl::CEscape(e.status_code()),
      " principal=", e.principal().empty() ? "-" : absl::CEscape(e.principal()),
      " role=", e.role().empty() ? "-" : absl::CEscape(e.role()), " rule=", absl::CEscape(e.rule()));
  if (e.purpose() != v1::PURPOSE_UNSPECIFIED) absl::StrAppend(&line, " purpose=", v1::Purpose_Name(e.purpose()));
  if (!sections.empty()) absl::StrAppend(&line, " sections=", absl::StrJoin(sections, ","));
  if (e.record_ids_size() > 0) {
    absl::StrAppend(&line, " records=", absl::CEscape(absl::StrJoin(e.record_ids(), ",")));
  }
  if (e.count() > 1) absl::StrAppend(&line, " count=", e.count());
  if (e.flagged()) absl::StrAppend(&line, " FLAGGED");
  if (!e.detail().empty()) absl::StrAppend(&line, " detail=\"", absl::CEscape(e.detail()), "\"");
  if (with_reason && !e.reason().empty()) absl::StrAppend(&line, " reason=\"", absl::CEscape(e.reason()), "\"");
  return line;
}

absl::Status VerifyEntries(const VerifiedCheckpoint& checkpoint,
                           const std::vector<TrustedWitness>& witnesses, const EntrySource& source,
                           std::ostream& progress) {
  for (const TrustedWitness& w : witnesses) {
    if (!crypto::VerifyCosignature(checkpoint.note, w.name, w.public_key).ok()) {
      return absl::UnauthenticatedError(absl::StrCat("no valid cosignature by witness ", w.name));
    }
  }
  const uint64_t size = checkpoint.body.tree_size;
  crypto::MerkleFrontier frontier;
  uint64_t last_time = 0, last_checked = 0;
  RETURN_IF_ERROR(source(size, [&](uint64_t position, const std::string& leaf,
                                   const std::string& note) -> absl::Status {
    const uint64_t expected = frontier.size();
    uint64_t index = 0, time = 0;
    if (position != expected || !LeafHeader(leaf, index, time) || index != expected) {
      return absl::DataLossError(
          absl::StrCat("entry ", expected, " is missing, reordered or malformed"));
    }
    if (time < last_time) {
      return absl::DataLossError(absl::StrCat("entry ", expected, " is older than the one before it"));
    }
    last_time = time;
    frontier.Append(crypto::LeafHash(leaf));
    if (!note.empty()) {
      absl::StatusOr<crypto::SplitNote> split = crypto::SplitSignedNote(note);
      absl::StatusOr<crypto::CheckpointBody> body =
          split.ok() ? crypto::ParseCheckpointBody(split->body)
                     : absl::StatusOr<crypto::CheckpointBody>(split.status());
      // Signed by the checkpoint key of its size (the chain the checkpoint was verified with).
      const crypto::ChainKey* signer =
          body.ok() ? crypto::SignerForTreeSize(checkpoint.checkpoint_keys, body->tree_size)
                    : nullptr;
      const bool signed_ok =
          signer != nullptr &&
          crypto::VerifyNoteSignature(note, checkpoint.body.origin, signer->public_key).ok();
      if (signed_ok && body->tree_size == frontier.size() && body->root != frontier.Root()) {
        return absl::DataLossError(
            last_checked + 1 == frontier.size()
                ? absl::StrCat("entry ", position, " was altered (its signed checkpoint differs)")
                : absl::StrCat("an entry among ", last_checked, "..", position,
                               " was altered (their signed checkpoint differs)"));
      }
      if (signed_ok && body->tree_size == frontier.size()) last_checked = frontier.size();
    }
    if (frontier.size() % kPage == 0) {
      progress << "verified " << frontier.size() << "/" << size << " entries\n";
    }
    return absl::OkStatus();
  }));
  if (frontier.size() < size) {
    return absl::DataLossError(absl::StrCat("entry ", frontier.size(), " is missing (log truncated)"));
  }
  if (frontier.Root() != checkpoint.body.root) {
    return absl::DataLossError(
        "the entries do not reproduce the signed checkpoint's root (an entry was altered)");
  }
  return absl::OkStatus();
}

absl::Status AuditVerifyCommand(LogClient& log, const std::vector<TrustedWitness>& witnesses,
                                std::ostream& out, std::ostream& progress) {
  absl::StatusOr<VerifiedCheckpoint> fetched = log.FetchCheckpoint();
  if (!fetched.ok()) {
    out << "audit log NOT verified: " << fetched.status().message() << "\n";
    return fetched.status();
  }
  const VerifiedCheckpoint& checkpoint = *fetched;
  const EntrySource online = [&](uint64_t size, const LeafVisitor& visit) {
    return Paged(log, 0, size, [&](const v1::AuditEntry& entry) {
      return visit(entry.index(), entry.leaf(), entry.checkpoint_note());
    });
  };
  absl::Status verified = VerifyEntries(checkpoint, witnesses, online, progress);
  if (verified.ok()) verified = log.Advance(checkpoint);
  return Conclude(verified, checkpoint, out);
}

absl::Status Conclude(const absl::Status& verified, const VerifiedCheckpoint& checkpoint,
                      std::ostream& out) {
  // A caller who may not read the log learns that, not that the log failed a check.
  if (absl::IsPermissionDenied(verified)) {
    return absl::PermissionDeniedError(absl::StrCat(
        "only auditors can verify the audit log online (", verified.message(),
        "); anyone with vault.pub can check an export: confidant audit verify --offline DIR"));
  }
  if (!verified.ok()) {
    out << "audit log NOT verified: " << verified.message() << "\n";
    return verified;
  }
  out << "verified " << checkpoint.body.tree_size << " entries up to root "
      << Hex(checkpoint.body.root) << "\n";
  return absl::OkStatus();
}

absl::Status AuditTailCommand(LogClient& log, uint64_t count, bool follow, int follow_seconds,
                              std::ostream& out, bool flagged_only) {
  ASSIGN_OR_RETURN(VerifiedCheckpoint checkpoint, log.Refresh());
  uint64_t next = checkpoint.body.tree_size > count ? checkpoint.body.tree_size - count : 0;
  if (flagged_only) {  // the last `count` flagged entries may lie anywhere in the log
    std::deque<std::string> last;
    RETURN_IF_ERROR(Paged(log, 0, checkpoint.body.tree_size, [&](const v1::AuditEntry& entry) {
      if (!entry.event().flagged()) return absl::OkStatus();
      last.push_back(FormatEntry(entry, false));
      if (last.size() > count) last.pop_front();
      return absl::OkStatus();
    }));
    for (const std::string& line : last) out << line << "\n";
    next = checkpoint.body.tree_size;
  }
  const auto until = std::chrono::steady_clock::now() + std::chrono::seconds(follow_seconds);
  for (;;) {
    RETURN_IF_ERROR(Paged(log, next, checkpoint.body.tree_size, [&](const v1::AuditEntry& entry) {
      if (!flagged_only || entry.event().flagged()) out << FormatEntry(entry, false) << "\n";
      return absl::OkStatus();
    }));
    out.flush();
    next = checkpoint.body.tree_size;
    if (!follow || std::chrono::steady_clock::now() >= until) return absl::OkStatus();
    std::this_thread::sleep_for(std::chrono::seconds(2));
    ASSIGN_OR_RETURN(checkpoint, log.Refresh());
  }
}

absl::Status AuditShowCommand(LogClient& log, const std::string& record_id, std::ostream& out) {
  ASSIGN_OR_RETURN(VerifiedCheckpoint checkpoint, log.Refresh());
  uint64_t found = 0;
  RETURN_IF_ERROR(Paged(log, 0, checkpoint.body.tree_size, [&](const v1::AuditEntry& entry) {
    const auto& ids = entry.event().record_ids();
    if (std::find(ids.begin(), ids.end(), record_id) != ids.end()) {
      out << FormatEntry(entry, true) << "\n";
      ++found;
    }
    return absl::OkStatus();
  }));
  out << found << " entries touch record " << record_id << "\n";
  return absl::OkStatus();
}

}  // namespace confidant::client
