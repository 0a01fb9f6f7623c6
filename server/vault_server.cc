#include "server/vault_server.h"

#include <chrono>
#include <memory>
#include <vector>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "crypto/random.h"
#include "base/log.h"
#include "base/status_macros.h"
#include "crypto/init.h"
#include "grpcpp/health_check_service_interface.h"
#include "grpcpp/security/server_credentials.h"
#include "grpcpp/server_builder.h"
#include "proto/record_validation.h"
#include "server/clock.h"
#include "server/grpc_log_bridge.h"
#include "server/malformed_request_interceptor.h"
#include "server/policy_grants.h"
#include "server/store/rocksdb_store.h"

namespace confidant::server {
namespace {

// A request that does not parse gets INVALID_ARGUMENT and a trace, on every listener
// (server/malformed_request_interceptor.h).
std::vector<std::unique_ptr<grpc::experimental::ServerInterceptorFactoryInterface>>
MalformedRequestTracing(VaultState& state) {
  std::vector<std::unique_ptr<grpc::experimental::ServerInterceptorFactoryInterface>> creators;
  creators.push_back(std::make_unique<MalformedRequestInterceptorFactory>(state));
  return creators;
}

constexpr size_t kMemoryLockProbeBytes = 256 * 1024;
constexpr std::chrono::milliseconds kShutdownGrace{500};

std::shared_ptr<grpc::ServerCredentials> MutualTlsCredentials(const ServerOptions& options) {
  grpc::SslServerCredentialsOptions ssl(
      GRPC_SSL_REQUEST_AND_REQUIRE_CLIENT_CERTIFICATE_AND_VERIFY);
  ssl.pem_root_certs = options.client_ca_pem;
  ssl.pem_key_cert_pairs.push_back(
      {options.server_private_key_pem, options.server_certificate_pem});
  return grpc::SslServerCredentials(ssl);
}

// The audit entry that says which policy is in force, or why one was refused.
absl::Status RecordPolicyEvent(OpenVault& open, const absl::StatusOr<LoadedPolicy>& loaded,
                               std::string_view trigger, std::string_view governance) {
  v1::AuditEvent event;
  event.set_action(loaded.ok() ? "policy_loaded" : "policy_rejected");
  event.set_decision(loaded.ok() ? v1::ALLOW : v1::DENY);
  event.set_rule(absl::StrCat("vault:", std::string(trigger)));
  event.set_status_code(absl::StatusCodeToString(loaded.status().code()));
  event.set_detail(loaded.ok() ? absl::StrCat("policy version ", loaded->policy->version(),
                                              " blake2b256 ", loaded->hash_hex,
                                              " governance ", std::string(governance))
                               : std::string(loaded.status().message()).substr(0, 300));
  return open.recorder.Record(std::move(event)).status();
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
  const bool restoring = !options.restore_from.empty();
  if (restoring && options.master_key.has_value()) {
    return absl::InvalidArgumentError("--restore unseals with the vault's shares, not --dev");
  }
  ASSIGN_OR_RETURN(std::unique_ptr<store::KvStore> store,
                   store::RocksDbStore::Open(options.data_dir));
  if (options.store_decorator) store = options.store_decorator(std::move(store));
  if (!restoring) RETURN_IF_ERROR(CheckNoInterruptedRestore(*store));
  std::unique_ptr<BackupKeyEscrow> escrow;
  if (!options.backup_keys_dir.empty()) {
    RETURN_IF_ERROR(CheckEscrowDirectory(options.backup_keys_dir, options.data_dir,
                                         options.escrow_same_filesystem_ok));
    escrow = std::make_unique<BackupKeyEscrow>(options.backup_keys_dir);
  }
  std::unique_ptr<VaultServer> server(new VaultServer());
  server->governance_keys_text_ = options.governance_keys_text;
  server->policy_path_ = options.policy_path;
  if (restoring) {
    // Before the gate pins anything: only an empty data directory is restored into.
    ASSIGN_OR_RETURN(server->restore_,
                     PendingRestore::Prepare(options.restore_from, options.restore_shred_register,
                                             options.restore_without_newer_register,
                                             *store, escrow.get(), {std::string(kGovernancePinKey)}));
  }
  ASSIGN_OR_RETURN(server->gate_, PolicyGate::Create(*store, options.governance_keys_text,
                                                     options.policy_path));
  absl::StatusOr<LoadedPolicy> loaded = server->gate_->Load(/*reload=*/false);
  if (!loaded.ok()) {
    return absl::Status(loaded.status().code(),
                        absl::StrCat("policy rejected:\n", loaded.status().message()));
  }
  auto authorizer = std::make_shared<const policy::Authorizer>(loaded->policy);
  server->state_ = std::make_unique<VaultState>(std::move(store), authorizer, WallMicros,
                                                options.witnesses, options.witness_tls,
                                                std::move(escrow));
  server->custody_ = server->restore_ != nullptr
                         ? std::make_unique<Custody>(server->state_->store(),
                                                     server->restore_->custody())
                         : std::make_unique<Custody>(server->state_->store());
  if (options.master_key.has_value()) {
    RETURN_IF_ERROR(server->UnsealWith(*options.master_key, "start"));
  }
  options.master_key.reset();  // wiped: the keys now live in VaultKeys only
  server->record_service_ = std::make_unique<RecordServiceImpl>(*server->state_);
  server->log_service_ = std::make_unique<LogServiceImpl>(*server->state_);
  server->audit_service_ = std::make_unique<AuditServiceImpl>(*server->state_);
  server->policy_service_ = std::make_unique<PolicyServiceImpl>(
      *server->state_, [raw = server.get()](std::string_view by) { return raw->ReloadPolicy(by); });
  server->operator_service_ = std::make_unique<OperatorServiceImpl>(
      *server->state_, *server->custody_,
      VaultControl{[raw = server.get()](const crypto::SecretBytes& key, std::string_view by) {
                     return raw->UnsealWith(key, by);
                   },
                   [raw = server.get()] { return raw->Seal(); }, options.data_dir,
                   [raw = server.get()](const std::string& person) {
                     return raw->ApproveRestore(person);
                   },
                   [raw = server.get()] { return raw->RestoreProgress(); }});

  // Our own health service (server/health_service.h), authorised and audited; gRPC's default
  // one is off, so no listener (the reporting one included) answers health unaudited.
  grpc::EnableDefaultHealthCheckService(false);
  server->health_service_ = std::make_unique<HealthServiceImpl>(*server->state_);
  grpc::ServerBuilder builder;
  builder.AddListeningPort(options.listen_address, MutualTlsCredentials(options), &server->port_);
  builder.RegisterService(server->record_service_.get());
  builder.RegisterService(server->log_service_.get());
  builder.RegisterService(server->audit_service_.get());
  builder.RegisterService(server->policy_service_.get());
  builder.RegisterService(server->operator_service_.get());
  builder.RegisterService(server->health_service_.get());
  // gRPC sets SO_REUSEPORT by default: a second confidantd (or anything else running as the
  // same user) could then bind the same port and take half the calls. Off: a port in use is an
  // error at start.
  builder.AddChannelArgument(GRPC_ARG_ALLOW_REUSEPORT, 0);
  builder.experimental().SetInterceptorCreators(MalformedRequestTracing(*server->state_));
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
  if (!options.reporting_listen_address.empty()) {
    // A listener of its own that registers no record, audit, policy or operator method: a
    // reporting client cannot even name them here (UNIMPLEMENTED).
    server->reporting_service_ = std::make_unique<ReportingServiceImpl>(*server->state_);
    grpc::ServerBuilder reporting;
    reporting.AddListeningPort(options.reporting_listen_address, MutualTlsCredentials(options),
                               &server->reporting_port_);
    reporting.RegisterService(server->reporting_service_.get());
    reporting.AddChannelArgument(GRPC_ARG_ALLOW_REUSEPORT, 0);
    reporting.experimental().SetInterceptorCreators(MalformedRequestTracing(*server->state_));
    reporting.SetMaxReceiveMessageSize(64 * 1024);
    reporting.SetMaxSendMessageSize(static_cast<int>(kMaxGrpcMessageBytes));
    reporting.AddChannelArgument(GRPC_ARG_MAX_CONNECTION_AGE_MS,
                                 options.max_connection_age_seconds * 1000);
    reporting.AddChannelArgument(GRPC_ARG_MAX_CONCURRENT_STREAMS, 16);
    grpc::ResourceQuota reporting_quota("confidantd-reporting");
    reporting_quota.SetMaxThreads(16);
    reporting.SetResourceQuota(reporting_quota);
    server->reporting_server_ = reporting.BuildAndStart();
    if (server->reporting_server_ == nullptr || server->reporting_port_ == 0) {
      server->Shutdown();
      return absl::UnavailableError(absl::StrCat("cannot listen on ",
                                                 options.reporting_listen_address,
                                                 " for reporting (in use, or not local): choose "
                                                 "another with --reporting-listen HOST:PORT, or "
                                                 "--reporting-listen off"));
    }
  }
  return server;
}

VaultServer::~VaultServer() { Shutdown(); }

std::string VaultServer::identity_public_key() const {
  absl::StatusOr<std::shared_ptr<OpenVault>> open = state_->Open();
  return open.ok() ? (*open)->keys->identity()->public_key : std::string();
}

absl::Status VaultServer::BindPolicyGate(const OpenVault& open) {
  // A key of its own, derived from the index key: the gate must not keep the open vault alive.
  std::string derived =
      crypto::KeyedHash(open.keys->index_key(), "confidant/v1/policy-state-mac-key");
  auto key = std::make_shared<crypto::SecretBytes>(crypto::SecretBytes::CopyFrom(derived));
  crypto::WipeString(derived);
  return gate_->BindToVault(
      [key](std::string_view bytes) { return crypto::KeyedHash(*key, bytes); },
      open.keys->created());
}

absl::StatusOr<LoadedPolicy> VaultServer::ReloadPolicy(std::string_view requested_by) {
  absl::MutexLock lock(&reload_mu_);
  // Sealed: nothing could be audited.
  ASSIGN_OR_RETURN(std::shared_ptr<OpenVault> open, state_->Open());
  const std::shared_ptr<const policy::Authorizer> before = state_->authorizer();
  absl::StatusOr<LoadedPolicy> loaded = gate_->Load(/*reload=*/true);
  if (loaded.ok()) {
    if (absl::Status read = CheckSectionsStillRead(before->policy(), *loaded->policy); !read.ok()) {
      loaded = read;
    }
  }
  const std::string trigger = absl::StrCat("reload by ", std::string(requested_by));
  if (absl::Status audited =
          RecordPolicyEvent(*open, loaded, trigger, gate_->governance_fingerprint());
      !audited.ok()) {
    return absl::UnavailableError("the policy reload could not be audited; nothing changed");
  }
  if (!loaded.ok()) return loaded.status();  // the policy in force stays
  RETURN_IF_ERROR(gate_->MarkInForce(*loaded));
  state_->SetAuthorizer(std::make_shared<const policy::Authorizer>(loaded->policy));
  // Facilities the new list drops stay accepted for envelopes sealed before (for the grace).
  if (absl::Status noted = open->facility_history.Observe(loaded->policy->catalogue(),
                                                          WallSeconds());
      !noted.ok()) {
    LogEvent(LogLevel::kWarning, "facility_history_not_saved",
             {{"code", absl::StatusCodeToString(noted.code())}});
  }
  if (absl::Status started = StartWrapJobForGrants(*open, before->policy(), *loaded->policy);
      !started.ok()) {
    return absl::UnavailableError(
        "the policy is in force, but the wrap job for its grant changes could not be audited "
        "and started; run `confidant operator rewrap`");
  }
  return loaded;
}

absl::Status VaultServer::UnsealWith(const crypto::SecretBytes& master_key, std::string_view by) {
  absl::MutexLock lock(&reload_mu_);
  // The vault is published (served) only once its policy state checks out and the policy read
  // again is in force; any failure leaves it sealed (the keys just built are wiped).
  const std::string trigger =
      by == "start" ? "start" : absl::StrCat("unseal by ", std::string(by));
  if (restore_ != nullptr && !restore_written_) {
    RETURN_IF_ERROR(restore_->RestoreStorage(master_key, state_->store()));
    restore_written_ = true;
    // The gate was built over the empty directory: build it again over the restored one (its
    // pinned governance keys and the policy version in force come back with the backup).
    ASSIGN_OR_RETURN(gate_, PolicyGate::Create(state_->store(), governance_keys_text_,
                                               policy_path_));
  }
  absl::Status opened = state_->Unseal(
      master_key, [&](OpenVault& open) -> absl::StatusOr<std::shared_ptr<const policy::Authorizer>> {
        RETURN_IF_ERROR(BindPolicyGate(open));
        absl::StatusOr<LoadedPolicy> loaded = gate_->Load(/*reload=*/false);
        RETURN_IF_ERROR(RecordPolicyEvent(open, loaded, trigger, gate_->governance_fingerprint()));
        if (!loaded.ok()) {
          return absl::Status(loaded.status().code(),
                              absl::StrCat("policy rejected:\n", loaded.status().message()));
        }
        RETURN_IF_ERROR(gate_->MarkInForce(*loaded));
        RETURN_IF_ERROR(open.facility_history.Observe(loaded->policy->catalogue(), WallSeconds()));
        // A restored vault re-applies its shred register before it serves anything.
        if (restore_ != nullptr) RETURN_IF_ERROR(restore_->Finish(open));
        return std::make_shared<const policy::Authorizer>(loaded->policy);
      });
  if (!opened.ok()) {
    gate_->Unbind();
    return opened;
  }
  if (restore_ != nullptr) {
    restore_.reset();
    custody_->EndRestore();
    LogEvent(LogLevel::kInfo, "vault_restored", {});
  }
  // A rewrap job interrupted by a crash, restart or seal continues from its stored cursor.
  if (absl::StatusOr<std::shared_ptr<OpenVault>> open = state_->Open(); open.ok()) {
    if (absl::Status resumed = (*open)->rewrapper.ResumeIfPending(); !resumed.ok()) {
      LogEvent(LogLevel::kWarning, "rewrap_not_resumed",
               {{"code", absl::StatusCodeToString(resumed.code())}});
    }
    // Section grants changed while the vault was down: their wrap job starts now.
    if (absl::Status started = StartWrapJobIfGrantsChangedWhileDown(
            **open, state_->store(), state_->authorizer()->policy());
        !started.ok()) {
      LogEvent(LogLevel::kWarning, "wrap_grants_job_not_started",
               {{"code", absl::StatusCodeToString(started.code())}});
    }
  }
  return absl::OkStatus();
}

absl::StatusOr<size_t> VaultServer::ApproveRestore(const std::string& person_id) {
  absl::MutexLock lock(&reload_mu_);
  if (restore_ == nullptr) return absl::FailedPreconditionError("no restore is pending");
  return restore_->Approve(person_id);
}

RestoreProgress VaultServer::RestoreProgress() const {
  absl::MutexLock lock(&reload_mu_);
  ::confidant::server::RestoreProgress progress;
  if (restore_ != nullptr) {
    progress.pending = true;
    progress.approvals = static_cast<uint32_t>(restore_->approvals());
    progress.epoch = restore_->manifest().epoch;
  }
  return progress;
}

absl::Status VaultServer::Seal() {
  absl::MutexLock lock(&reload_mu_);
  gate_->Unbind();
  return state_->Seal();
}

std::string VaultServer::log_origin() const {
  absl::StatusOr<std::shared_ptr<OpenVault>> open = state_->Open();
  return open.ok() ? (*open)->log->origin() : std::string();
}

std::string VaultServer::log_public_key() const {
  absl::StatusOr<std::shared_ptr<OpenVault>> open = state_->Open();
  return open.ok() ? (*open)->log->CheckpointPublicKey() : std::string();
}

void VaultServer::Shutdown() {
  // Calls still running after the grace period are cancelled (their clients see CANCELLED; a
  // submission is idempotent by its submission id, so a retry is safe). Idle connections and
  // streams that wait, such as `audit tail --follow`, do not hold the stop up (issue 13: under
  // a second with clients connected).
  const auto deadline = std::chrono::system_clock::now() + kShutdownGrace;
  if (reporting_server_ != nullptr) {
    reporting_server_->Shutdown(deadline);
    reporting_server_->Wait();
    reporting_server_.reset();
  }
  if (server_ == nullptr) return;
  server_->Shutdown(deadline);
  server_->Wait();
  server_.reset();
}

void VaultServer::Wait() {
  if (server_ != nullptr) server_->Wait();
}

}  // namespace confidant::server
