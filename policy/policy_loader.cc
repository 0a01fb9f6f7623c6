// Policy::FromText: parsing, line locations, and the checks on role grants, purpose rules and
// settings. Person checks are in policy_loader_persons.cc.
#include <set>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "google/protobuf/io/tokenizer.h"
#include "google/protobuf/text_format.h"
#include "policy/loader_checks.h"
#include "policy/policy.h"

namespace confidant::policy {
namespace internal {

using google::protobuf::FieldDescriptor;

const FieldDescriptor* Locator::Field(const char* field) const {
  return descriptor_ == nullptr ? nullptr : descriptor_->FindFieldByName(field);
}

int Locator::Line(const char* field, int index) const {
  const FieldDescriptor* fd = Field(field);
  if (tree_ == nullptr || fd == nullptr) return -1;
  if (!fd->is_repeated()) return tree_->GetLocation(fd, -1).line;
  int line = tree_->GetLocation(fd, index).line;
  if (line < 0 && index > 0) line = tree_->GetLocation(fd, 0).line;
  return line;
}

Locator Locator::Nested(const char* field, int index) const {
  const FieldDescriptor* fd = Field(field);
  if (tree_ == nullptr || fd == nullptr || fd->message_type() == nullptr) {
    return Locator(nullptr, nullptr);
  }
  return Locator(tree_->GetTreeForNested(fd, fd->is_repeated() ? index : -1), fd->message_type());
}

void Errors::At(std::initializer_list<int> lines, std::string_view message) {
  for (int line : lines) {
    if (line >= 0) {
      errors_.push_back(absl::StrCat("line ", line + 1, ": ", std::string(message)));
      return;
    }
  }
  errors_.push_back(std::string(message));
}

bool GrantReads(const v1::Policy& policy, v1::Role role) {
  for (const v1::RoleGrant& grant : policy.role_grants()) {
    if (grant.role() == role && grant.readable_sections_size() > 0) return true;
  }
  return false;
}

namespace {

// Flags only one role may hold (separation of duties), or only reading roles may hold.
void CheckGrantFlags(const v1::RoleGrant& grant, const Locator& at, int block, Errors& errors) {
  const std::string name = RoleName(grant.role());
  const v1::Role role = grant.role();
  auto only = [&](bool flag, const char* field, v1::Role allowed) {
    if (flag && role != allowed) {
      errors.At({at.Line(field), block},
                absl::StrCat("separation of duties: only the ", RoleName(allowed),
                             " role may have ", field, ", not ", name));
    }
  };
  only(grant.may_approve_break_glass(), "may_approve_break_glass", v1::APPROVER);
  only(grant.may_reload_policy(), "may_reload_policy", v1::CUSTODIAN);
  only(grant.may_operate_vault(), "may_operate_vault", v1::CUSTODIAN);
  only(grant.may_approve_erasure(), "may_approve_erasure", v1::APPROVER);
  only(grant.may_read_audit(), "may_read_audit", v1::AUDITOR);
  only(grant.may_read_reports(), "may_read_reports", v1::REPORTING);
  auto reading = [&](bool flag, const char* field) {
    if (flag && IsNonReadingRole(role)) {
      errors.At({at.Line(field), block},
                absl::StrCat("separation of duties: ", field, " is for reading roles, not ", name));
    }
  };
  reading(grant.may_request_break_glass(), "may_request_break_glass");
  reading(grant.may_list(), "may_list");      // listing shows where and when people were seen
  reading(grant.may_submit(), "may_submit");  // so does filing records
  reading(grant.may_record_consent(), "may_record_consent");
  reading(grant.may_request_erasure(), "may_request_erasure");
  reading(grant.may_link_persons(), "may_link_persons");
  if (grant.may_amend_own() && !grant.may_submit()) {
    errors.At({at.Line("may_amend_own"), block},
              absl::StrCat("role ", name, " has may_amend_own but may not submit"));
  }
}

void CheckGrantLists(const v1::RoleGrant& grant, const Locator& at, int block, Errors& errors) {
  const std::string name = RoleName(grant.role());
  if (IsNonReadingRole(grant.role()) && grant.readable_sections_size() > 0) {
    errors.At({at.Line("readable_sections"), block},
              absl::StrCat("separation of duties: role ", name, " may not read record sections"));
  }
  if (grant.readable_sections_size() > 0 && grant.purposes_size() == 0) {
    errors.At({at.Line("role"), block},
              absl::StrCat("role ", name, " reads sections but has no purposes"));
  }
  for (int p = 0; p < grant.purposes_size(); ++p) {
    if (grant.purposes(p) == v1::PURPOSE_UNSPECIFIED) {
      errors.At({at.Line("purposes", p), block}, "PURPOSE_UNSPECIFIED is not a purpose");
    }
  }
  for (int s = 0; s < grant.readable_sections_size(); ++s) {
    if (grant.readable_sections(s) == v1::SECTION_UNSPECIFIED) {
      errors.At({at.Line("readable_sections", s), block}, "SECTION_UNSPECIFIED is not a section");
    }
  }
}

// The coverage rule: when some role may submit, every section is readable by at least one
// role. Each section of a record is sealed under a key wrapped only for the roles that read it
// (server/record_vault.cc AddSection); a section no role reads would be stored with no wrap
// anyone can open, custodians included: testimony destroyed at intake. (Stored records keep
// their wraps whatever a policy grants: server/record_wraps.h.) Being part of loading, the
// rule holds at start, unseal and reload alike, and `confidant policy check` shows it.
void CheckEverySectionRead(const v1::Policy& policy, const Locator& root, Errors& errors) {
  bool submitted = false;
  for (const v1::RoleGrant& grant : policy.role_grants()) submitted |= grant.may_submit();
  if (!submitted) return;
  std::set<int> read;
  for (const v1::RoleGrant& grant : policy.role_grants()) {
    if (IsNonReadingRole(grant.role())) continue;
    read.insert(grant.readable_sections().begin(), grant.readable_sections().end());
  }
  for (int section = v1::Section_MIN + 1; section <= v1::Section_MAX; ++section) {
    if (!v1::Section_IsValid(section) || read.count(section) > 0) continue;
    const std::string name = SectionName(static_cast<v1::Section>(section));
    // At the last grant, where a new grant would go.
    const int grants = policy.role_grants_size();
    errors.At({grants > 0 ? root.Line("role_grants", grants - 1) : root.Line("version")},
              absl::StrCat("no role may read the ", name, " section: every record's ", name,
                           " section would be sealed for no one and lost; grant it to at least "
                           "one role"));
  }
}

}  // namespace

void CheckGrants(const v1::Policy& policy, const Locator& root, Errors& errors) {
  std::set<int> seen;
  for (int i = 0; i < policy.role_grants_size(); ++i) {
    const v1::RoleGrant& grant = policy.role_grants(i);
    const Locator at = root.Nested("role_grants", i);
    const int block = root.Line("role_grants", i);
    if (grant.role() == v1::ROLE_UNSPECIFIED) errors.At({block}, "role_grants needs a role");
    if (!seen.insert(grant.role()).second) {
      errors.At({at.Line("role"), block},
                absl::StrCat("role ", RoleName(grant.role()), " is granted twice"));
    }
    CheckGrantFlags(grant, at, block, errors);
    CheckGrantLists(grant, at, block, errors);
  }
  CheckEverySectionRead(policy, root, errors);
}

void CheckPurposeRules(const v1::Policy& policy, const Locator& root, Errors& errors) {
  std::set<int> ruled;
  for (int i = 0; i < policy.purpose_rules_size(); ++i) {
    const v1::Purpose purpose = policy.purpose_rules(i).purpose();
    const int line = root.Nested("purpose_rules", i).Line("purpose");
    const int block = root.Line("purpose_rules", i);
    if (purpose == v1::PURPOSE_UNSPECIFIED) {
      errors.At({line, block}, "purpose_rules needs a purpose");
    } else if (!ruled.insert(purpose).second) {
      errors.At({line, block}, absl::StrCat("purpose ", PurposeName(purpose), " is ruled twice"));
    }
  }
  std::set<int> reported;
  for (int i = 0; i < policy.role_grants_size(); ++i) {
    const v1::RoleGrant& grant = policy.role_grants(i);
    for (int p = 0; p < grant.purposes_size(); ++p) {
      const v1::Purpose purpose = grant.purposes(p);
      if (purpose == v1::PURPOSE_UNSPECIFIED || ruled.count(purpose) > 0) continue;
      if (!reported.insert(purpose).second) continue;
      errors.At({root.Nested("role_grants", i).Line("purposes", p), root.Line("role_grants", i)},
                absl::StrCat("purpose ", PurposeName(purpose),
                             " has no purpose_rules entry saying whether it requires consent"));
    }
  }
}

}  // namespace internal

absl::StatusOr<Policy> Policy::FromText(std::string_view text) {
  class CollectErrors : public google::protobuf::io::ErrorCollector {
   public:
    explicit CollectErrors(std::vector<std::string>* errors) : errors_(errors) {}
    void AddError(int line, int column, const std::string& message) override {
      errors_->push_back(absl::StrCat("line ", line + 1, ":", column + 1, ": ", message));
    }

   private:
    std::vector<std::string>* errors_;
  };
  std::vector<std::string> syntax;
  CollectErrors collector(&syntax);
  google::protobuf::TextFormat::ParseInfoTree tree;
  google::protobuf::TextFormat::Parser parser;
  parser.RecordErrorsTo(&collector);
  parser.WriteLocationsTo(&tree);
  v1::Policy proto;
  if (!parser.ParseFromString(std::string(text), &proto)) {
    if (syntax.empty()) syntax.push_back("policy does not parse");
    return absl::InvalidArgumentError(absl::StrJoin(syntax, "\n"));
  }
  const internal::Locator root(&tree, v1::Policy::descriptor());
  internal::Errors errors;
  if (proto.version() == 0) errors.At({root.Line("version")}, "version must be at least 1");
  internal::CheckGrants(proto, root, errors);
  internal::CheckPurposeRules(proto, root, errors);
  internal::CheckSettings(proto, root, errors);
  internal::CheckReporting(proto, root, errors);
  std::map<std::string, ValidityWindow> windows;
  internal::CheckPersons(proto, root, errors, windows);
  if (!errors.list().empty()) {
    return absl::InvalidArgumentError(absl::StrJoin(errors.list(), "\n"));
  }
  return Policy(std::move(proto), std::move(windows));
}

}  // namespace confidant::policy
