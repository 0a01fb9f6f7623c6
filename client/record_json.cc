#include "client/record_json.h"

#include <cstdint>
#include <limits>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "base/status_macros.h"
#include "client/json_scan.h"
#include "client/json_string.h"
#include "client/record_json_hints.h"
#include "crypto/secret_bytes.h"
#include "google/protobuf/descriptor.h"
#include "google/protobuf/util/json_util.h"

namespace confidant::client {
namespace {

namespace pb = google::protobuf;
using Field = pb::FieldDescriptor;

constexpr std::string_view kBom = "\xEF\xBB\xBF";
constexpr char kExpectedObject[] = "expected an object: fields inside { }";

// The decoded text of a JSON string; a decoded copy (only made when there were escapes) is wiped
// when this goes out of scope.
class DecodedString {
 public:
  explicit DecodedString(std::string_view raw) : view_(JsonStringContent(raw, scratch_)) {}
  ~DecodedString() { crypto::WipeString(scratch_); }
  DecodedString(const DecodedString&) = delete;
  DecodedString& operator=(const DecodedString&) = delete;
  std::string_view view() const { return view_; }

 private:
  std::string scratch_;  // declared first: constructed before view_ points into it
  std::string_view view_;
};

struct Context {
  std::string source;
  const pb::Descriptor& root;
  FieldPositions* positions = nullptr;  // filled when the caller asks
};

// "consents[1].purpose" -> "consents.purpose".
std::string WithoutIndexes(std::string_view path) {
  std::string out;
  bool in_index = false;
  for (char c : path) {
    if (c == '[') in_index = true;
    if (!in_index) out.push_back(c);
    if (c == ']') in_index = false;
  }
  return out;
}

std::string Child(const std::string& path, std::string_view name) {
  std::string child = path;
  if (!child.empty()) child += '.';
  child.append(name);
  return child;
}

absl::Status Fail(const Context& ctx, JsonPosition at, const std::string& path,
                  absl::string_view what) {
  const absl::string_view where = path.empty() ? "record" : absl::string_view(path);
  return absl::InvalidArgumentError(
      absl::StrCat(ctx.source, ":", at.line, ":", at.column, ": ", where, ": ", what));
}

absl::Status UnknownField(const Context& ctx, const JsonMember& member, std::string_view key,
                          const pb::Descriptor& message, const std::string& path) {
  const std::string advice = UnknownFieldAdvice(key, message, ctx.root);
  if (IsQuotableFieldName(key)) {
    return Fail(ctx, member.key_position, Child(path, key), absl::StrCat("no such field", advice));
  }
  return Fail(ctx, member.key_position, path, absl::StrCat("an unknown field", advice));
}

struct WholeNumber {
  bool negative = false;
  bool too_big = false;  // more than 64 bits of magnitude
  uint64_t magnitude = 0;
};

// `text` as '-'? followed by decimal digits, or nullopt.
std::optional<WholeNumber> ParseWhole(std::string_view text) {
  WholeNumber n;
  n.negative = !text.empty() && text.front() == '-';
  if (n.negative) text.remove_prefix(1);
  if (text.empty()) return std::nullopt;
  for (const char c : text) {
    if (!absl::ascii_isdigit(c)) return std::nullopt;
    const uint64_t digit = static_cast<uint64_t>(c - '0');
    if (n.magnitude > (std::numeric_limits<uint64_t>::max() - digit) / 10) n.too_big = true;
    n.magnitude = n.magnitude * 10 + digit;
  }
  return n;
}

bool InRange(const WholeNumber& n, int64_t min, uint64_t max) {
  if (n.too_big) return false;
  if (!n.negative || n.magnitude == 0) return n.magnitude <= max;
  return min < 0 && n.magnitude - 1 <= static_cast<uint64_t>(-(min + 1));
}

absl::Status CheckEnum(const Context& ctx, const JsonValue& value, const pb::EnumDescriptor& type,
                       const std::string& path) {
  bool known = false;
  if (value.kind == JsonKind::kString) {
    const DecodedString name(value.raw);
    for (int i = 0; i < type.value_count() && !known; ++i) {
      known = type.value(i)->name() == name.view();
    }
  } else if (value.kind == JsonKind::kNumber) {
    const std::optional<WholeNumber> n = ParseWhole(value.raw);
    if (n.has_value() && InRange(*n, std::numeric_limits<int32_t>::min(),
                                 std::numeric_limits<int32_t>::max())) {
      const int64_t number = n->negative ? -static_cast<int64_t>(n->magnitude)
                                         : static_cast<int64_t>(n->magnitude);
      known = type.FindValueByNumber(static_cast<int>(number)) != nullptr;
    }
  }
  if (known) return absl::OkStatus();
  if (value.kind == JsonKind::kString) {  // "Ontario" for "ONTARIO": name the exact spelling
    const DecodedString name(value.raw);
    for (int i = 0; i < type.value_count(); ++i) {
      if (absl::EqualsIgnoreCase(type.value(i)->name(), std::string(name.view())) &&
          !absl::EndsWith(type.value(i)->name(), "_UNSPECIFIED")) {
        return Fail(ctx, value.position, path,
                    absl::StrCat("values are written in capital letters: \"",
                                 type.value(i)->name(), "\""));
      }
    }
  }
  const bool scalar = value.kind == JsonKind::kString || value.kind == JsonKind::kNumber;
  return Fail(ctx, value.position, path,
              absl::StrCat(scalar ? "not a known value" : "expected a value in double quotes",
                           "; accepted: ", EnumValueNames(type)));
}

// Protobuf accepts every integer type as a JSON number or as a string holding one.
absl::Status CheckInteger(const Context& ctx, const JsonValue& value, const Field& field,
                          const std::string& path) {
  int64_t min = 0;
  uint64_t max = std::numeric_limits<uint64_t>::max();
  if (field.cpp_type() == Field::CPPTYPE_INT32) {
    min = std::numeric_limits<int32_t>::min();
    max = std::numeric_limits<int32_t>::max();
  } else if (field.cpp_type() == Field::CPPTYPE_UINT32) {
    max = std::numeric_limits<uint32_t>::max();
  } else if (field.cpp_type() == Field::CPPTYPE_INT64) {
    min = std::numeric_limits<int64_t>::min();
    max = std::numeric_limits<int64_t>::max();
  }
  std::optional<WholeNumber> n;
  if (value.kind == JsonKind::kNumber) n = ParseWhole(value.raw);
  if (value.kind == JsonKind::kString) n = ParseWhole(DecodedString(value.raw).view());
  if (!n.has_value()) return Fail(ctx, value.position, path, "expected a whole number");
  if (InRange(*n, min, max)) return absl::OkStatus();
  return Fail(ctx, value.position, path,
              absl::StrCat("out of range: expected a whole number from ", min, " to ", max));
}

absl::Status CheckMessage(const Context& ctx, const JsonValue& value,
                          const pb::Descriptor& message, const std::string& path);

// One value of `field` (a list item, a map value or the field's only value).
absl::Status CheckOne(const Context& ctx, const JsonValue& value, const Field& field,
                      const std::string& path) {
  const JsonKind kind = value.kind;
  switch (field.cpp_type()) {
    case Field::CPPTYPE_MESSAGE:
      return CheckMessage(ctx, value, *field.message_type(), path);
    case Field::CPPTYPE_ENUM:
      return CheckEnum(ctx, value, *field.enum_type(), path);
    case Field::CPPTYPE_STRING:
      if (kind == JsonKind::kString) return absl::OkStatus();
      return Fail(ctx, value.position, path, "expected a string: text in double quotes");
    case Field::CPPTYPE_BOOL:
      if (kind == JsonKind::kBool) return absl::OkStatus();
      return Fail(ctx, value.position, path, "expected true or false (without quotes)");
    case Field::CPPTYPE_FLOAT:
    case Field::CPPTYPE_DOUBLE:
      if (kind == JsonKind::kNumber) return absl::OkStatus();
      if (kind == JsonKind::kString) {
        const std::string_view text = value.raw;  // the special values have no escapes
        if (text == "NaN" || text == "Infinity" || text == "-Infinity") return absl::OkStatus();
      }
      return Fail(ctx, value.position, path, "expected a number");
    default:
      return CheckInteger(ctx, value, field, path);
  }
}

absl::Status CheckItem(const Context& ctx, const JsonValue& value, const Field& field,
                       const std::string& path) {
  if (value.kind == JsonKind::kNull) {
    return Fail(ctx, value.position, path, "a list item cannot be null; remove it");
  }
  return CheckOne(ctx, value, field, path);
}

absl::Status CheckField(const Context& ctx, const JsonValue& value, const Field& field,
                        const std::string& path) {
  if (value.kind == JsonKind::kNull) return absl::OkStatus();  // protobuf: the default value
  if (field.is_map()) {
    if (value.kind != JsonKind::kObject) return Fail(ctx, value.position, path, kExpectedObject);
    const Field& value_field = *field.message_type()->map_value();
    for (const JsonMember& entry : value.members) {
      RETURN_IF_ERROR(CheckItem(ctx, entry.value, value_field, path));  // keys may be content
    }
    return absl::OkStatus();
  }
  if (!field.is_repeated()) return CheckOne(ctx, value, field, path);
  if (value.kind != JsonKind::kArray) {
    return Fail(ctx, value.position, path,
                "expected a list: put [ ] around the items, even for a single item");
  }
  for (size_t i = 0; i < value.items.size(); ++i) {
    RETURN_IF_ERROR(CheckItem(ctx, value.items[i], field, absl::StrCat(path, "[", i, "]")));
  }
  return absl::OkStatus();
}

absl::Status CheckMessage(const Context& ctx, const JsonValue& value,
                          const pb::Descriptor& message, const std::string& path) {
  // Well-known types have JSON forms of their own; protobuf checks those.
  if (absl::StartsWith(message.file()->name(), "google/protobuf/")) return absl::OkStatus();
  if (value.kind != JsonKind::kObject) return Fail(ctx, value.position, path, kExpectedObject);
  std::vector<std::pair<const Field*, JsonPosition>> seen;
  for (const JsonMember& member : value.members) {
    const DecodedString key(member.raw_key);
    const Field* field = nullptr;
    for (int i = 0; i < message.field_count() && field == nullptr; ++i) {
      const Field* candidate = message.field(i);
      if (candidate->name() == key.view() || candidate->json_name() == key.view()) {
        field = candidate;
      }
    }
    if (field == nullptr) return UnknownField(ctx, member, key.view(), message, path);
    const std::string child = Child(path, key.view());  // a name from the schema
    for (const auto& [earlier, at] : seen) {
      if (earlier != field) continue;
      return Fail(ctx, member.key_position, child,
                  absl::StrCat("given twice (first at line ", at.line, ", column ", at.column,
                               "); keep only one"));
    }
    seen.emplace_back(field, member.key_position);
    if (ctx.positions != nullptr) {  // by the schema's name, as content rules name fields
      ctx.positions->emplace(WithoutIndexes(Child(path, field->name())), member.key_position);
    }
    RETURN_IF_ERROR(CheckField(ctx, member.value, *field, child));
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<v1::InterviewRecord> ParseRecordJson(std::string_view json,
                                                    std::string_view source_name,
                                                    FieldPositions* positions) {
  if (json.substr(0, kBom.size()) == kBom) json.remove_prefix(kBom.size());
  ASSIGN_OR_RETURN(const JsonValue root, ScanJson(json, source_name));
  const Context ctx{std::string(source_name), *v1::InterviewRecord::descriptor(), positions};
  RETURN_IF_ERROR(CheckMessage(ctx, root, ctx.root, ""));

  v1::InterviewRecord record;
  pb::util::JsonParseOptions options;
  options.ignore_unknown_fields = false;
  const auto parsed =
      pb::util::JsonStringToMessage(pb::StringPiece(json.data(), json.size()), &record, options);
  if (!parsed.ok()) {
    // Protobuf's message can quote the input: say only that it refused.
    return absl::InvalidArgumentError(
        absl::StrCat(ctx.source, ": not a valid record (protobuf JSON)"));
  }
  return record;
}

absl::Status AtFieldPosition(const absl::Status& status, std::string_view source_name,
                             const FieldPositions& positions) {
  if (status.ok()) return status;
  const std::string message(status.message());
  const size_t colon = message.find(": ");
  if (colon == std::string::npos) return status;
  std::string path = message.substr(0, colon);
  if (absl::StartsWith(path, "record.")) path = path.substr(7);  // the top level's own name
  // The field itself, or (for a missing one) the nearest enclosing field that was written.
  while (!path.empty()) {
    if (auto it = positions.find(path); it != positions.end()) {
      return absl::Status(status.code(), absl::StrCat(std::string(source_name), ":", it->second.line, ":",
                                                      it->second.column, ": ", message));
    }
    const size_t dot = path.rfind('.');
    path = dot == std::string::npos ? "" : path.substr(0, dot);
  }
  return absl::Status(status.code(), absl::StrCat(std::string(source_name), ": ", message));
}

}  // namespace confidant::client
