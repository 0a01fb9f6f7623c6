#include "client/report/report_verify.h"

#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "base/files.h"
#include "crypto/asymmetric.h"

namespace confidant::report {
namespace {

bool DecodeKey(absl::string_view text, std::string* key) {
  std::string raw;
  if (!absl::Base64Unescape(absl::StripAsciiWhitespace(text), &raw) ||
      raw.size() != crypto::kEd25519PublicKeySize) {
    return false;
  }
  *key = std::move(raw);
  return true;
}

}  // namespace

std::string ReleaseSigningBytes(absl::string_view release_bytes) {
  return absl::StrCat(kReleaseSigningContext, absl::string_view("\0", 1), release_bytes);
}

absl::StatusOr<VerifiedRelease> VerifySignedRelease(const std::string& signed_release,
                                                    const std::string& required_key,
                                                    const std::string& table_id,
                                                    const std::string& period) {
  v1::SignedRelease envelope;
  if (!envelope.ParseFromString(signed_release)) {
    return absl::DataLossError("the release is not a well-formed SignedRelease");
  }
  if (!required_key.empty() && envelope.release_public_key() != required_key) {
    return absl::UnauthenticatedError(
        "the release is signed by another key than --release_key: refusing to show it");
  }
  const std::string signed_bytes = ReleaseSigningBytes(envelope.release());
  if (!crypto::VerifySignature(envelope.release_public_key(), signed_bytes, envelope.signature())
           .ok()) {
    return absl::UnauthenticatedError(
        "the release's signature does not verify: refusing to show it");
  }
  VerifiedRelease verified;
  if (!verified.release.ParseFromString(envelope.release())) {
    return absl::DataLossError("the signed release does not hold a well-formed Release");
  }
  if ((!table_id.empty() && verified.release.table_id() != table_id) ||
      (!period.empty() && verified.release.period() != period)) {
    return absl::DataLossError("the server sent another table or period than the one asked for");
  }
  verified.public_key = envelope.release_public_key();
  verified.key_version = envelope.release_key_version();
  return verified;
}

absl::StatusOr<std::string> ParseReleaseKey(const std::string& flag) {
  std::string key;
  if (DecodeKey(flag, &key)) return key;
  absl::StatusOr<std::string> file = ReadFile(flag, 4096);
  if (file.ok()) {
    if (DecodeKey(*file, &key)) return key;
    if (file->size() == crypto::kEd25519PublicKeySize) return *std::move(file);
  }
  return absl::InvalidArgumentError(
      "--release_key must be the base64 of a 32-byte Ed25519 key, or a file holding it");
}

}  // namespace confidant::report
