#include "server/reporting_service.h"

#include "absl/strings/str_cat.h"
#include "base/status_macros.h"
#include "crypto/key_transition.h"
#include "policy/catalogue.h"
#include "server/call.h"
#include "server/release_store.h"
#include "server/reporting/release_engine.h"

namespace confidant::server {

using policy::Action;

grpc::Status ReportingServiceImpl::ListCatalogue(grpc::ServerContext* context,
                                                 const v1::ListCatalogueRequest* request,
                                                 v1::Catalogue* response) {
  return Serve(context, *request, "ListCatalogue", Action::kReadReports, [&](Call& call) -> absl::Status {
    RETURN_IF_ERROR(Begin(state_, *context, call));
    RETURN_IF_ERROR(Authorize(call, Action::kReadReports));
    const policy::Catalogue& catalogue = call.authorizer->policy().catalogue();
    ReleaseStore releases(state_.store());
    for (const policy::v1::CatalogueTable& table : catalogue.tables) {
      v1::CatalogueEntry* entry = response->add_tables();
      entry->set_id(table.id());
      entry->set_title(table.title());
      for (int d : table.dimensions()) {
        entry->add_dimensions(policy::DimensionName(static_cast<policy::v1::Dimension>(d)));
      }
      entry->set_measure(policy::MeasureText(table));
      entry->set_period(policy::PeriodName(table.period()));
      entry->set_epsilon_millis(table.epsilon_millis());
      ASSIGN_OR_RETURN(std::vector<std::string> periods, releases.ReleasedPeriods(table.id()));
      for (std::string& p : periods) entry->add_released_periods(std::move(p));
    }
    response->set_max_pseudonyms_per_person(catalogue.max_pseudonyms_per_person);
    response->set_epsilon_cap_millis(catalogue.epsilon_cap_millis);
    response->set_worst_case_epsilon_millis(catalogue.worst_case_epsilon_millis);
    response->set_release_lag_days(catalogue.release_lag_days);
    const VaultKeys::SigningKey key = call.vault->keys->CurrentSigningKey(crypto::kReleaseKeyPurpose);
    if (key.key != nullptr) response->set_release_public_key(key.key->public_key);
    return RecordAllowed(call).status();
  });
}

grpc::Status ReportingServiceImpl::GetRelease(grpc::ServerContext* context,
                                              const v1::GetReleaseRequest* request,
                                              v1::GetReleaseResponse* response) {
  return Serve(context, *request, "GetRelease", Action::kReadReports, [&](Call& call) -> absl::Status {
    RETURN_IF_ERROR(Begin(state_, *context, call));
    RETURN_IF_ERROR(Authorize(call, Action::kReadReports));
    const absl::Status refused = absl::NotFoundError(kNoSuchRelease);
    // Only well-formed names reach the store or the audit entry (the entry is encrypted, but a
    // free-form string would be a channel into it).
    const policy::v1::CatalogueTable* table =
        call.authorizer->policy().catalogue().FindTable(request->table_id());
    absl::StatusOr<reporting::PeriodId> period = reporting::ParsePeriod(request->period());
    if (table == nullptr || !period.ok() ||
        (period->quarter == 0) != (table->period() == policy::v1::YEAR)) {
      call.event.set_detail("refused: not a catalogue release");
      return refused;
    }
    ASSIGN_OR_RETURN(auto stored, ReleaseStore(state_.store())
                                      .FindVersion(table->id(), request->period(), request->version()));
    call.event.set_detail(absl::StrCat("table ", table->id(), " period ", request->period(),
                                       " version ", stored.has_value() ? stored->first : request->version()));
    if (!stored.has_value()) return refused;
    RETURN_IF_ERROR(RecordAllowed(call).status());
    response->set_signed_release(std::move(stored->second));
    return absl::OkStatus();
  });
}

grpc::Status ReportingServiceImpl::GetLedger(grpc::ServerContext* context,
                                             const v1::GetLedgerRequest* request,
                                             v1::Ledger* response) {
  return Serve(context, *request, "GetLedger", Action::kReadReports, [&](Call& call) -> absl::Status {
    RETURN_IF_ERROR(Begin(state_, *context, call));
    RETURN_IF_ERROR(Authorize(call, Action::kReadReports));
    ASSIGN_OR_RETURN(*response, ReleaseStore(state_.store()).Ledger());
    response->set_epsilon_cap_millis(call.authorizer->policy().catalogue().epsilon_cap_millis);
    return RecordAllowed(call).status();
  });
}

}  // namespace confidant::server
