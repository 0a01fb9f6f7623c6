// ReportingService: the only service on the reporting listener (default 127.0.0.1:7444). Persons
// whose sole role is reporting list the catalogue, fetch frozen releases (the stored bytes, never
// a computation) and read the privacy ledger. Every call is audited. Refusals of a request's
// content are one constant error that never depends on the data.
#ifndef CONFIDANT_SERVER_REPORTING_SERVICE_H_
#define CONFIDANT_SERVER_REPORTING_SERVICE_H_

#include "confidant/v1/reporting.grpc.pb.h"
#include "server/vault_state.h"

namespace confidant::server {

// The one answer to a release request that cannot be served: unknown table, period not (yet)
// released, malformed period, fields the contract does not have.
inline constexpr char kNoSuchRelease[] = "no such release in the catalogue";

class ReportingServiceImpl final : public v1::ReportingService::Service {
 public:
  explicit ReportingServiceImpl(VaultState& state) : state_(state) {}
  grpc::Status ListCatalogue(grpc::ServerContext* context, const v1::ListCatalogueRequest* request,
                             v1::Catalogue* response) override;
  grpc::Status GetRelease(grpc::ServerContext* context, const v1::GetReleaseRequest* request,
                          v1::GetReleaseResponse* response) override;
  grpc::Status GetLedger(grpc::ServerContext* context, const v1::GetLedgerRequest* request,
                         v1::Ledger* response) override;

 private:
  VaultState& state_;
};

}  // namespace confidant::server

#endif  // CONFIDANT_SERVER_REPORTING_SERVICE_H_
