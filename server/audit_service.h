// LogService (every known principal: checkpoints, consistency proofs, the inclusion proof of
// one's own submission entry) and AuditService
// (auditors: entries, inclusion proofs). Both audit every call through Serve.
#ifndef CONFIDANT_SERVER_AUDIT_SERVICE_H_
#define CONFIDANT_SERVER_AUDIT_SERVICE_H_

#include "confidant/v1/audit.grpc.pb.h"
#include "server/vault_state.h"

namespace confidant::server {

// At most this many entries per GetEntries call; clients page.
inline constexpr uint64_t kMaxEntriesPerCall = 10000;

class LogServiceImpl final : public v1::LogService::Service {
 public:
  explicit LogServiceImpl(VaultState& state) : state_(state) {}
  grpc::Status GetCheckpoint(grpc::ServerContext* context, const v1::GetCheckpointRequest* request,
                             v1::GetCheckpointResponse* response) override;
  grpc::Status GetConsistencyProof(grpc::ServerContext* context,
                                   const v1::GetConsistencyProofRequest* request,
                                   v1::ConsistencyProof* response) override;
  grpc::Status GetReceiptProof(grpc::ServerContext* context,
                               const v1::GetReceiptProofRequest* request,
                               v1::ReceiptProof* response) override;

 private:
  VaultState& state_;
};

class AuditServiceImpl final : public v1::AuditService::Service {
 public:
  explicit AuditServiceImpl(VaultState& state) : state_(state) {}
  grpc::Status GetEntries(grpc::ServerContext* context, const v1::GetEntriesRequest* request,
                          grpc::ServerWriter<v1::AuditEntry>* writer) override;
  grpc::Status GetInclusionProof(grpc::ServerContext* context,
                                 const v1::GetInclusionProofRequest* request,
                                 v1::InclusionProof* response) override;

 private:
  VaultState& state_;
};

}  // namespace confidant::server

#endif  // CONFIDANT_SERVER_AUDIT_SERVICE_H_
