#include "client/audit_export.h"

#include <sys/stat.h>

#include <algorithm>
#include <cstdio>
#include <memory>

#include "absl/strings/str_cat.h"
#include "base/bytes.h"
#include "base/files.h"
#include "base/status_macros.h"

namespace confidant::client {
namespace {

constexpr uint64_t kPage = 10000;
constexpr size_t kMaxLeafBytes = 1 << 20;

struct FileCloser {
  void operator()(std::FILE* f) const { std::fclose(f); }
};

// Reads u32 big-endian length, then that many bytes (at most kMaxLeafBytes).
bool ReadLengthPrefixed(std::FILE* file, std::string& out) {
  unsigned char header[4];
  if (std::fread(header, 1, 4, file) != 4) return false;
  const uint32_t length = (uint32_t{header[0]} << 24) | (uint32_t{header[1]} << 16) |
                          (uint32_t{header[2]} << 8) | header[3];
  if (length > kMaxLeafBytes) return false;
  out.assign(length, '\0');
  return std::fread(out.data(), 1, length, file) == length;
}

}  // namespace

absl::Status AuditExportCommand(LogClient& log, const std::string& dir, std::ostream& out,
                                std::ostream& progress) {
  ASSIGN_OR_RETURN(VerifiedCheckpoint checkpoint, log.Refresh());
  if (::mkdir(dir.c_str(), 0700) != 0 && errno != EEXIST) {
    return absl::PermissionDeniedError(absl::StrCat("cannot create ", dir));
  }
  v1::GetCheckpointResponse saved;
  saved.mutable_checkpoint()->set_note(checkpoint.note);
  saved.mutable_checkpoint()->set_tree_size(checkpoint.body.tree_size);
  saved.set_log_public_key(checkpoint.log_public_key);
  saved.set_log_key_signature(checkpoint.log_key_signature);
  for (const std::string& note : checkpoint.identity_transitions) saved.add_identity_transitions(note);
  for (const std::string& note : checkpoint.checkpoint_transitions) {
    saved.add_checkpoint_transitions(note);
  }
  const std::string leaves_path = dir + "/leaves.bin";
  std::unique_ptr<std::FILE, FileCloser> file(std::fopen((leaves_path + ".tmp").c_str(), "wb"));
  if (file == nullptr) return absl::PermissionDeniedError(absl::StrCat("cannot write ", leaves_path));
  const uint64_t size = checkpoint.body.tree_size;
  for (uint64_t from = 0; from < size; from += kPage) {
    RETURN_IF_ERROR(log.ReadEntries(from, std::min(size, from + kPage), [&](const v1::AuditEntry& e) {
      std::string record;
      AppendLengthPrefixed(record, e.leaf());
      AppendLengthPrefixed(record, e.checkpoint_note());
      if (std::fwrite(record.data(), 1, record.size(), file.get()) != record.size()) {
        return absl::UnavailableError("write failed");
      }
      return absl::OkStatus();
    }));
    progress << "exported " << std::min(size, from + kPage) << "/" << size << " entries\n";
  }
  if (std::fflush(file.get()) != 0 || ::fsync(fileno(file.get())) != 0) {
    return absl::UnavailableError("cannot flush the export");
  }
  file.reset();
  if (std::rename((leaves_path + ".tmp").c_str(), leaves_path.c_str()) != 0) {
    return absl::UnavailableError("cannot complete the export");
  }
  RETURN_IF_ERROR(WriteFileAtomically(dir + "/checkpoint.binpb", saved.SerializeAsString(), 0600));
  out << "exported " << size << " entries and their signed checkpoint to " << dir << "\n";
  return absl::OkStatus();
}

absl::Status AuditVerifyOfflineCommand(const ClientIdentity& identity, const std::string& dir,
                                       const std::vector<TrustedWitness>& witnesses,
                                       std::ostream& out, std::ostream& progress) {
  ASSIGN_OR_RETURN(std::string saved_bytes, ReadFile(dir + "/checkpoint.binpb"));
  v1::GetCheckpointResponse saved;
  if (!saved.ParseFromString(saved_bytes)) return absl::DataLossError("checkpoint.binpb is malformed");
  VaultKeyChains chains;
  chains.identity_transitions.assign(saved.identity_transitions().begin(),
                                     saved.identity_transitions().end());
  chains.checkpoint_transitions.assign(saved.checkpoint_transitions().begin(),
                                       saved.checkpoint_transitions().end());
  absl::StatusOr<VerifiedCheckpoint> verified =
      VerifyCheckpoint(identity, saved.checkpoint().note(), saved.log_public_key(),
                       saved.log_key_signature(), chains);
  if (!verified.ok()) {
    out << "audit log NOT verified: " << verified.status().message() << "\n";
    return verified.status();
  }
  const VerifiedCheckpoint& checkpoint = *verified;
  std::unique_ptr<std::FILE, FileCloser> file(std::fopen((dir + "/leaves.bin").c_str(), "rb"));
  if (file == nullptr) return absl::NotFoundError("leaves.bin not found in the export");
  const EntrySource from_file = [&](uint64_t size, const LeafVisitor& visit) -> absl::Status {
    for (uint64_t position = 0;; ++position) {
      if (std::feof(file.get()) || std::fgetc(file.get()) == EOF) return absl::OkStatus();
      std::fseek(file.get(), -1, SEEK_CUR);
      std::string leaf, note;
      if (!ReadLengthPrefixed(file.get(), leaf) || !ReadLengthPrefixed(file.get(), note)) {
        return absl::DataLossError(absl::StrCat("entry ", position, " is truncated"));
      }
      if (position >= size) {
        return absl::DataLossError(
            absl::StrCat("entry ", position, " is not covered by the signed checkpoint (appended)"));
      }
      RETURN_IF_ERROR(visit(position, leaf, note));
    }
  };
  return Conclude(VerifyEntries(checkpoint, witnesses, from_file, progress), checkpoint, out);
}

}  // namespace confidant::client
