#include "client/reshare_commands.h"

#include <chrono>
#include <string>

#include "absl/strings/ascii.h"
#include "base/status_macros.h"
#include "client/vault_client.h"
#include "confidant/v1/operator.grpc.pb.h"
#include "crypto/secret_bytes.h"
#include "grpcpp/client_context.h"

namespace confidant::client {

absl::Status OperatorReshareCommand(const std::shared_ptr<grpc::Channel>& channel, int shares,
                                    int threshold, std::istream& in, std::ostream& out) {
  if (shares < 2 || shares > 255 || threshold < 2 || threshold > shares) {
    return absl::InvalidArgumentError("need 2 <= --threshold <= --shares <= 255");
  }
  v1::ReshareRequest request;
  request.set_shares(static_cast<uint32_t>(shares));
  request.set_threshold(static_cast<uint32_t>(threshold));
  std::string line;
  std::getline(in, line);
  request.set_share(std::string(absl::StripAsciiWhitespace(line)));
  crypto::WipeString(line);
  if (request.share().empty()) {
    return absl::InvalidArgumentError(
        "reshare reads one current share from standard input; got none");
  }
  auto stub = v1::OperatorService::NewStub(channel);
  grpc::ClientContext context;
  context.set_deadline(std::chrono::system_clock::now() + std::chrono::minutes(5));
  v1::ReshareResponse response;
  absl::Status sent = FromGrpc(stub->Reshare(&context, request, &response));
  crypto::WipeString(*request.mutable_share());
  RETURN_IF_ERROR(sent);
  if (response.shares_size() == 0) {
    out << "share accepted towards the re-share: " << response.shares_received() << " of "
        << response.threshold() << " current shares\n";
    return absl::OkStatus();
  }
  out << "The master key is re-keyed: share set " << response.previous_share_set_id()
      << " no longer opens the vault. Below are the " << response.shares_size()
      << " new unseal shares (share set " << response.share_set_id() << "); any " << threshold
      << " of them open it. They are shown once and the vault keeps none of them:\n"
         "give each to a different custodian now, on paper or offline media, and destroy the "
         "old shares.\n\n";
  for (std::string& share : *response.mutable_shares()) {
    out << share << "\n";
    crypto::WipeString(share);
  }
  return absl::OkStatus();
}

absl::Status OperatorResetReshareCommand(const std::shared_ptr<grpc::Channel>& channel,
                                         std::ostream& out) {
  auto stub = v1::OperatorService::NewStub(channel);
  grpc::ClientContext context;
  context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(60));
  v1::ReshareResponse response;
  RETURN_IF_ERROR(
      FromGrpc(stub->ResetReshare(&context, v1::ResetReshareRequest(), &response)));
  out << "re-share progress reset\n";
  return absl::OkStatus();
}

}  // namespace confidant::client
