#include "server/backup_key_escrow.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <string>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "base/files.h"
#include "base/log.h"
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
  if (escrow.st_uid != ::geteuid() || (escrow.st_mode & 022) != 0) {
    return absl::FailedPreconditionError(
        "--backup_keys_dir must be owned by the vault's user and writable by no one else "
        "(chmod 700)");
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
  // A fresh temporary file (never through a planted link), synced, then renamed into place.
  const std::string path = PathOf(entry.epoch());
  const std::string tmp = path + ".tmp";
  ::unlink(tmp.c_str());
  const int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
  if (fd < 0) return absl::UnavailableError("cannot create a backup key file");
  const std::string bytes = entry.SerializeAsString();
  const bool written = ::write(fd, bytes.data(), bytes.size()) ==
                           static_cast<ssize_t>(bytes.size()) &&
                       ::fsync(fd) == 0;
  ::close(fd);
  if (!written || ::rename(tmp.c_str(), path.c_str()) != 0) {
    ::unlink(tmp.c_str());
    return absl::UnavailableError("cannot write a backup key file");
  }
  return SyncDirectory(directory_);
}

absl::StatusOr<std::optional<storage::v1::BackupKeyEscrow>> BackupKeyEscrow::Get(
    uint32_t epoch) const {
  const int fd = ::open(PathOf(epoch).c_str(), O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
  if (fd < 0 && errno == ENOENT) return std::nullopt;
  struct stat st;
  std::string bytes;
  bool read_ok = fd >= 0 && ::fstat(fd, &st) == 0 && S_ISREG(st.st_mode) &&
                 st.st_size > 0 && static_cast<size_t>(st.st_size) <= kMaxEntryBytes;
  if (read_ok) {
    bytes.resize(static_cast<size_t>(st.st_size));
    read_ok = ::pread(fd, bytes.data(), bytes.size(), 0) == static_cast<ssize_t>(bytes.size());
  }
  if (fd >= 0) ::close(fd);
  if (!read_ok) {
    return absl::DataLossError(absl::StrCat(
        "backup key file of epoch ", epoch, " is unreadable (not a regular file, or too large)"));
  }
  storage::v1::BackupKeyEscrow entry;
  if (!entry.ParseFromString(bytes) || entry.epoch() != epoch || entry.wrapped().empty()) {
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
    absl::StatusOr<std::optional<storage::v1::BackupKeyEscrow>> entry = Get(epoch);
    if (!entry.ok()) {
      // One damaged file must not stop the destruction of every other epoch's key.
      LogEvent(LogLevel::kWarning, "backup_key_file_malformed", {{"epoch", absl::StrCat(epoch)}});
      continue;
    }
    if (entry->has_value()) entries.push_back(**std::move(entry));
  }
  return entries;
}

absl::Status BackupKeyEscrow::Remove(uint32_t epoch) const {
  const std::string path = PathOf(epoch);
  const int fd = ::open(path.c_str(), O_WRONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
  if (fd < 0) {
    if (errno == ENOENT) return absl::OkStatus();
    // A link or something else planted there: nothing of ours to wipe; remove the name.
    if (::unlink(path.c_str()) != 0) {
      return absl::UnavailableError("cannot destroy a backup key file");
    }
    return SyncDirectory(directory_);
  }
  struct stat st;
  bool wiped = ::fstat(fd, &st) == 0 && S_ISREG(st.st_mode);
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
