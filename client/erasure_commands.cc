#include "client/erasure_commands.h"

#include <chrono>

#include "absl/time/time.h"
#include "base/status_macros.h"
#include "client/request_state_text.h"
#include "proto/display_text.h"
#include "grpcpp/client_context.h"

namespace confidant::client {
namespace {

void SetDeadline(grpc::ClientContext& context) {
  // An approval shreds and compacts: allow it time.
  context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(300));
}

}  // namespace

absl::Status ErasureRequestCommand(VaultClient& client, const std::string& record_id,
                                   const std::string& reason, std::ostream& out) {
  if (reason.empty()) return absl::InvalidArgumentError("erasure request needs --reason");
  v1::RequestErasureRequest request;
  request.set_record_id(record_id);
  request.set_reason(reason);
  grpc::ClientContext context;
  SetDeadline(context);
  v1::RequestErasureResponse response;
  RETURN_IF_ERROR(FromGrpc(client.stub().RequestErasure(&context, request, &response)));
  out << response.request_id() << "  (nothing is destroyed until an approver agrees)\n";
  return absl::OkStatus();
}

absl::Status ErasureListCommand(VaultClient& client, bool mine, std::ostream& out) {
  v1::ListErasureRequestsRequest request;  // every page, in request id order
  request.set_mine(mine);
  int listed = 0;
  do {
    grpc::ClientContext context;
    SetDeadline(context);
    v1::ListErasureRequestsResponse response;
    RETURN_IF_ERROR(FromGrpc(client.stub().ListErasureRequests(&context, request, &response)));
    for (const v1::ErasureRequestSummary& r : response.requests()) {
      // Every string another person typed is escaped (proto/display_text.h).
      out << ForTerminal(r.request_id()) << "  record " << ForTerminal(r.record_id()) << "  by "
          << ForTerminal(r.requester_person_id()) << "  "
          << absl::FormatTime("%Y-%m-%dT%H:%M:%SZ",
                              absl::FromUnixSeconds(r.created_unix_seconds()),
                              absl::UTCTimeZone())
          << "  "
          << (r.state() == v1::REQUEST_APPROVED
                  ? std::string("approved: the record was destroyed")
                  : RequestStateText(r.state(), r.expires_unix_seconds()));
      if (!r.reason().empty()) out << "  reason: " << ForTerminal(r.reason());
      out << "\n";
    }
    listed += response.requests_size();
    request.set_page_token(response.next_page_token());
  } while (!request.page_token().empty());
  if (listed == 0) {
    out << (mine ? "you have filed no erasure requests\n"
                 : "no open erasure requests from other persons\n");
  }
  return absl::OkStatus();
}

absl::Status ErasureDecideCommand(VaultClient& client, const std::string& request_id,
                                  bool approve, std::ostream& out) {
  v1::DecideErasureRequest request;
  request.set_request_id(request_id);
  request.set_approve(approve);
  grpc::ClientContext context;
  SetDeadline(context);
  v1::DecideErasureResponse response;
  RETURN_IF_ERROR(FromGrpc(client.stub().DecideErasure(&context, request, &response)));
  out << "erasure request " << ForTerminal(request_id) << " for record "
      << ForTerminal(response.record_id())
      << (!approve             ? " rejected"
          : response.shredded() ? " approved: the record is shredded"
                                : " approved; the record was already erased, nothing more to shred")
      << "\n";
  return absl::OkStatus();
}

}  // namespace confidant::client
