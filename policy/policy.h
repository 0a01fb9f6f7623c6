// A validated access policy (schema v2: persons, scopes, purposes, consent, break-glass).
// Immutable once created; safe to share across threads.
#ifndef CONFIDANT_POLICY_POLICY_H_
#define CONFIDANT_POLICY_POLICY_H_

#include <cstdint>
#include <map>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "policy/catalogue.h"
#include "policy/policy.pb.h"

namespace confidant::policy {

// Lower-case names as used in key labels, rules and logs, e.g. "case_officer", "identity",
// "follow_up", "ontario".
std::string RoleName(v1::Role role);
std::string SectionName(v1::Section section);
std::string PurposeName(v1::Purpose purpose);
std::string RegionName(v1::Region region);

// Roles whose holders may never read a record section, whatever a policy says (separation of
// duties): approver, auditor, reporting, custodian.
bool IsNonReadingRole(v1::Role role);
// Roles that may not be held by a person who also holds a reading role: custodian, auditor,
// reporting. (An approver may also read; approving their own request is refused instead.)
bool IsExcludedFromReading(v1::Role role);

// Retention defaults and bounds (settings.retention_days, settings.max_shred_without_confirmation).
inline constexpr uint32_t kDefaultRetentionDays = 3650;
inline constexpr uint32_t kMaxRetentionDays = 36500;
inline constexpr uint32_t kDefaultMaxShredWithoutConfirmation = 50;
// Retention classes (settings.retention_classes): the default class's name, and limits.
inline constexpr char kDefaultRecordClass[] = "default";
inline constexpr size_t kMaxRetentionClasses = 32;
inline constexpr size_t kMaxRecordClassNameLength = 32;
inline constexpr uint32_t kMaxShredWithoutConfirmationLimit = 100000;
// Backup epoch bounds (settings.backup_epoch_days, settings.backup_retention_days).
inline constexpr uint32_t kDefaultBackupEpochDays = 30;
inline constexpr uint32_t kMaxBackupEpochDays = 365;
inline constexpr uint32_t kDefaultBackupRetentionDays = 90;
inline constexpr uint32_t kMaxBackupRetentionDays = 3650;
// Role key rotation period (settings.role_key_rotation_days; 0 = off).
inline constexpr uint32_t kDefaultRoleKeyRotationDays = 90;
inline constexpr uint32_t kMaxRoleKeyRotationDays = 3650;

// Limits on one person's calls. Built-in defaults apply when the policy sets none.
struct Quota {
  uint32_t reads_per_hour = 60;
  uint32_t reads_per_day = 300;
  uint32_t submissions_per_hour = 120;
  uint32_t submissions_per_day = 600;
  // Every call, whatever its outcome (server/quota.h Kind::kCall); a CLI command makes two or
  // three (the call, the intake key or a checkpoint).
  uint32_t calls_per_hour = 1000;
  uint32_t calls_per_day = 5000;
};

// A person's validity window in Unix seconds: from <= now < until. Defaults: unbounded.
struct ValidityWindow {
  int64_t from = INT64_MIN;
  int64_t until = INT64_MAX;  // exclusive
};

class Policy {
 public:
  // Parses protobuf text format and validates it. INVALID_ARGUMENT with one line per problem,
  // each starting "line N:" (1-based) where the problem has a location. Rejected: syntax errors
  // and unknown names; version 0; a role granted twice; sections granted to a non-reading role;
  // may_approve_break_glass other than on approver, may_reload_policy other than on custodian,
  // may_read_audit other than on auditor; break-glass or consent flags on a non-reading role;
  // may_amend_own without may_submit; a reading role without purposes; a granted purpose with no
  // purpose rule, or a purpose ruled twice; a bad or duplicate person id; a person without
  // certificates or roles; a certificate listed twice (under one or two persons); a person holding
  // a reading role together with custodian, auditor or reporting; a person who touches records
  // with an empty scope; bad dates or valid_until before valid_from; a quota with a zero field;
  // out-of-range settings (retention_days shorter than the amendment window included); a
  // retention class with a bad, reserved ("default") or repeated name, or days out of range or
  // shorter than the amendment window, or more than kMaxRetentionClasses of them; break-glass
  // requestable with min_break_glass_approvals 0 or with no
  // role that may approve it.
  static absl::StatusOr<Policy> FromText(std::string_view text);

  uint64_t version() const { return proto_.version(); }
  const v1::Policy& proto() const { return proto_; }

  // The grant for `role`, or nullptr when the policy grants that role nothing.
  const v1::RoleGrant* GrantFor(v1::Role role) const;
  // The person holding the certificate with this URI SAN, or nullptr (unknown caller). Exact,
  // case-sensitive match. The pointer lives as long as this Policy.
  const v1::Person* FindPerson(std::string_view certificate_uri) const;
  // The person with this id, or nullptr.
  const v1::Person* FindPersonById(std::string_view person_id) const;

  // True if `now_unix_seconds` lies in the person's validity window: valid_from <= now <
  // valid_until (a date-only valid_until includes that whole UTC day). No window: always.
  bool IsValidAt(const v1::Person& person, int64_t now_unix_seconds) const;
  // The parsed window behind IsValidAt.
  ValidityWindow WindowOf(const v1::Person& person) const;
  // True if the policy's purpose rule for `purpose` requires consent. Purposes with no rule are
  // never granted (the loader insists), but answer true for them: fail closed.
  bool RequiresConsent(v1::Purpose purpose) const;
  // The person's quota override, else the policy default, else the built-in default.
  Quota QuotaFor(const v1::Person& person) const;

  int64_t amendment_window_seconds() const;
  int64_t break_glass_seconds() const;
  // How long a break-glass request may wait for its decision (break_glass_request_hours).
  int64_t break_glass_request_seconds() const;
  // How long an early-erasure request may wait for its decision (erasure_request_days).
  int64_t erasure_request_seconds() const;
  // Retention (settings.retention_days, default 3650 days), counted from a record's first
  // submission.
  int64_t retention_days() const;
  int64_t retention_seconds() const { return retention_days() * 86400; }
  // True for "" and "default" (the default class) and every class settings.retention_classes
  // declares.
  bool DeclaresRecordClass(std::string_view record_class) const;
  // Retention days of a record of `record_class`: "" and "default" get retention_days(); a
  // declared class its days; a class this policy does not declare (renamed or dropped since the
  // record was filed) the longest period the policy declares, so no record is shredded early.
  int64_t RetentionDaysFor(std::string_view record_class) const;
  // How many records a retention run may shred without a custodian's confirmation (default 50).
  uint32_t max_shred_without_confirmation() const;
  // Backups: the length of a backup epoch (default 30 days), and how long after its epoch ended
  // a backup epoch key is destroyed (default 90 days).
  int64_t backup_epoch_seconds() const;
  int64_t backup_retention_seconds() const;
  // How old the newest role key version may grow before the vault rotates the role keys by
  // itself (settings.role_key_rotation_days, default 90 days); 0: automatic rotation is off.
  int64_t role_key_rotation_days() const;
  // The facility list and statistics catalogue, defaults applied (policy/catalogue.h).
  const Catalogue& catalogue() const { return catalogue_; }
  uint32_t min_break_glass_approvals() const {
    return proto_.settings().min_break_glass_approvals();
  }

 private:
  Policy(v1::Policy proto, std::map<std::string, ValidityWindow> windows);

  v1::Policy proto_;
  std::map<v1::Role, int> grant_index_;
  std::map<std::string, int, std::less<>> certificate_index_;   // URI → person index
  std::map<std::string, int, std::less<>> person_index_;        // id → person index
  std::map<std::string, ValidityWindow, std::less<>> windows_;  // id → validity
  Catalogue catalogue_;
};

// Parses a policy date: "YYYY-MM-DD" (UTC midnight; with `end_of_day`, the following midnight)
// or RFC 3339 in UTC ("2025-03-01T08:00:00Z", fractional seconds allowed). INVALID_ARGUMENT
// otherwise, including offsets other than Z and impossible dates.
absl::StatusOr<int64_t> ParsePolicyTime(std::string_view text, bool end_of_day);

}  // namespace confidant::policy

#endif  // CONFIDANT_POLICY_POLICY_H_
