// confidant: the staff and visit-team command line. Thin: flags, identity, one subcommand.
#include <sys/resource.h>
#include <sys/stat.h>

#include <cstdlib>
#include <iostream>
#include <string>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/flags/usage.h"
#include "absl/status/statusor.h"
#include "base/flag_names.h"
#include "base/status_macros.h"
#include "client/cli_commands.h"
#include "crypto/init.h"

ABSL_FLAG(std::string, server, "", "Vault address host:port (default 127.0.0.1:7443 with CONFIDANT_DEV_DIR)");
ABSL_FLAG(std::string, identity, "", "Identity folder (ca.crt client.crt client.key vault.pub)");
ABSL_FLAG(std::string, as, "", "Dev only: use $CONFIDANT_DEV_DIR/identities/ROLE");
ABSL_FLAG(std::string, purpose, "", "get: purpose code (e.g. follow_up)");
ABSL_FLAG(std::string, reason, "", "get: optional reason, at most 500 bytes");
ABSL_FLAG(std::string, facility, "", "list: only this facility id");
ABSL_FLAG(std::string, since, "", "list: visits on or after YYYY-MM-DD");
ABSL_FLAG(std::string, submission_id, "", "submit: reuse an id to retry idempotently");

namespace confidant::client {
namespace {

constexpr char kUsage[] =
    "confidant [--server H:P] [--identity DIR | --as ROLE] COMMAND\n"
    "  submit FILE.json                       seal and submit a record; prints its id\n"
    "  get RECORD_ID --purpose CODE [--reason TEXT]   print the sections you may read\n"
    "  list [--facility F] [--since DATE]     list record metadata";

absl::StatusOr<std::string> IdentityDir() {
  const char* dev = std::getenv("CONFIDANT_DEV_DIR");
  if (!absl::GetFlag(FLAGS_identity).empty()) return absl::GetFlag(FLAGS_identity);
  if (!absl::GetFlag(FLAGS_as).empty()) {
    if (dev == nullptr) return absl::InvalidArgumentError("--as needs CONFIDANT_DEV_DIR");
    return std::string(dev) + "/identities/" + absl::GetFlag(FLAGS_as);
  }
  if (const char* env = std::getenv("CONFIDANT_IDENTITY")) return std::string(env);
  return absl::InvalidArgumentError(
      "no identity: pass --identity DIR (or --as ROLE with CONFIDANT_DEV_DIR set)");
}

absl::StatusOr<std::string> ServerAddress() {
  if (!absl::GetFlag(FLAGS_server).empty()) return absl::GetFlag(FLAGS_server);
  if (const char* env = std::getenv("CONFIDANT_SERVER")) return std::string(env);
  if (std::getenv("CONFIDANT_DEV_DIR") != nullptr) return std::string("127.0.0.1:7443");
  return absl::InvalidArgumentError("no server: pass --server HOST:PORT");
}

absl::Status Run(const std::vector<char*>& args) {
  if (args.size() < 2) return absl::InvalidArgumentError(kUsage);
  const std::string command = args[1];
  const size_t operands = args.size() - 2;
  ASSIGN_OR_RETURN(std::string dir, IdentityDir());
  ASSIGN_OR_RETURN(std::string server, ServerAddress());
  ASSIGN_OR_RETURN(ClientIdentity identity, ClientIdentity::Load(dir));
  ASSIGN_OR_RETURN(std::unique_ptr<VaultClient> client,
                   VaultClient::Connect(server, std::move(identity)));
  if (command == "submit" && operands == 1) {
    return SubmitCommand(*client, args[2], absl::GetFlag(FLAGS_submission_id), std::cout);
  }
  if (command == "get" && operands == 1) {
    return GetCommand(*client, args[2], absl::GetFlag(FLAGS_purpose), absl::GetFlag(FLAGS_reason),
                      std::cout);
  }
  if (command == "list" && operands == 0) {
    return ListCommand(*client, absl::GetFlag(FLAGS_facility), absl::GetFlag(FLAGS_since),
                       std::cout);
  }
  return absl::InvalidArgumentError(kUsage);
}

}  // namespace
}  // namespace confidant::client

int main(int argc, char** argv) {
  ::umask(077);
  // The CLI handles plaintext records: no core dumps, not ptrace-able.
  if (absl::Status hardened = confidant::crypto::HardenProcess(); !hardened.ok()) {
    std::cerr << "confidant: " << hardened.message() << "\n";
    return 1;
  }
  absl::SetProgramUsageMessage("confidant [--server H:P] [--identity DIR] submit|get|list ...");
  std::vector<std::string> normalized = confidant::NormalizeFlagNames(argc, argv);
  std::vector<char*> cargs;
  for (std::string& a : normalized) cargs.push_back(a.data());
  std::vector<char*> args = absl::ParseCommandLine(static_cast<int>(cargs.size()), cargs.data());
  if (absl::Status status = confidant::client::Run(args); !status.ok()) {
    std::cerr << "confidant: " << absl::StatusCodeToString(status.code()) << ": "
              << status.message() << "\n";
    return status.code() == absl::StatusCode::kInvalidArgument ? 2 : 1;
  }
  return 0;
}
