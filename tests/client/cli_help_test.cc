#include "client/cli_help.h"

#include <initializer_list>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

#include "absl/flags/flag.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

// A few of the confidant CLI's flags, so that CommandWords sees value flags and boolean ones as
// the real binary does (it asks Abseil's registry).
ABSL_FLAG(std::string, server, "", "test: a value flag");
ABSL_FLAG(std::string, purpose, "", "test: a value flag");
ABSL_FLAG(std::string, reason, "", "test: a value flag");
ABSL_FLAG(std::string, submission_id, "", "test: a value flag");
ABSL_FLAG(bool, follow, false, "test: a boolean flag");

namespace confidant::client {
namespace {

using ::testing::AllOf;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::Not;
using ::testing::Optional;
using ::testing::StartsWith;

// argv for the functions under test; the strings live as long as this object.
class Argv {
 public:
  Argv(std::initializer_list<std::string> args) : args_(args) {
    for (std::string& arg : args_) pointers_.push_back(arg.data());
  }
  int argc() const { return static_cast<int>(pointers_.size()); }
  char** argv() { return pointers_.data(); }

 private:
  std::vector<std::string> args_;
  std::vector<char*> pointers_;
};

bool WantsHelpFor(std::initializer_list<std::string> args) {
  Argv argv(args);
  return WantsHelp(argv.argc(), argv.argv());
}

std::vector<std::string> WordsOf(std::initializer_list<std::string> args) {
  Argv argv(args);
  return CommandWords(argv.argc(), argv.argv());
}

struct Handled {
  std::optional<int> code;
  std::string out;
  std::string err;
};

Handled Handle(std::initializer_list<std::string> args) {
  Argv argv(args);
  std::ostringstream out, err;
  Handled handled;
  handled.code = HandleHelp(argv.argc(), argv.argv(), out, err);
  handled.out = out.str();
  handled.err = err.str();
  return handled;
}

void ExpectLinesFit(const std::string& text) {
  std::istringstream lines(text);
  for (std::string line; std::getline(lines, line);) {
    if (line.find("$ confidant") != std::string::npos || line.find("  confidant ") == 0) continue;
    EXPECT_LE(line.size(), 80u) << line;
  }
}

const char* const kParents[] = {"outbox", "break-glass", "erasure", "audit", "policy", "operator",
                                "dev"};

TEST(CliOverviewTest, GroupsCommandsByWhoUsesThemAndNamesFlagsEnvironmentAndExitCodes) {
  const std::string overview = CliOverview();
  EXPECT_THAT(overview, HasSubstr("Usage:\n  confidant "));
  for (const char* group : {"Visit teams:", "Staff", "Auditors:", "Custodians:", "Governance",
                            "Development"}) {
    EXPECT_THAT(overview, HasSubstr(group));
  }
  for (const char* command : {"submit", "amend", "outbox", "get", "list", "history", "consent",
                              "break-glass", "erasure", "audit", "policy explain", "policy who-can",
                              "operator", "policy reload", "policy sign", "policy check",
                              "dev seed"}) {
    EXPECT_THAT(overview, HasSubstr(std::string("\n  ") + command + " ")) << command;
  }
  for (const char* name : {"--server", "--identity", "--as", "CONFIDANT_SERVER",
                           "CONFIDANT_IDENTITY", "CONFIDANT_DEV_DIR"}) {
    EXPECT_THAT(overview, HasSubstr(name));
  }
  EXPECT_THAT(overview, AllOf(HasSubstr("  0  Done"), HasSubstr("  1  Failed"),
                              HasSubstr("  2  Bad input or usage"),
                              HasSubstr("  3  Sealed and queued in the outbox"),
                              HasSubstr("confidant outbox flush")));
  EXPECT_THAT(overview, Not(HasSubstr("INVALID_ARGUMENT")));
  ExpectLinesFit(overview);
}

TEST(CommandHelpTest, EveryCommandHasUsageWhoItIsForAndExamples) {
  for (std::string_view name : CommandNames()) {
    const std::optional<std::string> help = CommandHelp(name, "");
    ASSERT_TRUE(help.has_value()) << name;
    EXPECT_THAT(*help, HasSubstr("Usage:\n  confidant " + std::string(name))) << name;
    EXPECT_THAT(*help, HasSubstr("Examples:\n  $ confidant ")) << name;
    ExpectLinesFit(*help);
  }
  for (const char* command : {"submit", "amend", "get", "list", "history", "consent"}) {
    EXPECT_THAT(*CommandHelp(command, ""), HasSubstr("Who: ")) << command;
  }
  EXPECT_THAT(*CommandHelp("submit", ""),
              AllOf(HasSubstr("--remove-source"), HasSubstr("outbox"), HasSubstr("3")));
  EXPECT_THAT(*CommandHelp("get", ""), AllOf(HasSubstr("--purpose CODE"), HasSubstr("follow_up")));
}

TEST(CommandHelpTest, CommandsWithSubcommandsListThemAndExplainEachOne) {
  for (const char* parent : kParents) {
    const std::string help = *CommandHelp(parent, "");
    EXPECT_THAT(help, HasSubstr("Subcommands:")) << parent;
    EXPECT_THAT(help, HasSubstr(std::string("confidant help ") + parent + " SUBCOMMAND"));
  }
  const std::string audit = *CommandHelp("audit", "");
  for (const char* sub : {"verify", "tail", "show", "export"}) {
    EXPECT_THAT(audit, HasSubstr(std::string("\n  ") + sub + " ")) << sub;
    EXPECT_THAT(CommandHelp("audit", sub),
                Optional(StartsWith(std::string("confidant audit ") + sub + ": ")));
  }
  EXPECT_THAT(CommandHelp("operator", "unseal"),
              Optional(HasSubstr("confidant operator unseal < SHARE_FILE")));
  EXPECT_THAT(CommandHelp("outbox", "flush"), Optional(HasSubstr("--retry-for SECONDS")));
  EXPECT_THAT(CommandHelp("outbox", "wipe"), Optional(HasSubstr("--yes")));
  EXPECT_THAT(CommandHelp("policy", "sign"), Optional(HasSubstr("--key KEYFILE")));
  EXPECT_THAT(CommandHelp("dev", "seed"), Optional(HasSubstr("--persons N")));
  // An unknown subcommand gives the command's overview.
  EXPECT_EQ(CommandHelp("operator", "frobnicate"), CommandHelp("operator", ""));
}

TEST(CommandHelpTest, AnOperandAfterACommandWithoutSubcommandsIsIgnored) {
  EXPECT_EQ(CommandHelp("get", "7d1f0c2a9b3e4f5a6c7d8e9f0a1b2c3d"), CommandHelp("get", ""));
}

TEST(CommandHelpTest, UnknownCommandHasNoHelp) {
  EXPECT_EQ(CommandHelp("frobnicate", ""), std::nullopt);
  EXPECT_EQ(CommandHelp("", ""), std::nullopt);
  EXPECT_EQ(CommandHelp("unseal", ""), std::nullopt);  // a subcommand, not a command
}

TEST(WantsHelpTest, HelpFlagsAnywhereAndTheHelpCommandAskForHelp) {
  EXPECT_TRUE(WantsHelpFor({"confidant", "get", "--help"}));
  EXPECT_TRUE(WantsHelpFor({"confidant", "help", "get"}));
  EXPECT_TRUE(WantsHelpFor({"confidant", "help"}));
  EXPECT_TRUE(WantsHelpFor({"confidant", "-h"}));
  EXPECT_TRUE(WantsHelpFor({"confidant", "-help"}));
  EXPECT_TRUE(WantsHelpFor({"confidant", "operator", "unseal", "--help"}));
  EXPECT_TRUE(WantsHelpFor({"confidant", "--server", "h:1", "help", "submit"}));
}

TEST(WantsHelpTest, OrdinaryCommandsAndFlagValuesDoNot) {
  EXPECT_FALSE(WantsHelpFor({"confidant"}));
  EXPECT_FALSE(WantsHelpFor({"confidant", "get", "ID", "--purpose", "follow_up"}));
  // "help" as a flag's value, or after a bare "--", is not a request for help.
  EXPECT_FALSE(WantsHelpFor({"confidant", "--reason", "help", "get", "ID"}));
  EXPECT_FALSE(WantsHelpFor({"confidant", "--reason", "-h", "get", "ID"}));
  EXPECT_FALSE(WantsHelpFor({"confidant", "submit", "--", "--help"}));
}

TEST(CommandWordsTest, SkipsFlagsAndTheValuesOfValueFlags) {
  EXPECT_THAT(WordsOf({"confidant", "--server", "127.0.0.1:7443", "get", "ID", "--purpose",
                       "follow_up"}),
              ElementsAre("get", "ID"));
  EXPECT_THAT(WordsOf({"confidant", "--follow", "audit", "tail"}), ElementsAre("audit", "tail"));
  EXPECT_THAT(WordsOf({"confidant", "--submission-id", "abc", "submit", "r.json"}),
              ElementsAre("submit", "r.json"));
  EXPECT_THAT(WordsOf({"confidant", "--server=h:1", "list"}), ElementsAre("list"));
  EXPECT_THAT(WordsOf({"confidant", "operator", "unseal", "-"}),
              ElementsAre("operator", "unseal", "-"));
  EXPECT_THAT(WordsOf({"confidant", "submit", "--", "--odd-name.json"}),
              ElementsAre("submit", "--odd-name.json"));
}

TEST(ClosestCommandTest, SuggestsTheLikelyCommandForATypo) {
  EXPECT_EQ(ClosestCommand("sumbit"), "submit");
  EXPECT_EQ(ClosestCommand("lst"), "list");
  EXPECT_EQ(ClosestCommand("gte"), "get");
  EXPECT_EQ(ClosestCommand("audti"), "audit");
  EXPECT_EQ(ClosestCommand("Submit"), "submit");
  EXPECT_EQ(ClosestCommand("breakglass"), "break-glass");
  EXPECT_EQ(ClosestCommand("oper"), "operator");  // the only command it begins
  EXPECT_EQ(ClosestCommand("erase"), "erasure");
}

TEST(ClosestCommandTest, SuggestsNothingForAFarWord) {
  EXPECT_EQ(ClosestCommand("xyzzy"), std::nullopt);
  EXPECT_EQ(ClosestCommand(""), std::nullopt);
  EXPECT_EQ(ClosestCommand("7d1f0c2a9b3e4f5a6c7d8e9f0a1b2c3d"), std::nullopt);
}

TEST(UnknownCommandMessageTest, NamesTheWordPointsToHelpAndSuggests) {
  EXPECT_EQ(UnknownCommandMessage("sumbit"),
            "unknown command \"sumbit\"; run 'confidant help' (did you mean \"submit\"?)");
  EXPECT_EQ(UnknownCommandMessage("xyzzy"), "unknown command \"xyzzy\"; run 'confidant help'");
}

TEST(UnknownCommandMessageTest, ShowsOnlyAPrintablePrefixOfTheWord) {
  const std::string message = UnknownCommandMessage("a\x1b[31mb\n" + std::string(100, 'x'));
  EXPECT_THAT(message, StartsWith("unknown command \"a?[31mb?xxx"));
  EXPECT_THAT(message, HasSubstr("...\""));
  EXPECT_LT(message.size(), 100u);
}

TEST(HandleHelpTest, PrintsHelpAndExitsZeroBeforeAnythingElse) {
  Handled overview = Handle({"confidant", "help"});
  EXPECT_EQ(overview.code, 0);
  EXPECT_EQ(overview.out, CliOverview());
  EXPECT_EQ(Handle({"confidant", "--help"}).out, CliOverview());

  Handled get = Handle({"confidant", "get", "--help"});
  EXPECT_EQ(get.code, 0);
  EXPECT_EQ(get.out, *CommandHelp("get", ""));
  EXPECT_EQ(Handle({"confidant", "help", "get"}).out, get.out);
  EXPECT_EQ(Handle({"confidant", "operator", "unseal", "--help"}).out,
            *CommandHelp("operator", "unseal"));
  EXPECT_EQ(Handle({"confidant", "operator", "help"}).out, *CommandHelp("operator", ""));
  EXPECT_EQ(get.err, "");
}

TEST(HandleHelpTest, NoCommandPrintsTheOverviewAsAUsageError) {
  Handled bare = Handle({"confidant"});
  EXPECT_EQ(bare.code, 2);
  EXPECT_EQ(bare.out, CliOverview());
  EXPECT_EQ(Handle({"confidant", "--server", "h:1"}).code, 2);
}

TEST(HandleHelpTest, AnUnknownCommandIsRefusedWithASuggestion) {
  Handled typo = Handle({"confidant", "sumbit", "r.json"});
  EXPECT_EQ(typo.code, 2);
  EXPECT_EQ(typo.out, "");
  EXPECT_EQ(typo.err,
            "confidant: unknown command \"sumbit\"; run 'confidant help' (did you mean "
            "\"submit\"?)\n");
  Handled help_typo = Handle({"confidant", "help", "sumbit"});
  EXPECT_EQ(help_typo.code, 2);
  EXPECT_THAT(help_typo.err, HasSubstr("did you mean \"submit\""));
}

TEST(HandleHelpTest, LeavesRealCommandsToTheCli) {
  EXPECT_EQ(Handle({"confidant", "get", "ID", "--purpose", "follow_up"}).code, std::nullopt);
  EXPECT_EQ(Handle({"confidant", "--reason", "help", "get", "ID"}).code, std::nullopt);
  EXPECT_EQ(Handle({"confidant", "operator", "status"}).code, std::nullopt);
  EXPECT_EQ(Handle({"confidant", "outbox", "flush"}).code, std::nullopt);
  EXPECT_EQ(Handle({"confidant", "--helpfull"}).code, std::nullopt);  // Abseil's own
}

TEST(UsageErrorTest, ShowsTheCommandsUsageAndWhereToReadMore) {
  const absl::Status get = UsageError("get", "");
  EXPECT_EQ(get.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(get.message(),
            "usage: confidant get RECORD_ID --purpose CODE [--reason TEXT] [--version N]\n"
            "run 'confidant help get' for details");
  EXPECT_EQ(UsageError("audit", "show").message(),
            "usage: confidant audit show --record RECORD_ID\n"
            "run 'confidant help audit show' for details");
  EXPECT_THAT(std::string(UsageError("operator", "frobnicate").message()),
              AllOf(StartsWith("usage: confidant operator status|init|unseal|"),
                    HasSubstr("run 'confidant help operator' for details"),
                    Not(HasSubstr("frobnicate"))));
  EXPECT_THAT(std::string(UsageError("sumbit", "").message()), HasSubstr("did you mean"));
  EXPECT_EQ(UsageError("", "").message(), "no command; run 'confidant help'");
}

TEST(UsageErrorTest, IsToldApartFromOtherInvalidArguments) {
  EXPECT_TRUE(IsUsageError(UsageError("get", "")));
  EXPECT_TRUE(IsUsageError(UsageError("sumbit", "")));
  EXPECT_TRUE(IsUsageError(UsageError("", "")));
  EXPECT_FALSE(IsUsageError(absl::InvalidArgumentError("no identity: pass --identity DIR")));
  EXPECT_FALSE(IsUsageError(absl::PermissionDeniedError("usage: confidant get")));
  EXPECT_FALSE(IsUsageError(absl::OkStatus()));
}

TEST(UsageErrorTest, TakesTheArgumentsAbseilLeft) {
  std::string program = "confidant", command = "erasure", sub = "approve";
  std::vector<char*> args = {program.data(), command.data(), sub.data()};
  EXPECT_EQ(UsageError(args), UsageError("erasure", "approve"));
}

absl::Status CheckArgs(std::vector<std::string> words) {
  words.insert(words.begin(), "confidant");
  std::vector<char*> args;
  for (std::string& word : words) args.push_back(word.data());
  return CheckUsage(args);
}

TEST(CheckUsageTest, AcceptsEveryCommandShapedAsItsUsageLine) {
  const std::string id = "7d1f0c2a9b3e4f5a6c7d8e9f0a1b2c3d";
  for (const std::vector<std::string>& words : std::vector<std::vector<std::string>>{
           {"submit", "r.json"}, {"amend", id, "r.json"}, {"get", id}, {"list"}, {"history", id},
           {"consent", id}, {"outbox", "status"}, {"outbox", "flush"}, {"outbox", "wipe"}, {"outbox", "requeue", "N"},
           {"break-glass", "request", id}, {"break-glass", "list"}, {"break-glass", "approve", "R"},
           {"erasure", "reject", "R"}, {"audit", "verify"}, {"audit", "tail"}, {"audit", "show"},
           {"audit", "export", "DIR"}, {"policy", "sign", "F"}, {"policy", "check", "F"},
           {"policy", "explain"}, {"policy", "who-can"}, {"policy", "reload"},
           {"operator", "status"}, {"operator", "unseal"}, {"operator", "shred"},
           {"operator", "backup", "/b"}, {"operator", "verify-backup", "/b"},
           {"operator", "revise-release", "T", "2026Q3"}, {"operator", "reshare"},
           {"dev", "seed"}}) {
    EXPECT_TRUE(CheckArgs(words).ok()) << words[0] << " " << words.size();
  }
}

TEST(CheckUsageTest, RefusesAMissingOrExtraOperandOrUnknownSubcommandWithTheUsage) {
  EXPECT_EQ(CheckArgs({"get"}), UsageError("get", ""));
  EXPECT_EQ(CheckArgs({"submit", "a.json", "b.json"}), UsageError("submit", "a.json"));
  EXPECT_EQ(CheckArgs({"amend", "r.json"}), UsageError("amend", "r.json"));
  EXPECT_EQ(CheckArgs({"operator"}), UsageError("operator", ""));
  EXPECT_EQ(CheckArgs({"operator", "frobnicate"}), UsageError("operator", "frobnicate"));
  EXPECT_EQ(CheckArgs({"operator", "backup"}), UsageError("operator", "backup"));
  EXPECT_EQ(CheckArgs({}).message(), "no command; run 'confidant help'");
  EXPECT_THAT(std::string(CheckArgs({"sumbit", "r.json"}).message()),
              HasSubstr("did you mean \"submit\""));
}

}  // namespace
}  // namespace confidant::client
