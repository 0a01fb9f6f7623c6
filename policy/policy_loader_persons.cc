// Policy::FromText checks on settings and persons (see loader_checks.h).
#include <map>
#include <set>
#include <string>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "policy/loader_checks.h"
#include "policy/policy.h"

namespace confidant::policy::internal {
namespace {

constexpr uint32_t kMaxAmendmentWindowHours = 8760;
constexpr uint32_t kMaxBreakGlassMinutes = 1440;
constexpr uint32_t kMaxBreakGlassRequestHours = 168;
constexpr uint32_t kMaxErasureRequestDays = 365;
constexpr size_t kMaxPersonIdLength = 64;

void CheckQuota(const v1::Quota& q, int block, Errors& errors) {
  if (q.reads_per_hour() == 0 || q.reads_per_day() == 0 || q.submissions_per_hour() == 0 ||
      q.submissions_per_day() == 0) {
    errors.At({block},
              "a quota must set reads_per_hour, reads_per_day, submissions_per_hour and "
              "submissions_per_day to at least 1 (omit it to use the default)");
  }
}

// Retention bounds; a record must outlive its amendment window (0 means the defaults).
void CheckRetention(const v1::Settings& settings, const Locator& at, int block, Errors& errors) {
  const uint32_t days = settings.retention_days();
  if (days > kMaxRetentionDays) {
    errors.At({at.Line("retention_days"), block},
              absl::StrCat("retention_days is at most ", kMaxRetentionDays));
  }
  const uint32_t window_hours =
      settings.amendment_window_hours() == 0 ? 72 : settings.amendment_window_hours();
  const uint64_t retention_hours = uint64_t{days == 0 ? kDefaultRetentionDays : days} * 24;
  if (retention_hours < window_hours) {
    errors.At({at.Line("retention_days"), at.Line("amendment_window_hours"), block},
              absl::StrCat("retention_days (", days,
                           ") is shorter than the amendment window (", window_hours,
                           " hours): a record must not be shredded while it may be amended"));
  }
  if (settings.max_shred_without_confirmation() > kMaxShredWithoutConfirmationLimit) {
    errors.At({at.Line("max_shred_without_confirmation"), block},
              absl::StrCat("max_shred_without_confirmation is at most ",
                           kMaxShredWithoutConfirmationLimit));
  }
  if (settings.backup_epoch_days() > kMaxBackupEpochDays) {
    errors.At({at.Line("backup_epoch_days"), block},
              absl::StrCat("backup_epoch_days is at most ", kMaxBackupEpochDays));
  }
  if (settings.backup_retention_days() > kMaxBackupRetentionDays) {
    errors.At({at.Line("backup_retention_days"), block},
              absl::StrCat("backup_retention_days is at most ", kMaxBackupRetentionDays));
  }
  if (settings.role_key_rotation_days() > kMaxRoleKeyRotationDays) {
    errors.At({at.Line("role_key_rotation_days"), block},
              absl::StrCat("role_key_rotation_days is at most ", kMaxRoleKeyRotationDays,
                           " (0 turns automatic rotation off)"));
  }
}

bool AnyGrant(const v1::Policy& policy, bool (v1::RoleGrant::*flag)() const) {
  for (const v1::RoleGrant& grant : policy.role_grants()) {
    if ((grant.*flag)()) return true;
  }
  return false;
}

bool ValidPersonId(const std::string& id) {
  if (id.empty() || id.size() > kMaxPersonIdLength) return false;
  for (char c : id) {
    if (!absl::ascii_isalnum(static_cast<unsigned char>(c)) && c != '-' && c != '_' && c != '.') {
      return false;
    }
  }
  return true;
}

// Whether `role`'s grant lets it act on records, so that its scope matters.
bool TouchesRecords(const v1::Policy& policy, v1::Role role) {
  for (const v1::RoleGrant& g : policy.role_grants()) {
    if (g.role() != role) continue;
    return g.readable_sections_size() > 0 || g.may_list() || g.may_submit() || g.may_amend_own() ||
           g.may_record_consent() || g.may_request_break_glass();
  }
  return false;
}

void CheckRoles(const v1::Policy& policy, const v1::Person& person, const Locator& at, int block,
                Errors& errors) {
  if (person.roles_size() == 0) {
    errors.At({at.Line("id"), block}, absl::StrCat("person ", person.id(), " has no roles"));
  }
  bool reads = false, excluded = false;
  std::set<int> roles;
  for (int r = 0; r < person.roles_size(); ++r) {
    const v1::Role role = person.roles(r);
    if (role == v1::ROLE_UNSPECIFIED)
      errors.At({at.Line("roles", r), block}, "ROLE_UNSPECIFIED is not a role");
    if (!roles.insert(role).second) errors.At({at.Line("roles", r), block}, "role is listed twice");
    // Anyone who acts on records (reads, lists, files, amends) counts: a person who could see
    // where and when people were held may not also audit, report or hold keys.
    reads = reads || GrantReads(policy, role) || TouchesRecords(policy, role);
    excluded = excluded || IsExcludedFromReading(role);
  }
  if (reads && excluded) {
    errors.At({at.Line("roles"), block},
              absl::StrCat("separation of duties: person ", person.id(),
                           " reads records (or lists or files them) and may not also be custodian, auditor or reporting"));
  }
}

void CheckScope(const v1::Policy& policy, const v1::Person& person, const Locator& at, int block,
                Errors& errors) {
  const v1::Scope& scope = person.scope();
  const Locator s = at.Nested("scope");
  const bool listed = scope.regions_size() > 0 || scope.facilities_size() > 0;
  if (scope.everywhere() && listed) {
    errors.At({s.Line("everywhere"), block},
              "scope is everywhere and also lists regions or facilities; choose one");
  }
  for (int i = 0; i < scope.regions_size(); ++i) {
    if (scope.regions(i) == v1::REGION_UNSPECIFIED) {
      errors.At({s.Line("regions", i), block}, "REGION_UNSPECIFIED is not a region");
    }
  }
  for (int i = 0; i < scope.facilities_size(); ++i) {
    if (scope.facilities(i).empty())
      errors.At({s.Line("facilities", i), block}, "empty facility id");
  }
  if (scope.everywhere() || listed) return;
  for (int role : person.roles()) {
    if (!TouchesRecords(policy, static_cast<v1::Role>(role))) continue;
    errors.At({at.Line("id"), block},
              absl::StrCat("person ", person.id(),
                           " acts on records but has an empty scope (set "
                           "scope { everywhere: true } or list regions or facilities)"));
    return;
  }
}

void CheckWindow(const v1::Person& person, const Locator& at, int block, Errors& errors,
                 std::map<std::string, ValidityWindow>& windows) {
  ValidityWindow window;
  bool ok = true;
  if (!person.valid_from().empty()) {
    absl::StatusOr<int64_t> from = ParsePolicyTime(person.valid_from(), /*end_of_day=*/false);
    ok = ok && from.ok();
    if (from.ok())
      window.from = *from;
    else
      errors.At({at.Line("valid_from"), block},
                absl::StrCat("valid_from: ", from.status().message()));
  }
  if (!person.valid_until().empty()) {
    absl::StatusOr<int64_t> until = ParsePolicyTime(person.valid_until(), /*end_of_day=*/true);
    ok = ok && until.ok();
    if (until.ok())
      window.until = *until;
    else
      errors.At({at.Line("valid_until"), block},
                absl::StrCat("valid_until: ", until.status().message()));
  }
  if (ok && window.until <= window.from) {
    errors.At({at.Line("valid_until"), block},
              absl::StrCat("person ", person.id(), ": valid_until is not after valid_from"));
  }
  windows[person.id()] = window;
}

}  // namespace

void CheckSettings(const v1::Policy& policy, const Locator& root, Errors& errors) {
  const v1::Settings& settings = policy.settings();
  const Locator at = root.Nested("settings");
  const int block = root.Line("settings");
  if (settings.amendment_window_hours() > kMaxAmendmentWindowHours) {
    errors.At({at.Line("amendment_window_hours"), block},
              absl::StrCat("amendment_window_hours is at most ", kMaxAmendmentWindowHours));
  }
  if (settings.break_glass_minutes() > kMaxBreakGlassMinutes) {
    errors.At({at.Line("break_glass_minutes"), block},
              absl::StrCat("break_glass_minutes is at most ", kMaxBreakGlassMinutes));
  }
  if (settings.break_glass_request_hours() > kMaxBreakGlassRequestHours) {
    errors.At({at.Line("break_glass_request_hours"), block},
              absl::StrCat("break_glass_request_hours is at most ", kMaxBreakGlassRequestHours));
  }
  if (settings.erasure_request_days() > kMaxErasureRequestDays) {
    errors.At({at.Line("erasure_request_days"), block},
              absl::StrCat("erasure_request_days is at most ", kMaxErasureRequestDays));
  }
  CheckRetention(settings, at, block, errors);
  CheckRetentionClasses(settings, at, block, errors);
  if (settings.has_default_quota()) {
    CheckQuota(settings.default_quota(), at.Line("default_quota"), errors);
  }
  if (!AnyGrant(policy, &v1::RoleGrant::may_request_break_glass)) return;
  if (settings.min_break_glass_approvals() == 0) {
    errors.At({at.Line("min_break_glass_approvals"), block, root.Line("version")},
              "break-glass may be requested, so settings.min_break_glass_approvals must be at "
              "least 1: a break-glass never needs zero approvals");
  }
  if (!AnyGrant(policy, &v1::RoleGrant::may_approve_break_glass)) {
    errors.At({block, root.Line("version")},
              "break-glass may be requested but no role may approve it");
  }
}

void CheckPersons(const v1::Policy& policy, const Locator& root, Errors& errors,
                  std::map<std::string, ValidityWindow>& windows) {
  std::set<std::string> ids;
  std::map<std::string, std::string> owner;  // certificate → person id
  for (int i = 0; i < policy.persons_size(); ++i) {
    const v1::Person& person = policy.persons(i);
    const Locator at = root.Nested("persons", i);
    const int block = root.Line("persons", i);
    if (!ValidPersonId(person.id())) {
      errors.At({at.Line("id"), block}, "person id must be 1 to 64 of [A-Za-z0-9._-]");
    } else if (!ids.insert(person.id()).second) {
      errors.At({at.Line("id"), block},
                absl::StrCat("person id ", person.id(), " is listed twice"));
    }
    if (person.certificates_size() == 0) {
      errors.At({at.Line("id"), block},
                absl::StrCat("person ", person.id(), " has no certificates"));
    }
    for (int c = 0; c < person.certificates_size(); ++c) {
      const std::string& uri = person.certificates(c);
      const int line = at.Line("certificates", c);
      if (uri.empty()) {
        errors.At({line, block}, "empty certificate uri");
      } else if (auto [it, fresh] = owner.emplace(uri, person.id()); !fresh) {
        errors.At({line, block}, absl::StrCat("certificate ", uri,
                                              " is already listed under person ", it->second));
      }
    }
    CheckRoles(policy, person, at, block, errors);
    CheckScope(policy, person, at, block, errors);
    CheckWindow(person, at, block, errors, windows);
    if (person.has_quota()) CheckQuota(person.quota(), at.Line("quota"), errors);
  }
}

}  // namespace confidant::policy::internal
