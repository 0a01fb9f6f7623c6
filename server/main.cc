// confidantd: parse flags, build the server, serve until SIGINT/SIGTERM.
#include <signal.h>
#include <sys/stat.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <filesystem>
#include <iostream>
#include <string>
#include <vector>

#include "base/flags_help.h"
#include "absl/flags/commandlineflag.h"
#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/flags/reflection.h"
#include "absl/flags/usage.h"
#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "absl/strings/str_split.h"
#include "base/files.h"
#include "base/flag_names.h"
#include "base/status_macros.h"
#include "crypto/init.h"
#include "server/clock.h"
#include "server/dev_environment.h"
#include "server/rewrapper.h"
#include "server/release_job.h"
#include "server/rotation_timer.h"
#include "server/vault_server.h"

ABSL_FLAG(bool, dev, false, "Development mode: dev CA, identities and master key file under --dev_dir");
ABSL_FLAG(std::string, dev_dir, "", "Dev folder (default $CONFIDANT_DEV_DIR, else ./confidant-dev)");
ABSL_FLAG(std::string, listen, "127.0.0.1:7443", "Address to listen on (host:port)");
ABSL_FLAG(std::string, data_dir, "", "Data directory (production)");
ABSL_FLAG(std::string, tls_cert, "", "Server certificate PEM (production)");
ABSL_FLAG(std::string, tls_key, "", "Server private key PEM (production)");
ABSL_FLAG(std::string, client_ca, "", "CA certificate PEM that client certificates must chain to");
ABSL_FLAG(std::string, policy, "", "Policy file (protobuf text format); signatures in FILE.sig");
ABSL_FLAG(std::string, governance_keys, "",
          "Governance public keys and threshold K (pinned at the vault's first start)");
ABSL_FLAG(std::string, port_file, "", "Write the bound port to this file once serving");
ABSL_FLAG(int, max_connection_age, 300, "Seconds before a client connection must reconnect");
ABSL_FLAG(std::vector<std::string>, witness, {},
          "Witness to push checkpoints to: NAME@HOST:PORT=BASE64KEY (repeatable, comma-separated)");
ABSL_FLAG(std::string, witness_ca, "", "CA certificate PEM of the witnesses' server certificates");
ABSL_FLAG(std::string, witness_client_cert, "", "The vault's client certificate PEM for witnesses");
ABSL_FLAG(std::string, witness_client_key, "", "Its private key PEM");
ABSL_FLAG(std::string, dev_clock_offset_file, "",
          "--dev tests only: add the signed number of seconds in this file to every clock reading");
ABSL_FLAG(int, dev_rewrap_pause_ms, 0,
          "--dev tests only: pause this long after each record the rewrap job visits");
ABSL_FLAG(std::string, backup_keys_dir, "",
          "Directory for backup epoch keys, on another filesystem than --data_dir and never "
          "copied with the backups (--dev: DEV_DIR/backup-keys)");
ABSL_FLAG(std::string, restore, "",
          "Rebuild the empty --data_dir from the backup in this directory (two custodians approve, "
          "then the vault's shares unseal it)");
ABSL_FLAG(std::string, restore_shred_register, "",
          "With --restore: a `confidant audit export` directory newer than the backup whose "
          "disposal receipts are re-applied too");
ABSL_FLAG(int, dev_rotation_check_seconds, 0,
          "--dev tests only: check the role key rotation period this often (default hourly)");
ABSL_FLAG(bool, restore_without_newer_register, false,
          "With --restore, only when no audit export newer than the backup exists: records "
          "shredded after the backup come back (the restore entry is flagged)");
ABSL_FLAG(std::string, reporting_listen, "",
          "Address of the reporting listener (ReportingService only), host:port; default "
          "127.0.0.1:7444, or port 0 (any free port) when --listen has port 0; \"off\": none");
ABSL_FLAG(std::string, reporting_port_file, "",
          "Write the reporting listener's bound port to this file once serving");
ABSL_FLAG(int, release_check_seconds, 0,
          "How often the release job looks for closed periods (seconds; first look after as "
          "long). 0: the default, ten minutes after unseal and then hourly");
ABSL_FLAG(bool, init_only, false,
          "--dev: create the dev folder and vault, print the audit log origin and key, and exit");

namespace confidant::server {
namespace {

constexpr char kHelpIntro[] = R"(confidantd: the Confidant records vault server.

Usage:
  confidantd --dev [--dev-dir DIR]
      A development vault on 127.0.0.1:7443 (loopback only), with a dev CA, one
      identity per role and an INSECURE master key file under DIR.
  confidantd --data-dir DIR --tls-cert PEM --tls-key PEM --client-ca PEM
             --policy FILE --governance-keys FILE [--listen HOST:PORT]
      A production vault. It starts sealed: custodians unseal it with their
      shares ('confidant operator unseal').
  confidantd --flagfile=FILE
      The same flags from a file, one per line (deploy/confidantd.flags.example).

It serves records on --listen and reports on --reporting-listen, both over
mutual TLS only. It stops on SIGINT or SIGTERM and reloads its policy on SIGHUP.

Flags (--flag-name and --flag_name both work):
)";

constexpr char kHelpOutro[] = R"(
Environment:
  CONFIDANT_DEV_DIR   Default for --dev-dir.
  GRPC_TRACE          gRPC tracing: refused outside --dev (traces can leak).

Examples:
  confidantd --dev --dev-dir ./confidant-dev
  confidantd --dev --dev-dir ./confidant-dev --init-only   # print the log origin and key
  confidantd --flagfile=/etc/confidant/confidantd.flags
)";

// -h, --help or `help`: answered before Abseil parses flags (its own --help lists only flags
// defined in files named after the program, and finds none here).
bool WantsHelp(int argc, char** argv) {
  for (int i = 1; i < argc; ++i) {
    const absl::string_view arg = argv[i];
    if (arg == "--") break;
    if (arg == "-h" || arg == "-help" || arg == "--help" || arg == "--helpshort" ||
        absl::StartsWith(arg, "--help=")) {
      return true;
    }
  }
  return argc > 1 && absl::string_view(argv[1]) == "help";
}

bool IsLoopbackAddress(const std::string& address) {
  return absl::StartsWith(address, "127.0.0.1:") || absl::StartsWith(address, "localhost:") ||
         absl::StartsWith(address, "[::1]:");
}

// --reporting_listen: explicit, "off", or derived from --listen: the next port on loopback
// (7443 -> 7444; port 0 stays port 0, so that tests running side by side never collide).
absl::StatusOr<std::string> ReportingListenAddress(bool dev) {
  const std::string flag = absl::GetFlag(FLAGS_reporting_listen);
  if (flag == "off") return std::string();
  std::string address = flag;
  if (address.empty()) {
    const std::string listen = absl::GetFlag(FLAGS_listen);
    const size_t colon = listen.rfind(':');
    int port = 0;
    if (colon == std::string::npos || !absl::SimpleAtoi(listen.substr(colon + 1), &port) ||
        port < 0 || port >= 65535) {
      port = 7443;
    }
    address = absl::StrCat("127.0.0.1:", port == 0 ? 0 : port + 1);
  }
  if (dev && !IsLoopbackAddress(address)) {
    return absl::InvalidArgumentError("--dev listens on loopback only (127.0.0.1, [::1])");
  }
  return address;
}

absl::StatusOr<ServerOptions> DevOptions(DevEnvironment& env) {
  ServerOptions options;
  if (!IsLoopbackAddress(absl::GetFlag(FLAGS_listen))) {
    return absl::InvalidArgumentError("--dev listens on loopback only (127.0.0.1, [::1])");
  }
  std::string dir = absl::GetFlag(FLAGS_dev_dir);
  if (dir.empty()) dir = std::getenv("CONFIDANT_DEV_DIR") ? std::getenv("CONFIDANT_DEV_DIR") : "";
  if (dir.empty()) dir = "confidant-dev";
  ASSIGN_OR_RETURN(env, PrepareDevEnvironment(dir));
  options.data_dir = env.data_dir;
  options.server_certificate_pem = env.server_certificate_pem;
  options.server_private_key_pem = env.server_private_key_pem;
  options.client_ca_pem = env.ca_certificate_pem;
  options.policy_path = env.policy_path;
  ASSIGN_OR_RETURN(options.governance_keys_text, ReadFile(env.governance_keys_path));
  ASSIGN_OR_RETURN(options.master_key, ReadMasterKeyFile(env.master_key_path));
  options.backup_keys_dir = absl::GetFlag(FLAGS_backup_keys_dir);
  if (options.backup_keys_dir.empty()) {
    options.backup_keys_dir = absl::StrCat(std::filesystem::absolute(env.dir).string(),
                                           "/backup-keys");
    if (::mkdir(options.backup_keys_dir.c_str(), 0700) != 0 && errno != EEXIST) {
      return absl::UnavailableError("cannot create the dev backup key directory");
    }
    options.escrow_same_filesystem_ok = true;  // dev only: one disk holds everything
  }
  return options;
}

absl::StatusOr<ServerOptions> ProductionOptions() {
  ServerOptions options;
  for (const auto* flag : {&FLAGS_data_dir, &FLAGS_tls_cert, &FLAGS_tls_key, &FLAGS_client_ca,
                           &FLAGS_policy, &FLAGS_governance_keys}) {
    if (absl::GetFlag(*flag).empty()) {
      return absl::InvalidArgumentError(
          "without --dev, --data_dir, --tls_cert, --tls_key, --client_ca, --policy and "
          "--governance_keys are required");
    }
  }
  options.data_dir = absl::GetFlag(FLAGS_data_dir);
  ASSIGN_OR_RETURN(options.server_certificate_pem, ReadFile(absl::GetFlag(FLAGS_tls_cert)));
  ASSIGN_OR_RETURN(options.server_private_key_pem, ReadFile(absl::GetFlag(FLAGS_tls_key)));
  ASSIGN_OR_RETURN(options.client_ca_pem, ReadFile(absl::GetFlag(FLAGS_client_ca)));
  options.policy_path = absl::GetFlag(FLAGS_policy);
  ASSIGN_OR_RETURN(options.governance_keys_text, ReadFile(absl::GetFlag(FLAGS_governance_keys)));
  options.backup_keys_dir = absl::GetFlag(FLAGS_backup_keys_dir);
  options.restore_from = absl::GetFlag(FLAGS_restore);
  options.restore_shred_register = absl::GetFlag(FLAGS_restore_shred_register);
  options.restore_without_newer_register = absl::GetFlag(FLAGS_restore_without_newer_register);
  if (options.restore_from.empty() &&
      (!options.restore_shred_register.empty() || options.restore_without_newer_register)) {
    return absl::InvalidArgumentError(
        "--restore_shred_register and --restore_without_newer_register go with --restore");
  }
  return options;  // no master key: the vault starts sealed
}

absl::Status AddWitnesses(ServerOptions& options, const DevEnvironment& env, bool dev) {
  for (const std::string& spec : absl::GetFlag(FLAGS_witness)) {
    ASSIGN_OR_RETURN(WitnessEndpoint endpoint, ParseWitnessEndpoint(spec));
    options.witnesses.push_back(std::move(endpoint));
  }
  if (options.witnesses.empty()) return absl::OkStatus();
  if (dev && absl::GetFlag(FLAGS_witness_ca).empty()) {
    options.witness_tls = {env.ca_certificate_pem, env.vault_client_certificate_pem,
                           env.vault_client_private_key_pem};
    return absl::OkStatus();
  }
  ASSIGN_OR_RETURN(options.witness_tls.ca_certificate_pem, ReadFile(absl::GetFlag(FLAGS_witness_ca)));
  ASSIGN_OR_RETURN(options.witness_tls.client_certificate_pem,
                   ReadFile(absl::GetFlag(FLAGS_witness_client_cert)));
  ASSIGN_OR_RETURN(options.witness_tls.client_private_key_pem,
                   ReadFile(absl::GetFlag(FLAGS_witness_client_key)));
  return absl::OkStatus();
}

absl::Status Run() {
  const bool dev = absl::GetFlag(FLAGS_dev);
  const char* trace = std::getenv("GRPC_TRACE");
  if (!dev && trace != nullptr && *trace != '\0') {
    return absl::FailedPreconditionError("GRPC_TRACE is refused outside --dev: traces can leak");
  }
  if (const std::string offset_file = absl::GetFlag(FLAGS_dev_clock_offset_file);
      !offset_file.empty()) {
    if (!dev) {
      return absl::InvalidArgumentError(
          "--dev_clock_offset_file is a test hook that shifts the vault's clock: --dev only");
    }
    SetDevClockOffsetFile(offset_file);  // before any thread reads the clock
  }
  if (const int pause = absl::GetFlag(FLAGS_dev_rewrap_pause_ms); pause != 0) {
    if (!dev || pause < 0) {
      return absl::InvalidArgumentError("--dev_rewrap_pause_ms is a test hook: --dev only, >= 0");
    }
    SetDevRewrapPauseMillis(pause);
  }
  if (dev && (!absl::GetFlag(FLAGS_restore).empty() ||
              !absl::GetFlag(FLAGS_restore_shred_register).empty() ||
              absl::GetFlag(FLAGS_restore_without_newer_register))) {
    return absl::InvalidArgumentError(
        "--restore rebuilds a production vault and unseals it with its shares: not with --dev");
  }
  if (const int check = absl::GetFlag(FLAGS_dev_rotation_check_seconds); check != 0) {
    if (!dev || check < 0) {
      return absl::InvalidArgumentError(
          "--dev_rotation_check_seconds is a test hook: --dev only, >= 0");
    }
    SetDevRotationCheckSeconds(check);
  }
  DevEnvironment env;
  ASSIGN_OR_RETURN(ServerOptions options, dev ? DevOptions(env) : ProductionOptions());
  options.listen_address = absl::GetFlag(FLAGS_listen);
  ASSIGN_OR_RETURN(options.reporting_listen_address, ReportingListenAddress(dev));
  if (const int check = absl::GetFlag(FLAGS_release_check_seconds); check != 0) {
    if (check < 0) return absl::InvalidArgumentError("--release_check_seconds must be positive");
    SetReleaseCheckSeconds(check);
  }
  options.max_connection_age_seconds = absl::GetFlag(FLAGS_max_connection_age);
  RETURN_IF_ERROR(AddWitnesses(options, env, dev));
  if (absl::GetFlag(FLAGS_init_only)) {
    if (!dev) return absl::InvalidArgumentError("--init_only goes with --dev");
    options.witnesses.clear();
    options.listen_address = "127.0.0.1:0";
    options.reporting_listen_address.clear();
  }

  // Block the stop signals before gRPC starts its threads, then wait for them here.
  sigset_t stop;
  sigemptyset(&stop);
  sigaddset(&stop, SIGINT);
  sigaddset(&stop, SIGTERM);
  sigaddset(&stop, SIGHUP);  // reload the policy
  pthread_sigmask(SIG_BLOCK, &stop, nullptr);

  ASSIGN_OR_RETURN(std::unique_ptr<VaultServer> server, VaultServer::Start(std::move(options)));
  const std::string address = absl::StrCat(
      absl::GetFlag(FLAGS_listen).substr(0, absl::GetFlag(FLAGS_listen).rfind(':')), ":",
      server->port());
  if (absl::GetFlag(FLAGS_init_only)) {
    RETURN_IF_ERROR(WriteVaultPublicKey(env, server->identity_public_key()));
    std::cout << "audit log origin: " << server->log_origin() << "\n"
              << "audit log key (Ed25519, base64): "
              << absl::Base64Escape(server->log_public_key()) << "\n";
    server->Shutdown();
    return absl::OkStatus();
  }
  std::cout << "confidantd listening on " << address << " (mTLS only)\n";
  if (server->reporting_port() != 0) {
    std::cout << "reporting listener on port " << server->reporting_port()
              << " (ReportingService only, reporting-only persons)\n";
  }
  if (!server->sealed()) {
    // Published by the programme: witnesses and clients pin the log by these two values.
    std::cout << "audit log origin: " << server->log_origin() << "\n"
              << "audit log key (Ed25519, base64): "
              << absl::Base64Escape(server->log_public_key()) << "\n";
  }
  if (dev) {
    RETURN_IF_ERROR(WriteVaultPublicKey(env, server->identity_public_key()));
    std::cout << "WARNING: --dev is INSECURE: the master key is a file (" << env.master_key_path
              << ")\n"
              << "dev folder:  " << env.dir << "\n"
              << "data:        " << env.data_dir << "\n"
              << "policy:      " << env.policy_path << "\n"
              << "identities:  " << env.identities_dir << "/ROLE (ca.crt client.crt client.key vault.pub)\n";
    if (!absl::GetFlag(FLAGS_dev_clock_offset_file).empty()) {
      std::cout << "WARNING: the vault's clock is shifted by the seconds in "
                << absl::GetFlag(FLAGS_dev_clock_offset_file) << "\n";
    }
  } else if (!absl::GetFlag(FLAGS_restore).empty()) {
    std::cout << "RESTORE pending from " << absl::GetFlag(FLAGS_restore)
              << ": two custodians approve (confidant operator approve-restore), then unseal "
                 "with the vault's shares\n";
  } else {
    std::cout << "the vault is sealed: every data call answers FAILED_PRECONDITION until unsealed\n";
  }
  std::cout.flush();
  if (const std::string port_file = absl::GetFlag(FLAGS_port_file); !port_file.empty()) {
    RETURN_IF_ERROR(WriteFileAtomically(port_file, absl::StrCat(server->port(), "\n"), 0600));
  }
  if (const std::string port_file = absl::GetFlag(FLAGS_reporting_port_file);
      !port_file.empty() && server->reporting_port() != 0) {
    RETURN_IF_ERROR(
        WriteFileAtomically(port_file, absl::StrCat(server->reporting_port(), "\n"), 0600));
  }
  int signal_number = 0;
  while (sigwait(&stop, &signal_number) == 0 && signal_number == SIGHUP) {
    absl::StatusOr<LoadedPolicy> reloaded = server->ReloadPolicy("SIGHUP");
    if (reloaded.ok()) {
      std::cout << "policy version " << reloaded->policy->version() << " in force\n";
    } else {
      std::cout << "policy reload refused; the policy in force stays: " << reloaded.status().message()
                << "\n";
    }
    std::cout.flush();
  }
  std::cout << "confidantd stopping\n";
  server->Shutdown();
  return absl::OkStatus();
}

}  // namespace
}  // namespace confidant::server

int main(int argc, char** argv) {
  if (confidant::server::WantsHelp(argc, argv)) {
    std::cout << confidant::server::kHelpIntro << ::confidant::FlagsHelp(__FILE__)
              << confidant::server::kHelpOutro;
    return 0;
  }
  ::umask(077);
  if (absl::Status hardened = confidant::crypto::HardenProcess(); !hardened.ok()) {
    std::cerr << "confidantd: " << hardened.message() << "\n";
    return 1;
  }
  absl::SetProgramUsageMessage("confidantd --dev [--dev-dir DIR] | confidantd --data_dir ... ");
  std::vector<std::string> args = confidant::NormalizeFlagNames(argc, argv);
  std::vector<char*> cargs;
  for (std::string& a : args) cargs.push_back(a.data());
  absl::ParseCommandLine(static_cast<int>(cargs.size()), cargs.data());
  if (absl::Status status = confidant::server::Run(); !status.ok()) {
    std::cerr << "confidantd: " << status.message() << "\n";
    return 1;
  }
  return 0;
}
