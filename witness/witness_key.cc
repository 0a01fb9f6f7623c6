#include "witness/witness_key.h"

#include <sys/stat.h>

#include <cerrno>
#include <utility>

#include "absl/strings/str_cat.h"
#include "base/files.h"
#include "base/status_macros.h"
#include "crypto/secret_bytes.h"

namespace confidant::witness {
namespace {

absl::Status CreateKeyFile(const std::string& path) {
  crypto::Ed25519KeyPair key = crypto::Ed25519KeyPair::Generate();
  std::string bytes(reinterpret_cast<const char*>(key.secret_key.RevealSecret()),
                    key.secret_key.size());
  const absl::Status written = WriteFileAtomically(path, bytes, 0600);
  crypto::WipeString(bytes);
  return written;
}

}  // namespace

absl::StatusOr<crypto::Ed25519KeyPair> LoadOrCreateWitnessKey(const std::string& path,
                                                              bool create) {
  struct stat info {};
  if (::lstat(path.c_str(), &info) != 0) {
    if (errno != ENOENT) return absl::PermissionDeniedError(absl::StrCat("cannot stat ", path));
    if (!create) {
      return absl::NotFoundError(absl::StrCat("no witness key at ", path, " (run with --init)"));
    }
    RETURN_IF_ERROR(CreateKeyFile(path));
    if (::lstat(path.c_str(), &info) != 0) {
      return absl::UnavailableError(absl::StrCat("cannot stat ", path));
    }
  }
  if (!S_ISREG(info.st_mode)) {
    return absl::FailedPreconditionError(absl::StrCat(path, " is not a regular file"));
  }
  if ((info.st_mode & 077) != 0) {
    return absl::FailedPreconditionError(
        absl::StrCat(path, " is readable or writable by others: chmod 600 it"));
  }
  absl::StatusOr<std::string> bytes = ReadFile(path, crypto::kEd25519SecretKeySize);
  if (absl::IsInvalidArgument(bytes.status())) {  // longer than any key
    return absl::DataLossError(absl::StrCat(path, " is not an Ed25519 witness key"));
  }
  if (!bytes.ok()) return bytes.status();
  crypto::SecretBytes secret = crypto::SecretBytes::CopyFrom(*bytes);
  crypto::WipeString(*bytes);
  absl::StatusOr<crypto::Ed25519KeyPair> key = crypto::Ed25519KeyPair::FromSecretKey(std::move(secret));
  if (!key.ok()) return absl::DataLossError(absl::StrCat(path, " is not an Ed25519 witness key"));
  return key;
}

}  // namespace confidant::witness
