#include "server/shred_register.h"

#include <set>

#include <cstdio>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "base/files.h"
#include "base/status_macros.h"
#include "confidant/v1/audit.pb.h"
#include "crypto/key_transition.h"
#include "crypto/merkle.h"
#include "crypto/signed_note.h"
#include "server/audit/audit_leaf.h"

namespace confidant::server {

absl::StatusOr<std::vector<std::string>> ReadShredRegister(const audit::AuditLog& log) {
  std::vector<std::string> ids;
  std::set<std::string> seen;
  RETURN_IF_ERROR(log.ReadEntries(0, log.LatestCheckpoint().tree_size(),
                                  [&](const v1::AuditEntry& entry) {
                                    if (entry.event().action() != "record_shredded") return true;
                                    for (const std::string& id : entry.event().record_ids()) {
                                      if (seen.insert(id).second) ids.push_back(id);
                                    }
                                    return true;
                                  }));
  return ids;
}

namespace {

struct FileCloser {
  void operator()(std::FILE* f) const { std::fclose(f); }
};

// One u32 big-endian length-prefixed field of leaves.bin (at most 1 MiB).
bool ReadPrefixed(std::FILE* file, std::string& out) {
  unsigned char length[4];
  if (std::fread(length, 1, 4, file) != 4) return false;
  const uint32_t size = (uint32_t{length[0]} << 24) | (uint32_t{length[1]} << 16) |
                        (uint32_t{length[2]} << 8) | uint32_t{length[3]};
  if (size > (1u << 20)) return false;
  out.resize(size);
  return size == 0 || std::fread(out.data(), 1, size, file) == size;
}

}  // namespace

absl::StatusOr<ExportedShredRegister> ReadShredRegisterFromExport(
    const std::string& dir, const audit::AuditLog& log, const v1::Checkpoint& restored,
    const crypto::SecretBytes& audit_key, std::string_view checkpoint_public_key) {
  absl::StatusOr<std::string> saved_bytes = ReadFile(dir + "/checkpoint.binpb", 1 << 20);
  if (!saved_bytes.ok()) {
    return absl::FailedPreconditionError(
        "the shred register export has no readable checkpoint.binpb (use `confidant audit "
        "export DIR`)");
  }
  v1::GetCheckpointResponse saved;
  if (!saved.ParseFromString(*saved_bytes)) {
    return absl::DataLossError("the shred register export's checkpoint is malformed");
  }
  const std::string& note = saved.checkpoint().note();
  // An export made after a key rotation is signed by a newer checkpoint key: followed from this
  // vault's key through the export's chain (crypto/key_transition.h), every link checked.
  ASSIGN_OR_RETURN(
      std::vector<crypto::ChainKey> chain,
      crypto::FollowKeyChain(crypto::kCheckpointKeyPurpose, log.origin(), checkpoint_public_key,
                             std::vector<std::string>(saved.checkpoint_transitions().begin(),
                                                      saved.checkpoint_transitions().end())));
  absl::StatusOr<crypto::SplitNote> signed_split = crypto::SplitSignedNote(note);
  absl::StatusOr<crypto::CheckpointBody> signed_body =
      signed_split.ok() ? crypto::ParseCheckpointBody(signed_split->body) : signed_split.status();
  const crypto::ChainKey* signer =
      signed_body.ok() ? crypto::SignerForTreeSize(chain, signed_body->tree_size) : nullptr;
  if (signer == nullptr ||
      !crypto::VerifyNoteSignature(note, log.origin(), signer->public_key).ok()) {
    return absl::DataLossError(
        "the shred register export is not signed by this vault's audit log key (another vault's "
        "export, or forged)");
  }
  ASSIGN_OR_RETURN(crypto::SplitNote split, crypto::SplitSignedNote(note));
  ASSIGN_OR_RETURN(crypto::CheckpointBody body, crypto::ParseCheckpointBody(split.body));
  if (body.origin != log.origin() || body.tree_size < restored.tree_size()) {
    return absl::FailedPreconditionError(
        "the shred register export is older than the backup: it cannot add anything");
  }
  std::unique_ptr<std::FILE, FileCloser> file(std::fopen((dir + "/leaves.bin").c_str(), "rb"));
  if (file == nullptr) {
    return absl::FailedPreconditionError("the shred register export has no leaves.bin");
  }
  ExportedShredRegister out;
  std::set<std::string> seen;
  crypto::MerkleFrontier frontier;
  std::string leaf_bytes;
  std::string checkpoint_note;
  while (frontier.size() < body.tree_size) {
    if (!ReadPrefixed(file.get(), leaf_bytes) || !ReadPrefixed(file.get(), checkpoint_note)) {
      return absl::DataLossError(absl::StrCat("the shred register export is truncated at entry ",
                                              frontier.size()));
    }
    if (frontier.size() == restored.tree_size() &&
        crypto::HashToString(frontier.Root()) != restored.root_hash()) {
      return absl::DataLossError(
          "the shred register export is not of this vault's log history (it differs from the "
          "backup's log)");
    }
    frontier.Append(crypto::LeafHash(leaf_bytes));
    ASSIGN_OR_RETURN(audit::Leaf leaf, audit::DecodeLeaf(leaf_bytes));
    absl::StatusOr<v1::AuditEvent> event = audit::OpenEvent(audit_key, leaf);
    if (!event.ok()) {
      return absl::DataLossError(absl::StrCat("entry ", leaf.index,
                                              " of the shred register export does not open"));
    }
    if (event->action() != "record_shredded") continue;
    for (const std::string& id : event->record_ids()) {
      if (seen.insert(id).second) out.record_ids.push_back(id);
    }
  }
  if (frontier.size() == restored.tree_size() &&
      crypto::HashToString(frontier.Root()) != restored.root_hash()) {
    return absl::DataLossError("the shred register export is not of this vault's log history");
  }
  if (std::fgetc(file.get()) != EOF) {
    return absl::DataLossError("the shred register export has entries past its checkpoint");
  }
  if (body.root != frontier.Root()) {
    return absl::DataLossError("the shred register export's leaves do not match its checkpoint");
  }
  out.tree_size = body.tree_size;
  out.root_hex = absl::BytesToHexString(crypto::HashToString(frontier.Root()));
  out.time_unix_seconds = body.time_unix_seconds;
  out.cosignatures = split.signature_lines.size() > 0 ? split.signature_lines.size() - 1 : 0;
  return out;
}

absl::StatusOr<std::vector<std::string>> ReapplyShredRegister(
    const std::vector<std::string>& register_ids, Shredder& shredder, std::string_view source) {
  ShredOrder order;
  order.rule = kShredRegisterRule;
  order.why = absl::StrCat("shred register re-applied after a restore (from ",
                           absl::string_view(source.data(), source.size()), ")");
  order.requested_by = "restore";
  return shredder.Shred(register_ids, order);
}

}  // namespace confidant::server
