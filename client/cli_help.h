// Help for the `confidant` CLI, written for the volunteers and staff who use it: an overview of
// every command grouped by who uses it, detailed help per command (and per subcommand), and the
// checks that let `confidant help`, `confidant get --help` or `confidant -h` answer before any
// flag is parsed, identity loaded or server contacted.
//
// All functions are pure apart from reading the process's Abseil flag registry (to know which
// flags take a value), and are thread-safe. Nothing here ever prints an argument other than the
// command word (which is not secret), and that only truncated and with control bytes replaced.
#ifndef CONFIDANT_CLIENT_CLI_HELP_H_
#define CONFIDANT_CLIENT_CLI_HELP_H_

#include <optional>
#include <ostream>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"

namespace confidant::client {

// What `confidant help` and `confidant` with no command print: usage, the commands grouped by
// who uses them, the global flags and environment variables, and the exit codes.
std::string CliOverview();

// Detailed help for one command: summary, usage, what it does and who may use it, its flags and
// examples. For commands with subcommands (operator, audit, policy, break-glass, erasure, outbox,
// dev) an empty or unknown `subcommand` gives the command's overview listing its subcommands, and
// a known one gives that subcommand's help. For other commands `subcommand` is ignored (it may be
// an operand, e.g. a record id). nullopt if `command` is not a confidant command.
std::optional<std::string> CommandHelp(std::string_view command, std::string_view subcommand);

// The names of the top-level commands ("submit", "break-glass", ..., "help").
const std::vector<std::string_view>& CommandNames();

// True if `word` is a top-level command.
bool IsCommand(std::string_view word);

// Optimal string alignment distance: insertions, deletions, substitutions and swaps of two
// neighbouring letters each count one.
size_t EditDistance(std::string_view a, std::string_view b);

// The top-level command closest to `word` by edit distance (a swap of two neighbouring letters
// counts as one edit), if it is close enough to be a likely typo, or the only command `word` is
// a prefix of (at least 3 letters). nullopt otherwise.
std::optional<std::string> ClosestCommand(std::string_view word);

// `unknown command "X"; run 'confidant help'`, plus ` (did you mean "Y"?)` when ClosestCommand
// finds one. X is truncated to 40 bytes and non-printable bytes are shown as '?'.
std::string UnknownCommandMessage(std::string_view word);

// The positional words of argv[1..argc) (the command, its subcommand and operands), skipping
// flags: `--name=value`, `--name` (a boolean, or an unknown flag) and `--name value` (a
// registered non-boolean Abseil flag, looked up with dashes read as underscores). Everything after
// a bare "--" is a word. `argv` must hold `argc` valid C strings.
std::vector<std::string> CommandWords(int argc, char** argv);

// True if the command line asks for help: `-h`, `--help` or `-help` (or `--help=...`) anywhere
// before a bare "--" and not as the value of a flag, or the command word `help`.
bool WantsHelp(int argc, char** argv);

// To be called first thing in main(), before absl::ParseCommandLine and before any identity is
// needed. Returns the exit code if it handled the command line:
// - help asked for, or no command at all: prints CliOverview() or CommandHelp(...) on `out`, 0;
// - `help X` for an unknown X, or an unknown command word: one line on `err`, 2.
// Returns nullopt if the command line is for a real command (which may still be misused), or
// asks only for one of Abseil's own usage flags (--helpfull, --version, ...).
std::optional<int> HandleHelp(int argc, char** argv, std::ostream& out, std::ostream& err);

// INVALID_ARGUMENT for a known command used the wrong way (missing operand, unknown subcommand):
// "usage: confidant get RECORD_ID --purpose CODE ..." and "run 'confidant help get' for
// details" on a second line. An unknown `command` gives UnknownCommandMessage, an empty one a
// pointer to `confidant help`.
absl::Status UsageError(std::string_view command, std::string_view subcommand);

// The same from the positional arguments absl::ParseCommandLine returned (args[0] is the
// program, args[1] the command, args[2] its subcommand or first operand).
absl::Status UsageError(const std::vector<char*>& args);

// True for a status made by UsageError or CheckUsage, which the CLI prints without its code
// ("confidant: usage: ..." rather than "confidant: INVALID_ARGUMENT: usage: ...").
bool IsUsageError(const absl::Status& status);

// OK if `args` (as absl::ParseCommandLine returned them) name a known command, and subcommand
// where it has them, with as many operands as its usage line shows; UsageError(args) otherwise.
// Checks only the shape, before any identity is loaded: `confidant get` with no record id is a
// usage error, not "no identity". Flags are checked by the command itself.
absl::Status CheckUsage(const std::vector<char*>& args);

}  // namespace confidant::client

#endif  // CONFIDANT_CLIENT_CLI_HELP_H_
