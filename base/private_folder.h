// The ownership and mode rules for a folder that holds a person's credentials (a client
// identity folder: client/identity.h, client/report/report_channel.h), in the manner of
// OpenSSH's StrictModes: whoever can write the folder can replace the pinned vault key, the
// kept intake key or queued envelopes, and whoever can read client.key can act as the person.
// So the folder and the files named must belong to the user running the client and be
// writable by nobody else, and the secret files readable by nobody else.
#ifndef CONFIDANT_BASE_PRIVATE_FOLDER_H_
#define CONFIDANT_BASE_PRIVATE_FOLDER_H_

#include <sys/stat.h>
#include <unistd.h>

#include <initializer_list>
#include <string>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"

namespace confidant {

// OK if `path` is absent or follows the rules; FAILED_PRECONDITION naming the path and the
// command that fixes it otherwise. `secret`: no access at all for group and others.
inline absl::Status CheckPrivatePath(const std::string& path, bool secret) {
  struct stat st;
  if (::lstat(path.c_str(), &st) != 0) return absl::OkStatus();  // absence is for the caller
  if (st.st_uid != ::geteuid()) {
    return absl::FailedPreconditionError(
        absl::StrCat(path, " belongs to another user: an identity folder and its files must "
                           "belong to the user who runs the client (chown them)"));
  }
  if (S_ISLNK(st.st_mode)) return absl::OkStatus();  // the target is checked where it is read
  if (secret && (st.st_mode & 077) != 0) {
    return absl::FailedPreconditionError(
        absl::StrCat(path, " can be read by other users: run `chmod 600 ", path, "`"));
  }
  if ((st.st_mode & 022) != 0) {
    return absl::FailedPreconditionError(absl::StrCat(
        path, " can be changed by other users, who could then replace the pinned vault key or "
              "queue records in your name: run `chmod go-w ",
        path, "`"));
  }
  return absl::OkStatus();
}

// The folder itself, then `files` (names inside it), then `secret_files`.
inline absl::Status CheckPrivateFolder(const std::string& folder,
                                       std::initializer_list<const char*> files,
                                       std::initializer_list<const char*> secret_files) {
  if (absl::Status s = CheckPrivatePath(folder, false); !s.ok()) return s;
  for (const char* name : files) {
    if (absl::Status s = CheckPrivatePath(absl::StrCat(folder, "/", name), false); !s.ok()) {
      return s;
    }
  }
  for (const char* name : secret_files) {
    if (absl::Status s = CheckPrivatePath(absl::StrCat(folder, "/", name), true); !s.ok()) {
      return s;
    }
  }
  return absl::OkStatus();
}

}  // namespace confidant

#endif  // CONFIDANT_BASE_PRIVATE_FOLDER_H_
