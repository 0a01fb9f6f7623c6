// Checks the flags of a `confidant` command line before Abseil parses it. Abseil's parser exits
// with status 1 and its own wording on an unknown flag or a bad value; the CLI's usage errors
// exit 2 in its own format ("confidant: ..."), with a suggestion for a misspelt flag.
#ifndef CONFIDANT_CLIENT_CLI_FLAGS_H_
#define CONFIDANT_CLIENT_CLI_FLAGS_H_

#include <string>
#include <vector>

#include "absl/status/status.h"

namespace confidant::client {

// `args` is argv after NormalizeFlagNames (base/flag_names.h). OK when every flag before a bare
// "--" is registered and its value parses; else INVALID_ARGUMENT, one of:
//   "unknown flag --X (did you mean --Y?); run 'confidant help COMMAND' for its flags"
//   "--X needs a value", "--X takes no value", "--X: not a valid value (...)".
// Values are parsed into the flags (absl::ParseCommandLine sets them again, to the same).
absl::Status CheckCommandLineFlags(const std::vector<std::string>& args);

}  // namespace confidant::client

#endif  // CONFIDANT_CLIENT_CLI_FLAGS_H_
