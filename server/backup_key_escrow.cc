#include "server/backup_key_escrow.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <string>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "base/files.h"
#include "base/status_macros.h"

namespace confidant::server {
namespace {

constexpr char kPrefix[] = "epoch-";
constexpr char kSuffix[] = ".key";
constexpr size_t kMaxEntryBytes = 4096;

absl::Status SyncDirectory(const std::string& directory) {
  const int fd = ::open(directory.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return absl::UnavailableError("cannot open the backup key directory");
  const bool synced = ::fsync(fd) == 0;
  ::close(fd);
  if (!synced) return absl::UnavailableError("cannot sync the backup key directory");
  return absl::OkStatus();
}

}  // namespace

absl::Status CheckEscrowDirectory(const std::string& directory, const std::string& data_directory,
                                  bool same_filesystem_ok) {
  if (directory.empty() || directory.front() != '/') {
    return absl::InvalidArgumentError("--backup_keys_dir must be an absolute path");
  }
  struct stat escrow;
  struct stat data;
  if (::stat(directory.c_str(), &escrow) != 0 || !S_ISDIR(escrow.st_mode)) {
    return absl::FailedPreconditionError("--backup_keys_dir is not an existing directory");
  }
  if (::stat(data_directory.c_str(), &data) != 0) {
    return absl::FailedPreconditionError("cannot stat the data directory");
  }
  if (!same_filesystem_ok && escrow.st_dev == data.st_dev) {
    return absl::FailedPreconditionError(
        "--backup_keys_dir is on the data directory's filesystem; it must live on another one "
        "(a disk failure must not take the backup keys with the data)");
  }
  return absl::OkStatus();
}

std::string BackupKeyEscrow::PathOf(uint32_t epoch) const {
  return absl::StrCat(directory_, "/", kPrefix, epoch, kSuffix);
}

absl::Status BackupKeyEscrow::Put(const storage::v1::BackupKeyEscrow& entry) const {
  RETURN_IF_ERROR(WriteFileAtomically(PathOf(entry.epoch()), entry.SerializeAsString(), 0600));
  return SyncDirectory(directory_);
}

absl::StatusOr<std::optional<storage::v1::BackupKeyEscrow>> BackupKeyEscrow::Get(
    uint32_t epoch) const {
  absl::StatusOr<std::string> bytes = ReadFile(PathOf(epoch), kMaxEntryBytes);
  if (absl::IsNotFound(bytes.status())) return std::nullopt;
  if (!bytes.ok()) {
    return absl::DataLossError(absl::StrCat("backup key file of epoch ", epoch, " is unreadable"));
  }
  storage::v1::BackupKeyEscrow entry;
  if (!entry.ParseFromString(*bytes) || entry.epoch() != epoch || entry.wrapped().empty()) {
    return absl::DataLossError(absl::StrCat("backup key file of epoch ", epoch, " is malformed"));
  }
  return entry;
}

absl::StatusOr<std::vector<storage::v1::BackupKeyEscrow>> BackupKeyEscrow::List() const {
  DIR* dir = ::opendir(directory_.c_str());
  if (dir == nullptr) return absl::UnavailableError("cannot list the backup key directory");
  std::vector<uint32_t> epochs;
  while (const dirent* item = ::readdir(dir)) {
    absl::string_view name(item->d_name);
    uint32_t epoch = 0;
    if (absl::ConsumePrefix(&name, kPrefix) && absl::ConsumeSuffix(&name, kSuffix) &&
        absl::SimpleAtoi(name, &epoch)) {
      epochs.push_back(epoch);
    }
  }
  ::closedir(dir);
  std::sort(epochs.begin(), epochs.end());
  std::vector<storage::v1::BackupKeyEscrow> entries;
  for (uint32_t epoch : epochs) {
    ASSIGN_OR_RETURN(std::optional<storage::v1::BackupKeyEscrow> entry, Get(epoch));
    if (entry.has_value()) entries.push_back(*std::move(entry));
  }
  return entries;
}

absl::Status BackupKeyEscrow::Remove(uint32_t epoch) const {
  const std::string path = PathOf(epoch);
  const int fd = ::open(path.c_str(), O_WRONLY | O_CLOEXEC);
  if (fd < 0) {
    if (errno == ENOENT) return absl::OkStatus();
    return absl::UnavailableError("cannot open a backup key file to destroy it");
  }
  struct stat st;
  bool wiped = ::fstat(fd, &st) == 0;
  const std::string zeros(wiped ? static_cast<size_t>(st.st_size) : 0, '\0');
  wiped = wiped && ::pwrite(fd, zeros.data(), zeros.size(), 0) ==
                       static_cast<ssize_t>(zeros.size()) &&
          ::fsync(fd) == 0;
  ::close(fd);
  if (!wiped || ::unlink(path.c_str()) != 0) {
    return absl::UnavailableError("cannot destroy a backup key file");
  }
  return SyncDirectory(directory_);
}

}  // namespace confidant::server
