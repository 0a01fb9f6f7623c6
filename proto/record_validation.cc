#include "proto/record_validation.h"

#include <string>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/time/civil_time.h"
#include "absl/time/time.h"
#include "base/status_macros.h"
#include "proto/display_text.h"

namespace confidant {
namespace {

absl::Status Invalid(std::string_view field, std::string_view rule) {
  return absl::InvalidArgumentError(absl::StrCat(std::string(field), ": ", std::string(rule)));
}

absl::Status CheckLength(std::string_view field, std::string_view value, size_t max) {
  if (value.size() > max) return Invalid(field, absl::StrCat("longer than ", max, " bytes"));
  return absl::OkStatus();
}

absl::Status CheckRequired(std::string_view field, std::string_view value, size_t max) {
  if (value.empty()) return Invalid(field, "is required");
  return CheckLength(field, value, max);
}

template <typename List>
absl::Status CheckList(std::string_view field, const List& items, size_t max_bytes) {
  if (static_cast<size_t>(items.size()) > kMaxListItems) {
    return Invalid(field, absl::StrCat("more than ", kMaxListItems, " items"));
  }
  for (const std::string& item : items) RETURN_IF_ERROR(CheckRequired(field, item, max_bytes));
  return absl::OkStatus();
}

absl::Status CheckOptionalDate(std::string_view field, std::string_view date) {
  if (!date.empty() && !IsValidDate(date)) return Invalid(field, DateProblem(date));
  return absl::OkStatus();
}

bool IsIdentifierChar(char c) { return absl::ascii_isalnum(c) || c == '-' || c == '_'; }

absl::Status ValidateVisit(const v1::InterviewRecord& record) {
  if (!record.has_visit()) return Invalid("visit", "is required");
  const v1::VisitMetadata& visit = record.visit();
  RETURN_IF_ERROR(CheckRequired("visit.facility_id", visit.facility_id(), 64));
  for (char c : visit.facility_id()) {
    if (!IsIdentifierChar(c)) return Invalid("visit.facility_id", "must be [A-Za-z0-9_-]");
  }
  if (visit.region() == v1::REGION_UNSPECIFIED || !v1::Region_IsValid(visit.region())) {
    return Invalid("visit.region", "must be a known region");
  }
  if (!IsValidDate(visit.visit_date())) {
    return Invalid("visit.visit_date", DateProblem(visit.visit_date()));
  }
  RETURN_IF_ERROR(CheckRequired("visit.team", visit.team(), 64));
  return CheckDisplayText("visit.team", visit.team());  // listed to staff (proto/display_text.h)
}

absl::Status ValidateSections(const v1::InterviewRecord& record) {
  const v1::IdentitySection& id = record.identity();
  RETURN_IF_ERROR(CheckLength("identity.full_name", id.full_name(), kMaxShortTextBytes));
  RETURN_IF_ERROR(CheckOptionalDate("identity.date_of_birth", id.date_of_birth()));
  RETURN_IF_ERROR(CheckLength("identity.immigration_client_id", id.immigration_client_id(), 64));
  RETURN_IF_ERROR(CheckList("identity.languages", id.languages(), 64));
  const v1::InterviewSection& interview = record.interview();
  RETURN_IF_ERROR(CheckLength("interview.narrative", interview.narrative(), kMaxNarrativeBytes));
  RETURN_IF_ERROR(
      CheckList("interview.concerns_raised", interview.concerns_raised(), kMaxShortTextBytes));
  RETURN_IF_ERROR(CheckLength("health.observations", record.health().observations(), kMaxNoteBytes));
  RETURN_IF_ERROR(CheckLength("health.needs", record.health().needs(), kMaxNoteBytes));
  RETURN_IF_ERROR(CheckLength("legal.counsel_access", record.legal().counsel_access(), kMaxNoteBytes));
  return CheckLength("legal.proceedings", record.legal().proceedings(), kMaxNoteBytes);
}

absl::Status ValidateIndicators(const v1::CodedIndicators& in) {
  if (!v1::AgeBand_IsValid(in.age_band())) return Invalid("indicators.age_band", "unknown value");
  if (!v1::Gender_IsValid(in.gender())) return Invalid("indicators.gender", "unknown value");
  if (!v1::DetentionLengthBand_IsValid(in.detention_length())) {
    return Invalid("indicators.detention_length", "unknown value");
  }
  if (!v1::DetentionGrounds_IsValid(in.detention_grounds())) {
    return Invalid("indicators.detention_grounds", "unknown value");
  }
  const v1::Concerns& c = in.concerns();
  for (int value : {c.lacks_medical_care(), c.mental_health(), c.lacks_access_to_counsel(),
                    c.lacks_family_contact(), c.lacks_interpretation(), c.restraints(),
                    c.segregation(), c.minors_present(), c.held_with_criminal_population()}) {
    if (!v1::YesNo_IsValid(value)) return Invalid("indicators.concerns", "unknown value");
  }
  return absl::OkStatus();
}

absl::Status ValidateConsents(const v1::InterviewRecord& record) {
  uint32_t seen = 0;
  for (const v1::Consent& consent : record.consents()) {
    const int purpose = consent.purpose();
    if (purpose == v1::PURPOSE_UNSPECIFIED || !v1::Purpose_IsValid(purpose)) {
      return Invalid("consents.purpose", "must be a known purpose");
    }
    if (seen & (1u << purpose)) return Invalid("consents.purpose", "is listed twice");
    seen |= 1u << purpose;
    RETURN_IF_ERROR(CheckOptionalDate("consents.recorded_on", consent.recorded_on()));
  }
  return absl::OkStatus();
}

}  // namespace

std::string DateProblem(std::string_view date) {
  if (date.empty()) return "is required (a date written YYYY-MM-DD, e.g. 2026-03-14)";
  bool shaped = date.size() == 10 && date[4] == '-' && date[7] == '-';
  for (size_t i : {0, 1, 2, 3, 5, 6, 8, 9}) shaped = shaped && absl::ascii_isdigit(date[i]);
  if (!shaped) return "must be a date written YYYY-MM-DD, e.g. 2026-03-14";
  if (IsValidDate(date)) return "";
  const int year = (date[0] - '0') * 1000 + (date[1] - '0') * 100 + (date[2] - '0') * 10 +
                   (date[3] - '0');
  const int month = (date[5] - '0') * 10 + (date[6] - '0');
  if (year < 1900 || year > 2199) return "the year must be from 1900 to 2199";
  if (month < 1 || month > 12) return "the month must be from 01 to 12";
  // CivilDay normalises month 13 to January of the next year.
  const int days =
      static_cast<int>(absl::CivilDay(year, month + 1, 1) - absl::CivilDay(year, month, 1));
  return absl::StrCat("is not a day of the calendar: ", std::string(date.substr(0, 7)), " has ",
                      days, " days");
}

bool IsValidDate(std::string_view date) {
  if (date.size() != 10 || date[4] != '-' || date[7] != '-') return false;
  for (size_t i : {0, 1, 2, 3, 5, 6, 8, 9}) {
    if (!absl::ascii_isdigit(date[i])) return false;
  }
  auto number = [&](size_t from, size_t length) {
    int value = 0;
    for (size_t i = from; i < from + length; ++i) value = value * 10 + (date[i] - '0');
    return value;
  };
  const int year = number(0, 4), month = number(5, 2), day = number(8, 2);
  if (year < 1900 || year > 2199) return false;
  const absl::CivilDay civil(year, month, day);  // normalises out-of-range fields
  return civil.year() == year && civil.month() == month && civil.day() == day;
}

absl::Status ValidateSubmissionId(std::string_view submission_id) {
  if (submission_id.size() < 8 || submission_id.size() > 64) {
    return Invalid("submission_id", "must be 8 to 64 characters");
  }
  for (char c : submission_id) {
    if (!IsIdentifierChar(c)) return Invalid("submission_id", "must be [A-Za-z0-9_-]");
  }
  return absl::OkStatus();
}

absl::Status ValidateRecordId(std::string_view record_id) {
  if (record_id.size() != 32) return Invalid("record_id", "must be 32 hex characters");
  for (char c : record_id) {
    if (!absl::ascii_isxdigit(c) || absl::ascii_isupper(c)) {
      return Invalid("record_id", "must be 32 lower-case hex characters");
    }
  }
  return absl::OkStatus();
}

absl::Status ValidateRecord(const v1::InterviewRecord& record) {
  if (record.ByteSizeLong() > kMaxRecordBytes) {
    return Invalid("record", absl::StrCat("larger than ", kMaxRecordBytes, " bytes"));
  }
  RETURN_IF_ERROR(ValidateVisit(record));
  RETURN_IF_ERROR(ValidateSections(record));
  RETURN_IF_ERROR(ValidateIndicators(record.indicators()));
  RETURN_IF_ERROR(ValidateRecordClassName(record.record_class()));
  return ValidateConsents(record);
}

absl::Status ValidateRecordClassName(std::string_view record_class) {
  if (record_class.size() > kMaxRecordClassLength) {
    return Invalid("record.record_class", absl::StrCat("at most ", kMaxRecordClassLength,
                                                       " characters"));
  }
  for (char c : record_class) {
    if (!(absl::ascii_islower(c) || absl::ascii_isdigit(c) || c == '-' || c == '_')) {
      return Invalid("record.record_class", "only a-z, 0-9, '-' and '_'");
    }
  }
  return absl::OkStatus();
}

absl::Status CheckVisitDateNotInFuture(const v1::InterviewRecord& record, int64_t now_unix) {
  const std::string latest =
      absl::FormatTime("%Y-%m-%d", absl::FromUnixSeconds(now_unix + 86400), absl::UTCTimeZone());
  if (record.visit().visit_date() > latest) {  // YYYY-MM-DD compares as text
    return Invalid("visit.visit_date", absl::StrCat("is in the future (the latest accepted is ",
                                                    latest, ")"));
  }
  return absl::OkStatus();
}

}  // namespace confidant
