// A small strict JSON (RFC 8259) scanner that builds a tree remembering where every key and value
// starts, so that later checks can point a person at the exact line and column.
//
// Strict: no comments, no trailing commas, no single quotes, no control characters or invalid
// UTF-8 in strings, no unpaired \u surrogates, nothing after the top-level value. Bounded: at
// most kMaxJsonBytes of input and kMaxJsonDepth nested arrays/objects.
//
// The tree does not copy string contents: strings and numbers are views into the input, which
// must outlive the tree. Decode a string with JsonStringContent (client/json_string.h).
#ifndef CONFIDANT_CLIENT_JSON_SCAN_H_
#define CONFIDANT_CLIENT_JSON_SCAN_H_

#include <cstddef>
#include <cstdint>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"

namespace confidant::client {

inline constexpr size_t kMaxJsonBytes = size_t{1} << 20;
inline constexpr int kMaxJsonDepth = 64;

// 1-based. Columns count Unicode characters (not bytes), as text editors do; a tab counts one.
struct JsonPosition {
  uint32_t line = 1;
  uint32_t column = 1;
};

enum class JsonKind { kNull, kBool, kNumber, kString, kArray, kObject };

struct JsonMember;

struct JsonValue {
  JsonKind kind = JsonKind::kNull;
  JsonPosition position;  // of the value's first character (a string's opening quote)
  bool boolean = false;   // kBool
  // kNumber: the literal as written (grammar already checked). kString: the bytes between the
  // quotes, escapes not yet decoded (already checked). A view into the scanned input.
  std::string_view raw;
  std::vector<JsonValue> items;     // kArray
  std::vector<JsonMember> members;  // kObject, in input order (duplicates are kept)
};

struct JsonMember {
  std::string_view raw_key;  // between the quotes, escapes not decoded
  JsonPosition key_position;
  JsonValue value;
};

// Scans `json` (which must outlive the result). On failure INVALID_ARGUMENT with the message
// "<source_name>:<line>:<column>: syntax error: <what is wrong>"; the message never quotes the
// input. Input longer than kMaxJsonBytes is refused before scanning.
absl::StatusOr<JsonValue> ScanJson(std::string_view json, std::string_view source_name);

}  // namespace confidant::client

#endif  // CONFIDANT_CLIENT_JSON_SCAN_H_
