// The operational log facade. One line per event on stderr: time, level, event, key=value
// fields. Callers pass ids, sizes and status codes only, never record content, keys or
// principals' free text; redaction policy lives here so a later switch to glog is one file.
#ifndef CONFIDANT_BASE_LOG_H_
#define CONFIDANT_BASE_LOG_H_

#include <cstdio>
#include <ctime>
#include <initializer_list>
#include <mutex>
#include <string>
#include <string_view>
#include <utility>

namespace confidant {

enum class LogLevel { kInfo, kWarning, kError };

using LogField = std::pair<std::string_view, std::string_view>;

inline void LogEvent(LogLevel level, std::string_view event,
                     std::initializer_list<LogField> fields = {}) {
  static std::mutex mu;
  char when[32];
  const std::time_t now = std::time(nullptr);
  std::tm tm{};
  gmtime_r(&now, &tm);
  std::strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%SZ", &tm);
  std::string line = std::string(when) + (level == LogLevel::kInfo      ? " I "
                                          : level == LogLevel::kWarning ? " W "
                                                                        : " E ");
  line.append(event);
  for (const auto& [key, value] : fields) {
    line.append(" ").append(key).append("=");
    // Values are single tokens: anything that could forge a new line or field is replaced.
    for (char c : value) line.push_back((c == '\n' || c == '\r' || c == ' ') ? '_' : c);
  }
  line.push_back('\n');
  std::lock_guard<std::mutex> lock(mu);
  std::fwrite(line.data(), 1, line.size(), stderr);
}

}  // namespace confidant

#endif  // CONFIDANT_BASE_LOG_H_
