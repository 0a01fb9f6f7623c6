// Internal to policy/: the validation passes behind Policy::FromText, and the helpers that give
// each problem the 1-based line of the offending field. Not part of the public API.
#ifndef CONFIDANT_POLICY_LOADER_CHECKS_H_
#define CONFIDANT_POLICY_LOADER_CHECKS_H_

#include <cstdint>
#include <initializer_list>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "google/protobuf/text_format.h"
#include "policy/policy.h"
#include "policy/policy.pb.h"

namespace confidant::policy::internal {

// Finds the lines of fields in one (possibly absent) message of the parse tree.
class Locator {
 public:
  Locator(const google::protobuf::TextFormat::ParseInfoTree* tree,
          const google::protobuf::Descriptor* descriptor)
      : tree_(tree), descriptor_(descriptor) {}

  // 0-based line of `field` (item `index` of a repeated field), or -1 if it is not in the text.
  // A list written as [a, b] records one location, so later items fall back to the first.
  int Line(const char* field, int index = 0) const;
  // The locator of the nested message `field` (item `index` of a repeated field).
  Locator Nested(const char* field, int index = 0) const;

 private:
  const google::protobuf::FieldDescriptor* Field(const char* field) const;

  const google::protobuf::TextFormat::ParseInfoTree* tree_;
  const google::protobuf::Descriptor* descriptor_;
};

// Collects problems as "line N: message", using the first known line of the candidates.
class Errors {
 public:
  void At(std::initializer_list<int> lines, std::string_view message);
  const std::vector<std::string>& list() const { return errors_; }

 private:
  std::vector<std::string> errors_;
};

// Role grants, purpose rules and settings.
void CheckGrants(const v1::Policy& policy, const Locator& root, Errors& errors);
void CheckPurposeRules(const v1::Policy& policy, const Locator& root, Errors& errors);
void CheckSettings(const v1::Policy& policy, const Locator& root, Errors& errors);
// settings.retention_classes (policy/retention_classes.cc); `block` is the settings line.
void CheckRetentionClasses(const v1::Settings& settings, const Locator& at, int block,
                           Errors& errors);

// Policy.reporting: the facility list and the catalogue (policy/catalogue.cc).
void CheckReporting(const v1::Policy& policy, const Locator& root, Errors& errors);

// Persons; fills `windows` for persons with valid dates.
void CheckPersons(const v1::Policy& policy, const Locator& root, Errors& errors,
                  std::map<std::string, ValidityWindow>& windows);

// Whether the policy's grant for `role` lets it read sections.
bool GrantReads(const v1::Policy& policy, v1::Role role);

}  // namespace confidant::policy::internal

#endif  // CONFIDANT_POLICY_LOADER_CHECKS_H_
