#include "client/record_json_hints.h"

#include <algorithm>
#include <cstddef>
#include <limits>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"

namespace confidant::client {
namespace {

namespace pb = google::protobuf;
using Field = pb::FieldDescriptor;

constexpr size_t kMaxQuotedNameLength = 40;
constexpr size_t kMaxSuggestedKeyLength = 64;  // bounds the edit-distance work
constexpr int kMaxSchemaDepth = 8;             // bounds the search of recursive schemas

std::string Child(const std::string& path, std::string_view name) {
  std::string child = path;
  if (!child.empty()) child += '.';
  child.append(name);
  return child;
}

// Levenshtein distance, ignoring ASCII case.
size_t EditDistance(std::string_view a, std::string_view b) {
  std::vector<size_t> row(b.size() + 1);
  for (size_t j = 0; j <= b.size(); ++j) row[j] = j;
  for (size_t i = 1; i <= a.size(); ++i) {
    size_t diagonal = row[0];
    row[0] = i;
    for (size_t j = 1; j <= b.size(); ++j) {
      const size_t above = row[j];
      const bool same = absl::ascii_tolower(a[i - 1]) == absl::ascii_tolower(b[j - 1]);
      row[j] = std::min({above + 1, row[j - 1] + 1, diagonal + (same ? 0 : 1)});
      diagonal = above;
    }
  }
  return row[b.size()];
}

// The name (as in the .proto, or lowerCamel) of a field of `message` close enough to `key` to be
// a likely typo; empty if there is none.
std::string ClosestField(std::string_view key, const pb::Descriptor& message) {
  if (key.size() > kMaxSuggestedKeyLength) return {};
  std::string best;
  size_t best_distance = std::numeric_limits<size_t>::max();
  for (int i = 0; i < message.field_count(); ++i) {
    for (const std::string* name : {&message.field(i)->name(), &message.field(i)->json_name()}) {
      const size_t distance = EditDistance(key, *name);
      if (distance < best_distance) {
        best = *name;
        best_distance = distance;
      }
    }
  }
  const size_t allowed = std::max<size_t>(1, std::min<size_t>(3, best.size() / 3));
  return best_distance <= allowed ? best : std::string();
}

// The path of a message below `message` that has a field named `key` ("" for `message` itself),
// or nullopt.
std::optional<std::string> FindFieldOwner(std::string_view key, const pb::Descriptor& message,
                                          const std::string& path, int depth) {
  for (int i = 0; i < message.field_count(); ++i) {
    if (message.field(i)->name() == key || message.field(i)->json_name() == key) return path;
  }
  if (depth >= kMaxSchemaDepth) return std::nullopt;
  for (int i = 0; i < message.field_count(); ++i) {
    const Field& field = *message.field(i);
    if (field.message_type() == nullptr || field.is_map()) continue;
    auto owner = FindFieldOwner(key, *field.message_type(), Child(path, field.name()), depth + 1);
    if (owner.has_value()) return owner;
  }
  return std::nullopt;
}

std::string FieldNames(const pb::Descriptor& message) {
  std::string names;
  for (int i = 0; i < message.field_count(); ++i) {
    absl::StrAppend(&names, i == 0 ? "" : ", ", message.field(i)->name());
  }
  return names;
}

}  // namespace

bool IsQuotableFieldName(std::string_view name) {
  return !name.empty() && name.size() <= kMaxQuotedNameLength &&
         std::all_of(name.begin(), name.end(),
                     [](char c) { return absl::ascii_isalnum(c) || c == '_'; });
}

std::string UnknownFieldAdvice(std::string_view key, const pb::Descriptor& message,
                               const pb::Descriptor& root) {
  const std::optional<std::string> owner =
      IsQuotableFieldName(key) ? FindFieldOwner(key, root, "", 0) : std::nullopt;
  if (owner.has_value()) {
    return absl::StrCat("; ", std::string(key), " belongs in ",
                        owner->empty() ? "the top level" : *owner, ", not here");
  }
  const std::string closest = ClosestField(key, message);
  if (!closest.empty()) return absl::StrCat(" (did you mean ", closest, "?)");
  return absl::StrCat("; the fields here are: ", FieldNames(message));
}

std::string EnumValueNames(const pb::EnumDescriptor& type) {
  std::string names;
  for (int i = 0; i < type.value_count(); ++i) {
    const std::string& name = type.value(i)->name();
    if (absl::EndsWith(name, "_UNSPECIFIED")) continue;
    absl::StrAppend(&names, names.empty() ? "" : ", ", name);
  }
  return names;
}

}  // namespace confidant::client
