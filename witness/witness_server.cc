#include "witness/witness_server.h"

#include <utility>

#include "absl/strings/str_cat.h"
#include "grpcpp/health_check_service_interface.h"
#include "grpcpp/resource_quota.h"
#include "grpcpp/security/server_credentials.h"
#include "grpcpp/server_builder.h"

namespace confidant::witness {
namespace {

// A request carries one note, at most kMaxProofHashes hashes and kMaxKeyTransitions
// transitions: below this.
constexpr int kMaxMessageBytes = 64 * 1024;

std::shared_ptr<grpc::ServerCredentials> MutualTls(const WitnessServerOptions& options) {
  grpc::SslServerCredentialsOptions ssl(GRPC_SSL_REQUEST_AND_REQUIRE_CLIENT_CERTIFICATE_AND_VERIFY);
  ssl.pem_root_certs = options.client_ca_pem;
  ssl.pem_key_cert_pairs.push_back({options.server_private_key_pem, options.server_certificate_pem});
  return grpc::SslServerCredentials(ssl);
}

}  // namespace

absl::StatusOr<std::unique_ptr<WitnessServer>> WitnessServer::Start(Witness& witness,
                                                                    WitnessServerOptions options) {
  if (options.server_certificate_pem.empty() || options.server_private_key_pem.empty() ||
      options.client_ca_pem.empty()) {
    return absl::InvalidArgumentError("TLS server certificate, key and client CA are required");
  }
  std::unique_ptr<WitnessServer> server(new WitnessServer());
  server->service_ =
      std::make_unique<WitnessServiceImpl>(witness, std::move(options.now_unix_seconds));

  grpc::EnableDefaultHealthCheckService(true);
  grpc::ServerBuilder builder;
  builder.AddListeningPort(options.listen_address, MutualTls(options), &server->port_);
  builder.RegisterService(server->service_.get());
  builder.AddChannelArgument(GRPC_ARG_ALLOW_REUSEPORT, 0);  // a port in use fails the start
  builder.SetMaxReceiveMessageSize(kMaxMessageBytes);
  builder.SetMaxSendMessageSize(kMaxMessageBytes);
  builder.AddChannelArgument(GRPC_ARG_MAX_CONCURRENT_STREAMS, 16);
  grpc::ResourceQuota quota("confidant-witness");
  quota.SetMaxThreads(options.max_threads);
  builder.SetResourceQuota(quota);
  server->server_ = builder.BuildAndStart();
  if (server->server_ == nullptr || server->port_ == 0) {
    return absl::UnavailableError(
        absl::StrCat("cannot listen on ", options.listen_address, " (in use, or not local)"));
  }
  server->server_->GetHealthCheckService()->SetServingStatus(true);
  return server;
}

WitnessServer::~WitnessServer() { Shutdown(); }

void WitnessServer::Shutdown() {
  if (server_ == nullptr) return;
  server_->GetHealthCheckService()->SetServingStatus(false);
  server_->Shutdown();
  server_->Wait();
  server_.reset();
}

}  // namespace confidant::witness
