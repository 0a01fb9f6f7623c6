// Retention per record class: the loader's checks of settings.retention_classes and the
// policy's answers for a record's class.
#include <algorithm>
#include <set>
#include <string>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "policy/loader_checks.h"
#include "policy/policy.h"

namespace confidant::policy {

bool Policy::DeclaresRecordClass(std::string_view record_class) const {
  if (record_class.empty() || record_class == kDefaultRecordClass) return true;
  const auto& classes = proto_.settings().retention_classes();
  return std::any_of(classes.begin(), classes.end(),
                     [&](const v1::RetentionClass& c) { return c.name() == record_class; });
}

int64_t Policy::RetentionDaysFor(std::string_view record_class) const {
  if (record_class.empty() || record_class == kDefaultRecordClass) return retention_days();
  int64_t longest = retention_days();
  for (const v1::RetentionClass& c : proto_.settings().retention_classes()) {
    if (c.name() == record_class) return c.days();
    longest = std::max<int64_t>(longest, c.days());
  }
  return longest;
}

namespace internal {
namespace {

bool ValidClassName(const std::string& name) {
  if (name.empty() || name.size() > kMaxRecordClassNameLength) return false;
  return std::all_of(name.begin(), name.end(), [](char c) {
    return absl::ascii_islower(c) || absl::ascii_isdigit(c) || c == '-' || c == '_';
  });
}

}  // namespace

void CheckRetentionClasses(const v1::Settings& settings, const Locator& at, int block,
                           Errors& errors) {
  const auto& classes = settings.retention_classes();
  if (static_cast<size_t>(classes.size()) > kMaxRetentionClasses) {
    errors.At({at.Line("retention_classes"), block},
              absl::StrCat("at most ", kMaxRetentionClasses, " retention_classes"));
  }
  const uint32_t window_hours =
      settings.amendment_window_hours() == 0 ? 72 : settings.amendment_window_hours();
  std::set<std::string> seen;
  for (int i = 0; i < classes.size(); ++i) {
    const v1::RetentionClass& c = classes[i];
    const Locator item = at.Nested("retention_classes", i);
    const int line = at.Line("retention_classes", i);
    if (!ValidClassName(c.name())) {
      errors.At({item.Line("name"), line, block},
                absl::StrCat("retention class name \"", c.name().substr(0, 40),
                             "\": 1 to ", kMaxRecordClassNameLength,
                             " characters of a-z, 0-9, '-' and '_'"));
    } else if (c.name() == kDefaultRecordClass) {
      errors.At({item.Line("name"), line, block},
                "retention class \"default\" is the default class: set retention_days instead");
    } else if (!seen.insert(c.name()).second) {
      errors.At({item.Line("name"), line, block},
                absl::StrCat("retention class \"", c.name(), "\" is declared twice"));
    }
    if (c.days() == 0 || c.days() > kMaxRetentionDays) {
      errors.At({item.Line("days"), line, block},
                absl::StrCat("retention class \"", c.name().substr(0, 40), "\": days must be 1 to ",
                             kMaxRetentionDays));
    } else if (uint64_t{c.days()} * 24 < window_hours) {
      errors.At({item.Line("days"), line, block},
                absl::StrCat("retention class \"", c.name(), "\": ", c.days(),
                             " days is shorter than the amendment window (", window_hours,
                             " hours): a record must not be shredded while it may be amended"));
    }
  }
}

}  // namespace internal
}  // namespace confidant::policy
