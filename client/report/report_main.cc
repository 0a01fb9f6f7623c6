// confidant-report: the reporting client. Thin: flags, identity, one subcommand. Links only the
// reporting stub (a test checks the binary's symbols).
#include <sys/stat.h>

#include <algorithm>
#include <cstdlib>
#include <iostream>
#include <optional>
#include <string>
#include <vector>

#include "base/flags_help.h"
#include "absl/flags/commandlineflag.h"
#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/flags/reflection.h"
#include "absl/flags/usage.h"
#include "absl/status/status.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "base/flag_names.h"
#include "base/status_macros.h"
#include "client/report/report_channel.h"
#include "client/report/report_commands.h"
#include "client/report/report_verify.h"
#include "crypto/init.h"

ABSL_FLAG(std::string, server, "",
          "Reporting service address host:port; default $CONFIDANT_REPORTING_SERVER, else "
          "127.0.0.1:7444 ($CONFIDANT_SERVER is the record port and is not used)");
ABSL_FLAG(std::string, identity, "",
          "Identity folder (ca.crt client.crt client.key); default $CONFIDANT_IDENTITY, else "
          "$CONFIDANT_DEV_DIR/identities/reporting, else ./confidant-dev/identities/reporting");
ABSL_FLAG(std::string, period, "", "table: the period, e.g. 2026Q3 or 2026");
ABSL_FLAG(std::string, format, "table", "table: table, csv or json");
ABSL_FLAG(int, version, 0, "table: the release version (0: the newest; revisions are new versions)");
ABSL_FLAG(std::string, chart, "", "table: also write the table as an SVG bar chart to this file");
ABSL_FLAG(std::string, release_key, "",
          "table: require this release key (base64 of 32 bytes, or a file holding it)");

namespace confidant::report {
namespace {

constexpr char kDefaultServer[] = "127.0.0.1:7444";

// --server, else $CONFIDANT_REPORTING_SERVER, else the vault's default reporting listener. Never
// $CONFIDANT_SERVER: that names the record port, which refuses reporting identities.
std::string ServerAddress() {
  if (std::string flag = absl::GetFlag(FLAGS_server); !flag.empty()) return flag;
  const char* env = std::getenv("CONFIDANT_REPORTING_SERVER");
  return env != nullptr && *env != '\0' ? env : kDefaultServer;
}

// One command's help: usage (after "confidant-report "), what it does, its flags, examples.
struct CommandDoc {
  absl::string_view name;
  absl::string_view summary;
  absl::string_view usage;
  absl::string_view about;
  absl::string_view examples;
  size_t operands;  // how many words follow the command name
};

constexpr CommandDoc kCommands[] = {
    {"catalogue", "The tables, their privacy budgets and the periods released", "catalogue",
     "Lists every table of the catalogue: what it counts, by what, per which period,\n"
     "the privacy budget (epsilon) each release spends, and the periods released so\n"
     "far. It ends with the vault's release key: pin it with\n"
     "'confidant-report table --release-key KEY'.\n",
     "  confidant-report catalogue\n", 0},
    {"table", "One frozen, signed, noisy release of a table",
     "table TABLE_ID --period PERIOD [--version N]\n"
     "                   [--format table|csv|json] [--chart OUT.svg] [--release-key KEY]",
     "Fetches the release of TABLE_ID for PERIOD (a quarter such as 2026Q3, or a year\n"
     "such as 2026), checks the vault's signature on it and prints it. Nothing is\n"
     "printed or written for a release that does not verify.\n\n"
     "Every number is noisy, on purpose, so that no one person can be picked out:\n"
     "read each with the 95% interval the release states. Values under 10 show as\n"
     "<10; small differences between periods or facilities mean nothing. A release\n"
     "never changes; a revision is a new version.\n\n"
     "Flags:\n"
     "  --period PERIOD     The period: 2026Q3, or 2026 for a yearly table (required)\n"
     "  --version N         One version of the release (default: the newest)\n"
     "  --format FORMAT     table (default), csv or json\n"
     "  --chart OUT.svg     Also write the table as an SVG bar chart\n"
     "  --release-key KEY   Require the vault's release key (base64, or a file holding\n"
     "                      it), as 'confidant-report catalogue' prints it\n",
     "  confidant-report table persons-by-facility --period 2026Q3\n"
     "  confidant-report table persons-by-facility --period 2026Q3 --format csv\n"
     "  confidant-report table persons-by-facility --period 2026Q3 --chart q3.svg\n", 1},
    {"ledger", "The privacy ledger: every release and the budget it spent", "ledger",
     "Prints the privacy ledger, a hash chain of every release (and every period\n"
     "withheld): table, period, version, the budget it spent and the year's total,\n"
     "and the ledger's head, which the vault's audit log covers.\n",
     "  confidant-report ledger\n", 0},
};

const CommandDoc* FindCommand(absl::string_view name) {
  for (const CommandDoc& doc : kCommands) {
    if (doc.name == name) return &doc;
  }
  return nullptr;
}

constexpr char kIntro[] = R"(confidant-report: published statistics from a Confidant vault.

Reports never show records. They show releases: tables the vault computed once
per period, froze, signed and made noisy so that no one person can be picked
out. This tool fetches them, checks the vault's signature and prints them.
Who: persons whose only role is reporting.

Usage:
  confidant-report [--server HOST:PORT] [--identity DIR] COMMAND ...
  confidant-report help [COMMAND]

Commands:
)";

constexpr char kOutro[] = R"(
Environment:
  CONFIDANT_REPORTING_SERVER  Default for --server; without it, 127.0.0.1:7444.
  CONFIDANT_IDENTITY          Default for --identity.
  CONFIDANT_DEV_DIR           Without an identity, use the dev vault's
                              $CONFIDANT_DEV_DIR/identities/reporting.
  CONFIDANT_SERVER is NOT used: it names the vault's record port, which refuses
  reporting identities. Reports come from the reporting port (7444 by default).

Exit codes:
  0  Done.
  1  Failed: the vault refused, or a release did not verify.
  2  Bad usage: nothing was sent.

Examples:
  confidant-report catalogue
  confidant-report table persons-by-facility --period 2026Q3
  confidant-report ledger
)";

std::string Overview() {
  std::string out = kIntro;
  for (const CommandDoc& doc : kCommands) {
    absl::StrAppend(&out, "  ", doc.name, std::string(12 - doc.name.size(), ' '), doc.summary, "\n");
  }
  absl::StrAppend(&out,
                  "\nRun 'confidant-report help COMMAND' or 'confidant-report COMMAND --help'\n"
                  "for details.\n\nFlags (--flag-name and --flag_name both work):\n",
                  ::confidant::FlagsHelp(__FILE__), kOutro);
  return out;
}

std::string CommandHelp(const CommandDoc& doc) {
  return absl::StrCat("confidant-report ", doc.name, ": ", doc.summary,
                      "\n\nUsage:\n  confidant-report ", doc.usage, "\n\n", doc.about,
                      "\nExamples:\n", doc.examples,
                      "\nServer, identity and exit codes: run 'confidant-report help'.\n");
}

// A registered non-boolean flag takes the next argument as its value ("--period 2026Q3").
bool TakesValue(absl::string_view name) {
  const absl::CommandLineFlag* flag =
      absl::FindCommandLineFlag(absl::StrReplaceAll(name, {{"-", "_"}}));
  return flag != nullptr && !flag->IsOfType<bool>();
}

// The command word is not secret; it is still shown only in part, and printable.
std::string UnknownCommand(absl::string_view word) {
  std::string shown(word.substr(0, 40));
  for (char& c : shown) {
    if (c < 0x20 || c > 0x7e) c = '?';
  }
  return absl::StrCat("unknown command \"", shown, "\"; run 'confidant-report help'");
}

// Before Abseil parses flags (its own --help lists only flags defined in files named after the
// program, and finds none here): -h, --help, `help [COMMAND]` or `COMMAND --help` print help
// and give 0; `help X` for an unknown X gives 2. nullopt: not a request for help.
std::optional<int> HandleHelp(int argc, char** argv) {
  std::vector<absl::string_view> words;
  bool help = false;
  for (int i = 1; i < argc; ++i) {
    const absl::string_view arg = argv[i];
    if (arg == "--") break;
    if (arg.size() < 2 || arg[0] != '-') {
      words.push_back(arg);
      continue;
    }
    absl::string_view name = absl::StripPrefix(absl::StripPrefix(arg, "-"), "-");
    const bool inline_value = absl::StrContains(name, '=');
    name = name.substr(0, name.find('='));
    if (name == "h" || name == "help" || name == "helpshort") {
      help = true;
    } else if (!inline_value && TakesValue(name)) {
      ++i;  // the flag's value, never a command word
    }
  }
  if (!words.empty() && words[0] == "help") {
    help = true;
    words.erase(words.begin());
  }
  if (!help) return std::nullopt;
  if (words.empty()) {
    std::cout << Overview();
    return 0;
  }
  if (const CommandDoc* doc = FindCommand(words[0])) {
    std::cout << CommandHelp(*doc);
    return 0;
  }
  std::cerr << "confidant-report: " << UnknownCommand(words[0]) << "\n";
  return 2;
}

// For a command line with a command (args.size() >= 2) whose command or operands are wrong: the
// message to print (exit 2, nothing sent). nullopt if it is well formed.
std::optional<std::string> UsageProblem(const std::vector<char*>& args) {
  const CommandDoc* doc = FindCommand(args[1]);
  if (doc == nullptr) return UnknownCommand(args[1]);
  if (args.size() - 2 != doc->operands) {
    return absl::StrCat("usage: confidant-report ", doc->usage, "\nrun 'confidant-report help ",
                        doc->name, "' for details");
  }
  return std::nullopt;
}

// `args` passed UsageProblem.
absl::Status Run(const std::vector<char*>& args) {
  const std::string command = args[1];
  TableOptions options;
  if (command == "table") {
    options.table_id = args[2];
    options.period = absl::GetFlag(FLAGS_period);
    options.format = absl::GetFlag(FLAGS_format);
    if (absl::GetFlag(FLAGS_version) < 0) return absl::InvalidArgumentError("--version: 0 or more");
    options.version = static_cast<uint32_t>(absl::GetFlag(FLAGS_version));
    options.chart_path = absl::GetFlag(FLAGS_chart);
    if (!absl::GetFlag(FLAGS_release_key).empty()) {
      ASSIGN_OR_RETURN(options.release_key, ParseReleaseKey(absl::GetFlag(FLAGS_release_key)));
    }
  }
  RETURN_IF_ERROR(crypto::InitCrypto());
  ASSIGN_OR_RETURN(ReportIdentity identity,
                   ReportIdentity::Load(ReportIdentityDir(absl::GetFlag(FLAGS_identity))));
  std::unique_ptr<v1::ReportingService::Stub> stub =
      v1::ReportingService::NewStub(MakeReportChannel(ServerAddress(), identity));
  if (command == "catalogue") return CatalogueCommand(*stub, std::cout);
  if (command == "ledger") return LedgerCommand(*stub, std::cout);
  return TableCommand(*stub, options, std::cout);
}

}  // namespace
}  // namespace confidant::report

int main(int argc, char** argv) {
  if (std::optional<int> code = confidant::report::HandleHelp(argc, argv)) return *code;
  ::umask(022);
  absl::SetProgramUsageMessage("confidant-report [--server H:P] catalogue|table|ledger ...; "
                               "run 'confidant-report help'");
  std::vector<std::string> normalized = confidant::NormalizeFlagNames(argc, argv);
  std::vector<char*> cargs;
  for (std::string& a : normalized) cargs.push_back(a.data());
  std::vector<char*> args = absl::ParseCommandLine(static_cast<int>(cargs.size()), cargs.data());
  if (args.size() < 2) {  // no command: what there is to do
    std::cout << confidant::report::Overview();
    return 2;
  }
  if (std::optional<std::string> problem = confidant::report::UsageProblem(args)) {
    std::cerr << "confidant-report: " << *problem << "\n";
    return 2;
  }
  if (absl::Status status = confidant::report::Run(args); !status.ok()) {
    std::cerr << "confidant-report: " << absl::StatusCodeToString(status.code()) << ": "
              << status.message() << "\n";
    return 1;
  }
  return 0;
}
