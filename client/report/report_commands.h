// The `confidant-report` subcommands. Each prints its result on `out` and returns a status; the
// main prints a failed status as one line on stderr. Nothing printed is secret.
#ifndef CONFIDANT_CLIENT_REPORT_REPORT_COMMANDS_H_
#define CONFIDANT_CLIENT_REPORT_REPORT_COMMANDS_H_

#include <ostream>
#include <string>

#include "absl/status/status.h"
#include "confidant/v1/reporting.grpc.pb.h"

namespace confidant::report {

// Converts a gRPC status into an absl::Status with the same code and message.
absl::Status FromGrpc(const grpc::Status& status);

// Lists the catalogue.
absl::Status CatalogueCommand(v1::ReportingService::StubInterface& stub, std::ostream& out);

struct TableOptions {
  std::string table_id;
  std::string period;             // "2026Q3" or "2026"
  uint32_t version = 0;           // 0: the newest
  std::string format = "table";   // table, csv or json
  std::string chart_path;         // empty: no chart
  std::string release_key;        // raw 32 bytes; empty: any key whose signature verifies
};

// Fetches one release, verifies it (report_verify.h) and prints it; writes the chart if asked.
// Nothing is printed or written for a release that does not verify.
absl::Status TableCommand(v1::ReportingService::StubInterface& stub, const TableOptions& options,
                          std::ostream& out);

// Prints the privacy ledger and its head.
absl::Status LedgerCommand(v1::ReportingService::StubInterface& stub, std::ostream& out);

}  // namespace confidant::report

#endif  // CONFIDANT_CLIENT_REPORT_REPORT_COMMANDS_H_
