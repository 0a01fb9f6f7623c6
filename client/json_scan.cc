#include "client/json_scan.h"

#include <cstdint>
#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "base/status_macros.h"
#include "client/json_string.h"

namespace confidant::client {
namespace {

constexpr char kBadEscape[] =
    "invalid escape after '\\': only \\\" \\\\ \\/ \\b \\f \\n \\r \\t and \\uXXXX are allowed "
    "(write a backslash itself as \\\\)";
constexpr char kLoneSurrogate[] =
    "a \\u escape here encodes only half of a character (an unpaired surrogate)";
constexpr char kBadNumber[] = "not a valid number (write numbers like 12, -3 or 1.5)";
constexpr char kExpectedValue[] =
    "a value: text in double quotes, a number, true, false, null, a list [ ] or an "
    "object { }";

bool IsDigit(char c) { return c >= '0' && c <= '9'; }

bool IsWordChar(char c) {
  return IsDigit(c) || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || c == '.' ||
         c == '+' || c == '-';
}

// Recursive descent over `in_`, tracking line and column. Recursion is bounded by kMaxJsonDepth.
class Scanner {
 public:
  Scanner(std::string_view in, std::string_view source) : in_(in), source_(source) {}

  absl::StatusOr<JsonValue> Run() {
    JsonValue root;
    SkipSpace();
    RETURN_IF_ERROR(ParseValue(root, 0));
    SkipSpace();
    if (!AtEnd()) {
      return Unexpected("nothing after the end of the top-level value (its closing '}')");
    }
    return root;
  }

 private:
  bool AtEnd() const { return pos_ >= in_.size(); }
  bool At(char c) const { return pos_ < in_.size() && in_[pos_] == c; }
  JsonPosition Here() const { return {line_, column_}; }

  // Moves over `n` bytes; "\r\n", "\n" and "\r" each end a line.
  void Advance(size_t n = 1) {
    for (; n > 0 && pos_ < in_.size(); --n) {
      const char c = in_[pos_++];
      const bool crlf = after_cr_ && c == '\n';
      after_cr_ = c == '\r';
      if (crlf) continue;
      if (c == '\n' || c == '\r') {
        ++line_;
        column_ = 1;
      } else if ((static_cast<uint8_t>(c) & 0xC0) != 0x80) {
        ++column_;  // continuation bytes belong to the character already counted
      }
    }
  }

  // Moves over a closing '}' or ']'.
  absl::Status Close() {
    Advance();
    return absl::OkStatus();
  }

  void SkipSpace() {
    while (At(' ') || At('\t') || At('\n') || At('\r')) Advance();
  }

  absl::Status ErrorAt(JsonPosition at, absl::string_view what) const {
    return absl::InvalidArgumentError(
        absl::StrCat(source_, ":", at.line, ":", at.column, ": syntax error: ", what));
  }

  // The character at the cursor is not what the grammar needs (`expected`).
  absl::Status Unexpected(absl::string_view expected) const {
    std::string what = absl::StrCat("expected ", expected);
    if (AtEnd()) what = absl::StrCat("the file ends too early; ", what);
    if (At('/')) what = "comments are not allowed in JSON; remove the comment";
    if (At('\'')) what = "use double quotes (\") around text and field names, not '";
    return ErrorAt(Here(), what);
  }

  absl::Status NotClosed(char open_char, JsonPosition open) const {
    const char close = open_char == '{' ? '}' : ']';
    return ErrorAt(Here(), absl::StrCat("the file ends before the '", std::string(1, open_char),
                                        "' at line ", open.line, ", column ", open.column,
                                        " is closed: add the missing '", std::string(1, close),
                                        "'"));
  }

  absl::Status ParseValue(JsonValue& out, int depth) {
    out.position = Here();
    if (AtEnd()) return Unexpected(kExpectedValue);
    const char c = in_[pos_];
    if (c == '{') return ParseObject(out, depth + 1);
    if (c == '[') return ParseArray(out, depth + 1);
    if (c == '"') {
      out.kind = JsonKind::kString;
      return ParseString(out.raw);
    }
    if (c == '-' || IsDigit(c)) return ParseNumber(out);
    for (const std::string_view word : {"true", "false", "null"}) {
      if (in_.substr(pos_, word.size()) == word &&
          (pos_ + word.size() == in_.size() || !IsWordChar(in_[pos_ + word.size()]))) {
        out.kind = word == "null" ? JsonKind::kNull : JsonKind::kBool;
        out.boolean = word == "true";
        Advance(word.size());
        return absl::OkStatus();
      }
    }
    return Unexpected(kExpectedValue);
  }

  absl::Status ParseObject(JsonValue& out, int depth) {
    if (depth > kMaxJsonDepth) return ErrorAt(Here(), "nested more than 64 levels deep");
    out.kind = JsonKind::kObject;
    const JsonPosition open = Here();
    Advance();
    SkipSpace();
    if (At('}')) return Close();
    for (;;) {
      if (AtEnd()) return NotClosed('{', open);
      if (!At('"')) return Unexpected("a field name in double quotes");
      JsonMember& member = out.members.emplace_back();
      member.key_position = Here();
      RETURN_IF_ERROR(ParseString(member.raw_key));
      SkipSpace();
      if (AtEnd()) return NotClosed('{', open);
      if (!At(':')) return Unexpected("':' after the field name");
      Advance();
      SkipSpace();
      RETURN_IF_ERROR(ParseValue(member.value, depth));
      SkipSpace();
      if (AtEnd()) return NotClosed('{', open);
      if (At('}')) return Close();
      if (!At(',')) return Unexpected("',' or '}' after an object member");
      const JsonPosition comma = Here();
      Advance();
      SkipSpace();
      if (At('}')) return ErrorAt(comma, "a ',' before the closing '}': remove this ','");
    }
  }

  absl::Status ParseArray(JsonValue& out, int depth) {
    if (depth > kMaxJsonDepth) return ErrorAt(Here(), "nested more than 64 levels deep");
    out.kind = JsonKind::kArray;
    const JsonPosition open = Here();
    Advance();
    SkipSpace();
    if (At(']')) return Close();
    for (;;) {
      if (AtEnd()) return NotClosed('[', open);
      RETURN_IF_ERROR(ParseValue(out.items.emplace_back(), depth));
      SkipSpace();
      if (AtEnd()) return NotClosed('[', open);
      if (At(']')) return Close();
      if (!At(',')) return Unexpected("',' or ']' after a list item");
      const JsonPosition comma = Here();
      Advance();
      SkipSpace();
      if (At(']')) return ErrorAt(comma, "a ',' before the closing ']': remove this ','");
    }
  }

  // At the opening quote. Stores the bytes between the quotes in `raw`.
  absl::Status ParseString(std::string_view& raw) {
    const JsonPosition open = Here();
    Advance();
    const size_t start = pos_;
    for (;;) {
      if (AtEnd()) {
        return ErrorAt(open, "this text is not closed: add the missing '\"' at its end");
      }
      const uint8_t c = static_cast<uint8_t>(in_[pos_]);
      if (c == '"') break;
      if (c == '\\') {
        RETURN_IF_ERROR(ParseEscape());
      } else if (c == '\n' || c == '\r') {
        return ErrorAt(open,
                       "this text is not closed before the end of the line: add the missing '\"' "
                       "(inside text, write a line break as \\n)");
      } else if (c < 0x20) {
        return ErrorAt(Here(), "a tab or control character inside text: write a tab as \\t");
      } else {
        const size_t n = Utf8SequenceLength(in_, pos_);
        if (n == 0) return ErrorAt(Here(), "invalid UTF-8: save the file with UTF-8 encoding");
        Advance(n);
      }
    }
    raw = in_.substr(start, pos_ - start);
    Advance();
    return absl::OkStatus();
  }

  // At a backslash inside a string.
  absl::Status ParseEscape() {
    const JsonPosition at = Here();
    Advance();
    if (AtEnd()) return ErrorAt(at, kBadEscape);
    const char c = in_[pos_];
    if (std::string_view("\"\\/bfnrt").find(c) != std::string_view::npos) {
      Advance();
      return absl::OkStatus();
    }
    if (c != 'u') return ErrorAt(at, kBadEscape);
    const int32_t unit = ParseHex4(in_.substr(pos_ + 1));
    if (unit < 0) return ErrorAt(at, "\\u must be followed by four hex digits (0-9, A-F)");
    Advance(5);
    if (unit >= 0xDC00 && unit <= 0xDFFF) return ErrorAt(at, kLoneSurrogate);
    if (unit < 0xD800 || unit > 0xDBFF) return absl::OkStatus();
    const int32_t low = in_.substr(pos_, 2) == "\\u" ? ParseHex4(in_.substr(pos_ + 2)) : -1;
    if (low < 0xDC00 || low > 0xDFFF) return ErrorAt(at, kLoneSurrogate);
    Advance(6);
    return absl::OkStatus();
  }

  absl::Status ParseNumber(JsonValue& out) {
    const size_t start = pos_;
    const auto digits = [&] {
      if (AtEnd() || !IsDigit(in_[pos_])) return false;
      while (!AtEnd() && IsDigit(in_[pos_])) Advance();
      return true;
    };
    if (At('-')) Advance();
    if (At('0')) {
      Advance();
    } else if (!digits()) {
      return ErrorAt(out.position, kBadNumber);
    }
    if (At('.')) {
      Advance();
      if (!digits()) return ErrorAt(out.position, kBadNumber);
    }
    if (At('e') || At('E')) {
      Advance();
      if (At('+') || At('-')) Advance();
      if (!digits()) return ErrorAt(out.position, kBadNumber);
    }
    if (!AtEnd() && IsWordChar(in_[pos_])) return ErrorAt(out.position, kBadNumber);
    out.kind = JsonKind::kNumber;
    out.raw = in_.substr(start, pos_ - start);
    return absl::OkStatus();
  }

  std::string_view in_;
  std::string source_;
  size_t pos_ = 0;
  uint32_t line_ = 1;
  uint32_t column_ = 1;
  bool after_cr_ = false;
};

}  // namespace

absl::StatusOr<JsonValue> ScanJson(std::string_view json, std::string_view source_name) {
  if (json.size() > kMaxJsonBytes) {
    return absl::InvalidArgumentError(
        absl::StrCat(std::string(source_name), ": the file is larger than 1 MiB, far larger ",
                     "than any record; check that it is the right file"));
  }
  return Scanner(json, source_name).Run();
}

}  // namespace confidant::client
