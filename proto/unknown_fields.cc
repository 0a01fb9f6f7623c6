#include "proto/unknown_fields.h"

#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "google/protobuf/descriptor.h"
#include "google/protobuf/unknown_field_set.h"

namespace confidant {
namespace {

using google::protobuf::FieldDescriptor;
using google::protobuf::Message;
using google::protobuf::Reflection;

// Depth-first; `path` is the dotted field path of `message` (empty at the top). Nesting is
// bounded by the parser's recursion limit, so the recursion is too.
absl::Status Check(const Message& message, const std::string& path) {
  const Reflection* reflection = message.GetReflection();
  const google::protobuf::UnknownFieldSet& unknown = reflection->GetUnknownFields(message);
  if (!unknown.empty()) {
    return absl::InvalidArgumentError(absl::StrCat(
        path, path.empty() ? "" : ": ", "carries field number ", unknown.field(0).number(),
        ", which this vault does not know; upgrade the client or drop the field"));
  }
  std::vector<const FieldDescriptor*> fields;
  reflection->ListFields(message, &fields);
  for (const FieldDescriptor* field : fields) {
    if (field->cpp_type() != FieldDescriptor::CPPTYPE_MESSAGE) continue;
    const std::string inner = path.empty() ? field->name() : absl::StrCat(path, ".", field->name());
    if (!field->is_repeated()) {
      if (absl::Status s = Check(reflection->GetMessage(message, field), inner); !s.ok()) return s;
      continue;
    }
    const int n = reflection->FieldSize(message, field);
    for (int i = 0; i < n; ++i) {
      const absl::Status s =
          Check(reflection->GetRepeatedMessage(message, field, i), absl::StrCat(inner, "[", i, "]"));
      if (!s.ok()) return s;
    }
  }
  return absl::OkStatus();
}

}  // namespace

absl::Status RejectUnknownFields(const Message& message, std::string_view what) {
  const absl::Status status = Check(message, "");
  if (status.ok()) return status;
  const std::string text(status.message().data(), status.message().size());
  // Check's message starts with "PATH: " or, at the top, with "carries".
  return absl::InvalidArgumentError(absl::StrCat(
      std::string(what), text.compare(0, 8, "carries ") == 0 ? ": " : ".", text));
}

}  // namespace confidant
