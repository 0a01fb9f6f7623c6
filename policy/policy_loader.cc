// Policy::FromText: parsing and validation with line-numbered errors.
#include <set>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "google/protobuf/io/tokenizer.h"
#include "google/protobuf/text_format.h"
#include "policy/policy.h"

namespace confidant::policy {
namespace {

using google::protobuf::FieldDescriptor;
using google::protobuf::TextFormat;

class CollectErrors : public google::protobuf::io::ErrorCollector {
 public:
  explicit CollectErrors(std::vector<std::string>* errors) : errors_(errors) {}
  void AddError(int line, int column, const std::string& message) override {
    errors_->push_back(absl::StrCat("line ", line + 1, ":", column + 1, ": ", message));
  }

 private:
  std::vector<std::string>* errors_;
};

// Collects semantic errors with the 1-based line of the offending field.
class Validator {
 public:
  Validator(const v1::Policy& policy, const TextFormat::ParseInfoTree& tree)
      : policy_(policy), tree_(tree) {}

  std::vector<std::string> Run() {
    if (policy_.version() == 0) Error(&tree_, "version", -1, "version must be at least 1");
    CheckGrants();
    CheckPrincipals();
    return errors_;
  }

 private:
  // Reports `message` at the line of `field`[index] in `tree`; if that field is absent, at the
  // line of the enclosing block (`block`[block_index] of the top-level message).
  void Error(const TextFormat::ParseInfoTree* tree, const char* field, int index,
             std::string_view message, const char* block = nullptr, int block_index = -1) {
    const FieldDescriptor* fd =
        tree == &tree_ ? v1::Policy::descriptor()->FindFieldByName(field) : FindNested(field);
    TextFormat::ParseLocation loc;
    if (tree != nullptr && fd != nullptr) {
      loc = tree->GetLocation(fd, index);
      // A list written as [a, b] has one location, recorded for its first item.
      if (loc.line < 0 && index > 0) loc = tree->GetLocation(fd, 0);
    }
    if (loc.line < 0 && block != nullptr) {
      loc = tree_.GetLocation(v1::Policy::descriptor()->FindFieldByName(block), block_index);
    }
    errors_.push_back(loc.line >= 0 ? absl::StrCat("line ", loc.line + 1, ": ", std::string(message))
                                    : std::string(message));
  }

  static const FieldDescriptor* FindNested(const char* field) {
    for (const auto* d : {v1::RoleGrant::descriptor(), v1::Principal::descriptor()}) {
      if (const FieldDescriptor* fd = d->FindFieldByName(field)) return fd;
    }
    return nullptr;
  }

  const TextFormat::ParseInfoTree* Nested(const char* field, int index) {
    return tree_.GetTreeForNested(v1::Policy::descriptor()->FindFieldByName(field), index);
  }

  void CheckGrants() {
    std::set<int> seen;
    for (int i = 0; i < policy_.role_grants_size(); ++i) {
      const v1::RoleGrant& grant = policy_.role_grants(i);
      const auto* tree = Nested("role_grants", i);
      const std::string name = RoleName(grant.role());
      if (grant.role() == v1::ROLE_UNSPECIFIED) Error(tree, "role", -1, "role_grants needs a role", "role_grants", i);
      if (!seen.insert(grant.role()).second) {
        Error(tree, "role", -1, absl::StrCat("role ", name, " is granted twice"));
      }
      if (IsNonReadingRole(grant.role()) && grant.readable_sections_size() > 0) {
        Error(tree, "readable_sections", 0,
              absl::StrCat("separation of duties: role ", name, " may not read record sections"));
      }
      if (grant.may_read_audit() && grant.role() != v1::AUDITOR) {
        Error(tree, "may_read_audit", -1,
              absl::StrCat("separation of duties: only the auditor role may read the audit log, not ",
                           name));
      }
      if (grant.readable_sections_size() > 0 && grant.purposes_size() == 0) {
        Error(tree, "role", -1, absl::StrCat("role ", name, " reads sections but has no purposes"),
              "role_grants", i);
      }
      for (int p = 0; p < grant.purposes_size(); ++p) {
        if (grant.purposes(p) == v1::PURPOSE_UNSPECIFIED) {
          Error(tree, "purposes", p, "PURPOSE_UNSPECIFIED is not a purpose");
        }
      }
      for (int s = 0; s < grant.readable_sections_size(); ++s) {
        if (grant.readable_sections(s) == v1::SECTION_UNSPECIFIED) {
          Error(tree, "readable_sections", s, "SECTION_UNSPECIFIED is not a section");
        }
      }
    }
  }

  bool Reads(v1::Role role) const {
    for (const v1::RoleGrant& grant : policy_.role_grants()) {
      if (grant.role() == role && grant.readable_sections_size() > 0) return true;
    }
    return false;
  }

  void CheckPrincipals() {
    std::set<std::string> seen;
    for (int i = 0; i < policy_.principals_size(); ++i) {
      const v1::Principal& principal = policy_.principals(i);
      const auto* tree = Nested("principals", i);
      if (principal.uri().empty()) Error(tree, "uri", -1, "principal needs a uri", "principals", i);
      if (!seen.insert(principal.uri()).second) {
        Error(tree, "uri", -1, "principal uri is listed twice");
      }
      if (principal.roles_size() == 0) Error(tree, "uri", -1, "principal has no roles", "principals", i);
      bool reads = false, excluded = false;
      std::set<int> roles;
      for (int r = 0; r < principal.roles_size(); ++r) {
        const v1::Role role = principal.roles(r);
        if (role == v1::ROLE_UNSPECIFIED) Error(tree, "roles", r, "ROLE_UNSPECIFIED is not a role");
        if (!roles.insert(role).second) Error(tree, "roles", r, "role is listed twice");
        reads = reads || Reads(role);
        excluded = excluded || role == v1::CUSTODIAN || role == v1::AUDITOR || role == v1::REPORTING;
      }
      if (reads && excluded) {
        Error(tree, "roles", 0,
              "separation of duties: a principal that reads records may not also be custodian, "
              "auditor or reporting");
      }
    }
  }

  const v1::Policy& policy_;
  const TextFormat::ParseInfoTree& tree_;
  std::vector<std::string> errors_;
};

}  // namespace

absl::StatusOr<Policy> Policy::FromText(std::string_view text) {
  std::vector<std::string> errors;
  CollectErrors collector(&errors);
  TextFormat::ParseInfoTree tree;
  TextFormat::Parser parser;
  parser.RecordErrorsTo(&collector);
  parser.WriteLocationsTo(&tree);
  v1::Policy proto;
  if (!parser.ParseFromString(std::string(text), &proto)) {
    if (errors.empty()) errors.push_back("policy does not parse");
    return absl::InvalidArgumentError(absl::StrJoin(errors, "\n"));
  }
  errors = Validator(proto, tree).Run();
  if (!errors.empty()) return absl::InvalidArgumentError(absl::StrJoin(errors, "\n"));
  return Policy(std::move(proto));
}

}  // namespace confidant::policy
