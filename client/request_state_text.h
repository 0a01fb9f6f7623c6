// How the CLI prints where a two-person request stands (break-glass and erasure lists).
#ifndef CONFIDANT_CLIENT_REQUEST_STATE_TEXT_H_
#define CONFIDANT_CLIENT_REQUEST_STATE_TEXT_H_

#include <cstdint>
#include <string>

#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "confidant/v1/record_service.pb.h"

namespace confidant::client {

// e.g. "open until 2026-12-07 09:00 UTC", "approved, access until ..." (break-glass),
// "rejected", "expired unanswered".
inline std::string RequestStateText(v1::RequestState state, int64_t expires_unix_seconds) {
  const std::string when =
      expires_unix_seconds == 0
          ? std::string()
          : absl::FormatTime("%Y-%m-%d %H:%M UTC", absl::FromUnixSeconds(expires_unix_seconds),
                             absl::UTCTimeZone());
  switch (state) {
    case v1::REQUEST_OPEN:
      return absl::StrCat("open until ", when);
    case v1::REQUEST_APPROVED:
      return when.empty() ? "approved" : absl::StrCat("approved, access until ", when);
    case v1::REQUEST_REJECTED:
      return "rejected";
    case v1::REQUEST_EXPIRED:
      return "expired unanswered";
    default:
      return "state unknown";
  }
}

}  // namespace confidant::client

#endif  // CONFIDANT_CLIENT_REQUEST_STATE_TEXT_H_
