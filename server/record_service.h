// RecordService over gRPC (sync API, bounded thread pool set by the server builder).
#ifndef CONFIDANT_SERVER_RECORD_SERVICE_H_
#define CONFIDANT_SERVER_RECORD_SERVICE_H_

#include "confidant/v1/record_service.grpc.pb.h"
#include "server/vault_state.h"

namespace confidant::server {

// Every RPC goes through Serve (server/call.h): authenticate, refuse while sealed, authorise,
// validate, act, audit. Reads release data only after their audit entry is durable; a submit
// writes the record and its audit entry in one synced batch. Thread-safe; borrows `state`.
class RecordServiceImpl final : public v1::RecordService::Service {
 public:
  explicit RecordServiceImpl(VaultState& state) : state_(state) {}

  grpc::Status GetIntakeKey(grpc::ServerContext* context, const v1::GetIntakeKeyRequest* request,
                            v1::IntakeKey* response) override;
  grpc::Status SubmitRecord(grpc::ServerContext* context, const v1::SubmitRecordRequest* request,
                            v1::SubmitRecordResponse* response) override;
  grpc::Status AmendRecord(grpc::ServerContext* context, const v1::AmendRecordRequest* request,
                           v1::SubmitRecordResponse* response) override;
  grpc::Status ListRecordVersions(grpc::ServerContext* context,
                                  const v1::ListRecordVersionsRequest* request,
                                  v1::ListRecordVersionsResponse* response) override;
  grpc::Status GetRecord(grpc::ServerContext* context, const v1::GetRecordRequest* request,
                         v1::GetRecordResponse* response) override;
  grpc::Status ListRecords(grpc::ServerContext* context, const v1::ListRecordsRequest* request,
                           v1::ListRecordsResponse* response) override;
  grpc::Status RecordConsent(grpc::ServerContext* context, const v1::RecordConsentRequest* request,
                             v1::RecordConsentResponse* response) override;
  // Break-glass (server/break_glass_service.cc).
  grpc::Status RequestBreakGlass(grpc::ServerContext* context,
                                 const v1::RequestBreakGlassRequest* request,
                                 v1::RequestBreakGlassResponse* response) override;
  grpc::Status ListBreakGlassRequests(grpc::ServerContext* context,
                                      const v1::ListBreakGlassRequestsRequest* request,
                                      v1::ListBreakGlassRequestsResponse* response) override;
  grpc::Status DecideBreakGlass(grpc::ServerContext* context,
                                const v1::DecideBreakGlassRequest* request,
                                v1::DecideBreakGlassResponse* response) override;
  // Early erasure (server/erasure_service.cc).
  grpc::Status RequestErasure(grpc::ServerContext* context,
                              const v1::RequestErasureRequest* request,
                              v1::RequestErasureResponse* response) override;
  grpc::Status ListErasureRequests(grpc::ServerContext* context,
                                   const v1::ListErasureRequestsRequest* request,
                                   v1::ListErasureRequestsResponse* response) override;
  grpc::Status DecideErasure(grpc::ServerContext* context, const v1::DecideErasureRequest* request,
                             v1::DecideErasureResponse* response) override;
  // Person links for reporting (server/person_links.cc).
  grpc::Status LinkPersons(grpc::ServerContext* context, const v1::LinkPersonsRequest* request,
                           v1::LinkPersonsResponse* response) override;

 private:
  VaultState& state_;
};

}  // namespace confidant::server

#endif  // CONFIDANT_SERVER_RECORD_SERVICE_H_
