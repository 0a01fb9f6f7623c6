// Checks a frozen release before anything of it is shown: its Ed25519 signature, its signer, and
// that it is the table and period asked for.
#ifndef CONFIDANT_CLIENT_REPORT_REPORT_VERIFY_H_
#define CONFIDANT_CLIENT_REPORT_REPORT_VERIFY_H_

#include <cstdint>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "confidant/v1/reporting.pb.h"

namespace confidant::report {

inline constexpr char kReleaseSigningContext[] = "confidant/v1/release";

// The bytes a release signature covers: "confidant/v1/release" 0x00 || release.
std::string ReleaseSigningBytes(absl::string_view release_bytes);

// A release whose signature checked out, with the key that signed it.
struct VerifiedRelease {
  v1::Release release;
  std::string public_key;  // raw Ed25519, 32 bytes
  uint32_t key_version = 0;
};

// Parses `signed_release` (a serialized SignedRelease), verifies its signature under the key it
// names and, if `required_key` is not empty, requires that key. Then requires the release to be
// `table_id` at `period` (either may be empty to skip that check). UNAUTHENTICATED for a bad
// signature or another signer; DATA_LOSS for malformed bytes or another table or period than
// asked for. The crypto library must be initialised (crypto::InitCrypto).
absl::StatusOr<VerifiedRelease> VerifySignedRelease(const std::string& signed_release,
                                                    const std::string& required_key,
                                                    const std::string& table_id,
                                                    const std::string& period);

// A --release_key value: the base64 of a 32-byte Ed25519 key, or a file holding that base64
// (or the 32 raw bytes). INVALID_ARGUMENT otherwise.
absl::StatusOr<std::string> ParseReleaseKey(const std::string& flag);

}  // namespace confidant::report

#endif  // CONFIDANT_CLIENT_REPORT_REPORT_VERIFY_H_
