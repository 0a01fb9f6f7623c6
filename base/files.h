// Small file helpers with explicit permissions. Header-only.
#ifndef CONFIDANT_BASE_FILES_H_
#define CONFIDANT_BASE_FILES_H_

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace confidant {

// Reads a whole file of at most `max_bytes`. NOT_FOUND if missing; INVALID_ARGUMENT if larger.
inline absl::StatusOr<std::string> ReadFile(const std::string& path,
                                            size_t max_bytes = 4 << 20) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    if (errno == ENOENT) return absl::NotFoundError("file not found: " + path);
    return absl::PermissionDeniedError("cannot open " + path + ": " + std::strerror(errno));
  }
  std::string out;
  char buf[8192];
  for (;;) {
    const ssize_t n = ::read(fd, buf, sizeof(buf));
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    out.append(buf, static_cast<size_t>(n));
    if (out.size() > max_bytes) {
      ::close(fd);
      return absl::InvalidArgumentError("file too large: " + path);
    }
  }
  ::close(fd);
  return out;
}

// Syncs the directory `dir`, so that a rename or unlink in it survives a power loss.
inline absl::Status SyncDirectory(const std::string& dir) {
  const int fd = ::open(dir.empty() ? "." : dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return absl::UnavailableError("cannot open directory " + dir);
  const bool synced = ::fsync(fd) == 0;
  ::close(fd);
  return synced ? absl::OkStatus() : absl::UnavailableError("cannot sync directory " + dir);
}

// The directory part of `path` ("." when it has none).
inline std::string DirectoryOf(const std::string& path) {
  const size_t slash = path.rfind('/');
  if (slash == std::string::npos) return ".";
  return slash == 0 ? "/" : path.substr(0, slash);
}

// Writes `content` to `path` with `mode` via a temporary file, fsync, rename and a sync of the
// directory, so a reader sees either the old or the new file whole, and a completed write
// survives a power loss.
inline absl::Status WriteFileAtomically(const std::string& path, const std::string& content,
                                        mode_t mode) {
  const std::string tmp = path + ".tmp";
  // A leftover temporary file (a crash) or anything planted there, a symbolic link included, is
  // removed first (unlink never follows a link), and the file is created exclusively without
  // following links: a write never lands outside `path`'s folder.
  ::unlink(tmp.c_str());
  const int fd =
      ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, mode);
  if (fd < 0) return absl::PermissionDeniedError("cannot write " + path + ": " + std::strerror(errno));
  size_t done = 0;
  while (done < content.size()) {
    const ssize_t n = ::write(fd, content.data() + done, content.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      ::close(fd);
      return absl::UnavailableError("write failed: " + path);
    }
    done += static_cast<size_t>(n);
  }
  const bool synced = ::fchmod(fd, mode) == 0 && ::fsync(fd) == 0;
  ::close(fd);
  if (!synced || ::rename(tmp.c_str(), path.c_str()) != 0) {
    ::unlink(tmp.c_str());
    return absl::UnavailableError("cannot complete write of " + path);
  }
  return SyncDirectory(DirectoryOf(path));
}

}  // namespace confidant

#endif  // CONFIDANT_BASE_FILES_H_
