#include "client/cli_flags.h"

#include <algorithm>
#include <iterator>
#include <optional>
#include <string_view>

#include "absl/flags/commandlineflag.h"
#include "absl/flags/reflection.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "client/cli_help.h"

namespace confidant::client {
namespace {

// How the user would type `name` (Abseil registers dev_dir; the CLI accepts --dev-dir too).
std::string Shown(std::string_view name) {
  return absl::StrCat("--", absl::StrReplaceAll(std::string(name), {{"_", "-"}}));
}

// The registered flag of this program closest to `name`, if close enough to be a typo. Abseil's
// own flags (--flagfile, --fromenv, ...) are never suggested.
std::optional<std::string> ClosestFlag(std::string_view name) {
  if (name.size() > 40) return std::nullopt;
  const size_t limit = name.size() <= 4 ? 1 : 2;
  std::optional<std::string> best;
  size_t best_distance = limit + 1;
  for (const auto& [registered, flag] : absl::GetAllFlags()) {
    if (flag->Filename().find("absl/") != std::string::npos) continue;
    const size_t distance = EditDistance(name, std::string(registered));
    if (distance < best_distance || (distance == best_distance && best.has_value() &&
                                     std::string(registered) < *best)) {
      best_distance = distance;
      best = std::string(registered);
    }
  }
  return best;
}

absl::Status Unknown(std::string_view name) {
  std::string message = absl::StrCat("unknown flag ", Shown(name));
  if (std::optional<std::string> closest = ClosestFlag(name)) {
    absl::StrAppend(&message, " (did you mean ", Shown(*closest), "?)");
  }
  absl::StrAppend(&message, "; run 'confidant help COMMAND' for its flags");
  return absl::InvalidArgumentError(message);
}

}  // namespace

absl::Status CheckCommandLineFlags(const std::vector<std::string>& args) {
  for (size_t i = 1; i < args.size(); ++i) {
    const std::string& arg = args[i];
    if (arg == "--") break;
    if (arg.size() < 2 || arg[0] != '-') continue;
    std::string_view body(arg);
    body.remove_prefix(body.starts_with("--") ? 2 : 1);
    const size_t equals = body.find('=');
    const std::string name(body.substr(0, equals));
    std::optional<std::string> value;
    if (equals != std::string_view::npos) value = std::string(body.substr(equals + 1));
    if (name.empty()) return absl::InvalidArgumentError(absl::StrCat("unknown flag ", arg));

    // Abseil's own usage and flag-file flags are handled by its parser, not registered.
    static constexpr std::string_view kAbseilFlags[] = {
        "helpfull", "helpshort", "helppackage", "helpon", "helpmatch", "version",
        "only_check_args", "flagfile", "fromenv", "tryfromenv", "undefok"};
    if (std::find(std::begin(kAbseilFlags), std::end(kAbseilFlags), name) !=
        std::end(kAbseilFlags)) {
      break;  // Abseil takes over from here (its values need not be checked first)
    }
    absl::CommandLineFlag* flag = absl::FindCommandLineFlag(name);
    if (flag == nullptr && name.starts_with("no")) {
      absl::CommandLineFlag* negated = absl::FindCommandLineFlag(name.substr(2));
      if (negated != nullptr && negated->IsOfType<bool>()) {
        if (value.has_value()) {
          return absl::InvalidArgumentError(absl::StrCat(Shown(name), " takes no value"));
        }
        continue;
      }
    }
    if (flag == nullptr || flag->IsRetired()) return Unknown(name);
    if (flag->IsOfType<bool>() && !value.has_value()) continue;
    if (!value.has_value()) {
      if (i + 1 >= args.size()) {
        return absl::InvalidArgumentError(absl::StrCat(Shown(name), " needs a value"));
      }
      value = args[++i];
    }
    std::string error;
    if (!flag->ParseFrom(*value, &error)) {
      return absl::InvalidArgumentError(
          absl::StrCat(Shown(name), ": not a valid value (", error, ")"));
    }
  }
  return absl::OkStatus();
}

}  // namespace confidant::client
