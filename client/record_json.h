// Reading an InterviewRecord from the JSON file a visit team writes, with errors a volunteer can
// act on: where (file, line, column), which field, what is wrong and what to do about it.
#ifndef CONFIDANT_CLIENT_RECORD_JSON_H_
#define CONFIDANT_CLIENT_RECORD_JSON_H_

#include <map>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "client/json_scan.h"
#include "confidant/v1/record.pb.h"

namespace confidant::client {

// Parses `json` (the protobuf JSON mapping of confidant.v1.InterviewRecord,
// proto/confidant/v1/record.proto) strictly. A UTF-8 byte-order mark at the start is accepted.
// Field names may be written as in the .proto (facility_id) or in lowerCamelCase (facilityId);
// enum values by name ("ONTARIO") or by a defined number (3); 64-bit integers also as strings.
// Refused: unknown or repeated fields, wrong types, unknown enum values, anything that is not
// strict JSON (see client/json_scan.h), more than 1 MiB, nesting deeper than 64.
//
// Fails with INVALID_ARGUMENT, the message being
//   "<source_name>:<line>:<column>: <field path>: <what is wrong and what to do>"
// (lines and columns 1-based, columns in characters; list items in paths are 0-based, e.g.
// "consents[1].purpose"; the top level is called "record"), or for a syntax error
//   "<source_name>:<line>:<column>: syntax error: <what is wrong>".
// The message never quotes a value from the input (a string value may be testimony); it quotes
// field and enum value names from the schema, and an unknown field name only when it is at most
// 40 characters of [A-Za-z0-9_].
//
// The content rules (required fields, sizes, dates) are not checked here: callers apply
// ValidateRecord (proto/record_validation.h). Thread-safe; `json` need only live for the call.
// Where each field was written: its proto path (field names from the schema, list items
// without an index, e.g. "consents.purpose", the first item that has the field) -> the position
// of its key. Paths and positions only, never a value.
using FieldPositions = std::map<std::string, JsonPosition>;

absl::StatusOr<v1::InterviewRecord> ParseRecordJson(std::string_view json,
                                                    std::string_view source_name,
                                                    FieldPositions* positions = nullptr);

// A content rule's refusal (ValidateRecord, the date and facility checks: messages that start
// "<field path>: ") prefixed with "<source_name>:<line>:<column>: " where that field, or the
// nearest enclosing one present, was written; unchanged if neither is in `positions`.
absl::Status AtFieldPosition(const absl::Status& status, std::string_view source_name,
                             const FieldPositions& positions);

}  // namespace confidant::client

#endif  // CONFIDANT_CLIENT_RECORD_JSON_H_
