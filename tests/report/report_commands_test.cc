// The subcommands against an in-process fake ReportingService on loopback (port 0). The channel
// is plaintext: what is tested here is what the client does with the answers, not TLS.
#include "client/report/report_commands.h"

#include <unistd.h>

#include <memory>
#include <sstream>
#include <string>

#include "base/files.h"
#include "client/report/report_verify.h"
#include "crypto/asymmetric.h"
#include "crypto/init.h"
#include "gmock/gmock.h"
#include "grpcpp/create_channel.h"
#include "grpcpp/security/credentials.h"
#include "grpcpp/security/server_credentials.h"
#include "grpcpp/server.h"
#include "grpcpp/server_builder.h"
#include "gtest/gtest.h"
#include "tests/report/sample_release.h"
#include "tests/testing/status_matchers.h"

namespace confidant::report {
namespace {

using ::confidant::testing::StatusIs;
using ::testing::HasSubstr;

class FakeReporting final : public v1::ReportingService::Service {
 public:
  grpc::Status ListCatalogue(grpc::ServerContext*, const v1::ListCatalogueRequest*,
                             v1::Catalogue* out) override {
    out->add_tables()->set_id("persons_by_facility_quarter");
    out->set_max_pseudonyms_per_person(3);
    return grpc::Status::OK;
  }
  grpc::Status GetRelease(grpc::ServerContext*, const v1::GetReleaseRequest* request,
                          v1::GetReleaseResponse* out) override {
    if (request->table_id() != "persons_by_facility_quarter") {
      return grpc::Status(grpc::StatusCode::NOT_FOUND, "no such release");
    }
    out->set_signed_release(signed_release);
    return grpc::Status::OK;
  }
  grpc::Status GetLedger(grpc::ServerContext*, const v1::GetLedgerRequest*,
                         v1::Ledger* out) override {
    out->set_head(std::string(32, '\0'));
    return grpc::Status::OK;
  }
  std::string signed_release;
};

class ReportCommandsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(crypto::InitCrypto().ok());
    const std::string release = testing::SampleRelease().SerializeAsString();
    v1::SignedRelease envelope;
    envelope.set_release(release);
    envelope.set_signature(crypto::Sign(key_, ReleaseSigningBytes(release)));
    envelope.set_release_public_key(key_.public_key);
    good_ = envelope.SerializeAsString();
    envelope.set_release(release + std::string("\x40\x01", 2));  // tampered: an extra field
    tampered_ = envelope.SerializeAsString();
    grpc::ServerBuilder builder;
    int port = 0;
    builder.AddListeningPort("127.0.0.1:0", grpc::InsecureServerCredentials(), &port);
    builder.RegisterService(&service_);
    server_ = builder.BuildAndStart();
    ASSERT_NE(port, 0);
    stub_ = v1::ReportingService::NewStub(grpc::CreateChannel(
        "127.0.0.1:" + std::to_string(port), grpc::InsecureChannelCredentials()));
    chart_ = ::testing::TempDir() + "/commands_chart_" + std::to_string(::getpid()) + ".svg";
    ::unlink(chart_.c_str());
  }
  void TearDown() override {
    server_->Shutdown();
    ::unlink(chart_.c_str());
  }

  TableOptions Options() {
    TableOptions options;
    options.table_id = "persons_by_facility_quarter";
    options.period = "2026Q3";
    options.chart_path = chart_;
    return options;
  }

  crypto::Ed25519KeyPair key_ = crypto::Ed25519KeyPair::Generate();
  std::string good_, tampered_, chart_;
  FakeReporting service_;
  std::unique_ptr<grpc::Server> server_;
  std::unique_ptr<v1::ReportingService::Stub> stub_;
};

TEST_F(ReportCommandsTest, VerifiedReleaseIsPrintedAndCharted) {
  service_.signed_release = good_;
  std::ostringstream out;
  ASSERT_THAT(TableCommand(*stub_, Options(), out), confidant::testing::IsOk());
  EXPECT_THAT(out.str(), HasSubstr("on-tor-ihc"));
  EXPECT_THAT(out.str(), HasSubstr("epsilon 0.25"));
  absl::StatusOr<std::string> chart = ReadFile(chart_);
  ASSERT_TRUE(chart.ok());
  EXPECT_EQ(chart->rfind("<svg", 0), 0u);
}

TEST_F(ReportCommandsTest, TamperedReleaseIsRefusedAndNothingShown) {
  service_.signed_release = tampered_;
  std::ostringstream out;
  EXPECT_THAT(TableCommand(*stub_, Options(), out), StatusIs(absl::StatusCode::kUnauthenticated));
  EXPECT_TRUE(out.str().empty());
  EXPECT_EQ(::access(chart_.c_str(), F_OK), -1);
}

TEST_F(ReportCommandsTest, ServerErrorKeepsItsCodeAndMessage) {
  TableOptions options = Options();
  options.table_id = "unknown";
  std::ostringstream out;
  const absl::Status status = TableCommand(*stub_, options, out);
  EXPECT_THAT(status, StatusIs(absl::StatusCode::kNotFound));
  EXPECT_EQ(status.message(), "no such release");
  EXPECT_TRUE(out.str().empty());
}

TEST_F(ReportCommandsTest, CatalogueAndLedgerArePrinted) {
  std::ostringstream catalogue, ledger;
  ASSERT_THAT(CatalogueCommand(*stub_, catalogue), confidant::testing::IsOk());
  EXPECT_THAT(catalogue.str(), HasSubstr("persons_by_facility_quarter"));
  ASSERT_THAT(LedgerCommand(*stub_, ledger), confidant::testing::IsOk());
  EXPECT_THAT(ledger.str(), HasSubstr("head " + std::string(64, '0')));
}

}  // namespace
}  // namespace confidant::report
