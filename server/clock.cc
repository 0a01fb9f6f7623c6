// The process clock and its dev-only offset file.
#include "server/clock.h"

#include <atomic>
#include <chrono>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "base/files.h"
#include "base/log.h"

namespace confidant::server {
namespace {

constexpr int64_t kMaxOffsetSeconds = int64_t{10} * 366 * 86400;

// Set once at start (before other threads), never freed: readings may race with exit.
const std::string* offset_path = nullptr;
std::atomic<int64_t> last_offset_seconds{0};

int64_t OffsetMicros() {
  if (offset_path == nullptr) return 0;
  absl::StatusOr<std::string> text = ReadFile(*offset_path, 64);
  int64_t seconds = 0;
  if (text.ok()) {
    absl::StatusOr<int64_t> parsed = ParseClockOffsetSeconds(*text);
    if (parsed.ok()) {
      seconds = *parsed;
    } else {
      seconds = last_offset_seconds.load();
      LogEvent(LogLevel::kWarning, "dev_clock_offset_unreadable",
               {{"kept", absl::StrCat(seconds)}});
    }
  } else if (!absl::IsNotFound(text.status())) {
    seconds = last_offset_seconds.load();
  }
  last_offset_seconds.store(seconds);
  return seconds * 1000000;
}

}  // namespace

absl::StatusOr<int64_t> ParseClockOffsetSeconds(std::string_view text) {
  const std::string trimmed(absl::StripAsciiWhitespace(std::string(text)));
  if (trimmed.empty()) return 0;
  int64_t seconds = 0;
  const bool digits_only =
      trimmed.find_first_not_of("0123456789", trimmed[0] == '-' || trimmed[0] == '+') ==
      std::string::npos;
  if (!digits_only || !absl::SimpleAtoi(trimmed, &seconds) || seconds > kMaxOffsetSeconds ||
      seconds < -kMaxOffsetSeconds) {
    return absl::InvalidArgumentError(
        "clock offset: a signed whole number of seconds, at most ten years either way");
  }
  return seconds;
}

void SetDevClockOffsetFile(std::string path) {
  offset_path = new std::string(std::move(path));  // lives until exit
}

int64_t WallMicros() {
  // The kernel's CLOCK_REALTIME, not absl::Now(): Abseil 20220623 interpolates absl::Now() from
  // the cycle counter, and on this project's machine about 1 reading in 2,000 came out up to
  // 0.35 µs earlier than another thread's reading just before. Begin() refuses to serve on any
  // reading earlier than the last audit entry, so that jitter would refuse calls at random.
  const auto since_epoch = std::chrono::system_clock::now().time_since_epoch();
  return std::chrono::duration_cast<std::chrono::microseconds>(since_epoch).count() +
         OffsetMicros();
}

int64_t WallSeconds() {
  const int64_t micros = WallMicros();
  return micros >= 0 ? micros / 1000000 : -((-micros + 999999) / 1000000);
}

int64_t SteadyMicros() {
  const auto since_origin = std::chrono::steady_clock::now().time_since_epoch();
  return std::chrono::duration_cast<std::chrono::microseconds>(since_origin).count() +
         OffsetMicros();
}

}  // namespace confidant::server
