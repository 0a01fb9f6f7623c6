// VaultClient: the C++ client library for RecordService over mTLS.
#ifndef CONFIDANT_CLIENT_VAULT_CLIENT_H_
#define CONFIDANT_CLIENT_VAULT_CLIENT_H_

#include <cstdint>
#include <memory>
#include <string>

#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "client/identity.h"
#include "confidant/v1/record_service.grpc.pb.h"
#include "grpcpp/channel.h"

namespace confidant::client {

// Converts a gRPC status into an absl::Status with the same code and message.
absl::Status FromGrpc(const grpc::Status& status);

// Builds the SubmitRecordRequest for `record`: validates it, wraps it in an IntakePayload bound
// to `submitter`, `submission_id` and the key version, and seals it to `intake_key`. The
// serialized payload is wiped after sealing. INVALID_ARGUMENT for an invalid record or id.
// `amends_record_id` is set only for an amendment: the envelope then names the record it amends.
absl::StatusOr<v1::SubmitRecordRequest> SealSubmission(const v1::IntakeKey& intake_key,
                                                       const std::string& submitter,
                                                       const v1::InterviewRecord& record,
                                                       const std::string& submission_id,
                                                       int64_t now_unix_seconds,
                                                       const std::string& amends_record_id = "");

// Thread-safe (gRPC stubs are). Every call has a deadline (30 s unless set_deadline changes it).
class VaultClient {
 public:
  // `server` is host:port. The channel authenticates the server against the identity's CA and
  // presents the identity's client certificate.
  static absl::StatusOr<std::unique_ptr<VaultClient>> Connect(const std::string& server,
                                                              ClientIdentity identity);

  // The vault's intake key, accepted only with a valid signature by the pinned vault key, or by
  // the key its identity transitions lead to from the pinned one (UNAUTHENTICATED "intake key is
  // not signed by the pinned vault key" otherwise; DATA_LOSS naming a broken chain). The key
  // reached becomes vault_key().
  absl::StatusOr<v1::IntakeKey> FetchIntakeKey();
  // The vault identity key this client trusts now: the pinned one until FetchIntakeKey followed
  // the vault's identity chain to a newer one (in memory only; vault.pub is not rewritten).
  std::string vault_key() const;

  // Validates, seals to the verified intake key and submits. Resubmitting the same sealed
  // request is idempotent; use SubmitSealed to retry the exact bytes.
  absl::StatusOr<v1::SubmitRecordResponse> Submit(const v1::InterviewRecord& record,
                                                  const std::string& submission_id);
  absl::StatusOr<v1::SubmitRecordResponse> SubmitSealed(const v1::SubmitRecordRequest& request);

  // Seals `record` as a new version of `record_id` and sends it (AmendRecord); AmendSealed
  // retries the exact bytes.
  absl::StatusOr<v1::SubmitRecordResponse> Amend(const std::string& record_id,
                                                 const v1::InterviewRecord& record,
                                                 const std::string& submission_id);
  absl::StatusOr<v1::SubmitRecordResponse> AmendSealed(const v1::AmendRecordRequest& request);

  absl::StatusOr<v1::GetRecordResponse> Get(const v1::GetRecordRequest& request);
  absl::StatusOr<v1::ListRecordVersionsResponse> Versions(const std::string& record_id);
  absl::StatusOr<v1::ListRecordsResponse> List(const v1::ListRecordsRequest& request);

  // The deadline of every later call (e.g. a few seconds to find out quickly that a field
  // laptop is offline).
  void set_deadline(absl::Duration deadline);
  absl::Duration deadline() const;

  const ClientIdentity& identity() const { return identity_; }
  std::shared_ptr<grpc::Channel> channel() const { return channel_; }
  v1::RecordService::Stub& stub() { return *stub_; }

 private:
  VaultClient(ClientIdentity identity, std::shared_ptr<grpc::Channel> channel);

  ClientIdentity identity_;
  mutable absl::Mutex mu_;
  std::string vault_key_ ABSL_GUARDED_BY(mu_);
  absl::Duration deadline_ ABSL_GUARDED_BY(mu_) = absl::Seconds(30);
  std::shared_ptr<grpc::Channel> channel_;
  std::unique_ptr<v1::RecordService::Stub> stub_;
};

}  // namespace confidant::client

#endif  // CONFIDANT_CLIENT_VAULT_CLIENT_H_
