// The contract's input rules, shared by the client (validate before sealing) and the server
// (validate after opening). Errors are INVALID_ARGUMENT naming the field and the rule, never the
// field's content.
#ifndef CONFIDANT_PROTO_RECORD_VALIDATION_H_
#define CONFIDANT_PROTO_RECORD_VALIDATION_H_

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "confidant/v1/record.pb.h"

namespace confidant {

inline constexpr size_t kMaxNarrativeBytes = 32 * 1024;
inline constexpr size_t kMaxNoteBytes = 16 * 1024;  // health and legal free text
inline constexpr size_t kMaxShortTextBytes = 200;    // names, ids, list items
inline constexpr size_t kMaxListItems = 20;
inline constexpr size_t kMaxReasonBytes = 500;
inline constexpr size_t kMaxRecordBytes = 128 * 1024;       // serialized InterviewRecord
inline constexpr size_t kMaxSealedEnvelopeBytes = 192 * 1024;
inline constexpr size_t kMaxGrpcMessageBytes = 256 * 1024;  // server and client channel limit

// True for a real calendar date written YYYY-MM-DD (years 1900..2199).
bool IsValidDate(std::string_view date);

// What is wrong with `date` for IsValidDate, in words for the person who typed it ("is
// required ...", "must be a date written YYYY-MM-DD ...", "the month must be from 01 to 12",
// "is not a day of the calendar: 2026-02 has 28 days"); empty when it is valid. Repeats at most
// the year and month of `date` (a visit date is metadata, never record content).
std::string DateProblem(std::string_view date);

// Submission ids: 8..64 characters of [A-Za-z0-9_-].
absl::Status ValidateSubmissionId(std::string_view submission_id);

// Record ids as the vault issues them: 32 lower-case hex characters.
absl::Status ValidateRecordId(std::string_view record_id);

// Every rule a stored record must satisfy: required visit metadata, known enum values, sizes,
// dates, consents (known purpose, no duplicates).
absl::Status ValidateRecord(const v1::InterviewRecord& record);

// The visit happened: visit.visit_date is not after the UTC date one day past `now_unix` (a
// day's slack for time zones and clocks). INVALID_ARGUMENT naming the field otherwise. Checked
// by the client before sealing and by the vault at intake; a date far in the future would
// also let anyone probe the likely-duplicate index for visits that never took place.
absl::Status CheckVisitDateNotInFuture(const v1::InterviewRecord& record, int64_t now_unix);

// A record class name as a record may carry it: empty (the default class) or [a-z0-9_-], at
// most kMaxRecordClassLength characters. Whether the policy declares it is checked at intake.
inline constexpr size_t kMaxRecordClassLength = 32;
absl::Status ValidateRecordClassName(std::string_view record_class);

}  // namespace confidant

#endif  // CONFIDANT_PROTO_RECORD_VALIDATION_H_
