#include "policy/policy.h"

#include <algorithm>
#include <cstdint>
#include <utility>

#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/time/time.h"

namespace confidant::policy {

std::string RoleName(v1::Role role) { return absl::AsciiStrToLower(v1::Role_Name(role)); }

std::string SectionName(v1::Section section) {
  return absl::AsciiStrToLower(v1::Section_Name(section));
}

std::string PurposeName(v1::Purpose purpose) {
  return absl::AsciiStrToLower(v1::Purpose_Name(purpose));
}

std::string RegionName(v1::Region region) { return absl::AsciiStrToLower(v1::Region_Name(region)); }

bool IsNonReadingRole(v1::Role role) { return role == v1::APPROVER || IsExcludedFromReading(role); }

bool IsExcludedFromReading(v1::Role role) {
  return role == v1::AUDITOR || role == v1::REPORTING || role == v1::CUSTODIAN;
}

Policy::Policy(v1::Policy proto, std::map<std::string, ValidityWindow> windows)
    : proto_(std::move(proto)), windows_(windows.begin(), windows.end()) {
  catalogue_ = CatalogueOf(proto_);
  for (int i = 0; i < proto_.role_grants_size(); ++i) {
    grant_index_.emplace(proto_.role_grants(i).role(), i);
  }
  for (int i = 0; i < proto_.persons_size(); ++i) {
    person_index_.emplace(proto_.persons(i).id(), i);
    for (const std::string& uri : proto_.persons(i).certificates()) {
      certificate_index_.emplace(uri, i);
    }
  }
}

const v1::RoleGrant* Policy::GrantFor(v1::Role role) const {
  auto it = grant_index_.find(role);
  return it == grant_index_.end() ? nullptr : &proto_.role_grants(it->second);
}

const v1::Person* Policy::FindPerson(std::string_view certificate_uri) const {
  auto it = certificate_index_.find(certificate_uri);
  return it == certificate_index_.end() ? nullptr : &proto_.persons(it->second);
}

const v1::Person* Policy::FindPersonById(std::string_view person_id) const {
  auto it = person_index_.find(person_id);
  return it == person_index_.end() ? nullptr : &proto_.persons(it->second);
}

ValidityWindow Policy::WindowOf(const v1::Person& person) const {
  auto it = windows_.find(person.id());
  return it == windows_.end() ? ValidityWindow{} : it->second;
}

bool Policy::IsValidAt(const v1::Person& person, int64_t now_unix_seconds) const {
  const ValidityWindow w = WindowOf(person);
  return w.from <= now_unix_seconds && now_unix_seconds < w.until;
}

bool Policy::RequiresConsent(v1::Purpose purpose) const {
  for (const v1::PurposeRule& rule : proto_.purpose_rules()) {
    if (rule.purpose() == purpose) return rule.requires_consent();
  }
  return true;
}

Quota Policy::QuotaFor(const v1::Person& person) const {
  const v1::Quota* q = nullptr;
  if (person.has_quota()) {
    q = &person.quota();
  } else if (proto_.settings().has_default_quota()) {
    q = &proto_.settings().default_quota();
  }
  Quota quota;
  if (q == nullptr) return quota;
  quota.reads_per_hour = q->reads_per_hour();
  quota.reads_per_day = q->reads_per_day();
  quota.submissions_per_hour = q->submissions_per_hour();
  quota.submissions_per_day = q->submissions_per_day();
  // Absent (0): room for three calls per read or submission (a CLI command also fetches a
  // checkpoint or the intake key), and at least the default, so quotas written before these
  // limits existed keep working.
  auto room = [](uint32_t set, uint32_t reads, uint32_t submissions, uint32_t floor) {
    if (set > 0) return set;
    const uint64_t three = 3 * (uint64_t{reads} + submissions);
    return static_cast<uint32_t>(std::clamp<uint64_t>(three, floor, UINT32_MAX));
  };
  quota.calls_per_hour = room(q->calls_per_hour(), quota.reads_per_hour,
                              quota.submissions_per_hour, Quota().calls_per_hour);
  quota.calls_per_day = room(q->calls_per_day(), quota.reads_per_day, quota.submissions_per_day,
                             Quota().calls_per_day);
  return quota;
}

int64_t Policy::amendment_window_seconds() const {
  const uint32_t hours = proto_.settings().amendment_window_hours();
  return int64_t{hours == 0 ? 72u : hours} * 3600;
}

int64_t Policy::break_glass_seconds() const {
  const uint32_t minutes = proto_.settings().break_glass_minutes();
  return int64_t{minutes == 0 ? 60u : minutes} * 60;
}

int64_t Policy::break_glass_request_seconds() const {
  const uint32_t hours = proto_.settings().break_glass_request_hours();
  return int64_t{hours == 0 ? 24u : hours} * 3600;
}

int64_t Policy::erasure_request_seconds() const {
  const uint32_t days = proto_.settings().erasure_request_days();
  return int64_t{days == 0 ? 30u : days} * 86400;
}

int64_t Policy::retention_days() const {
  const uint32_t days = proto_.settings().retention_days();
  return int64_t{days == 0 ? kDefaultRetentionDays : days};
}

uint32_t Policy::max_shred_without_confirmation() const {
  const uint32_t max = proto_.settings().max_shred_without_confirmation();
  return max == 0 ? kDefaultMaxShredWithoutConfirmation : max;
}

int64_t Policy::backup_epoch_seconds() const {
  const uint32_t days = proto_.settings().backup_epoch_days();
  return int64_t{days == 0 ? kDefaultBackupEpochDays : days} * 86400;
}

int64_t Policy::backup_retention_seconds() const {
  const uint32_t days = proto_.settings().backup_retention_days();
  return int64_t{days == 0 ? kDefaultBackupRetentionDays : days} * 86400;
}

int64_t Policy::role_key_rotation_days() const {
  const v1::Settings& settings = proto_.settings();
  return settings.has_role_key_rotation_days() ? int64_t{settings.role_key_rotation_days()}
                                               : int64_t{kDefaultRoleKeyRotationDays};
}

absl::StatusOr<int64_t> ParsePolicyTime(std::string_view text, bool end_of_day) {
  const std::string s(text);
  absl::Time t;
  std::string error;
  if (s.size() == 10) {
    if (!absl::ParseTime("%Y-%m-%d", s, absl::UTCTimeZone(), &t, &error)) {
      return absl::InvalidArgumentError(absl::StrCat("bad date \"", s, "\": ", error));
    }
    return absl::ToUnixSeconds(t) + (end_of_day ? 86400 : 0);
  }
  if (!absl::EndsWith(s, "Z") ||
      !absl::ParseTime(absl::RFC3339_full, s, absl::UTCTimeZone(), &t, &error)) {
    return absl::InvalidArgumentError(absl::StrCat(
        "bad time \"", s, "\": want YYYY-MM-DD or RFC 3339 UTC like 2025-03-01T08:00:00Z",
        error.empty() ? "" : absl::StrCat(" (", error, ")")));
  }
  return absl::ToUnixSeconds(t);
}

}  // namespace confidant::policy
