#include "server/vault_server.h"

#include <chrono>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "crypto/random.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "base/status_macros.h"
#include "crypto/init.h"
#include "grpcpp/health_check_service_interface.h"
#include "grpcpp/security/server_credentials.h"
#include "grpcpp/server_builder.h"
#include "proto/record_validation.h"
#include "server/grpc_log_bridge.h"
#include "server/store/rocksdb_store.h"

namespace confidant::server {
namespace {

constexpr size_t kMemoryLockProbeBytes = 256 * 1024;

std::shared_ptr<grpc::ServerCredentials> MutualTlsCredentials(const ServerOptions& options) {
  grpc::SslServerCredentialsOptions ssl(
      GRPC_SSL_REQUEST_AND_REQUIRE_CLIENT_CERTIFICATE_AND_VERIFY);
  ssl.pem_root_certs = options.client_ca_pem;
  ssl.pem_key_cert_pairs.push_back(
      {options.server_private_key_pem, options.server_certificate_pem});
  return grpc::SslServerCredentials(ssl);
}

int64_t NowUnixMicros() { return absl::ToUnixMicros(absl::Now()); }

// The audit entry that says which policy is in force: version and BLAKE2b-256 of its text.
absl::Status RecordPolicyLoaded(VaultState& state, const std::string& policy_text,
                                uint64_t version) {
  ASSIGN_OR_RETURN(std::shared_ptr<OpenVault> open, state.Open());
  v1::AuditEvent event;
  event.set_action("policy_loaded");
  event.set_decision(v1::ALLOW);
  event.set_rule("vault:start");
  event.set_status_code("OK");
  event.set_detail(absl::StrCat("policy version ", version, " blake2b256 ",
                                absl::BytesToHexString(crypto::Blake2b256(policy_text))));
  return open->recorder.Record(std::move(event)).status();
}

}  // namespace

absl::StatusOr<std::unique_ptr<VaultServer>> VaultServer::Start(ServerOptions options) {
  RETURN_IF_ERROR(crypto::InitCrypto());
  RETURN_IF_ERROR(crypto::ProbeMemoryLocking(kMemoryLockProbeBytes));
  InstallGrpcLogBridge();
  if (options.server_certificate_pem.empty() || options.server_private_key_pem.empty() ||
      options.client_ca_pem.empty()) {
    return absl::InvalidArgumentError("TLS server certificate, key and client CA are required");
  }
  absl::StatusOr<policy::Policy> policy = policy::Policy::FromText(options.policy_text);
  if (!policy.ok()) {
    return absl::InvalidArgumentError(absl::StrCat("policy rejected:\n", policy.status().message()));
  }
  ASSIGN_OR_RETURN(std::unique_ptr<store::KvStore> store,
                   store::RocksDbStore::Open(options.data_dir));
  if (options.store_decorator) store = options.store_decorator(std::move(store));
  const uint64_t policy_version = policy->version();
  auto authorizer = std::make_shared<const policy::Authorizer>(
      std::make_shared<const policy::Policy>(*std::move(policy)));

  std::unique_ptr<VaultServer> server(new VaultServer());
  server->state_ = std::make_unique<VaultState>(std::move(store), authorizer, NowUnixMicros,
                                                options.witnesses, options.witness_tls);
  if (options.master_key.has_value()) {
    RETURN_IF_ERROR(server->state_->Unseal(*options.master_key));
    RETURN_IF_ERROR(RecordPolicyLoaded(*server->state_, options.policy_text, policy_version));
  }
  options.master_key.reset();  // wiped: the keys now live in VaultKeys only
  server->record_service_ = std::make_unique<RecordServiceImpl>(*server->state_);
  server->log_service_ = std::make_unique<LogServiceImpl>(*server->state_);
  server->audit_service_ = std::make_unique<AuditServiceImpl>(*server->state_);

  grpc::EnableDefaultHealthCheckService(true);
  grpc::ServerBuilder builder;
  builder.AddListeningPort(options.listen_address, MutualTlsCredentials(options), &server->port_);
  builder.RegisterService(server->record_service_.get());
  builder.RegisterService(server->log_service_.get());
  builder.RegisterService(server->audit_service_.get());
  builder.SetMaxReceiveMessageSize(static_cast<int>(kMaxGrpcMessageBytes));
  builder.SetMaxSendMessageSize(static_cast<int>(kMaxGrpcMessageBytes));
  builder.AddChannelArgument(GRPC_ARG_MAX_CONNECTION_AGE_MS,
                             options.max_connection_age_seconds * 1000);
  builder.AddChannelArgument(GRPC_ARG_MAX_CONNECTION_AGE_GRACE_MS, 10 * 1000);
  builder.AddChannelArgument(GRPC_ARG_MAX_CONCURRENT_STREAMS, 64);
  grpc::ResourceQuota quota("confidantd");
  quota.SetMaxThreads(options.max_threads);
  builder.SetResourceQuota(quota);
  server->server_ = builder.BuildAndStart();
  if (server->server_ == nullptr || server->port_ == 0) {
    return absl::UnavailableError(
        absl::StrCat("cannot listen on ", options.listen_address, " (in use, or not local)"));
  }
  // SERVING only once storage is open and the vault is unsealed.
  server->server_->GetHealthCheckService()->SetServingStatus(!server->sealed());
  return server;
}

VaultServer::~VaultServer() { Shutdown(); }

std::string VaultServer::identity_public_key() const {
  absl::StatusOr<std::shared_ptr<OpenVault>> open = state_->Open();
  return open.ok() ? (*open)->keys->identity().public_key : std::string();
}

std::string VaultServer::log_origin() const {
  absl::StatusOr<std::shared_ptr<OpenVault>> open = state_->Open();
  return open.ok() ? (*open)->log->origin() : std::string();
}

std::string VaultServer::log_public_key() const {
  absl::StatusOr<std::shared_ptr<OpenVault>> open = state_->Open();
  return open.ok() ? (*open)->keys->checkpoint_key().public_key : std::string();
}

void VaultServer::Shutdown() {
  if (server_ == nullptr) return;
  server_->GetHealthCheckService()->SetServingStatus(false);
  server_->Shutdown(std::chrono::system_clock::now() + std::chrono::seconds(5));
  server_->Wait();
  server_.reset();
}

void VaultServer::Wait() {
  if (server_ != nullptr) server_->Wait();
}

}  // namespace confidant::server
