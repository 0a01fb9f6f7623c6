// WitnessService over real gRPC mTLS on loopback: a client certificate from the CA may push
// checkpoints and gets cosignatures; a client without a certificate gets nothing.
#include "witness/witness_server.h"

#include <stdlib.h>

#include <chrono>
#include <filesystem>
#include <memory>
#include <string>

#include "absl/strings/str_cat.h"
#include "confidant/v1/witness.grpc.pb.h"
#include "crypto/init.h"
#include "crypto/signed_note.h"
#include "gmock/gmock.h"
#include "grpcpp/client_context.h"
#include "grpcpp/create_channel.h"
#include "grpcpp/security/credentials.h"
#include "gtest/gtest.h"
#include "pki/certificates.h"
#include "tests/testing/status_matchers.h"
#include "tests/witness/test_log.h"

namespace confidant::witness {
namespace {

using ::confidant::testing::IsOk;
using ::confidant::testing::TestLog;
using ::testing::HasSubstr;

constexpr char kOrigin[] = "confidant.example/log/fedcba9876543210";
constexpr char kWitnessName[] = "witness.confidant.example/grpc-test";
constexpr char kVaultPrincipal[] = "spiffe://confidant.example/vault";

class WitnessServiceTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_THAT(crypto::InitCrypto(), IsOk());
    std::string tmpl = ::testing::TempDir() + "/witness_service_XXXXXX";
    ASSERT_NE(::mkdtemp(tmpl.data()), nullptr);
    dir_ = tmpl;

    absl::StatusOr<pki::KeyAndCertificate> ca = pki::CreateCertificateAuthority("witness test CA", 30);
    ASSERT_THAT(ca, IsOk());
    ca_ = *ca;
    pki::CertificateSpec server_spec;
    server_spec.common_name = "witness";
    server_spec.ip_sans = {"127.0.0.1"};
    server_spec.dns_sans = {"localhost"};
    server_spec.server_auth = true;
    absl::StatusOr<pki::KeyAndCertificate> server_cert = pki::IssueCertificate(ca_, server_spec);
    ASSERT_THAT(server_cert, IsOk());
    pki::CertificateSpec client_spec;
    client_spec.common_name = "vault";
    client_spec.uri_sans = {kVaultPrincipal};
    client_spec.client_auth = true;
    absl::StatusOr<pki::KeyAndCertificate> client_cert = pki::IssueCertificate(ca_, client_spec);
    ASSERT_THAT(client_cert, IsOk());
    client_ = *client_cert;

    absl::StatusOr<std::unique_ptr<Witness>> witness = Witness::Create(
        WitnessConfig{kOrigin, log_key_.public_key, kWitnessName, dir_ + "/state",
                      {kVaultPrincipal}},
        crypto::Ed25519KeyPair::FromSecretKey(crypto::SecretBytes::CopyFrom(std::string_view(
            reinterpret_cast<const char*>(witness_key_.secret_key.RevealSecret()),
            witness_key_.secret_key.size()))).value());
    ASSERT_THAT(witness, IsOk());
    witness_ = *std::move(witness);

    WitnessServerOptions options;
    options.listen_address = "127.0.0.1:0";
    options.server_certificate_pem = server_cert->certificate_pem;
    options.server_private_key_pem = server_cert->private_key_pem;
    options.client_ca_pem = ca_.certificate_pem;
    options.now_unix_seconds = [] { return uint64_t{1700000500}; };
    absl::StatusOr<std::unique_ptr<WitnessServer>> server =
        WitnessServer::Start(*witness_, std::move(options));
    ASSERT_THAT(server, IsOk());
    server_ = *std::move(server);
  }

  void TearDown() override {
    server_.reset();
    std::filesystem::remove_all(dir_);
  }

  // A stub over TLS trusting the test CA, presenting `leaf` when it has a certificate.
  std::unique_ptr<v1::WitnessService::Stub> Stub(const pki::KeyAndCertificate& leaf) {
    grpc::SslCredentialsOptions ssl;
    ssl.pem_root_certs = ca_.certificate_pem;
    ssl.pem_private_key = leaf.private_key_pem;
    ssl.pem_cert_chain = leaf.certificate_pem;
    return v1::WitnessService::NewStub(grpc::CreateChannel(
        absl::StrCat("127.0.0.1:", server_->port()), grpc::SslCredentials(ssl)));
  }

  static void SetDeadline(grpc::ClientContext& context) {
    context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
  }

  grpc::Status Push(v1::WitnessService::Stub& stub, uint64_t old_size,
                    v1::AddCheckpointResponse& response) {
    v1::AddCheckpointRequest request;
    request.set_old_size(old_size);
    request.mutable_checkpoint()->set_note(log_.Note());
    request.mutable_checkpoint()->set_tree_size(log_.size());
    for (const crypto::Hash& hash : log_.ProofFrom(old_size)) {
      request.add_consistency_proof(crypto::HashToString(hash));
    }
    grpc::ClientContext context;
    SetDeadline(context);
    return stub.AddCheckpoint(&context, request, &response);
  }

  std::string dir_;
  pki::KeyAndCertificate ca_;
  pki::KeyAndCertificate client_;
  crypto::Ed25519KeyPair log_key_ = crypto::Ed25519KeyPair::Generate();
  crypto::Ed25519KeyPair witness_key_ = crypto::Ed25519KeyPair::Generate();
  TestLog log_{kOrigin, log_key_};
  std::unique_ptr<Witness> witness_;
  std::unique_ptr<WitnessServer> server_;
};

TEST_F(WitnessServiceTest, ClientWithCertificatePushesTwoCheckpointsAndGetsCosignatures) {
  std::unique_ptr<v1::WitnessService::Stub> stub = Stub(client_);
  log_.GrowTo(6);
  v1::AddCheckpointResponse first;
  ASSERT_TRUE(Push(*stub, 0, first).ok());
  EXPECT_THAT(crypto::VerifyCosignature(first.cosigned_note(), kWitnessName, witness_key_.public_key),
              IsOk());
  log_.GrowTo(19);
  v1::AddCheckpointResponse second;
  const grpc::Status status = Push(*stub, 6, second);
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_THAT(crypto::VerifyCosignature(second.cosigned_note(), kWitnessName, witness_key_.public_key),
              IsOk());

  grpc::ClientContext context;
  SetDeadline(context);
  v1::WitnessState state;
  ASSERT_TRUE(stub->GetWitnessState(&context, v1::GetWitnessStateRequest(), &state).ok());
  EXPECT_EQ(state.origin(), kOrigin);
  EXPECT_EQ(state.tree_size(), 19u);
  EXPECT_EQ(state.root_hash(), crypto::HashToString(log_.root()));
  EXPECT_EQ(state.witness_name(), kWitnessName);
  EXPECT_EQ(state.witness_public_key(), witness_key_.public_key);
  EXPECT_EQ(state.cosigned_note(), second.cosigned_note());
}

TEST_F(WitnessServiceTest, WrongOldSizeAnswersWithTheWitnessSize) {
  std::unique_ptr<v1::WitnessService::Stub> stub = Stub(client_);
  log_.GrowTo(4);
  v1::AddCheckpointResponse response;
  ASSERT_TRUE(Push(*stub, 0, response).ok());
  log_.GrowTo(9);
  const grpc::Status status = Push(*stub, 2, response);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::FAILED_PRECONDITION);
  EXPECT_THAT(status.error_message(), HasSubstr("witness is at size 4"));
}

TEST_F(WitnessServiceTest, CheckpointFieldsThatContradictTheNoteAreRefused) {
  std::unique_ptr<v1::WitnessService::Stub> stub = Stub(client_);
  log_.GrowTo(4);
  v1::AddCheckpointRequest request;
  request.mutable_checkpoint()->set_note(log_.Note());
  request.mutable_checkpoint()->set_tree_size(5);
  grpc::ClientContext context;
  SetDeadline(context);
  v1::AddCheckpointResponse response;
  EXPECT_EQ(stub->AddCheckpoint(&context, request, &response).error_code(),
            grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(witness_->Snapshot().tree_size, 0u);
}

TEST_F(WitnessServiceTest, KeyTransitionsAreBoundedAndABrokenOneIsDataLoss) {
  std::unique_ptr<v1::WitnessService::Stub> stub = Stub(client_);
  log_.GrowTo(4);
  v1::AddCheckpointRequest request;
  request.mutable_checkpoint()->set_note(log_.Note());
  const std::string filler = "not a transition";
  for (int i = 0; i <= kMaxKeyTransitions; ++i) *request.add_key_transitions() = filler;
  v1::AddCheckpointResponse response;
  {
    grpc::ClientContext context;
    SetDeadline(context);
    EXPECT_EQ(stub->AddCheckpoint(&context, request, &response).error_code(),
              grpc::StatusCode::INVALID_ARGUMENT);
  }
  request.clear_key_transitions();
  *request.add_key_transitions() = filler;
  grpc::ClientContext context;
  SetDeadline(context);
  const grpc::Status broken = stub->AddCheckpoint(&context, request, &response);
  EXPECT_EQ(broken.error_code(), grpc::StatusCode::DATA_LOSS);
  EXPECT_THAT(broken.error_message(), HasSubstr("key transition 1 of the checkpoint key chain"));
  EXPECT_EQ(witness_->Snapshot().tree_size, 0u);
}

TEST_F(WitnessServiceTest, ClientWithoutCertificateIsRefused) {
  std::unique_ptr<v1::WitnessService::Stub> stub = Stub(pki::KeyAndCertificate{});
  log_.GrowTo(4);
  v1::AddCheckpointResponse response;
  EXPECT_FALSE(Push(*stub, 0, response).ok());
  EXPECT_TRUE(response.cosigned_note().empty());
  EXPECT_EQ(witness_->Snapshot().tree_size, 0u);
}

TEST_F(WitnessServiceTest, ClientOfAnotherCaIsRefused) {
  absl::StatusOr<pki::KeyAndCertificate> other_ca = pki::CreateCertificateAuthority("other CA", 30);
  ASSERT_THAT(other_ca, IsOk());
  pki::CertificateSpec spec;
  spec.common_name = "intruder";
  spec.uri_sans = {kVaultPrincipal};
  spec.client_auth = true;
  absl::StatusOr<pki::KeyAndCertificate> intruder = pki::IssueCertificate(*other_ca, spec);
  ASSERT_THAT(intruder, IsOk());
  std::unique_ptr<v1::WitnessService::Stub> stub = Stub(*intruder);
  log_.GrowTo(4);
  v1::AddCheckpointResponse response;
  EXPECT_FALSE(Push(*stub, 0, response).ok());
  EXPECT_EQ(witness_->Snapshot().tree_size, 0u);
}

}  // namespace
}  // namespace confidant::witness

namespace confidant::witness {
namespace {

// A caller that pads the note with junk signature lines up to the size limit gets only the
// canonical note (body + the log's own line) cosigned, so the saved state stays small and the
// witness restarts; without that, such a note once stopped the witness from starting again.
TEST_F(WitnessServiceTest, PaddedNoteIsCosignedInCanonicalFormAndTheWitnessRestarts) {
  std::unique_ptr<v1::WitnessService::Stub> stub = Stub(client_);
  log_.GrowTo(4);
  std::string note = log_.Note();
  const std::string junk = "\xE2\x80\x94 x " + std::string(64, 'A') + "\n";
  while (note.size() + junk.size() <= kMaxNoteBytes) note += junk;
  v1::AddCheckpointRequest request;
  request.mutable_checkpoint()->set_note(note);
  grpc::ClientContext context;
  SetDeadline(context);
  v1::AddCheckpointResponse response;
  ASSERT_TRUE(stub->AddCheckpoint(&context, request, &response).ok());
  EXPECT_EQ(response.cosigned_note().compare(0, log_.Note().size(), log_.Note()), 0);
  EXPECT_LT(response.cosigned_note().size(), 1024u);
  server_.reset();
  absl::StatusOr<std::unique_ptr<Witness>> same = Witness::Create(
      WitnessConfig{kOrigin, log_key_.public_key, kWitnessName, dir_ + "/state", {}},
      crypto::Ed25519KeyPair::FromSecretKey(crypto::SecretBytes::CopyFrom(std::string_view(
          reinterpret_cast<const char*>(witness_key_.secret_key.RevealSecret()),
          witness_key_.secret_key.size()))).value());
  ASSERT_THAT(same, IsOk());
  EXPECT_EQ((*same)->Snapshot().tree_size, 4u);
}

TEST_F(WitnessServiceTest, OnlyConfiguredPushersMayAddCheckpoints) {
  absl::StatusOr<pki::KeyAndCertificate> other = pki::IssueCertificate(ca_, [] {
    pki::CertificateSpec spec;
    spec.common_name = "someone else";
    spec.uri_sans = {"spiffe://confidant.example/dev/visit_team"};
    spec.client_auth = true;
    return spec;
  }());
  ASSERT_THAT(other, IsOk());
  std::unique_ptr<v1::WitnessService::Stub> stub = Stub(*other);
  log_.GrowTo(3);
  v1::AddCheckpointResponse response;
  EXPECT_EQ(Push(*stub, 0, response).error_code(), grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_EQ(witness_->Snapshot().tree_size, 0u);
}

}  // namespace
}  // namespace confidant::witness
