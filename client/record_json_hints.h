// Advice for a person fixing a record file by hand (client/record_json.h). Everything returned
// is built from names in the schema: nothing here quotes the input, except an unknown field name
// that IsQuotableFieldName allows. Stateless and thread-safe.
#ifndef CONFIDANT_CLIENT_RECORD_JSON_HINTS_H_
#define CONFIDANT_CLIENT_RECORD_JSON_HINTS_H_

#include <string>
#include <string_view>

#include "google/protobuf/descriptor.h"

namespace confidant::client {

// True if an unknown field name may be quoted back: 1..40 characters of [A-Za-z0-9_].
bool IsQuotableFieldName(std::string_view name);

// What to say after "no such field" for `key`, unknown in `message` (part of the record type
// `root`): "; team belongs in visit, not here" if a field of that name exists elsewhere (only
// for quotable names), else " (did you mean facility_id?)" if a field name is within a small
// edit distance (ignoring case), else "; the fields here are: facility_id, region, ...".
std::string UnknownFieldAdvice(std::string_view key, const google::protobuf::Descriptor& message,
                               const google::protobuf::Descriptor& root);

// The value names of `type` in declaration order, comma-separated, without *_UNSPECIFIED ones.
std::string EnumValueNames(const google::protobuf::EnumDescriptor& type);

}  // namespace confidant::client

#endif  // CONFIDANT_CLIENT_RECORD_JSON_HINTS_H_
