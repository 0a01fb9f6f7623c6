#include "client/report/report_commands.h"

#include <chrono>

#include "base/status_macros.h"
#include "client/report/report_chart.h"
#include "client/report/report_render.h"
#include "client/report/report_verify.h"
#include "grpcpp/client_context.h"

namespace confidant::report {
namespace {

void SetDeadline(grpc::ClientContext& context) {
  context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(30));
}

}  // namespace

absl::Status FromGrpc(const grpc::Status& status) {
  return absl::Status(static_cast<absl::StatusCode>(status.error_code()), status.error_message());
}

absl::Status CatalogueCommand(v1::ReportingService::StubInterface& stub, std::ostream& out) {
  grpc::ClientContext context;
  SetDeadline(context);
  v1::Catalogue catalogue;
  RETURN_IF_ERROR(
      FromGrpc(stub.ListCatalogue(&context, v1::ListCatalogueRequest(), &catalogue)));
  RenderCatalogue(catalogue, out);
  return absl::OkStatus();
}

absl::Status TableCommand(v1::ReportingService::StubInterface& stub, const TableOptions& options,
                          std::ostream& out) {
  if (options.format != "table" && options.format != "csv" && options.format != "json") {
    return absl::InvalidArgumentError("--format must be table, csv or json");
  }
  if (options.table_id.empty() || options.period.empty()) {
    return absl::InvalidArgumentError("table needs a table id and --period (e.g. 2026Q3)");
  }
  grpc::ClientContext context;
  SetDeadline(context);
  v1::GetReleaseRequest request;
  request.set_table_id(options.table_id);
  request.set_period(options.period);
  request.set_version(options.version);
  v1::GetReleaseResponse response;
  RETURN_IF_ERROR(FromGrpc(stub.GetRelease(&context, request, &response)));
  ASSIGN_OR_RETURN(VerifiedRelease verified,
                   VerifySignedRelease(response.signed_release(), options.release_key,
                                       options.table_id, options.period));
  if (options.version != 0 && verified.release.version() != options.version) {
    return absl::DataLossError("the server sent another version than the one asked for");
  }
  RETURN_IF_ERROR(RenderRelease(verified.release, options.format, out));
  if (!options.chart_path.empty()) {
    RETURN_IF_ERROR(WriteChartSvg(options.chart_path, verified.release));
  }
  return absl::OkStatus();
}

absl::Status LedgerCommand(v1::ReportingService::StubInterface& stub, std::ostream& out) {
  grpc::ClientContext context;
  SetDeadline(context);
  v1::Ledger ledger;
  RETURN_IF_ERROR(FromGrpc(stub.GetLedger(&context, v1::GetLedgerRequest(), &ledger)));
  RenderLedger(ledger, out);
  return absl::OkStatus();
}

}  // namespace confidant::report
