// The release job's costs over a synthetic population (client/synthetic_population.h, the same
// generator as `confidant dev seed`): deriving fact rows at intake, and computing one release of
// each default catalogue table from 3000 persons' facts (exact discrete Laplace noise included).
#include <benchmark/benchmark.h>

#include "absl/time/clock.h"
#include "client/synthetic_population.h"
#include "crypto/init.h"
#include "crypto/secret_bytes.h"
#include "policy/catalogue.h"
#include "policy/policy.h"
#include "server/dev_environment.h"
#include "server/facts.h"
#include "server/reporting/release_engine.h"

namespace {

using namespace confidant;  // NOLINT: benchmark file

const policy::Policy& DevPolicy() {
  static const policy::Policy* policy =
      new policy::Policy(*policy::Policy::FromText(server::kDevPolicyText));
  return *policy;
}

std::vector<v1::InterviewRecord> Population(int persons) {
  client::SeedOptions options;
  options.persons = persons;
  options.quarters = {"2026Q1", "2026Q2", "2026Q3"};
  options.today = absl::CivilDay(2026, 11, 27);
  return client::SyntheticRecords(options)->records;
}

// Facts as the release job sees them (pseudonyms only; no links).
std::vector<reporting::InterviewFacts> Facts(const std::vector<v1::InterviewRecord>& records,
                                             const crypto::SecretBytes& key) {
  const policy::Catalogue& catalogue = DevPolicy().catalogue();
  std::vector<reporting::InterviewFacts> facts;
  int n = 0;
  for (const v1::InterviewRecord& record : records) {
    std::optional<storage::v1::FactRow> row = server::DeriveFactRow(record, catalogue, key);
    if (!row.has_value()) continue;
    reporting::InterviewFacts f;
    f.person = row->pseudonym().empty() ? std::to_string(n) : row->pseudonym();
    f.visit_date = row->visit_date();
    f.order_key = std::to_string(n++);
    f.facility_group = policy::FacilityGroup(*catalogue.FindFacility(row->facility_id()));
    f.region = static_cast<policy::v1::Region>(row->region());
    f.age_band = row->age_band();
    f.gender = row->gender();
    f.detention_length = row->detention_length();
    f.concerns = row->concerns();
    facts.push_back(std::move(f));
  }
  return facts;
}

void BM_DeriveFactRow(benchmark::State& state) {
  (void)crypto::InitCrypto();
  const std::vector<v1::InterviewRecord> records = Population(300);
  const crypto::SecretBytes key = crypto::SecretBytes::Random(32);
  size_t i = 0;
  for (auto _ : state) {
    benchmark::DoNotOptimize(
        server::DeriveFactRow(records[i++ % records.size()], DevPolicy().catalogue(), key));
  }
}
BENCHMARK(BM_DeriveFactRow);

// One release of every default table for 2026Q3 from `persons` persons.
void BM_ReleaseCatalogue(benchmark::State& state) {
  (void)crypto::InitCrypto();
  const crypto::SecretBytes key = crypto::SecretBytes::Random(32);
  const std::vector<reporting::InterviewFacts> facts =
      Facts(Population(static_cast<int>(state.range(0))), key);
  const policy::Catalogue& catalogue = DevPolicy().catalogue();
  std::unique_ptr<reporting::UniformSource> noise = reporting::NewSodiumUniformSource();
  for (auto _ : state) {
    for (const policy::v1::CatalogueTable& table : catalogue.tables) {
      const reporting::PeriodId period{2026, table.period() == policy::v1::QUARTER ? 3 : 0};
      benchmark::DoNotOptimize(reporting::ComputeRelease(catalogue, table, period, facts, *noise));
    }
  }
  state.counters["facts"] = static_cast<double>(facts.size());
}
BENCHMARK(BM_ReleaseCatalogue)->Arg(300)->Arg(3000)->Unit(benchmark::kMillisecond);

}  // namespace

BENCHMARK_MAIN();
