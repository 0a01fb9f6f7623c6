// confidant-report: the reporting client. Thin: flags, identity, one subcommand. Links only the
// reporting stub (a test checks the binary's symbols).
#include <sys/stat.h>

#include <iostream>
#include <string>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/flags/usage.h"
#include "absl/status/status.h"
#include "base/flag_names.h"
#include "base/status_macros.h"
#include "client/report/report_channel.h"
#include "client/report/report_commands.h"
#include "client/report/report_verify.h"
#include "crypto/init.h"

ABSL_FLAG(std::string, server, "127.0.0.1:7444", "Reporting service address host:port");
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

constexpr char kUsage[] =
    "confidant-report [--server H:P] [--identity DIR] COMMAND\n"
    "  catalogue                                   the tables, their budgets and released periods\n"
    "  table ID --period P [--version N] [--format table|csv|json] [--chart OUT.svg] [--release-key KEY]\n"
    "                                              one frozen, signed, noisy release\n"
    "  ledger                                      the privacy ledger and its head";

absl::Status Run(const std::vector<char*>& args) {
  if (args.size() < 2) return absl::InvalidArgumentError(kUsage);
  const std::string command = args[1];
  const size_t operands = args.size() - 2;
  const bool known = (command == "catalogue" && operands == 0) ||
                     (command == "ledger" && operands == 0) ||
                     (command == "table" && operands == 1);
  if (!known) return absl::InvalidArgumentError(kUsage);
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
      v1::ReportingService::NewStub(MakeReportChannel(absl::GetFlag(FLAGS_server), identity));
  if (command == "catalogue") return CatalogueCommand(*stub, std::cout);
  if (command == "ledger") return LedgerCommand(*stub, std::cout);
  return TableCommand(*stub, options, std::cout);
}

}  // namespace
}  // namespace confidant::report

int main(int argc, char** argv) {
  ::umask(022);
  absl::SetProgramUsageMessage("confidant-report [--server H:P] catalogue|table|ledger ...");
  std::vector<std::string> normalized = confidant::NormalizeFlagNames(argc, argv);
  std::vector<char*> cargs;
  for (std::string& a : normalized) cargs.push_back(a.data());
  std::vector<char*> args = absl::ParseCommandLine(static_cast<int>(cargs.size()), cargs.data());
  if (absl::Status status = confidant::report::Run(args); !status.ok()) {
    std::cerr << "confidant-report: " << absl::StatusCodeToString(status.code()) << ": "
              << status.message() << "\n";
    return 1;
  }
  return 0;
}
