#include "server/backup_files.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <algorithm>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <system_error>
#include <utility>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "base/files.h"
#include "base/status_macros.h"
#include "crypto/aead.h"
#include "server/vault_keys.h"

namespace confidant::server {
namespace {

constexpr char kFormat[] = "confidant-backup-v1";
constexpr size_t kMaxSealedChunk = kBackupChunkBytes + crypto::kAeadNonceSize + crypto::kAeadTagSize;

void PutU32(std::string& out, uint32_t v) {
  for (int i = 0; i < 4; ++i) out.push_back(static_cast<char>((v >> (8 * i)) & 0xff));
}

uint32_t GetU32(std::string_view in) {
  uint32_t v = 0;
  for (int i = 0; i < 4; ++i) v |= uint32_t{static_cast<uint8_t>(in[i])} << (8 * i);
  return v;
}

// An open file written through; closes on destruction.
class OutFile {
 public:
  static absl::StatusOr<OutFile> Create(const std::string& path) {
    const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    if (fd < 0) return absl::UnavailableError(absl::StrCat("cannot create ", path));
    return OutFile(fd);
  }
  OutFile(OutFile&& other) noexcept : fd_(std::exchange(other.fd_, -1)) {}
  OutFile(const OutFile&) = delete;
  OutFile& operator=(const OutFile&) = delete;
  ~OutFile() {
    if (fd_ >= 0) ::close(fd_);
  }
  absl::Status Write(std::string_view bytes) {
    while (!bytes.empty()) {
      const ssize_t n = ::write(fd_, bytes.data(), bytes.size());
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) return absl::UnavailableError("backup write failed");
      bytes.remove_prefix(static_cast<size_t>(n));
    }
    return absl::OkStatus();
  }
  absl::Status Sync() {
    return ::fsync(fd_) == 0 ? absl::OkStatus() : absl::UnavailableError("backup fsync failed");
  }

 private:
  explicit OutFile(int fd) : fd_(fd) {}
  int fd_ = -1;
};

absl::StatusOr<dev_t> DeviceOf(const std::string& path) {
  struct stat st;
  if (::stat(path.c_str(), &st) != 0) {
    return absl::FailedPreconditionError(absl::StrCat("cannot stat ", path));
  }
  return st.st_dev;
}

// Seals chunk `index` of the stream and appends it, length-prefixed, to `file`.
absl::Status WriteChunk(OutFile& file, const BackupEpochKey& key, uint64_t index,
                        std::string_view plaintext, bool last, BackupSummary& summary) {
  ASSIGN_OR_RETURN(std::string sealed,
                   crypto::AeadSeal(key.key, plaintext,
                                    BackupChunkAssociatedData(key.epoch, kBackupEntriesFile,
                                                              index, last)));
  std::string framed;
  PutU32(framed, static_cast<uint32_t>(sealed.size()));
  framed.append(sealed);
  RETURN_IF_ERROR(file.Write(framed));
  summary.chunks = index + 1;
  summary.bytes += framed.size();
  return absl::OkStatus();
}

// Visits every whole entry at the front of `pending` and removes it (the rest waits for the next
// chunk). False for an entry naming no space.
bool VisitEntries(std::string& pending,
                  const std::function<void(store::Space, std::string_view, std::string_view)>& visit,
                  BackupSummary& summary) {
  const std::string_view view(pending);
  size_t at = 0;
  while (view.size() - at >= 9) {
    const uint32_t k = GetU32(view.substr(at + 1));
    const uint32_t v = GetU32(view.substr(at + 5));
    if (view.size() - at - 9 < uint64_t{k} + v) break;
    const auto space = static_cast<uint8_t>(view[at]);
    if (space >= std::size(store::kAllSpaces)) return false;
    visit(static_cast<store::Space>(space), view.substr(at + 9, k), view.substr(at + 9 + k, v));
    ++summary.entries;
    at += 9 + k + v;
  }
  std::string left = pending.substr(at);
  crypto::WipeString(pending);
  pending = std::move(left);
  return true;
}

}  // namespace

std::string BackupChunkAssociatedData(uint32_t epoch, std::string_view file, uint64_t chunk,
                                      bool last) {
  std::string ad(kFormat);
  ad.push_back('\0');
  PutU32(ad, epoch);
  ad.append(file);
  ad.push_back('\0');
  PutU32(ad, static_cast<uint32_t>(chunk & 0xffffffffu));
  PutU32(ad, static_cast<uint32_t>(chunk >> 32));
  ad.push_back(last ? '\1' : '\0');
  return ad;
}

absl::Status CheckBackupTarget(const std::string& directory, const std::string& data_directory) {
  if (directory.empty() || directory.front() != '/') {
    return absl::InvalidArgumentError("the backup directory must be an absolute path");
  }
  std::error_code ec;
  std::filesystem::path existing(directory);
  if (std::filesystem::exists(existing, ec)) {
    if (!std::filesystem::is_directory(existing, ec) ||
        !std::filesystem::is_empty(existing, ec) || ec) {
      return absl::FailedPreconditionError(
          "the backup directory must be new or empty (a backup is never written over another)");
    }
  } else {
    existing = existing.parent_path();
    if (!std::filesystem::is_directory(existing, ec)) {
      return absl::FailedPreconditionError("the backup directory's parent does not exist");
    }
  }
  ASSIGN_OR_RETURN(dev_t target, DeviceOf(existing.string()));
  ASSIGN_OR_RETURN(dev_t data, DeviceOf(data_directory));
  if (target == data) {
    return absl::FailedPreconditionError(
        "the backup directory is on the same filesystem as the data directory; a backup must "
        "live on another filesystem (a disk failure must not take both)");
  }
  return absl::OkStatus();
}

absl::StatusOr<BackupSummary> WriteBackup(
    const store::KvStore& store, const BackupEpochKey& key, const std::string& directory,
    const std::string& data_directory,
    const std::function<void(const BackupSummary&)>& progress, const BackupManifest& manifest) {
  RETURN_IF_ERROR(CheckBackupTarget(directory, data_directory));
  if (::mkdir(directory.c_str(), 0700) != 0 && errno != EEXIST) {
    return absl::UnavailableError("cannot create the backup directory");
  }
  RETURN_IF_ERROR(WriteFileAtomically(
      absl::StrCat(directory, "/", kBackupManifestFile),
      absl::StrCat(kFormat, "\nepoch ", key.epoch, "\naudit-tree-size ",
                   manifest.audit_tree_size, "\ncustody ",
                   absl::Base64Escape(manifest.custody_record), "\n"),
      0600));
  ASSIGN_OR_RETURN(OutFile file,
                   OutFile::Create(absl::StrCat(directory, "/", kBackupEntriesFile)));
  BackupSummary summary;
  summary.epoch = key.epoch;
  std::string buffer;
  absl::Status status;
  const std::string epoch_prefix = absl::StrCat(std::string(kBackupEpochPurpose), "/");
  RETURN_IF_ERROR(store.ScanSnapshot([&](store::Space space, std::string_view k,
                                         std::string_view v) {
    if (space == store::Space::kKeys && absl::StartsWith(absl::string_view(k.data(), k.size()), epoch_prefix)) return true;
    buffer.push_back(static_cast<char>(space));
    PutU32(buffer, static_cast<uint32_t>(k.size()));
    PutU32(buffer, static_cast<uint32_t>(v.size()));
    buffer.append(k);
    buffer.append(v);
    ++summary.entries;
    while (buffer.size() > kBackupChunkBytes) {
      status = WriteChunk(file, key, summary.chunks,
                          std::string_view(buffer).substr(0, kBackupChunkBytes), false, summary);
      if (!status.ok()) return false;
      std::string rest = buffer.substr(kBackupChunkBytes);
      crypto::WipeString(buffer);
      buffer = std::move(rest);
      if (progress) progress(summary);
    }
    return true;
  }));
  RETURN_IF_ERROR(status);
  RETURN_IF_ERROR(WriteChunk(file, key, summary.chunks, buffer, true, summary));
  crypto::WipeString(buffer);
  RETURN_IF_ERROR(file.Sync());
  if (progress) progress(summary);
  return summary;
}

absl::StatusOr<BackupManifest> ReadBackupManifest(const std::string& directory) {
  absl::StatusOr<std::string> text =
      ReadFile(absl::StrCat(directory, "/", kBackupManifestFile), 4096);
  const absl::Status invalid =
      absl::InvalidArgumentError("not a Confidant backup directory (no valid MANIFEST)");
  if (!text.ok() || !absl::EndsWith(*text, "\n")) return invalid;
  std::vector<std::string> lines = absl::StrSplit(text->substr(0, text->size() - 1), '\n');
  // Backups written before the custody line carry only the format and the epoch.
  if ((lines.size() != 2 && lines.size() != 4) || lines[0] != kFormat) return invalid;
  BackupManifest manifest;
  absl::string_view epoch = lines[1];
  if (!absl::ConsumePrefix(&epoch, "epoch ") || !absl::SimpleAtoi(epoch, &manifest.epoch)) {
    return invalid;
  }
  if (lines.size() == 4) {
    absl::string_view size = lines[2];
    absl::string_view custody = lines[3];
    if (!absl::ConsumePrefix(&size, "audit-tree-size ") ||
        !absl::SimpleAtoi(size, &manifest.audit_tree_size) ||
        !absl::ConsumePrefix(&custody, "custody ") ||
        !absl::Base64Unescape(custody, &manifest.custody_record)) {
      return invalid;
    }
  }
  return manifest;
}

absl::StatusOr<uint32_t> BackupEpochOf(const std::string& directory) {
  ASSIGN_OR_RETURN(BackupManifest manifest, ReadBackupManifest(directory));
  return manifest.epoch;
}

absl::StatusOr<BackupSummary> ReadBackup(
    const std::string& directory, const BackupEpochKey& key,
    const std::function<void(store::Space, std::string_view, std::string_view)>& visit) {
  const std::string path = absl::StrCat(directory, "/", kBackupEntriesFile);
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return absl::NotFoundError("the backup has no entries file");
  struct stat st;
  const bool sized = ::fstat(fd, &st) == 0;
  ::close(fd);
  if (!sized) return absl::UnavailableError("cannot read the backup");
  std::ifstream in(path, std::ios::binary);
  BackupSummary summary;
  summary.epoch = key.epoch;
  summary.bytes = static_cast<uint64_t>(st.st_size);
  const absl::Status failed = absl::DataLossError(std::string(crypto::kDecryptionFailed));
  std::string pending;
  uint64_t offset = 0;
  bool ended = false;
  while (offset < summary.bytes && !ended) {
    char length[4];
    if (summary.bytes - offset < 4 || !in.read(length, 4)) return failed;
    const uint32_t size = GetU32(std::string_view(length, 4));
    if (size > kMaxSealedChunk || size > summary.bytes - offset - 4) return failed;
    std::string sealed(size, '\0');
    if (!in.read(sealed.data(), size)) return failed;
    offset += 4 + uint64_t{size};
    ended = offset == summary.bytes;
    absl::StatusOr<std::string> plain = crypto::AeadOpen(
        key.key, sealed,
        BackupChunkAssociatedData(key.epoch, kBackupEntriesFile, summary.chunks, ended));
    if (!plain.ok()) return failed;
    ++summary.chunks;
    pending.append(*plain);
    crypto::WipeString(*plain);
    if (!VisitEntries(pending, visit, summary)) return failed;
  }
  if (!ended || !pending.empty()) {
    return absl::DataLossError("the backup is truncated: its last chunk is missing");
  }
  return summary;
}

absl::StatusOr<BackupSummary> RestoreBackup(const std::string& directory,
                                            const BackupEpochKey& key, store::KvStore& target,
                                            const store::Mutation& first_batch,
                                            const std::vector<std::string>& may_exist) {
  std::map<std::string, std::string> existing;  // meta entries allowed before the restore
  bool empty = true;
  RETURN_IF_ERROR(target.ScanSnapshot([&](store::Space space, std::string_view k,
                                          std::string_view v) {
    const std::string name(k);
    if (space == store::Space::kMeta &&
        std::find(may_exist.begin(), may_exist.end(), name) != may_exist.end()) {
      existing.emplace(name, std::string(v));
      return true;
    }
    empty = false;
    return false;
  }));
  if (!empty) {
    return absl::FailedPreconditionError("a backup is restored only into an empty data directory");
  }
  // First pass: every chunk decrypts and every pre-existing entry matches the backup's.
  std::set<std::string> matched;
  absl::Status mismatch;
  RETURN_IF_ERROR(ReadBackup(directory, key,
                             [&](store::Space space, std::string_view k, std::string_view v) {
                               if (space != store::Space::kMeta) return;
                               auto it = existing.find(std::string(k));
                               if (it == existing.end()) return;
                               matched.insert(it->first);
                               if (it->second != v && mismatch.ok()) {
                                 mismatch = absl::FailedPreconditionError(absl::StrCat(
                                     "the backup's vault has another ", it->first,
                                     " than this server's configuration"));
                               }
                             })
                      .status());
  RETURN_IF_ERROR(mismatch);
  if (matched.size() != existing.size()) {
    return absl::FailedPreconditionError(
        "the backup lacks settings this server's configuration already pinned");
  }
  constexpr size_t kBatchBytes = 4 << 20;
  store::Mutation batch = first_batch;
  size_t batch_bytes = 0;
  absl::Status status;
  ASSIGN_OR_RETURN(BackupSummary summary,
                   ReadBackup(directory, key, [&](store::Space space, std::string_view k,
                                                  std::string_view v) {
                     if (!status.ok()) return;
                     batch.Put(space, std::string(k), std::string(v));
                     batch_bytes += k.size() + v.size();
                     if (batch_bytes >= kBatchBytes) {
                       status = target.Commit(batch);
                       batch = store::Mutation();
                       batch_bytes = 0;
                     }
                   }));
  RETURN_IF_ERROR(status);
  if (!batch.empty()) RETURN_IF_ERROR(target.Commit(batch));
  return summary;
}

}  // namespace confidant::server
