// The flags one source file defines, listed from Abseil's registry for a binary's --help, so
// defaults and help texts never drift from the definitions. Header-only.
#ifndef CONFIDANT_BASE_FLAGS_HELP_H_
#define CONFIDANT_BASE_FLAGS_HELP_H_

#include <algorithm>
#include <string>
#include <vector>

#include "absl/flags/reflection.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "absl/strings/str_split.h"
#include "absl/strings/string_view.h"

namespace confidant {

// "  --name  (default: V)" and the help wrapped under it, for each flag defined in
// `defining_file` (pass __FILE__), sorted by name.
inline std::string FlagsHelp(absl::string_view defining_file) {
  std::vector<absl::CommandLineFlag*> flags;
  for (const auto& [name, flag] : absl::GetAllFlags()) {
    if (!flag->Filename().empty() && absl::EndsWith(defining_file, flag->Filename())) {
      flags.push_back(flag);
    }
  }
  std::sort(flags.begin(), flags.end(),
            [](const auto* a, const auto* b) { return a->Name() < b->Name(); });
  std::string out;
  for (const absl::CommandLineFlag* flag : flags) {
    const std::string value = flag->DefaultValue();
    absl::StrAppend(&out, "  --", absl::StrReplaceAll(flag->Name(), {{"_", "-"}}),
                    value.empty() || value == "false" ? "" : absl::StrCat("  (default: ", value, ")"));
    size_t column = 80;  // the help starts on a new line
    for (absl::string_view word : absl::StrSplit(flag->Help(), ' ', absl::SkipEmpty())) {
      if (column + 1 + word.size() > 80) {
        absl::StrAppend(&out, "\n      ", word);
        column = 6 + word.size();
      } else {
        absl::StrAppend(&out, " ", word);
        column += 1 + word.size();
      }
    }
    out += "\n";
  }
  return out;
}

}  // namespace confidant

#endif  // CONFIDANT_BASE_FLAGS_HELP_H_
