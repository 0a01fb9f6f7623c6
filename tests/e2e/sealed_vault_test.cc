// Production mode: confidantd without --dev has no master key, starts sealed and answers every data
// call FAILED_PRECONDITION; unsafe starts (GRPC_TRACE, non-loopback --dev, an open data dir) are
// refused with a non-zero exit.
#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <future>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "base/files.h"
#include "confidant/v1/operator.grpc.pb.h"
#include "confidant/v1/reporting.grpc.pb.h"
#include "gmock/gmock.h"
#include "grpcpp/generic/generic_stub.h"
#include "grpcpp/support/byte_buffer.h"
#include "gtest/gtest.h"
#include "tests/e2e/child_process.h"
#include "tests/e2e/daemon.h"
#include "tests/e2e/identity_helpers.h"
#include "tests/e2e/vault_process.h"
#include "tests/e2e/witness_process.h"
#include "tests/testing/status_matchers.h"

namespace confidant::testing {
namespace {

using ::testing::HasSubstr;

class SealedVaultTest : public ::testing::Test {
 protected:
  void SetUp() override {
    // A dev folder supplies the PKI and policy; its server is stopped before the tests run.
    absl::StatusOr<std::unique_ptr<VaultProcess>> vault = VaultProcess::Start();
    ASSERT_THAT(vault, IsOk());
    dev_ = *std::move(vault);
    absl::StatusOr<client::ClientIdentity> identity =
        client::ClientIdentity::Load(dev_->identity_dir("case_officer"));
    ASSERT_THAT(identity, IsOk());
    officer_ = *std::move(identity);
    EXPECT_EQ(HealthCheck(RawChannel(dev_->address(), officer_)), kServing);
    dev_->Stop();
  }

  // Production flags over the dev PKI and policy, with `data_dir`.
  std::vector<std::string> ProductionArgs(const std::string& data_dir) const {
    const std::string dev = dev_->dev_dir();
    return {"--data_dir", data_dir,     "--tls_cert", dev + "/server/server.crt",
            "--tls_key",  dev + "/server/server.key", "--client_ca", dev + "/ca/ca.crt",
            "--policy",   dev + "/policy.textproto",  "--listen", "127.0.0.1:0",
            "--governance_keys", dev + "/governance/keys.txt", "--port_file", port_file()};
  }
  std::string port_file() const { return dev_->root() + "/prod.port"; }
  std::string log_file() const { return dev_->root() + "/prod.log"; }
  std::string FreshDataDir(mode_t mode) const {
    const std::string dir = dev_->root() + "/prod-data";
    EXPECT_EQ(::mkdir(dir.c_str(), 0700), 0);
    EXPECT_EQ(::chmod(dir.c_str(), mode), 0);
    return dir;
  }

  std::unique_ptr<VaultProcess> dev_;
  client::ClientIdentity officer_;
};

// The reporting listener and LinkPersons answer FAILED_PRECONDITION while sealed, like the rest.
TEST_F(SealedVaultTest, ReportingAndLinksAreFailedPreconditionWhileSealed) {
  Daemon daemon;
  std::vector<std::string> args = ProductionArgs(FreshDataDir(0700));
  const std::string reporting_port = dev_->root() + "/prod.reporting.port";
  args.insert(args.end(), {"--reporting_port_file", reporting_port});
  Launch(args, port_file(), log_file(), {}, daemon);
  ASSERT_GT(daemon.pid, 0) << daemon.log();
  absl::StatusOr<std::string> port;
  for (int i = 0; i < 50 && !(port = ReadFile(reporting_port, 64)).ok(); ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  ASSERT_THAT(port, IsOk());
  absl::StatusOr<client::ClientIdentity> analyst =
      client::ClientIdentity::Load(dev_->identity_dir("reporting"));
  ASSERT_THAT(analyst, IsOk());
  auto reporting = v1::ReportingService::NewStub(
      RawChannel("127.0.0.1:" + std::string(absl::StripAsciiWhitespace(*port)), *analyst));
  const auto kSealed = grpc::StatusCode::FAILED_PRECONDITION;
  {
    grpc::ClientContext context;
    SetTestDeadline(context);
    v1::Catalogue catalogue;
    EXPECT_EQ(reporting->ListCatalogue(&context, {}, &catalogue).error_code(), kSealed);
  }
  {
    grpc::ClientContext context;
    SetTestDeadline(context);
    v1::GetReleaseRequest request;
    request.set_table_id("persons-by-facility");
    request.set_period("2026Q1");
    v1::GetReleaseResponse release;
    EXPECT_EQ(reporting->GetRelease(&context, request, &release).error_code(), kSealed);
  }
  {
    grpc::ClientContext context;
    SetTestDeadline(context);
    v1::Ledger ledger;
    EXPECT_EQ(reporting->GetLedger(&context, {}, &ledger).error_code(), kSealed);
  }
  auto records = v1::RecordService::NewStub(
      RawChannel("127.0.0.1:" + std::to_string(daemon.port), officer_));
  grpc::ClientContext context;
  SetTestDeadline(context);
  v1::LinkPersonsRequest link;
  link.set_record_id("0123456789abcdef0123456789abcdef");
  link.set_other_record_id("fedcba9876543210fedcba9876543210");
  v1::LinkPersonsResponse linked;
  EXPECT_EQ(records->LinkPersons(&context, link, &linked).error_code(), kSealed);
  absl::StatusOr<client::ClientIdentity> custodian =
      client::ClientIdentity::Load(dev_->identity_dir("custodian"));
  ASSERT_THAT(custodian, IsOk());
  grpc::ClientContext revise_context;
  SetTestDeadline(revise_context);
  v1::RequestRevisionRequest revise;
  revise.set_table_id("persons-by-facility");
  revise.set_period("2026Q1");
  revise.set_reason("late records");
  v1::RequestRevisionResponse revised;
  EXPECT_EQ(v1::OperatorService::NewStub(RawChannel("127.0.0.1:" + std::to_string(daemon.port), *custodian))
                ->RequestRevision(&revise_context, revise, &revised)
                .error_code(),
            kSealed);
}

TEST_F(SealedVaultTest, ProductionStartIsSealedAndEveryRpcIsFailedPrecondition) {
  Daemon daemon;
  Launch(ProductionArgs(FreshDataDir(0700)), port_file(), log_file(), {}, daemon);
  ASSERT_GT(daemon.pid, 0) << daemon.log();
  EXPECT_THAT(daemon.log(), HasSubstr("sealed"));
  const std::string address = "127.0.0.1:" + std::to_string(daemon.port);
  for (const char* role : {"visit_team", "case_officer"}) {
    absl::StatusOr<client::ClientIdentity> identity =
        client::ClientIdentity::Load(dev_->identity_dir(role));
    ASSERT_THAT(identity, IsOk());
    auto stub = v1::RecordService::NewStub(RawChannel(address, *identity));
    const auto kSealed = grpc::StatusCode::FAILED_PRECONDITION;
    {
      grpc::ClientContext context;
      SetTestDeadline(context);
      v1::IntakeKey key;
      EXPECT_EQ(stub->GetIntakeKey(&context, {}, &key).error_code(), kSealed) << role;
      EXPECT_EQ(key.ByteSizeLong(), 0u);
    }
    {
      grpc::ClientContext context;
      SetTestDeadline(context);
      v1::SubmitRecordRequest request;
      request.set_submission_id("sealed-0001");
      request.set_intake_key_version(1);
      request.set_sealed_envelope(std::string(100, 'x'));
      v1::SubmitRecordResponse response;
      const grpc::Status status = stub->SubmitRecord(&context, request, &response);
      EXPECT_EQ(status.error_code(), kSealed) << role;
      EXPECT_THAT(status.error_message(), HasSubstr("sealed"));
    }
    {
      grpc::ClientContext context;
      SetTestDeadline(context);
      v1::GetRecordRequest request;
      request.set_record_id("0123456789abcdef0123456789abcdef");
      request.set_purpose(v1::FOLLOW_UP);
      v1::GetRecordResponse response;
      EXPECT_EQ(stub->GetRecord(&context, request, &response).error_code(), kSealed) << role;
    }
    {
      grpc::ClientContext context;
      SetTestDeadline(context);
      v1::ListRecordsResponse response;
      EXPECT_EQ(stub->ListRecords(&context, {}, &response).error_code(), kSealed) << role;
      EXPECT_EQ(response.records_size(), 0);
    }
    // The rest of RecordService: each call on its own context.
    auto sealed = [&](auto call) {
      grpc::ClientContext context;
      SetTestDeadline(context);
      return call(context).error_code();
    };
    const std::string id = "0123456789abcdef0123456789abcdef";
    EXPECT_EQ(sealed([&](grpc::ClientContext& c) {
                v1::AmendRecordRequest request;
                request.set_record_id(id);
                v1::SubmitRecordResponse response;
                return stub->AmendRecord(&c, request, &response);
              }), kSealed) << role;
    EXPECT_EQ(sealed([&](grpc::ClientContext& c) {
                v1::ListRecordVersionsRequest request;
                request.set_record_id(id);
                v1::ListRecordVersionsResponse response;
                return stub->ListRecordVersions(&c, request, &response);
              }), kSealed) << role;
    EXPECT_EQ(sealed([&](grpc::ClientContext& c) {
                v1::RecordConsentRequest request;
                request.set_record_id(id);
                v1::RecordConsentResponse response;
                return stub->RecordConsent(&c, request, &response);
              }), kSealed) << role;
    EXPECT_EQ(sealed([&](grpc::ClientContext& c) {
                v1::RequestBreakGlassRequest request;
                request.set_record_id(id);
                v1::RequestBreakGlassResponse response;
                return stub->RequestBreakGlass(&c, request, &response);
              }), kSealed) << role;
    EXPECT_EQ(sealed([&](grpc::ClientContext& c) {
                v1::ListBreakGlassRequestsResponse response;
                return stub->ListBreakGlassRequests(&c, {}, &response);
              }), kSealed) << role;
    EXPECT_EQ(sealed([&](grpc::ClientContext& c) {
                v1::DecideBreakGlassResponse response;
                return stub->DecideBreakGlass(&c, {}, &response);
              }), kSealed) << role;
  }
  EXPECT_EQ(HealthCheck(RawChannel(address, officer_)), kNotServing);
}

// A second vault on a port already in use fails to start instead of sharing the port (gRPC
// sets SO_REUSEPORT unless told not to, and would split the calls between the two).
// A sealed dev vault (keyed by its key file, no share set) says how to open it again instead of
// sending its operator round in circles between unseal and init (newcomer walk-through).
TEST_F(SealedVaultTest, ASealedDevVaultSaysToRestartIt) {
  ASSERT_THAT(dev_->Restart(), IsOk());
  auto cli = [&](const std::string& script) {
    return RunCommand({"/bin/sh", "-c", script, CONFIDANT_CLI_PATH,
                       dev_->identity_dir("custodian"), dev_->address()});
  };
  const CommandResult sealed = cli("exec \"$0\" --identity \"$1\" --server \"$2\" operator seal");
  ASSERT_EQ(sealed.exit_code, 0) << sealed.err;
  const CommandResult status =
      cli("exec \"$0\" --identity \"$1\" --server \"$2\" operator status");
  EXPECT_THAT(status.out, HasSubstr("initialised: yes"));
  const CommandResult unseal = cli(
      "echo not-a-share | exec \"$0\" --identity \"$1\" --server \"$2\" operator unseal");
  EXPECT_NE(unseal.exit_code, 0);
  EXPECT_THAT(unseal.err, HasSubstr("restart confidantd --dev to unseal it"));
}

TEST_F(SealedVaultTest, APortInUseIsAnErrorAtStartNotASharedPort) {
  Daemon first;
  Launch(ProductionArgs(FreshDataDir(0700)), port_file(), log_file(), {}, first);
  ASSERT_GT(first.pid, 0) << first.log();
  const std::string second_dir = dev_->root() + "/prod-data-2";
  ASSERT_EQ(::mkdir(second_dir.c_str(), 0700), 0);
  std::vector<std::string> args = ProductionArgs(second_dir);
  for (size_t i = 0; i + 1 < args.size(); ++i) {
    if (args[i] == "--listen") args[i + 1] = "127.0.0.1:" + std::to_string(first.port);
    if (args[i] == "--port_file") args[i + 1] = dev_->root() + "/prod-2.port";
  }
  args.insert(args.end(), {"--reporting_listen", "127.0.0.1:0"});
  Daemon second;
  Launch(args, dev_->root() + "/prod-2.port", dev_->root() + "/prod-2.log", {}, second);
  EXPECT_TRUE(ExitedWithFailure(second)) << second.log();
  EXPECT_THAT(second.log(), HasSubstr("cannot listen on"));
}

TEST_F(SealedVaultTest, GrpcTraceOutsideDevRefusesToStart) {
  Daemon daemon;
  Launch(ProductionArgs(FreshDataDir(0700)), port_file(), log_file(), {{"GRPC_TRACE", "all"}},
         daemon);
  EXPECT_TRUE(ExitedWithFailure(daemon)) << daemon.log();
  EXPECT_THAT(daemon.log(), HasSubstr("GRPC_TRACE"));
}

TEST_F(SealedVaultTest, DevModeOnNonLoopbackAddressRefusesToStart) {
  for (const char* listen : {"0.0.0.0:0", "[::]:0"}) {
    std::filesystem::remove(log_file());
    Daemon daemon;
    Launch({"--dev", "--dev_dir", dev_->dev_dir(), "--listen", listen, "--port_file",
            port_file()},
           port_file(), log_file(), {}, daemon);
    EXPECT_TRUE(ExitedWithFailure(daemon)) << listen << "\n" << daemon.log();
    EXPECT_THAT(daemon.log(), HasSubstr("loopback")) << listen;
  }
}

TEST_F(SealedVaultTest, CertificateIsCheckedBeforeTheSealAndThePolicy) {
  Daemon daemon;
  Launch(ProductionArgs(FreshDataDir(0700)), port_file(), log_file(), {}, daemon);
  ASSERT_GT(daemon.pid, 0) << daemon.log();
  absl::StatusOr<pki::KeyAndCertificate> ca = LoadDevCa(*dev_);
  ASSERT_THAT(ca, IsOk());
  auto list_with = [&](const std::vector<std::string>& uris) {
    absl::StatusOr<pki::KeyAndCertificate> leaf = pki::IssueCertificate(*ca, ClientSpec(uris));
    EXPECT_THAT(leaf, IsOk());
    client::ClientIdentity identity = officer_;
    identity.certificate_pem = leaf.ok() ? leaf->certificate_pem : "";
    identity.private_key_pem = leaf.ok() ? leaf->private_key_pem : "";
    auto stub = v1::RecordService::NewStub(
        RawChannel("127.0.0.1:" + std::to_string(daemon.port), identity));
    grpc::ClientContext context;
    SetTestDeadline(context);
    v1::ListRecordsResponse response;
    return stub->ListRecords(&context, {}, &response).error_code();
  };
  const std::string stranger = "spiffe://confidant.example/dev/stranger";
  EXPECT_EQ(list_with({}), grpc::StatusCode::UNAUTHENTICATED);
  EXPECT_EQ(list_with({stranger, DevPrincipalOf("case_officer")}),
            grpc::StatusCode::UNAUTHENTICATED);
  // A well-formed certificate reaches the seal check, which comes before the policy lookup.
  EXPECT_EQ(list_with({stranger}), grpc::StatusCode::FAILED_PRECONDITION);
}

TEST_F(SealedVaultTest, DataDirectoryOpenToOthersRefusesToStart) {
  Daemon daemon;
  Launch(ProductionArgs(FreshDataDir(0755)), port_file(), log_file(), {}, daemon);
  EXPECT_TRUE(ExitedWithFailure(daemon)) << daemon.log();
  EXPECT_THAT(daemon.log(), HasSubstr("data directory"));
}

}  // namespace
}  // namespace confidant::testing
