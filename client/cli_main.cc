// confidant: the staff and visit-team command line. Thin: flags, identity, one subcommand.
#include <sys/resource.h>
#include <sys/stat.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <optional>
#include <iostream>
#include <string>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/flags/usage.h"
#include "absl/status/statusor.h"
#include "base/flag_names.h"
#include "base/status_macros.h"
#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "client/audit_commands.h"
#include "client/audit_export.h"
#include "client/break_glass_commands.h"
#include "client/cli_commands.h"
#include "client/cli_flags.h"
#include "client/cli_help.h"
#include "client/log_client.h"
#include "client/erasure_commands.h"
#include "client/operator_commands.h"
#include "client/outbox_commands.h"
#include "client/reshare_commands.h"
#include "client/policy_commands.h"
#include "client/seed_commands.h"
#include "client/synthetic_population.h"
#include "crypto/init.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"

ABSL_FLAG(std::string, server, "", "Vault address host:port (default 127.0.0.1:7443 with CONFIDANT_DEV_DIR)");
ABSL_FLAG(std::string, identity, "", "Identity folder (ca.crt client.crt client.key vault.pub)");
ABSL_FLAG(std::string, as, "", "Dev only: use $CONFIDANT_DEV_DIR/identities/ROLE");
ABSL_FLAG(std::string, purpose, "", "get, break-glass request: purpose code (e.g. follow_up)");
ABSL_FLAG(std::string, reason, "",
          "get: optional reason; break-glass request: required reason; at most 500 bytes");
ABSL_FLAG(std::string, facility, "", "list: only this facility id");
ABSL_FLAG(std::string, since, "", "list: visits on or after YYYY-MM-DD");
ABSL_FLAG(std::string, submission_id, "", "submit, amend: reuse an id to retry idempotently");
ABSL_FLAG(bool, remove_source, false,
          "submit, amend: wipe and delete FILE.json once its sealed envelope is safely queued");
ABSL_FLAG(int, retry_for, 0,
          "outbox flush: keep retrying what is left, with backoff, for up to this many seconds");
ABSL_FLAG(bool, yes, false, "outbox wipe: really delete every queued and refused envelope");
ABSL_FLAG(bool, refused, false, "outbox wipe: only the refused envelopes, keep those still queued");
ABSL_FLAG(bool, mine, false,
          "break-glass list, erasure list: your own requests, in every state, with expiry");
ABSL_FLAG(uint64_t, version, 0, "get: an earlier version of the record (default: the newest)");
ABSL_FLAG(std::string, record, "", "audit show: the record id");
ABSL_FLAG(bool, follow, false, "audit tail: keep printing new entries");
ABSL_FLAG(int, follow_seconds, 3600, "audit tail --follow: stop after this many seconds");
ABSL_FLAG(uint64_t, count, 20, "audit tail: how many of the last entries");
ABSL_FLAG(bool, flagged, false, "audit tail: only flagged entries (e.g. quota refusals), from the whole log");
ABSL_FLAG(std::string, offline, "", "audit verify: verify an export folder, with no network");
ABSL_FLAG(std::string, key, "", "policy sign: governance key file (64-byte Ed25519 secret)");
ABSL_FLAG(std::string, name, "", "policy sign: the key's name (default: key file name without .key)");
ABSL_FLAG(std::string, governance_keys, "", "policy check: governance keys file, to count signatures");
ABSL_FLAG(std::string, person, "", "policy explain: person id");
ABSL_FLAG(bool, give, false, "consent: the detainee gives consent for --purpose");
ABSL_FLAG(bool, withdraw, false, "consent: the detainee withdraws consent for --purpose");
ABSL_FLAG(std::string, on, "", "consent: the day the detainee said so (YYYY-MM-DD, default today)");
ABSL_FLAG(std::string, action, "get_record", "policy explain: action name");
ABSL_FLAG(std::string, section, "", "policy explain: one section (identity, interview, health, legal)");
ABSL_FLAG(int, shares, 0, "operator init: how many unseal shares (N)");
ABSL_FLAG(int, threshold, 0, "operator init: how many shares open the vault (K, at least 2)");
ABSL_FLAG(bool, emergency, false, "operator seal: unsealing then needs K different custodians");
ABSL_FLAG(bool, wait, false, "operator rewrap: wait for the job to finish, printing progress");
ABSL_FLAG(bool, expired, false, "operator shred: shred the records past the policy's retention");
ABSL_FLAG(bool, confirm, false,
          "operator shred: go ahead even if more records are due than the policy allows unconfirmed");
ABSL_FLAG(int, persons, 0, "dev seed: how many synthetic persons");
ABSL_FLAG(std::string, quarters, "2026Q1..2026Q4",
          "dev seed: the quarters to spread interviews over (quarters not yet begun are skipped)");
ABSL_FLAG(uint64_t, seed, 1, "dev seed: the random seed (the same seed gives the same records)");
ABSL_FLAG(std::vector<std::string>, witness, {},
          "audit verify: NAME=BASE64KEY of a witness whose cosignature is required (repeatable, comma-separated)");

namespace confidant::client {
namespace {

// DEV/identities/NAME, or INVALID_ARGUMENT naming the dev identities there (a typo in --as
// would otherwise surface later as a missing file).
absl::StatusOr<std::string> DevIdentityDir(const std::string& dev, const std::string& name) {
  const std::filesystem::path root = std::filesystem::path(dev) / "identities";
  std::error_code ec;
  const bool plain = !name.empty() && name.find_first_not_of(
      "abcdefghijklmnopqrstuvwxyz0123456789_-") == std::string::npos;
  if (plain && std::filesystem::is_directory(root / name, ec)) return (root / name).string();
  std::vector<std::string> known;
  for (const auto& entry : std::filesystem::directory_iterator(root, ec)) {
    if (entry.is_directory(ec)) known.push_back(entry.path().filename().string());
  }
  std::sort(known.begin(), known.end());
  return absl::InvalidArgumentError(absl::StrCat(
      "--as: no dev identity by that name in ", root.string(),
      known.empty() ? " (none there: is CONFIDANT_DEV_DIR the vault's --dev folder?)"
                    : absl::StrCat("; known: ", absl::StrJoin(known, ", "))));
}

absl::StatusOr<std::string> IdentityDir() {
  const char* dev = std::getenv("CONFIDANT_DEV_DIR");
  if (!absl::GetFlag(FLAGS_identity).empty()) return absl::GetFlag(FLAGS_identity);
  if (!absl::GetFlag(FLAGS_as).empty()) {
    if (dev == nullptr) return absl::InvalidArgumentError("--as needs CONFIDANT_DEV_DIR");
    return DevIdentityDir(dev, absl::GetFlag(FLAGS_as));
  }
  if (const char* env = std::getenv("CONFIDANT_IDENTITY")) return std::string(env);
  return absl::InvalidArgumentError(
      "no identity: pass --identity DIR (or --as ROLE with CONFIDANT_DEV_DIR set)");
}

// `dev seed` submits as the dev bench_visit_team unless told otherwise.
absl::StatusOr<std::string> SeedIdentityDir() {
  if (!absl::GetFlag(FLAGS_identity).empty() || !absl::GetFlag(FLAGS_as).empty()) {
    return IdentityDir();
  }
  return DefaultSeedIdentityDir();
}

absl::StatusOr<std::vector<TrustedWitness>> ParseWitnesses() {
  std::vector<TrustedWitness> witnesses;
  for (const std::string& spec : absl::GetFlag(FLAGS_witness)) {
    const size_t eq = spec.rfind('=', spec.size() - 2);  // base64 may end in '='
    std::string key;
    if (eq == std::string::npos || !absl::Base64Unescape(spec.substr(eq + 1), &key) || key.size() != 32) {
      return absl::InvalidArgumentError("--witness takes NAME=BASE64KEY (a 32-byte Ed25519 key)");
    }
    witnesses.push_back({spec.substr(0, eq), key});
  }
  return witnesses;
}

// After every call: fetch the vault's checkpoint and check it against the last one this
// identity saw. A rolled-back, forked or restarted log is reported, loudly.
absl::Status CheckLog(LogClient& log) {
  absl::Status checked = log.Refresh().status();
  if (checked.ok()) return checked;
  return absl::Status(checked.code(),
                      absl::StrCat("the vault's audit log failed this client's check: ",
                                   std::string(checked.message())));
}

// `done` (an operator, policy or export command), then CheckLog, so a rolled-back or forked log
// is caught by whichever command runs first (issue 13, item 5). A sealed vault serves no
// checkpoint (and nothing else): the check waits for the next command after unsealing. An
// operator identity without vault.pub (before `operator init` printed the key to pin) has
// nothing to check against.
absl::Status ThenCheckLog(absl::Status done, LogClient& log) {
  RETURN_IF_ERROR(done);
  if (log.identity().vault_public_key.empty()) return absl::OkStatus();
  absl::Status checked = CheckLog(log);
  if (absl::IsFailedPrecondition(checked) && absl::StrContains(checked.message(), "sealed")) {
    return absl::OkStatus();
  }
  return checked;
}

absl::StatusOr<std::string> ServerAddress() {
  if (!absl::GetFlag(FLAGS_server).empty()) return absl::GetFlag(FLAGS_server);
  if (const char* env = std::getenv("CONFIDANT_SERVER")) return std::string(env);
  if (std::getenv("CONFIDANT_DEV_DIR") != nullptr) return std::string("127.0.0.1:7443");
  return absl::InvalidArgumentError("no server: pass --server HOST:PORT");
}

// Policy commands that need no server or identity.
std::optional<absl::Status> RunOfflinePolicy(const std::vector<char*>& args) {
  if (args.size() != 4 || std::string(args[1]) != "policy") return std::nullopt;
  const std::string sub = args[2], file = args[3];
  if (sub == "sign") {
    const std::string key = absl::GetFlag(FLAGS_key);
    std::string name = absl::GetFlag(FLAGS_name);
    if (name.empty()) {  // gov-2.key signs as gov-2
      name = key.substr(key.rfind('/') + 1);
      if (absl::EndsWith(name, ".key")) name.resize(name.size() - 4);
    }
    return PolicySignCommand(file, key, name, std::cout);
  }
  if (sub == "check") return PolicyCheckCommand(file, absl::GetFlag(FLAGS_governance_keys), std::cout);
  return std::nullopt;
}

// Exit codes (README, "The confidant CLI"): 0 done; 1 failed; 2 bad input; 3 sealed and queued
// in the outbox but not yet delivered.
constexpr int kExitQueued = 3;

int ExitCode(Delivery delivery) {
  switch (delivery) {
    case Delivery::kDelivered: return 0;
    case Delivery::kQueued: return kExitQueued;
    case Delivery::kRefused: return 1;
  }
  return 1;
}

absl::Status Run(const std::vector<char*>& args);

// A decision carries no reason (the vault records who decided and when, and keeps no text a
// requester would not see): a --reason typed with approve or reject is refused, not dropped.
absl::Status RefuseDecisionReason() {
  if (absl::GetFlag(FLAGS_reason).empty()) return absl::OkStatus();
  return absl::InvalidArgumentError(
      "approve and reject take no --reason: the vault records who decided and when, and the "
      "requester sees the decision in `list --mine`. Tell the requester why yourself");
}

// Commands that may leave records queued, and the offline outbox commands.
std::optional<absl::StatusOr<int>> RunIntake(const std::vector<char*>& args,
                                             const std::string& dir,
                                             const ClientIdentity& identity) {
  const std::string command = args[1];
  const size_t operands = args.size() - 2;
  if (command == "outbox" && operands == 1 && std::string(args[2]) == "status") {
    absl::Status status = OutboxStatusCommand(identity, dir, std::cout);
    if (!status.ok()) return status;
    return 0;
  }
  if (command == "outbox" && operands == 2 && std::string(args[2]) == "requeue") {
    absl::Status status = OutboxRequeueCommand(dir, args[3], std::cout);
    if (!status.ok()) return status;
    return 0;
  }
  if (command == "outbox" && operands == 1 && std::string(args[2]) == "wipe") {
    absl::Status status = OutboxWipeCommand(dir, absl::GetFlag(FLAGS_yes),
                                            absl::GetFlag(FLAGS_refused), std::cout);
    if (!status.ok()) return status;
    return 0;
  }
  const bool submit = command == "submit" && operands == 1;
  const bool amend = command == "amend" && operands == 2;
  const bool flush = command == "outbox" && operands == 1 && std::string(args[2]) == "flush";
  if (!submit && !amend && !flush) return std::nullopt;
  absl::StatusOr<std::string> server = ServerAddress();
  if (!server.ok()) return server.status();
  absl::StatusOr<std::unique_ptr<VaultClient>> client = VaultClient::Connect(*server, identity);
  if (!client.ok()) return client.status();
  LogClient log((*client)->channel(), (*client)->identity(), dir + "/last-checkpoint");
  absl::StatusOr<Delivery> delivered;
  if (flush) {
    delivered = OutboxFlushCommand(**client, log, dir, absl::GetFlag(FLAGS_retry_for), std::cout,
                                   std::cerr);
  } else {
    const SubmitOptions options{absl::GetFlag(FLAGS_submission_id), amend ? args[2] : "",
                                absl::GetFlag(FLAGS_remove_source)};
    delivered = SubmitCommand(**client, log, amend ? args[3] : args[2], dir, options, std::cout,
                              std::cerr);
  }
  if (!delivered.ok()) return delivered.status();
  // Whatever reached the vault was checked against the last checkpoint this identity saw.
  if (*delivered == Delivery::kDelivered) {
    if (absl::Status checked = CheckLog(log); !checked.ok()) return checked;
  }
  return ExitCode(*delivered);
}

absl::StatusOr<int> RunCommand(const std::vector<char*>& args) {
  RETURN_IF_ERROR(CheckUsage(args));  // the command's shape, before any identity is needed
  if (std::optional<absl::Status> offline = RunOfflinePolicy(args)) {
    RETURN_IF_ERROR(*offline);
    return 0;
  }
  const std::string command = args[1];
  if (command != "dev") {
    ASSIGN_OR_RETURN(std::string dir, IdentityDir());
    ASSIGN_OR_RETURN(ClientIdentity identity, ClientIdentity::Load(dir, command == "operator"));
    if (std::optional<absl::StatusOr<int>> done = RunIntake(args, dir, identity)) return *done;
  }
  RETURN_IF_ERROR(Run(args));
  return 0;
}

absl::Status Run(const std::vector<char*>& args) {
  const std::string command = args[1];
  const size_t operands = args.size() - 2;
  const bool seeding = command == "dev" && operands == 1 && std::string(args[2]) == "seed";
  ASSIGN_OR_RETURN(std::string dir, seeding ? SeedIdentityDir() : IdentityDir());
  ASSIGN_OR_RETURN(ClientIdentity identity, ClientIdentity::Load(dir, command == "operator"));
  if (command == "audit" && operands == 1 && std::string(args[2]) == "verify" &&
      !absl::GetFlag(FLAGS_offline).empty()) {
    ASSIGN_OR_RETURN(std::vector<TrustedWitness> witnesses, ParseWitnesses());
    return AuditVerifyOfflineCommand(identity, absl::GetFlag(FLAGS_offline), witnesses, std::cout,
                                     std::cerr);
  }
  absl::StatusOr<std::string> address = ServerAddress();
  if (!address.ok() && seeding) address = std::string("127.0.0.1:7443");
  ASSIGN_OR_RETURN(std::string server, std::move(address));
  ASSIGN_OR_RETURN(std::unique_ptr<VaultClient> client,
                   VaultClient::Connect(server, std::move(identity)));
  // The last checkpoint this identity saw; every command that learns a newer one checks it.
  LogClient log(client->channel(), client->identity(), dir + "/last-checkpoint");
  if (seeding) {
    ASSIGN_OR_RETURN(std::vector<std::string> quarters,
                     ParseQuarterRange(absl::GetFlag(FLAGS_quarters)));
    const SeedOptions options{absl::GetFlag(FLAGS_persons), std::move(quarters),
                              absl::GetFlag(FLAGS_seed),
                              absl::ToCivilDay(absl::Now(), absl::UTCTimeZone())};
    RETURN_IF_ERROR(SeedCommand(*client, log, options, std::cout, std::cerr));
    return CheckLog(log);
  }
  if (command == "operator" && operands == 1) {
    const std::string sub = args[2];
    if (sub == "status") {
      return ThenCheckLog(OperatorStatusCommand(client->channel(), std::cout), log);
    }
    if (sub == "init") {
      return ThenCheckLog(OperatorInitCommand(client->channel(), absl::GetFlag(FLAGS_shares),
                                              absl::GetFlag(FLAGS_threshold), std::cout),
                          log);
    }
    if (sub == "unseal") {
      return ThenCheckLog(OperatorUnsealCommand(client->channel(), std::cin, std::cout), log);
    }
    if (sub == "reset-unseal") {
      return ThenCheckLog(OperatorResetUnsealCommand(client->channel(), std::cout), log);
    }
    if (sub == "approve-restore") {
      return ThenCheckLog(OperatorApproveRestoreCommand(client->channel(), std::cout), log);
    }
    if (sub == "seal") {
      return ThenCheckLog(
          OperatorSealCommand(client->channel(), absl::GetFlag(FLAGS_emergency), std::cout), log);
    }
    if (sub == "reshare") {
      return ThenCheckLog(
          OperatorReshareCommand(client->channel(), absl::GetFlag(FLAGS_shares),
                                 absl::GetFlag(FLAGS_threshold), std::cin, std::cout),
          log);
    }
    if (sub == "reset-reshare") {
      return ThenCheckLog(OperatorResetReshareCommand(client->channel(), std::cout), log);
    }
    if (sub == "rotate") {
      return ThenCheckLog(OperatorRotateCommand(client->channel(), std::cout), log);
    }
    if (sub == "rewrap") {
      return ThenCheckLog(
          OperatorRewrapCommand(client->channel(), absl::GetFlag(FLAGS_wait), std::cout), log);
    }
    if (sub == "shred") {
      if (!absl::GetFlag(FLAGS_expired)) {
        return absl::InvalidArgumentError(
            "operator shred needs --expired (only records past retention can be shredded)");
      }
      return ThenCheckLog(
          OperatorShredExpiredCommand(client->channel(), absl::GetFlag(FLAGS_confirm), std::cout),
          log);
    }
  }
  if (command == "operator" && operands == 3 && std::string(args[2]) == "revise-release") {
    return ThenCheckLog(OperatorReviseReleaseCommand(client->channel(), args[3], args[4],
                                                     absl::GetFlag(FLAGS_reason), std::cout),
                        log);
  }
  if (command == "operator" && operands == 2 &&
      (std::string(args[2]) == "backup" || std::string(args[2]) == "verify-backup")) {
    std::error_code ec;
    const std::string directory = std::filesystem::absolute(args[3], ec).string();
    if (ec) return absl::InvalidArgumentError("cannot make the backup directory path absolute");
    if (std::string(args[2]) == "backup") {
      return ThenCheckLog(OperatorBackupCommand(client->channel(), directory, std::cout), log);
    }
    return ThenCheckLog(OperatorVerifyBackupCommand(client->channel(), directory, std::cout), log);
  }
  if (command == "history" && operands == 1) {
    RETURN_IF_ERROR(HistoryCommand(*client, args[2], std::cout));
    return CheckLog(log);
  }
  if (command == "audit" && operands == 1) {
    const std::string sub = args[2];
    if (sub == "verify") {
      ASSIGN_OR_RETURN(std::vector<TrustedWitness> witnesses, ParseWitnesses());
      LogClient verifier(client->channel(), client->identity(), dir + "/audit-verified-checkpoint");
      return AuditVerifyCommand(verifier, witnesses, std::cout, std::cerr);
    }
    if (sub == "tail") {
      return AuditTailCommand(log, absl::GetFlag(FLAGS_count), absl::GetFlag(FLAGS_follow),
                              absl::GetFlag(FLAGS_follow_seconds), std::cout,
                              absl::GetFlag(FLAGS_flagged));
    }
    if (sub == "show" && !absl::GetFlag(FLAGS_record).empty()) {
      return AuditShowCommand(log, absl::GetFlag(FLAGS_record), std::cout);
    }
  }
  if (command == "consent" && operands == 1) {
    if (absl::GetFlag(FLAGS_give) == absl::GetFlag(FLAGS_withdraw)) {
      return absl::InvalidArgumentError("consent takes exactly one of --give and --withdraw");
    }
    RETURN_IF_ERROR(ConsentCommand(*client, args[2], absl::GetFlag(FLAGS_purpose),
                                   absl::GetFlag(FLAGS_give), absl::GetFlag(FLAGS_on), std::cout));
    return CheckLog(log);
  }
  if (command == "policy" && operands == 1) {
    const std::string sub = args[2];
    if (sub == "explain") {
      return ThenCheckLog(
          PolicyExplainCommand(client->channel(),
                               {absl::GetFlag(FLAGS_person), absl::GetFlag(FLAGS_action),
                                absl::GetFlag(FLAGS_record), absl::GetFlag(FLAGS_purpose),
                                absl::GetFlag(FLAGS_section)},
                               std::cout),
          log);
    }
    if (sub == "who-can") {
      return ThenCheckLog(
          PolicyWhoCanCommand(client->channel(), absl::GetFlag(FLAGS_record), std::cout), log);
    }
    if (sub == "reload") {
      return ThenCheckLog(PolicyReloadCommand(client->channel(), std::cout), log);
    }
  }
  if (command == "audit" && operands == 2 && std::string(args[2]) == "export") {
    return ThenCheckLog(AuditExportCommand(log, args[3], std::cout, std::cerr), log);
  }
  if (command == "get" && operands == 1) {
    RETURN_IF_ERROR(GetCommand(*client, args[2], absl::GetFlag(FLAGS_purpose),
                               absl::GetFlag(FLAGS_reason), std::cout,
                               absl::GetFlag(FLAGS_version)));
    return CheckLog(log);
  }
  if (command == "break-glass" && operands >= 1) {
    const std::string sub = args[2];
    absl::Status done = UsageError(args);
    if (sub == "request" && operands == 2) {
      done = BreakGlassRequestCommand(*client, args[3], absl::GetFlag(FLAGS_purpose),
                                      absl::GetFlag(FLAGS_reason), std::cout);
    } else if (sub == "list" && operands == 1) {
      done = BreakGlassListCommand(*client, absl::GetFlag(FLAGS_mine), std::cout);
    } else if ((sub == "approve" || sub == "reject") && operands == 2) {
      RETURN_IF_ERROR(RefuseDecisionReason());
      done = BreakGlassDecideCommand(*client, args[3], sub == "approve", std::cout);
    }
    RETURN_IF_ERROR(done);
    return CheckLog(log);
  }
  if (command == "erasure" && operands >= 1) {
    const std::string sub = args[2];
    absl::Status done = UsageError(args);
    if (sub == "request" && operands == 2) {
      done = ErasureRequestCommand(*client, args[3], absl::GetFlag(FLAGS_reason), std::cout);
    } else if (sub == "list" && operands == 1) {
      done = ErasureListCommand(*client, absl::GetFlag(FLAGS_mine), std::cout);
    } else if ((sub == "approve" || sub == "reject") && operands == 2) {
      RETURN_IF_ERROR(RefuseDecisionReason());
      done = ErasureDecideCommand(*client, args[3], sub == "approve", std::cout);
    }
    RETURN_IF_ERROR(done);
    return CheckLog(log);
  }
  if (command == "list" && operands == 0) {
    RETURN_IF_ERROR(ListCommand(*client, absl::GetFlag(FLAGS_facility), absl::GetFlag(FLAGS_since),
                                std::cout, std::cerr));
    return CheckLog(log);
  }
  return UsageError(args);
}

}  // namespace
}  // namespace confidant::client

int main(int argc, char** argv) {
  // Help, and unknown commands, before any flag is parsed or identity needed.
  if (std::optional<int> code = confidant::client::HandleHelp(argc, argv, std::cout, std::cerr)) {
    return *code;
  }
  ::umask(077);
  // The CLI handles plaintext records: no core dumps, not ptrace-able.
  if (absl::Status hardened = confidant::crypto::HardenProcess(); !hardened.ok()) {
    std::cerr << "confidant: " << hardened.message() << "\n";
    return 1;
  }
  absl::SetProgramUsageMessage("confidant [--server H:P] [--identity DIR] submit|get|list ...");
  std::vector<std::string> normalized = confidant::NormalizeFlagNames(argc, argv);
  if (absl::Status flags = confidant::client::CheckCommandLineFlags(normalized); !flags.ok()) {
    std::cerr << "confidant: " << flags.message() << "\n";
    return 2;
  }
  std::vector<char*> cargs;
  for (std::string& a : normalized) cargs.push_back(a.data());
  std::vector<char*> args = absl::ParseCommandLine(static_cast<int>(cargs.size()), cargs.data());
  absl::StatusOr<int> exit_code = confidant::client::RunCommand(args);
  if (!exit_code.ok()) {
    const absl::Status& status = exit_code.status();
    std::cerr << "confidant: ";
    if (!confidant::client::IsUsageError(status)) {
      std::cerr << absl::StatusCodeToString(status.code()) << ": ";
    }
    std::cerr << status.message() << "\n";
    return status.code() == absl::StatusCode::kInvalidArgument ? 2 : 1;
  }
  return *exit_code;
}
