#include "client/vault_client.h"

#include <chrono>
#include <vector>

#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "base/status_macros.h"
#include "client/intake_key_cache.h"
#include "client/log_client.h"
#include "client/vault_key_pin.h"
#include "confidant/v1/intake.pb.h"
#include "crypto/asymmetric.h"
#include "crypto/init.h"
#include "crypto/secret_bytes.h"
#include "grpcpp/client_context.h"
#include "grpcpp/create_channel.h"
#include "grpcpp/security/credentials.h"
#include "proto/record_validation.h"

namespace confidant::client {
namespace {

void SetDeadline(grpc::ClientContext& context, absl::Duration deadline) {
  context.set_deadline(absl::ToChronoTime(absl::Now() + deadline));
}

// Buckets for the sealed payload: powers of two from 1 KiB to 128 KiB, then one bucket just
// under the sealed envelope limit (a record is at most kMaxRecordBytes serialized).
size_t PaddedPayloadSize(size_t size) {
  size_t bucket = 1024;
  while (bucket < size && bucket < kMaxRecordBytes) bucket *= 2;
  if (bucket >= size) return bucket;
  return kMaxSealedEnvelopeBytes - 1024;
}

// Adds `padding` so that `payload` serializes to exactly its bucket (or just over, when a
// field's length prefix grows by a byte at the boundary).
void PadPayload(v1::IntakePayload& payload) {
  const size_t size = payload.ByteSizeLong();
  const size_t target = PaddedPayloadSize(size + 8);
  if (target <= size + 8) return;
  size_t fill = target - size - 8;
  payload.set_padding(std::string(fill, '\0'));
  while (payload.ByteSizeLong() > target && fill > 0) payload.set_padding(std::string(--fill, '\0'));
  while (payload.ByteSizeLong() < target) payload.set_padding(std::string(++fill, '\0'));
}

}  // namespace

absl::Status FromGrpc(const grpc::Status& status) {
  return absl::Status(static_cast<absl::StatusCode>(status.error_code()), status.error_message());
}

absl::StatusOr<v1::SubmitRecordRequest> SealSubmission(const v1::IntakeKey& intake_key,
                                                       const std::string& submitter,
                                                       const v1::InterviewRecord& record,
                                                       const std::string& submission_id,
                                                       int64_t now_unix_seconds,
                                                       const std::string& amends_record_id) {
  RETURN_IF_ERROR(ValidateSubmissionId(submission_id));
  RETURN_IF_ERROR(ValidateRecord(record));
  v1::IntakePayload payload;
  payload.set_format_version(1);
  payload.set_submission_id(submission_id);
  payload.set_submitter(submitter);
  payload.set_intake_key_version(intake_key.version());
  payload.set_created_unix_seconds(now_unix_seconds);
  *payload.mutable_record() = record;
  payload.set_amends_record_id(amends_record_id);
  PadPayload(payload);
  std::string plaintext = payload.SerializeAsString();
  absl::StatusOr<std::string> sealed = crypto::SealToPublicKey(intake_key.public_key(), plaintext);
  crypto::WipeString(plaintext);
  RETURN_IF_ERROR(sealed.status());
  v1::SubmitRecordRequest request;
  request.set_submission_id(submission_id);
  request.set_intake_key_version(intake_key.version());
  request.set_sealed_envelope(*std::move(sealed));
  return request;
}

VaultClient::VaultClient(ClientIdentity identity, std::shared_ptr<grpc::Channel> channel)
    : identity_(std::move(identity)),
      channel_(std::move(channel)),
      stub_(v1::RecordService::NewStub(channel_)) {
  absl::MutexLock lock(&mu_);
  vault_key_ = identity_.vault_public_key;
}

std::string VaultClient::vault_key() const {
  absl::MutexLock lock(&mu_);
  return vault_key_;
}

absl::StatusOr<std::unique_ptr<VaultClient>> VaultClient::Connect(const std::string& server,
                                                                  ClientIdentity identity) {
  RETURN_IF_ERROR(crypto::InitCrypto());
  grpc::SslCredentialsOptions ssl;
  ssl.pem_root_certs = identity.ca_certificate_pem;
  ssl.pem_private_key = identity.private_key_pem;
  ssl.pem_cert_chain = identity.certificate_pem;
  grpc::ChannelArguments args;
  args.SetMaxReceiveMessageSize(static_cast<int>(kMaxGrpcMessageBytes));
  args.SetMaxSendMessageSize(static_cast<int>(kMaxGrpcMessageBytes));
  // Reconnect within a second or two once the vault is back (gRPC's default backoff grows to
  // minutes), so `outbox flush --retry-for` delivers at its first try after the vault returns.
  args.SetInt(GRPC_ARG_INITIAL_RECONNECT_BACKOFF_MS, 500);
  args.SetInt(GRPC_ARG_MIN_RECONNECT_BACKOFF_MS, 500);
  args.SetInt(GRPC_ARG_MAX_RECONNECT_BACKOFF_MS, 2000);
  auto channel = grpc::CreateCustomChannel(server, grpc::SslCredentials(ssl), args);
  return std::unique_ptr<VaultClient>(new VaultClient(std::move(identity), std::move(channel)));
}

absl::StatusOr<v1::IntakeKey> VaultClient::FetchIntakeKey() {
  grpc::ClientContext context;
  SetDeadline(context, deadline());
  v1::IntakeKey key;
  RETURN_IF_ERROR(FromGrpc(stub_->GetIntakeKey(&context, v1::GetIntakeKeyRequest(), &key)));
  // Follows the identity chain from the key this client trusts (the pinned one at first).
  ASSIGN_OR_RETURN(std::string vault_key, VerifyIntakeKey(key, this->vault_key()));
  // A newer key reached becomes this client's anchor on disk too (client/vault_key_pin.h).
  RETURN_IF_ERROR(KeepNewestVaultKey(identity_.directory, identity_.pinned_vault_key,
                                     this->vault_key(),
                                     std::vector<std::string>(key.identity_transitions().begin(),
                                                              key.identity_transitions().end()))
                      .status());
  absl::MutexLock lock(&mu_);
  vault_key_ = std::move(vault_key);
  return key;
}

void VaultClient::set_deadline(absl::Duration deadline) {
  absl::MutexLock lock(&mu_);
  deadline_ = deadline;
}

absl::Duration VaultClient::deadline() const {
  absl::MutexLock lock(&mu_);
  return deadline_;
}

absl::StatusOr<v1::SubmitRecordResponse> VaultClient::Submit(const v1::InterviewRecord& record,
                                                             const std::string& submission_id) {
  ASSIGN_OR_RETURN(v1::IntakeKey key, FetchIntakeKey());
  ASSIGN_OR_RETURN(v1::SubmitRecordRequest request,
                   SealSubmission(key, identity_.principal, record, submission_id,
                                  absl::ToUnixSeconds(absl::Now())));
  return SubmitSealed(request);
}

absl::StatusOr<v1::SubmitRecordResponse> VaultClient::SubmitSealed(
    const v1::SubmitRecordRequest& request) {
  grpc::ClientContext context;
  SetDeadline(context, deadline());
  v1::SubmitRecordResponse response;
  RETURN_IF_ERROR(FromGrpc(stub_->SubmitRecord(&context, request, &response)));
  return response;
}

absl::StatusOr<v1::SubmitRecordResponse> VaultClient::Amend(const std::string& record_id,
                                                            const v1::InterviewRecord& record,
                                                            const std::string& submission_id) {
  RETURN_IF_ERROR(ValidateRecordId(record_id));
  ASSIGN_OR_RETURN(v1::IntakeKey key, FetchIntakeKey());
  v1::AmendRecordRequest request;
  request.set_record_id(record_id);
  ASSIGN_OR_RETURN(*request.mutable_submission(),
                   SealSubmission(key, identity_.principal, record, submission_id,
                                  absl::ToUnixSeconds(absl::Now()), record_id));
  return AmendSealed(request);
}

absl::StatusOr<v1::SubmitRecordResponse> VaultClient::AmendSealed(
    const v1::AmendRecordRequest& request) {
  grpc::ClientContext context;
  SetDeadline(context, deadline());
  v1::SubmitRecordResponse response;
  RETURN_IF_ERROR(FromGrpc(stub_->AmendRecord(&context, request, &response)));
  return response;
}

absl::StatusOr<v1::ListRecordVersionsResponse> VaultClient::Versions(const std::string& record_id) {
  grpc::ClientContext context;
  SetDeadline(context, deadline());
  v1::ListRecordVersionsRequest request;
  request.set_record_id(record_id);
  v1::ListRecordVersionsResponse response;
  RETURN_IF_ERROR(FromGrpc(stub_->ListRecordVersions(&context, request, &response)));
  return response;
}

absl::StatusOr<v1::GetRecordResponse> VaultClient::Get(const v1::GetRecordRequest& request) {
  grpc::ClientContext context;
  SetDeadline(context, deadline());
  v1::GetRecordResponse response;
  RETURN_IF_ERROR(FromGrpc(stub_->GetRecord(&context, request, &response)));
  return response;
}

absl::StatusOr<v1::ListRecordsResponse> VaultClient::List(const v1::ListRecordsRequest& request) {
  grpc::ClientContext context;
  SetDeadline(context, deadline());
  v1::ListRecordsResponse response;
  RETURN_IF_ERROR(FromGrpc(stub_->ListRecords(&context, request, &response)));
  return response;
}

}  // namespace confidant::client
