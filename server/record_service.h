// RecordService over gRPC (sync API, bounded thread pool set by the server builder).
#ifndef CONFIDANT_SERVER_RECORD_SERVICE_H_
#define CONFIDANT_SERVER_RECORD_SERVICE_H_

#include <string>

#include "absl/status/status.h"
#include "confidant/v1/record_service.grpc.pb.h"
#include "grpcpp/support/status.h"
#include "server/vault_state.h"

namespace confidant::server {

// Converts an internal status to the status a client sees. Codes pass through; messages of
// INTERNAL, UNKNOWN and UNAVAILABLE (which may carry storage detail) are replaced by fixed text.
grpc::Status ToGrpcStatus(const absl::Status& status);

// Every RPC: authenticate the peer certificate (UNAUTHENTICATED), refuse while sealed
// (FAILED_PRECONDITION), authorise against the policy (UNAUTHENTICATED for an unknown principal,
// PERMISSION_DENIED otherwise), then act. Thread-safe; borrows `state`.
class RecordServiceImpl final : public v1::RecordService::Service {
 public:
  explicit RecordServiceImpl(VaultState& state) : state_(state) {}

  grpc::Status GetIntakeKey(grpc::ServerContext* context, const v1::GetIntakeKeyRequest* request,
                            v1::IntakeKey* response) override;
  grpc::Status SubmitRecord(grpc::ServerContext* context, const v1::SubmitRecordRequest* request,
                            v1::SubmitRecordResponse* response) override;
  grpc::Status GetRecord(grpc::ServerContext* context, const v1::GetRecordRequest* request,
                         v1::GetRecordResponse* response) override;
  grpc::Status ListRecords(grpc::ServerContext* context, const v1::ListRecordsRequest* request,
                           v1::ListRecordsResponse* response) override;

 private:
  VaultState& state_;
};

}  // namespace confidant::server

#endif  // CONFIDANT_SERVER_RECORD_SERVICE_H_
