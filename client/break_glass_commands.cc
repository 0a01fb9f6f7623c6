#include "client/break_glass_commands.h"

#include <chrono>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "base/status_macros.h"
#include "client/request_state_text.h"
#include "proto/display_text.h"
#include "grpcpp/client_context.h"

namespace confidant::client {
namespace {

void SetDeadline(grpc::ClientContext& context) {
  context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(30));
}

std::string FormatUnix(int64_t seconds) {
  return absl::FormatTime("%Y-%m-%dT%H:%M:%SZ", absl::FromUnixSeconds(seconds),
                          absl::UTCTimeZone());
}

}  // namespace

absl::Status BreakGlassRequestCommand(VaultClient& client, const std::string& record_id,
                                      const std::string& purpose, const std::string& reason,
                                      std::ostream& out) {
  v1::Purpose code;
  if (!v1::Purpose_Parse(absl::AsciiStrToUpper(purpose), &code) || code == v1::PURPOSE_UNSPECIFIED) {
    return absl::InvalidArgumentError("--purpose must be a purpose code, e.g. follow_up");
  }
  if (reason.empty()) return absl::InvalidArgumentError("break-glass request needs --reason");
  v1::RequestBreakGlassRequest request;
  request.set_record_id(record_id);
  request.set_purpose(code);
  request.set_reason(reason);
  grpc::ClientContext context;
  SetDeadline(context);
  v1::RequestBreakGlassResponse response;
  RETURN_IF_ERROR(FromGrpc(client.stub().RequestBreakGlass(&context, request, &response)));
  out << response.request_id()
      << "  (nothing is readable until approvers agree; a request nobody decides expires, by "
         "default after 24 h; read the record once `get` works)\n";
  return absl::OkStatus();
}

absl::Status BreakGlassListCommand(VaultClient& client, bool mine, std::ostream& out) {
  v1::ListBreakGlassRequestsRequest request;  // every page, in request id order
  request.set_mine(mine);
  int listed = 0;
  do {
    grpc::ClientContext context;
    SetDeadline(context);
    v1::ListBreakGlassRequestsResponse response;
    RETURN_IF_ERROR(FromGrpc(client.stub().ListBreakGlassRequests(&context, request, &response)));
    for (const v1::BreakGlassRequestSummary& r : response.requests()) {
      // Every string another person typed is escaped (proto/display_text.h).
      out << ForTerminal(r.request_id()) << "  record " << ForTerminal(r.record_id()) << "  by "
          << ForTerminal(r.requester_person_id()) << "  "
          << absl::AsciiStrToLower(v1::Purpose_Name(r.purpose())) << "  "
          << FormatUnix(r.created_unix_seconds()) << "  approvals " << r.approvals() << " of "
          << r.approvals_needed() << "  " << RequestStateText(r.state(), r.expires_unix_seconds())
          << "  reason: " << ForTerminal(r.reason()) << "\n";
    }
    listed += response.requests_size();
    request.set_page_token(response.next_page_token());
  } while (!request.page_token().empty());
  if (listed == 0) {
    out << (mine ? "you have filed no break-glass requests\n"
                 : "no open break-glass requests from other persons\n");
  }
  return absl::OkStatus();
}

absl::Status BreakGlassDecideCommand(VaultClient& client, const std::string& request_id,
                                     bool approve, std::ostream& out) {
  v1::DecideBreakGlassRequest request;
  request.set_request_id(request_id);
  request.set_approve(approve);
  grpc::ClientContext context;
  SetDeadline(context);
  v1::DecideBreakGlassResponse response;
  RETURN_IF_ERROR(FromGrpc(client.stub().DecideBreakGlass(&context, request, &response)));
  const std::string which = absl::StrCat("break-glass request ", ForTerminal(request_id),
                                         " for record ", ForTerminal(response.record_id()));
  if (!approve) {
    out << which << " rejected\n";
  } else if (response.granted()) {
    out << which << " granted until " << FormatUnix(response.expires_unix_seconds()) << "\n";
  } else {
    out << which << " approved; more approvals needed\n";
  }
  return absl::OkStatus();
}

}  // namespace confidant::client
