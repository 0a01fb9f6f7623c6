// confidant-witness: parse flags, load the witness key and state, serve until SIGINT/SIGTERM.
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
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
#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "absl/strings/str_split.h"
#include "base/files.h"
#include "base/flag_names.h"
#include "base/status_macros.h"
#include "crypto/init.h"
#include "witness/witness_key.h"
#include "witness/witness_server.h"
#include "witness/witness_state.h"

ABSL_FLAG(std::string, listen, "127.0.0.1:7445", "Address to listen on (host:port)");
ABSL_FLAG(std::string, state_dir, "", "Folder holding witness.key and the witness state");
ABSL_FLAG(bool, init, false, "Create the state folder and witness key if absent, then serve");
ABSL_FLAG(std::string, name, "", "Witness name (default witness.confidant.example/<hostname>)");
ABSL_FLAG(std::string, log_origin, "", "The vault's audit log origin, as confidantd prints it");
ABSL_FLAG(std::string, log_key, "", "The vault's audit log key (Ed25519, base64)");
ABSL_FLAG(std::string, tls_cert, "", "Server certificate PEM");
ABSL_FLAG(std::string, tls_key, "", "Server private key PEM");
ABSL_FLAG(std::string, client_ca, "", "CA certificate PEM that pushing clients must chain to");
ABSL_FLAG(std::string, port_file, "", "Write the bound port to this file once serving");
ABSL_FLAG(std::vector<std::string>, pusher, {},
          "URI SAN of the vault's witness client certificate, the only caller that may push "
          "checkpoints (repeatable, comma-separated; required)");

namespace confidant::witness {
namespace {

constexpr char kHelpIntro[] = R"(confidant-witness: an independent cosigner for a Confidant vault's audit log.

Run by auditors on a machine the vault's operator does not control. It cosigns a
checkpoint of the vault's audit log only if the log's key signed it and it is
consistent with the last checkpoint it cosigned, so a vault that rolls back,
forks or wipes its log is caught. It serves over mutual TLS only, to the one
vault client named by --pusher, and stops on SIGINT or SIGTERM.

Usage:
  confidant-witness --state-dir DIR [--init] --pusher URI --log-origin ORIGIN
                    --log-key BASE64 --tls-cert PEM --tls-key PEM --client-ca PEM
                    [--listen HOST:PORT] [--name NAME]
  confidant-witness --flagfile=FILE     (deploy/confidant-witness.flags.example)

The first run takes --init: it creates DIR/witness.key and prints the witness's
public key, which the vault's operator pins with confidantd --witness
NAME@HOST:PORT=KEY. The log origin and key are those confidantd prints at start.

Flags (--flag-name and --flag_name both work):
)";

constexpr char kHelpOutro[] = R"(
Examples:
  confidant-witness --init --state-dir /var/lib/confidant-witness \
    --name witness.example.org/auditor-1 \
    --pusher spiffe://confidant.example/dev/vault \
    --log-origin ORIGIN --log-key LOGKEY \
    --tls-cert server.crt --tls-key server.key --client-ca vault-client-ca.crt
  confidant-witness --flagfile=/etc/confidant-witness/flags
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

std::string DefaultName() {
  char host[256] = {};
  if (::gethostname(host, sizeof(host) - 1) != 0 || host[0] == '\0') return "";
  return absl::StrCat("witness.confidant.example/", host);
}

absl::StatusOr<WitnessConfig> ConfigFromFlags() {
  for (const auto* flag : {&FLAGS_state_dir, &FLAGS_log_origin, &FLAGS_log_key, &FLAGS_tls_cert,
                           &FLAGS_tls_key, &FLAGS_client_ca}) {
    if (absl::GetFlag(*flag).empty()) {
      return absl::InvalidArgumentError(
          "--state_dir, --log_origin, --log_key, --tls_cert, --tls_key and --client_ca are "
          "required");
    }
  }
  WitnessConfig config;
  config.log_origin = absl::GetFlag(FLAGS_log_origin);
  if (!absl::Base64Unescape(absl::GetFlag(FLAGS_log_key), &config.log_public_key) ||
      config.log_public_key.size() != crypto::kEd25519PublicKeySize) {
    return absl::InvalidArgumentError("--log_key must be a base64 Ed25519 public key (32 bytes)");
  }
  config.witness_name = absl::GetFlag(FLAGS_name);
  if (config.witness_name.empty()) config.witness_name = DefaultName();
  config.state_path = absl::StrCat(absl::GetFlag(FLAGS_state_dir), "/", kWitnessStateFileName);
  config.pushers = absl::GetFlag(FLAGS_pusher);
  if (config.pushers.empty()) {
    return absl::InvalidArgumentError(
        "--pusher is required: the URI SAN of the vault's client certificate for witnesses");
  }
  return config;
}

absl::StatusOr<WitnessServerOptions> ServerOptionsFromFlags() {
  WitnessServerOptions options;
  options.listen_address = absl::GetFlag(FLAGS_listen);
  ASSIGN_OR_RETURN(options.server_certificate_pem, ReadFile(absl::GetFlag(FLAGS_tls_cert)));
  ASSIGN_OR_RETURN(options.server_private_key_pem, ReadFile(absl::GetFlag(FLAGS_tls_key)));
  ASSIGN_OR_RETURN(options.client_ca_pem, ReadFile(absl::GetFlag(FLAGS_client_ca)));
  return options;
}

absl::Status Run() {
  RETURN_IF_ERROR(crypto::InitCrypto());
  ASSIGN_OR_RETURN(WitnessConfig config, ConfigFromFlags());
  ASSIGN_OR_RETURN(WitnessServerOptions options, ServerOptionsFromFlags());
  const std::string dir = absl::GetFlag(FLAGS_state_dir);
  const bool init = absl::GetFlag(FLAGS_init);
  if (init && ::mkdir(dir.c_str(), 0700) != 0 && errno != EEXIST) {
    return absl::PermissionDeniedError(absl::StrCat("cannot create ", dir));
  }
  ASSIGN_OR_RETURN(crypto::Ed25519KeyPair key,
                   LoadOrCreateWitnessKey(absl::StrCat(dir, "/", kWitnessKeyFileName), init));
  ASSIGN_OR_RETURN(std::unique_ptr<Witness> witness,
                   Witness::Create(std::move(config), std::move(key)));

  // Block the stop signals before gRPC starts its threads, then wait for them here.
  sigset_t stop;
  sigemptyset(&stop);
  sigaddset(&stop, SIGINT);
  sigaddset(&stop, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &stop, nullptr);

  ASSIGN_OR_RETURN(std::unique_ptr<WitnessServer> server,
                   WitnessServer::Start(*witness, std::move(options)));
  const WitnessSnapshot state = witness->Snapshot();
  // Published to the vault operator, who configures the vault to push to this witness.
  std::cout << "confidant-witness listening on port " << server->port() << " (mTLS only)\n"
            << "witness name: " << witness->name() << "\n"
            << "witness key (Ed25519, base64): " << absl::Base64Escape(witness->public_key())
            << "\n"
            << "log origin: " << state.origin << " (witnessed size " << state.tree_size << ")\n";
  std::cout.flush();
  if (const std::string port_file = absl::GetFlag(FLAGS_port_file); !port_file.empty()) {
    RETURN_IF_ERROR(WriteFileAtomically(port_file, absl::StrCat(server->port(), "\n"), 0600));
  }
  int signal_number = 0;
  sigwait(&stop, &signal_number);
  std::cout << "confidant-witness stopping\n";
  server->Shutdown();
  return absl::OkStatus();
}

}  // namespace
}  // namespace confidant::witness

int main(int argc, char** argv) {
  if (confidant::witness::WantsHelp(argc, argv)) {
    std::cout << confidant::witness::kHelpIntro << ::confidant::FlagsHelp(__FILE__)
              << confidant::witness::kHelpOutro;
    return 0;
  }
  ::umask(077);
  if (absl::Status hardened = confidant::crypto::HardenProcess(); !hardened.ok()) {
    std::cerr << "confidant-witness: " << hardened.message() << "\n";
    return 1;
  }
  absl::SetProgramUsageMessage(
      "confidant-witness --state_dir DIR [--init] --log_origin ORIGIN --log_key BASE64 "
      "--tls_cert PEM --tls_key PEM --client_ca PEM [--listen HOST:PORT] [--name NAME]");
  std::vector<std::string> args = confidant::NormalizeFlagNames(argc, argv);
  std::vector<char*> cargs;
  for (std::string& a : args) cargs.push_back(a.data());
  absl::ParseCommandLine(static_cast<int>(cargs.size()), cargs.data());
  if (absl::Status status = confidant::witness::Run(); !status.ok()) {
    std::cerr << "confidant-witness: " << status.message() << "\n";
    return 1;
  }
  return 0;
}
