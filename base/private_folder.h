// The ownership and mode rules for a folder that holds a person's credentials (a client
// identity folder: client/identity.h, client/report/report_channel.h), in the manner of
// OpenSSH's StrictModes: whoever can write the folder can replace the pinned vault key, the
// kept intake key or queued envelopes, and whoever can read client.key can act as the person.
// So the folder and the files named must belong to the user running the client and be
// writable by nobody else, and the secret files readable by nobody else; files must not be
// symbolic links. The folders above the identity folder are not checked.
#ifndef CONFIDANT_BASE_PRIVATE_FOLDER_H_
#define CONFIDANT_BASE_PRIVATE_FOLDER_H_

#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include <initializer_list>
#include <string>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"

namespace confidant {

// The rules for one file or folder `st` describes (the file actually read: a symbolic link is
// followed). `shown`: how the message names it.
inline absl::Status CheckPrivateStat(const struct stat& st, const std::string& shown,
                                     bool secret) {
  if (st.st_uid != ::geteuid()) {
    return absl::FailedPreconditionError(absl::StrCat(
        shown, " belongs to another user: an identity folder and its files must belong to the "
               "user who runs the client (run `chown \"$(id -un)\" ",
        shown, "` once you have checked it was not planted)"));
  }
  if (secret && (st.st_mode & 077) != 0) {
    return absl::FailedPreconditionError(
        absl::StrCat(shown, " can be read by other users: run `chmod 600 ", shown, "`"));
  }
  if ((st.st_mode & 022) != 0) {
    return absl::FailedPreconditionError(absl::StrCat(
        shown, " can be changed by other users, who could then replace the pinned vault key or "
               "plant records to be sent in your name: check what it holds, then run `chmod go-w ",
        shown, "`"));
  }
  return absl::OkStatus();
}

// OK if `path` is absent or follows the rules; FAILED_PRECONDITION naming the path and the
// command that fixes it otherwise. `secret`: no access at all for group and others. A file in
// an identity folder must be the file itself, not a symbolic link: a link could lead through
// places others control, and be switched between this check and the read (found in review).
inline absl::Status CheckPrivatePath(const std::string& path, bool secret) {
  struct stat st;
  if (::lstat(path.c_str(), &st) != 0) return absl::OkStatus();  // absence is for the caller
  if (S_ISLNK(st.st_mode)) {
    return absl::FailedPreconditionError(absl::StrCat(
        path, " is a symbolic link: keep the file itself in the identity folder (links could "
              "lead through places other users control)"));
  }
  return CheckPrivateStat(st, path, secret);
}

// The identity folder itself may be a symbolic link (to a folder elsewhere): the rules apply
// to the folder it leads to, and to the folder holding that (which could otherwise swap it).
inline absl::Status CheckPrivateFolderItself(const std::string& folder) {
  struct stat link;
  if (::lstat(folder.c_str(), &link) != 0) return absl::OkStatus();
  if (!S_ISLNK(link.st_mode)) return CheckPrivateStat(link, folder, false);
  if (link.st_uid != ::geteuid()) return CheckPrivateStat(link, folder, false);
  struct stat target;
  if (::stat(folder.c_str(), &target) != 0) return absl::OkStatus();  // dangling: reads fail
  const std::string shown = absl::StrCat(folder, " (through its symbolic link)");
  if (absl::Status s = CheckPrivateStat(target, shown, false); !s.ok()) return s;
  char* resolved = ::realpath(folder.c_str(), nullptr);
  if (resolved == nullptr) return absl::OkStatus();
  const std::string full(resolved);
  ::free(resolved);
  const size_t slash = full.rfind('/');
  const std::string parent =
      slash == std::string::npos || slash == 0 ? std::string("/") : full.substr(0, slash);
  struct stat holder;
  if (::stat(parent.c_str(), &holder) != 0) return absl::OkStatus();
  // Yours or root's, and nobody else may replace what it holds (a sticky folder such as /tmp
  // lets only an entry's owner replace it).
  if ((holder.st_uid != ::geteuid() && holder.st_uid != 0) ||
      ((holder.st_mode & 022) != 0 && (holder.st_mode & S_ISVTX) == 0)) {
    return absl::FailedPreconditionError(absl::StrCat(
        folder, " is a symbolic link into ", parent,
        ", where other users can replace folders: keep the identity folder in a folder only you "
        "can change"));
  }
  return absl::OkStatus();
}

// The folder itself, then `files` (names inside it), then `secret_files`.
inline absl::Status CheckPrivateFolder(const std::string& folder,
                                       std::initializer_list<const char*> files,
                                       std::initializer_list<const char*> secret_files) {
  if (absl::Status s = CheckPrivateFolderItself(folder); !s.ok()) return s;
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
