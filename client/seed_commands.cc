#include "client/seed_commands.h"

#include <cstdlib>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "base/status_macros.h"
#include "client/cli_commands.h"
#include "crypto/random.h"
#include "proto/record_validation.h"

namespace confidant::client {
namespace {

// One record through the submit path: validate, seal, submit, check the receipt.
absl::Status SubmitOne(VaultClient& client, LogClient& log, const v1::IntakeKey& key,
                       const v1::InterviewRecord& record) {
  RETURN_IF_ERROR(ValidateRecord(record));
  ASSIGN_OR_RETURN(v1::SubmitRecordRequest request,
                   SealSubmission(key, client.identity().principal, record,
                                  crypto::RandomHexId(16), absl::ToUnixSeconds(absl::Now())));
  ASSIGN_OR_RETURN(v1::SubmitRecordResponse receipt, client.SubmitSealed(request));
  return CheckReceipt(client, log, request, receipt);
}

std::string QuarterSpan(const std::vector<std::string>& quarters) {
  if (quarters.size() == 1) return quarters.front();
  return absl::StrCat(quarters.front(), "..", quarters.back());
}

constexpr char kDevPrincipalPrefix[] = "spiffe://confidant.example/dev/";

}  // namespace

std::string DefaultSeedIdentityDir() {
  const char* dev = std::getenv("CONFIDANT_DEV_DIR");
  return absl::StrCat(dev != nullptr ? dev : "./confidant-dev", "/identities/bench_visit_team");
}

absl::Status SeedCommand(VaultClient& client, LogClient& log, const SeedOptions& options,
                         std::ostream& out, std::ostream& progress) {
  // Synthetic records must never reach a real vault's records or statistics: only a dev
  // identity (issued by `confidantd --dev`) may file them.
  if (client.identity().principal.rfind(kDevPrincipalPrefix, 0) != 0) {
    return absl::FailedPreconditionError(
        "dev seed files synthetic records with a dev identity only (its principal starts with "
        "spiffe://confidant.example/dev/); this identity is not one");
  }
  ASSIGN_OR_RETURN(SyntheticPopulation population, SyntheticRecords(options));
  const size_t total = population.records.size();
  absl::StatusOr<v1::IntakeKey> key = client.FetchIntakeKey();
  for (size_t i = 0; i < total; ++i) {
    absl::Status submitted = key.status();
    if (key.ok()) submitted = SubmitOne(client, log, *key, population.records[i]);
    if (submitted.code() == absl::StatusCode::kFailedPrecondition && key.ok()) {
      // Perhaps the intake key rotated: fetch the current one and seal afresh, once.
      key = client.FetchIntakeKey();
      submitted = key.ok() ? SubmitOne(client, log, *key, population.records[i]) : key.status();
    }
    if (!submitted.ok()) {
      progress << "seeded " << i << "/" << total << " records before a submission failed\n";
      return absl::AbortedError(absl::StrCat("submission ", i + 1, " of ", total, " failed: ",
                                             absl::StatusCodeToString(submitted.code()), ": ",
                                             submitted.message()));
    }
    if ((i + 1) % 100 == 0 || i + 1 == total) {
      progress << "seeded " << i + 1 << "/" << total << " records\n";
    }
  }
  out << "seeded " << total << " records for " << population.persons << " persons ("
      << population.facilities << " facilities, quarters " << QuarterSpan(population.quarters)
      << ")\n";
  return absl::OkStatus();
}

}  // namespace confidant::client
