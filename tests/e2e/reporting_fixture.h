// ReportingVaultTest: one real confidantd --dev for a suite, seeded with a synthetic population
// (client/synthetic_population.h) through the real client as a visit team, then restarted with a
// fast release job so that the closed quarters of 2026 are released. Header-only.
#ifndef CONFIDANT_TESTS_E2E_REPORTING_FIXTURE_H_
#define CONFIDANT_TESTS_E2E_REPORTING_FIXTURE_H_

#include <atomic>
#include <chrono>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/time/clock.h"
#include "client/identity.h"
#include "client/synthetic_population.h"
#include "client/vault_client.h"
#include "confidant/v1/reporting.grpc.pb.h"
#include "grpcpp/client_context.h"
#include "gtest/gtest.h"
#include "tests/e2e/vault_process.h"
#include "tests/testing/status_matchers.h"

namespace confidant::testing {

inline constexpr char kReportingCanary[] = "CANARY-report-8c41e2";

class ReportingVaultTest : public ::testing::Test {
 protected:
  // Seeds `persons` persons over 2026Q1..2026Q3 (4 threads), plus three records with the canary
  // in every free-text field, then restarts the vault with a release check every second and
  // waits until 2026Q3 is released.
  static void StartSeeded(int persons) {
    absl::StatusOr<std::unique_ptr<VaultProcess>> vault = VaultProcess::Start();
    ASSERT_THAT(vault, IsOk());
    vault_ = vault->release();
    client::SeedOptions options;
    options.persons = persons;
    options.quarters = {"2026Q1", "2026Q2", "2026Q3"};
    options.seed = 7;
    options.today = absl::ToCivilDay(absl::Now(), absl::UTCTimeZone());
    absl::StatusOr<client::SyntheticPopulation> population = client::SyntheticRecords(options);
    ASSERT_THAT(population, IsOk());
    std::vector<v1::InterviewRecord> records = population->records;
    for (int i = 0; i < 3; ++i) {
      records.push_back(SyntheticRecord(kReportingCanary));
      records.back().mutable_visit()->set_visit_date(absl::StrFormat("2026-08-0%d", i + 1));
    }
    std::atomic<size_t> next{0};
    std::atomic<int> failures{0};
    std::vector<std::thread> threads;
    for (int t = 0; t < 4; ++t) {
      threads.emplace_back([&, t] {
        std::unique_ptr<client::VaultClient> c = vault_->ClientAs("bench_visit_team");
        for (size_t i = next++; i < records.size(); i = next++) {
          if (!c->Submit(records[i], absl::StrFormat("seed-%d-%08d", t, i)).ok()) ++failures;
        }
      });
    }
    for (std::thread& t : threads) t.join();
    ASSERT_EQ(failures.load(), 0);
    submitted_ = records.size();
    vault_->AddArgs({"--release-check-seconds=1"});
    ASSERT_THAT(vault_->Restart(), IsOk());
    ASSERT_TRUE(WaitForRelease("persons-by-facility", "2026Q3")) << vault_->log();
    // Every quarterly table's 2026Q3 (the last one the job writes in its pass).
    ASSERT_TRUE(WaitForRelease("concern-held-with-criminal-population", "2026Q3"));
  }

  static void TearDownTestSuite() {
    delete vault_;
    vault_ = nullptr;
  }
  void SetUp() override { ASSERT_NE(vault_, nullptr) << "the vault did not start"; }

  static std::unique_ptr<v1::ReportingService::Stub> ReportingAs(const std::string& role) {
    absl::StatusOr<client::ClientIdentity> identity =
        client::ClientIdentity::Load(vault_->identity_dir(role));
    EXPECT_THAT(identity, IsOk());
    absl::StatusOr<std::unique_ptr<client::VaultClient>> c =
        client::VaultClient::Connect(vault_->reporting_address(), *std::move(identity));
    EXPECT_THAT(c, IsOk());
    return v1::ReportingService::NewStub((*c)->channel());
  }

  static absl::StatusOr<v1::Catalogue> Catalogue(const std::string& role = "reporting") {
    grpc::ClientContext context;
    context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(30));
    v1::Catalogue catalogue;
    grpc::Status s = ReportingAs(role)->ListCatalogue(&context, v1::ListCatalogueRequest(), &catalogue);
    if (!s.ok()) return absl::Status(static_cast<absl::StatusCode>(s.error_code()), s.error_message());
    return catalogue;
  }

  static absl::StatusOr<std::string> Release(v1::ReportingService::Stub& stub,
                                             const v1::GetReleaseRequest& request) {
    grpc::ClientContext context;
    context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(30));
    v1::GetReleaseResponse response;
    grpc::Status s = stub.GetRelease(&context, request, &response);
    if (!s.ok()) return absl::Status(static_cast<absl::StatusCode>(s.error_code()), s.error_message());
    return response.signed_release();
  }
  static absl::StatusOr<std::string> Release(const std::string& table, const std::string& period,
                                             const std::string& role = "reporting",
                                             uint32_t version = 0) {
    v1::GetReleaseRequest request;
    request.set_table_id(table);
    request.set_period(period);
    request.set_version(version);
    return Release(*ReportingAs(role), request);
  }

  static absl::StatusOr<v1::Ledger> Ledger(const std::string& role = "reporting") {
    grpc::ClientContext context;
    context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(30));
    v1::Ledger ledger;
    grpc::Status s = ReportingAs(role)->GetLedger(&context, v1::GetLedgerRequest(), &ledger);
    if (!s.ok()) return absl::Status(static_cast<absl::StatusCode>(s.error_code()), s.error_message());
    return ledger;
  }

  static bool WaitForRelease(const std::string& table, const std::string& period) {
    for (int i = 0; i < 600; ++i) {
      if (Release(table, period).ok()) return true;
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    return false;
  }

  static inline VaultProcess* vault_ = nullptr;
  static inline size_t submitted_ = 0;
};

}  // namespace confidant::testing

#endif  // CONFIDANT_TESTS_E2E_REPORTING_FIXTURE_H_
