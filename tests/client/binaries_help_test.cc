// Every binary answers --help, -h and `help` with a real usage text and exit code 0, before any
// flag is parsed and with no identity, dev folder or server: not Abseil's "No flags matched".
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <sstream>
#include <string>
#include <vector>

#include "base/files.h"
#include "client/cli_help.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/e2e/child_process.h"

namespace confidant::testing {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;
using ::testing::StartsWith;

struct Ran {
  int exit_code = -1;  // -1: could not run, or killed by a signal
  std::string out;
  std::string err;
};

// Runs `args` with no CONFIDANT_* variable in its environment, so nothing can come from a dev
// folder or an identity.
Ran RunClean(const std::vector<std::string>& args) {
  const std::string dir = std::filesystem::temp_directory_path() /
                          ("confidant-help-" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  std::filesystem::remove(dir + "/out");
  std::filesystem::remove(dir + "/err");
  const pid_t pid = SpawnProcess(args, dir + "/out", dir + "/err", {},
                                 {"CONFIDANT_SERVER", "CONFIDANT_IDENTITY", "CONFIDANT_DEV_DIR",
                                  "CONFIDANT_REPORTING_SERVER"});
  Ran ran;
  int status = 0;
  if (pid > 0 && waitpid(pid, &status, 0) == pid && WIFEXITED(status)) {
    ran.exit_code = WEXITSTATUS(status);
  }
  ran.out = ReadFile(dir + "/out").value_or("");
  ran.err = ReadFile(dir + "/err").value_or("");
  std::error_code ec;
  std::filesystem::remove_all(dir, ec);
  return ran;
}

const char* const kBinaries[] = {CONFIDANT_CLI_PATH, CONFIDANTD_PATH, CONFIDANT_REPORT_PATH,
                                 CONFIDANT_WITNESS_PATH, CONFIDANT_LOADGEN_PATH};

TEST(BinariesHelpTest, EveryBinaryPrintsItsUsageForHelpAndExitsZero) {
  for (const char* binary : kBinaries) {
    for (const char* ask : {"--help", "-h", "help"}) {
      const Ran ran = RunClean({binary, ask});
      EXPECT_EQ(ran.exit_code, 0) << binary << " " << ask << "\n" << ran.err;
      EXPECT_THAT(ran.out, HasSubstr("Usage:\n")) << binary << " " << ask;
      EXPECT_THAT(ran.out, Not(HasSubstr("No flags matched"))) << binary << " " << ask;
      EXPECT_EQ(ran.err, "") << binary << " " << ask;
    }
  }
}

TEST(BinariesHelpTest, ServerAndToolsListTheirFlagsWithDefaults) {
  EXPECT_THAT(RunClean({CONFIDANTD_PATH, "--help"}).out,
              ::testing::AllOf(HasSubstr("--dev-dir"), HasSubstr("--listen  (default: 127.0.0.1:7443)"),
                               HasSubstr("--reporting-listen"), HasSubstr("Examples:")));
  EXPECT_THAT(RunClean({CONFIDANT_WITNESS_PATH, "--help"}).out,
              ::testing::AllOf(HasSubstr("--pusher"), HasSubstr("--listen  (default: 127.0.0.1:7445)")));
  EXPECT_THAT(RunClean({CONFIDANT_LOADGEN_PATH, "--help"}).out,
              ::testing::AllOf(HasSubstr("--clients  (default: 1)"), HasSubstr("--mix")));
}

TEST(BinariesHelpTest, HelpComesBeforeOtherFlagsAreChecked) {
  // Flags that would otherwise be refused (production without its files, loadgen without
  // --dev-dir) do not stand in the way of --help.
  EXPECT_EQ(RunClean({CONFIDANTD_PATH, "--data-dir", "/nonexistent", "--help"}).exit_code, 0);
  EXPECT_EQ(RunClean({CONFIDANT_LOADGEN_PATH, "--clients", "0", "-h"}).exit_code, 0);
}

TEST(ConfidantHelpTest, NeedsNoIdentityAndExplainsCommands) {
  const Ran overview = RunClean({CONFIDANT_CLI_PATH, "help"});
  EXPECT_THAT(overview.out, HasSubstr("Visit teams:"));
  EXPECT_EQ(overview.exit_code, 0);
  EXPECT_THAT(overview.out + overview.err, Not(HasSubstr("no identity:")));

  const Ran get = RunClean({CONFIDANT_CLI_PATH, "get", "--help"});
  EXPECT_EQ(get.exit_code, 0) << get.err;
  EXPECT_THAT(get.out, StartsWith("confidant get: "));
  EXPECT_EQ(RunClean({CONFIDANT_CLI_PATH, "help", "get"}).out, get.out);

  const Ran unseal = RunClean({CONFIDANT_CLI_PATH, "operator", "unseal", "--help"});
  EXPECT_EQ(unseal.exit_code, 0) << unseal.err;
  EXPECT_THAT(unseal.out, StartsWith("confidant operator unseal: "));

  const Ran submit = RunClean({CONFIDANT_CLI_PATH, "help", "submit"});
  EXPECT_EQ(submit.exit_code, 0);
  EXPECT_THAT(submit.out, HasSubstr("--remove-source"));
}

TEST(ConfidantHelpTest, AnUnknownCommandIsAUsageErrorWithASuggestion) {
  const Ran typo = RunClean({CONFIDANT_CLI_PATH, "sumbit", "record.json"});
  EXPECT_EQ(typo.exit_code, 2);
  EXPECT_THAT(typo.err, HasSubstr("unknown command \"sumbit\"; run 'confidant help'"));
  EXPECT_THAT(typo.err, HasSubstr("did you mean \"submit\""));
  EXPECT_THAT(typo.err, Not(HasSubstr("no identity:")));
}

// A misspelt flag, a missing value and a bad value are usage errors (exit 2) in the CLI's own
// format, checked before any identity or server is needed; not Abseil's exit 1.
TEST(ConfidantHelpTest, FlagMistakesAreUsageErrorsWithASuggestion) {
  const Ran typo = RunClean({CONFIDANT_CLI_PATH, "list", "--facilty", "qc-lav-ihc"});
  EXPECT_EQ(typo.exit_code, 2);
  EXPECT_THAT(typo.err, StartsWith("confidant: unknown flag --facilty (did you mean --facility?)"));
  EXPECT_THAT(typo.err, Not(HasSubstr("ERROR")));
  const Ran dashed = RunClean({CONFIDANT_CLI_PATH, "outbox", "flush", "--retry-fro", "60"});
  EXPECT_EQ(dashed.exit_code, 2);
  EXPECT_THAT(dashed.err, HasSubstr("did you mean --retry-for?"));
  const Ran missing = RunClean({CONFIDANT_CLI_PATH, "audit", "tail", "--count"});
  EXPECT_EQ(missing.exit_code, 2);
  EXPECT_THAT(missing.err, HasSubstr("confidant: --count needs a value"));
  const Ran bad = RunClean({CONFIDANT_CLI_PATH, "audit", "tail", "--count=many"});
  EXPECT_EQ(bad.exit_code, 2);
  EXPECT_THAT(bad.err, HasSubstr("confidant: --count: not a valid value"));
  const Ran flagged = RunClean({CONFIDANT_CLI_PATH, "audit", "tail", "--flagged=maybe"});
  EXPECT_EQ(flagged.exit_code, 2);
  // Everything after a bare "--" is an operand, never a flag.
  const Ran operand = RunClean({CONFIDANT_CLI_PATH, "get", "--", "--not-a-flag"});
  EXPECT_THAT(operand.err, Not(HasSubstr("unknown flag")));
}

// Every flag the CLI defines (Abseil's --helpfull lists them by file; Abseil's own are skipped) is
// explained somewhere in the CLI's help: a new flag without help fails here.
TEST(ConfidantHelpTest, EveryFlagOfTheCliIsInItsHelp) {
  const Ran full = RunClean({CONFIDANT_CLI_PATH, "--helpfull"});
  std::string all_help = client::CliOverview();
  for (std::string_view command : client::CommandNames()) {
    all_help += *client::CommandHelp(command, "");
    for (const char* sub : {"status", "flush", "wipe", "request", "list", "approve", "reject",
                            "verify", "tail", "show", "export", "sign", "check", "explain",
                            "who-can", "reload", "init", "unseal", "reset-unseal",
                            "approve-restore", "seal", "shred", "rotate", "rewrap", "backup",
                            "verify-backup", "reshare", "reset-reshare", "revise-release",
                            "seed"}) {
      all_help += *client::CommandHelp(command, sub);
    }
  }
  std::istringstream lines(full.out);
  bool in_cli = false;
  int flags = 0;
  for (std::string line; std::getline(lines, line);) {
    if (line.rfind("  Flags from ", 0) == 0) in_cli = line.find("absl/") == std::string::npos;
    if (!in_cli || line.rfind("    --", 0) != 0) continue;
    std::string name = line.substr(6, line.find_first_of(" (", 6) - 6);
    for (char& c : name) c = c == '_' ? '-' : c;
    EXPECT_THAT(all_help, HasSubstr("--" + name)) << "no help mentions --" << name;
    ++flags;
  }
  EXPECT_GT(flags, 20) << full.out;
}

TEST(ReportHelpTest, ExplainsItsServerAndRefusesUnknownCommands) {
  const Ran help = RunClean({CONFIDANT_REPORT_PATH, "--help"});
  EXPECT_THAT(help.out, HasSubstr("CONFIDANT_REPORTING_SERVER"));
  EXPECT_THAT(help.out, HasSubstr("CONFIDANT_SERVER is NOT used"));
  const Ran table = RunClean({CONFIDANT_REPORT_PATH, "help", "table"});
  EXPECT_EQ(table.exit_code, 0);
  EXPECT_THAT(table.out, StartsWith("confidant-report table: "));
  EXPECT_THAT(table.out, HasSubstr("--period PERIOD"));

  const Ran unknown = RunClean({CONFIDANT_REPORT_PATH, "tables"});
  EXPECT_EQ(unknown.exit_code, 2);
  EXPECT_THAT(unknown.err, HasSubstr("unknown command \"tables\"; run 'confidant-report help'"));
  const Ran missing = RunClean({CONFIDANT_REPORT_PATH, "table"});
  EXPECT_EQ(missing.exit_code, 2);
  EXPECT_THAT(missing.err, HasSubstr("run 'confidant-report help table'"));
}

}  // namespace
}  // namespace confidant::testing
