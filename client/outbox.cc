#include "client/outbox.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "absl/strings/str_split.h"
#include "absl/strings/string_view.h"
#include "base/files.h"
#include "base/status_macros.h"

namespace confidant::client {
namespace {

constexpr char kSealed[] = ".sealed";
constexpr char kState[] = ".state";
constexpr char kAmends[] = ".amends-";

absl::Status MakeDir(const std::string& dir) {
  if (::mkdir(dir.c_str(), 0700) != 0 && errno != EEXIST) {
    return absl::PermissionDeniedError("cannot create the outbox folder " + dir);
  }
  return absl::OkStatus();
}

std::string OneLine(absl::string_view text) {
  return absl::StrReplaceAll(text, {{"\n", " "}, {"\r", " "}});
}

std::string StatusLine(const absl::Status& status) {
  return OneLine(absl::StrCat(absl::StatusCodeToString(status.code()), ": ", status.message()));
}

// "key value" lines; unknown keys are ignored so that later versions can add some.
std::string FormatState(const Outbox::Entry& entry) {
  std::string out = absl::StrCat("queued ", entry.queued_unix_seconds, "\nsequence ",
                                 entry.sequence, "\nattempts ",
                                 entry.attempts, "\nlast_attempt ",
                                 entry.last_attempt_unix_seconds, "\n");
  if (!entry.last_error.empty()) absl::StrAppend(&out, "last_error ", entry.last_error, "\n");
  if (!entry.reason.empty()) absl::StrAppend(&out, "reason ", entry.reason, "\n");
  return out;
}

void ParseState(absl::string_view text, Outbox::Entry& entry) {
  for (absl::string_view line : absl::StrSplit(text, '\n', absl::SkipEmpty())) {
    const size_t space = line.find(' ');
    if (space == absl::string_view::npos) continue;
    const absl::string_view key = line.substr(0, space), value = line.substr(space + 1);
    if (key == "queued") (void)absl::SimpleAtoi(value, &entry.queued_unix_seconds);
    if (key == "sequence") (void)absl::SimpleAtoi(value, &entry.sequence);
    if (key == "attempts") (void)absl::SimpleAtoi(value, &entry.attempts);
    if (key == "last_attempt") (void)absl::SimpleAtoi(value, &entry.last_attempt_unix_seconds);
    if (key == "last_error") entry.last_error = std::string(value);
    if (key == "reason") entry.reason = std::string(value);
  }
}

// Unlinks `path`; a file that is already gone is fine.
absl::Status RemoveFile(const std::string& path) {
  if (::unlink(path.c_str()) != 0 && errno != ENOENT) {
    return absl::PermissionDeniedError("cannot delete " + path);
  }
  return absl::OkStatus();
}

}  // namespace

bool IsPermanentRefusal(const absl::Status& status) {
  switch (status.code()) {
    case absl::StatusCode::kInvalidArgument:   // the record or envelope is not acceptable
    case absl::StatusCode::kPermissionDenied:  // the policy does not let this person file it
    case absl::StatusCode::kAlreadyExists:     // the submission id was used for other bytes
    case absl::StatusCode::kNotFound:          // the record to amend does not exist
    case absl::StatusCode::kOutOfRange:
      return true;
    default:
      return false;
  }
}

Outbox::Lock::~Lock() {
  if (fd_ >= 0) ::close(fd_);  // closing releases the flock
}

namespace {

// A file this user wrote here: a plain file with one name, theirs, that others cannot change.
bool IsOwnFile(const struct stat& st) {
  return S_ISREG(st.st_mode) && st.st_uid == ::geteuid() && (st.st_mode & 022) == 0 &&
         st.st_nlink == 1;
}

absl::Status Planted(const std::string& path) {
  return absl::FailedPreconditionError(absl::StrCat(
      path, " was not written by you (not your own plain file, or others can change it): it may "
            "have been planted. Nothing was sent; remove it (or `confidant outbox wipe --yes`) "
            "after checking the outbox"));
}

// Reads `path` only if it is this user's own file (IsOwnFile), checked on the descriptor read
// from, without following a symbolic link: an envelope planted by another account is never sent
// in this person's name (found in review). NOT_FOUND if absent.
absl::StatusOr<std::string> ReadOwnFile(const std::string& path) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
  if (fd < 0 && errno == ENOENT) return absl::NotFoundError(path + " does not exist");
  if (fd < 0 && errno == ELOOP) return Planted(path);
  if (fd < 0) return absl::PermissionDeniedError("cannot open " + path);
  struct stat st;
  if (::fstat(fd, &st) != 0 || !IsOwnFile(st) || st.st_size > (1 << 20)) {
    ::close(fd);
    return Planted(path);
  }
  std::string bytes(static_cast<size_t>(st.st_size), '\0');
  size_t done = 0;
  while (done < bytes.size()) {
    const ssize_t n = ::read(fd, bytes.data() + done, bytes.size() - done);
    if (n <= 0) break;
    done += static_cast<size_t>(n);
  }
  ::close(fd);
  if (done != bytes.size()) return absl::DataLossError(path + " could not be read whole");
  return bytes;
}

}  // namespace

absl::StatusOr<Outbox::Lock> Outbox::TakeLock() const {
  RETURN_IF_ERROR(MakeDir(dir_));
  const std::string path = dir_ + "/.lock";
  const int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0600);
  if (fd < 0 && errno == ELOOP) return Planted(path);
  if (fd < 0) return absl::PermissionDeniedError("cannot open " + path);
  struct stat st;
  if (::fstat(fd, &st) != 0 || !IsOwnFile(st)) {
    ::close(fd);
    return Planted(path);
  }
  if (::flock(fd, LOCK_EX | LOCK_NB) != 0) {
    ::close(fd);
    return absl::FailedPreconditionError(
        "another confidant command is using this outbox; try again when it has finished");
  }
  return Lock(fd);
}

std::string Outbox::NameOf(const std::string& submission_id, const std::string& amends_record_id) {
  return amends_record_id.empty() ? submission_id
                                  : absl::StrCat(submission_id, kAmends, amends_record_id);
}

absl::Status Outbox::Add(const v1::SubmitRecordRequest& request,
                         const std::string& amends_record_id, int64_t now) const {
  RETURN_IF_ERROR(MakeDir(dir_));
  const std::string name = NameOf(request.submission_id(), amends_record_id);
  const std::string path = absl::StrCat(dir_, "/", name, kSealed);
  struct stat st;
  if (::stat(path.c_str(), &st) == 0) {
    return absl::AlreadyExistsError("an envelope with this submission id is already queued");
  }
  Entry entry;
  entry.queued_unix_seconds = now;
  ASSIGN_OR_RETURN(std::vector<Entry> pending, Pending());
  ASSIGN_OR_RETURN(std::vector<Entry> refused, Refused());
  for (const std::vector<Entry>* list : {&pending, &refused}) {
    for (const Entry& e : *list) entry.sequence = std::max(entry.sequence, e.sequence);
  }
  ++entry.sequence;
  // The state first: an envelope without state is still sent (queued = its file's time).
  RETURN_IF_ERROR(WriteFileAtomically(absl::StrCat(dir_, "/", name, kState), FormatState(entry),
                                      0600));
  return WriteFileAtomically(path, request.SerializeAsString(), 0600);
}

absl::StatusOr<std::optional<v1::SubmitRecordRequest>> Outbox::Find(const std::string& name) const {
  const std::string path = absl::StrCat(dir_, "/", name, kSealed);
  absl::StatusOr<std::string> bytes = ReadOwnFile(path);
  if (absl::IsNotFound(bytes.status())) return std::nullopt;
  RETURN_IF_ERROR(bytes.status());
  v1::SubmitRecordRequest request;
  if (!request.ParseFromString(*bytes)) {
    return absl::DataLossError(path + " is damaged (not a sealed submission)");
  }
  return request;
}

absl::StatusOr<std::vector<Outbox::Entry>> Outbox::Scan(const std::string& dir,
                                                        bool refused) const {
  std::vector<Entry> entries;
  DIR* d = ::opendir(dir.c_str());
  if (d == nullptr) {
    if (errno == ENOENT) return entries;
    return absl::PermissionDeniedError("cannot read the outbox folder " + dir);
  }
  while (const dirent* e = ::readdir(d)) {
    const std::string file = e->d_name;
    if (!absl::EndsWith(file, kSealed)) continue;
    Entry entry;
    entry.name = file.substr(0, file.size() - (sizeof(kSealed) - 1));
    const size_t amends = entry.name.find(kAmends);
    entry.submission_id = entry.name.substr(0, amends);
    if (amends != std::string::npos) {
      entry.amends_record_id = entry.name.substr(amends + sizeof(kAmends) - 1);
    }
    // Only envelopes this user wrote are sent: one planted by another account (while the folder
    // was writable, say) would go to the vault in this person's name.
    struct stat st;
    for (const char* suffix : {kSealed, kState}) {
      const std::string path = absl::StrCat(dir, "/", entry.name, suffix);
      if (::lstat(path.c_str(), &st) != 0) continue;
      if (!IsOwnFile(st)) {
        ::closedir(d);
        return Planted(path);
      }
    }
    if (::stat((dir + "/" + file).c_str(), &st) == 0) entry.queued_unix_seconds = st.st_mtime;
    if (absl::StatusOr<std::string> state = ReadFile(absl::StrCat(dir, "/", entry.name, kState));
        state.ok()) {
      ParseState(*state, entry);
    }
    if (refused && entry.reason.empty()) entry.reason = "refused by the vault";
    entries.push_back(std::move(entry));
  }
  ::closedir(d);
  std::sort(entries.begin(), entries.end(), [](const Entry& a, const Entry& b) {
    return std::tie(a.sequence, a.queued_unix_seconds, a.name) <
           std::tie(b.sequence, b.queued_unix_seconds, b.name);
  });
  return entries;
}

absl::StatusOr<std::vector<Outbox::Entry>> Outbox::Pending() const { return Scan(dir_, false); }

absl::StatusOr<std::vector<Outbox::Entry>> Outbox::Refused() const {
  return Scan(dir_ + "/refused", true);
}

absl::StatusOr<std::optional<Outbox::Entry>> Outbox::FindRefused(const std::string& name) const {
  ASSIGN_OR_RETURN(std::vector<Entry> refused, Refused());
  for (Entry& entry : refused) {
    if (entry.name == name) return std::move(entry);
  }
  return std::nullopt;
}

absl::Status Outbox::RecordFailure(const Entry& entry, const absl::Status& error,
                                   int64_t now) const {
  Entry next = entry;
  ++next.attempts;
  next.last_attempt_unix_seconds = now;
  next.last_error = StatusLine(error);
  return WriteFileAtomically(absl::StrCat(dir_, "/", entry.name, kState), FormatState(next), 0600);
}

absl::Status Outbox::Refuse(const Entry& entry, const absl::Status& reason, int64_t now) const {
  const std::string refused = dir_ + "/refused";
  RETURN_IF_ERROR(MakeDir(refused));
  Entry next = entry;
  ++next.attempts;
  next.last_attempt_unix_seconds = now;
  next.last_error = StatusLine(reason);
  next.reason = next.last_error;
  RETURN_IF_ERROR(
      WriteFileAtomically(absl::StrCat(refused, "/", entry.name, kState), FormatState(next), 0600));
  const std::string from = absl::StrCat(dir_, "/", entry.name, kSealed);
  const std::string to = absl::StrCat(refused, "/", entry.name, kSealed);
  if (::rename(from.c_str(), to.c_str()) != 0) {
    return absl::PermissionDeniedError("cannot move " + from + " to " + refused);
  }
  RETURN_IF_ERROR(RemoveFile(absl::StrCat(dir_, "/", entry.name, kState)));
  RETURN_IF_ERROR(SyncDirectory(refused));
  return SyncDirectory(dir_);
}

absl::Status Outbox::Requeue(const Entry& entry, int64_t now) const {
  const std::string refused = dir_ + "/refused";
  const std::string from = absl::StrCat(refused, "/", entry.name, kSealed);
  const std::string to = absl::StrCat(dir_, "/", entry.name, kSealed);
  struct stat st;
  if (::lstat(to.c_str(), &st) == 0) {
    return absl::AlreadyExistsError(absl::StrCat(entry.name, " is queued already"));
  }
  Entry next = entry;
  next.reason.clear();
  next.last_attempt_unix_seconds = now;
  next.last_error = absl::StrCat("queued again after a refusal: ", entry.reason);
  // The state first: an envelope found queued without one is sent all the same.
  RETURN_IF_ERROR(
      WriteFileAtomically(absl::StrCat(dir_, "/", entry.name, kState), FormatState(next), 0600));
  if (::rename(from.c_str(), to.c_str()) != 0) {
    return absl::PermissionDeniedError("cannot move " + from + " back to " + dir_);
  }
  RETURN_IF_ERROR(RemoveFile(absl::StrCat(refused, "/", entry.name, kState)));
  RETURN_IF_ERROR(SyncDirectory(dir_));
  return SyncDirectory(refused);
}

absl::Status Outbox::Remove(const Entry& entry) const {
  RETURN_IF_ERROR(RemoveFile(absl::StrCat(dir_, "/", entry.name, kSealed)));
  RETURN_IF_ERROR(RemoveFile(absl::StrCat(dir_, "/", entry.name, kState)));
  return SyncDirectory(dir_);
}

absl::StatusOr<int> Outbox::Wipe(bool refused_only) const {
  int wiped = 0;
  const std::vector<std::string> dirs =
      refused_only ? std::vector<std::string>{dir_ + "/refused"}
                   : std::vector<std::string>{dir_, dir_ + "/refused"};
  for (const std::string& dir : dirs) {
    DIR* d = ::opendir(dir.c_str());
    if (d == nullptr) continue;
    std::vector<std::string> files;
    while (const dirent* e = ::readdir(d)) {
      const std::string file = e->d_name;
      if (absl::EndsWith(file, kSealed) || absl::EndsWith(file, kState) ||
          absl::EndsWith(file, ".tmp")) {
        files.push_back(file);
      }
    }
    ::closedir(d);
    for (const std::string& file : files) {
      RETURN_IF_ERROR(RemoveFile(dir + "/" + file));
      if (absl::EndsWith(file, kSealed)) ++wiped;
    }
    RETURN_IF_ERROR(SyncDirectory(dir));
  }
  return wiped;
}

}  // namespace confidant::client
