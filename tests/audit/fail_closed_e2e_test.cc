// Fail closed, end to end: a real VaultServer over mTLS on loopback whose RocksDB store stops
// accepting writes. A read then returns no data, a submission stores nothing, and once the disk
// is back the vault serves again. Afterwards the data folder holds exactly what succeeded.
#include <fstream>
#include <iterator>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/escaping.h"
#include "absl/time/clock.h"
#include "client/vault_client.h"
#include "gmock/gmock.h"
#include "grpcpp/client_context.h"
#include "gtest/gtest.h"
#include "server/audit/audit_log.h"
#include "server/dev_environment.h"
#include "server/record_layout.h"
#include "server/store/rocksdb_store.h"
#include "server/vault_keys.h"
#include "server/vault_server.h"
#include "tests/store/temp_dir.h"
#include "tests/testing/failing_store.h"
#include "tests/testing/status_matchers.h"

namespace confidant::testing {
namespace {

// A valid synthetic record (as tests/e2e/vault_process.h's, trimmed).
v1::InterviewRecord SyntheticRecord(const std::string& text) {
  v1::InterviewRecord r;
  v1::VisitMetadata* visit = r.mutable_visit();
  visit->set_facility_id("qc-lav-ihc");
  visit->set_region(v1::QUEBEC);
  visit->set_visit_date("2026-10-02");
  visit->set_team("team-quebec-1");
  r.mutable_identity()->set_full_name(text + " name");
  r.mutable_identity()->set_date_of_birth("1988-07-21");
  r.mutable_identity()->set_immigration_client_id(text + "-id");
  r.mutable_interview()->set_narrative(text + " narrative");
  r.mutable_legal()->set_counsel_access(text + " counsel");
  r.mutable_indicators()->set_age_band(v1::AGE_25_34);
  for (v1::Purpose p : {v1::FOLLOW_UP, v1::CASE_REVIEW}) {
    v1::Consent* consent = r.add_consents();
    consent->set_purpose(p);
    consent->set_given(true);
    consent->set_recorded_on("2026-10-02");
  }
  return r;
}

class FailClosedTest : public ::testing::Test {
 protected:
  void SetUp() override {
    absl::StatusOr<server::DevEnvironment> env = server::PrepareDevEnvironment(dir_.path() + "/dev");
    ASSERT_THAT(env, IsOk());
    env_ = *std::move(env);
    server::ServerOptions options;
    options.listen_address = "127.0.0.1:0";
    options.data_dir = env_.data_dir;
    options.server_certificate_pem = env_.server_certificate_pem;
    options.server_private_key_pem = env_.server_private_key_pem;
    options.client_ca_pem = env_.ca_certificate_pem;
    options.policy_path = env_.policy_path;
    std::ifstream keys(env_.governance_keys_path);
    options.governance_keys_text.assign(std::istreambuf_iterator<char>(keys), {});
    absl::StatusOr<crypto::SecretBytes> master = server::ReadMasterKeyFile(env_.master_key_path);
    ASSERT_THAT(master, IsOk());
    options.master_key = *std::move(master);
    options.store_decorator = [this](std::unique_ptr<store::KvStore> inner) {
      auto failing = std::make_unique<FailingStore>(std::move(inner));
      failing_ = failing.get();
      return std::unique_ptr<store::KvStore>(std::move(failing));
    };
    absl::StatusOr<std::unique_ptr<server::VaultServer>> server =
        server::VaultServer::Start(std::move(options));
    ASSERT_THAT(server, IsOk());
    server_ = *std::move(server);
    ASSERT_NE(failing_, nullptr);
    ASSERT_THAT(server::WriteVaultPublicKey(env_, server_->identity_public_key()), IsOk());
    submitter_ = ClientAs("visit_team");
    reader_ = ClientAs("case_officer");
  }

  std::unique_ptr<client::VaultClient> ClientAs(const std::string& role) {
    absl::StatusOr<client::ClientIdentity> identity =
        client::ClientIdentity::Load(env_.identities_dir + "/" + role);
    EXPECT_THAT(identity, IsOk());
    if (!identity.ok()) return nullptr;
    absl::StatusOr<std::unique_ptr<client::VaultClient>> client = client::VaultClient::Connect(
        "127.0.0.1:" + std::to_string(server_->port()), *std::move(identity));
    EXPECT_THAT(client, IsOk());
    return client.ok() ? *std::move(client) : nullptr;
  }

  // GetRecord through the raw stub, so that the response is visible even on failure.
  grpc::Status Read(const std::string& record_id, v1::GetRecordResponse& response) {
    grpc::ClientContext context;
    context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(30));
    v1::GetRecordRequest request;
    request.set_record_id(record_id);
    request.set_purpose(v1::FOLLOW_UP);
    request.set_reason("fail-closed test");
    return reader_->stub().GetRecord(&context, request, &response);
  }

  store::TempDir dir_;
  server::DevEnvironment env_;
  FailingStore* failing_ = nullptr;  // owned by the server
  std::unique_ptr<server::VaultServer> server_;
  std::unique_ptr<client::VaultClient> submitter_;
  std::unique_ptr<client::VaultClient> reader_;
};

TEST_F(FailClosedTest, UnwritableAuditLogMeansNoDataReturnedAndNothingStored) {
  ASSERT_NE(submitter_, nullptr);
  ASSERT_NE(reader_, nullptr);
  absl::StatusOr<v1::SubmitRecordResponse> submitted =
      submitter_->Submit(SyntheticRecord("failclosed"), "fail-closed-0001");
  ASSERT_THAT(submitted, IsOk());
  const std::string record_id = submitted->record_id();
  // Sealed while the disk works, so the failing call below is the submission itself.
  absl::StatusOr<v1::IntakeKey> intake = submitter_->FetchIntakeKey();
  ASSERT_THAT(intake, IsOk());
  absl::StatusOr<v1::SubmitRecordRequest> second = client::SealSubmission(
      *intake, submitter_->identity().principal, SyntheticRecord("failclosed-second"),
      "fail-closed-0002", absl::ToUnixSeconds(absl::Now()));
  ASSERT_THAT(second, IsOk());

  failing_->FailCommits(true);
  v1::GetRecordResponse refused;
  grpc::Status read = Read(record_id, refused);
  EXPECT_EQ(read.error_code(), grpc::StatusCode::UNAVAILABLE) << read.error_message();
  EXPECT_EQ(refused.sections_released_size(), 0);
  EXPECT_FALSE(refused.has_identity());
  EXPECT_EQ(refused.ByteSizeLong(), 0u);
  EXPECT_THAT(submitter_->SubmitSealed(*second), StatusIs(absl::StatusCode::kUnavailable));
  EXPECT_GE(failing_->refused_commits(), 2);

  failing_->FailCommits(false);
  v1::GetRecordResponse served;
  grpc::Status read_again = Read(record_id, served);
  ASSERT_TRUE(read_again.ok()) << read_again.error_message();
  EXPECT_GT(served.sections_released_size(), 0);
  EXPECT_EQ(served.identity().full_name(), "failclosed name");

  // Shut down, then look at what is on disk.
  reader_.reset();
  submitter_.reset();
  server_.reset();
  failing_ = nullptr;
  absl::StatusOr<std::unique_ptr<store::RocksDbStore>> store =
      store::RocksDbStore::Open(env_.data_dir);
  ASSERT_THAT(store, IsOk());
  std::vector<std::string> record_ids;
  ASSERT_THAT((*store)->Scan(store::Space::kRecords, "", [&](std::string_view key, std::string_view) {
    const std::string raw_id(key.substr(0, server::kRecordIdBytes));
    if (record_ids.empty() || record_ids.back() != raw_id) record_ids.push_back(raw_id);
    return true;
  }),
              IsOk());
  ASSERT_EQ(record_ids.size(), 1u);
  EXPECT_EQ(absl::BytesToHexString(record_ids[0]), record_id);

  absl::StatusOr<crypto::SecretBytes> master = server::ReadMasterKeyFile(env_.master_key_path);
  ASSERT_THAT(master, IsOk());
  absl::StatusOr<std::unique_ptr<server::VaultKeys>> keys =
      server::VaultKeys::LoadOrCreate(**store, *master, absl::ToUnixSeconds(absl::Now()));
  ASSERT_THAT(keys, IsOk());
  absl::StatusOr<std::unique_ptr<audit::AuditLog>> log = audit::AuditLog::Open(
      **store, (*keys)->audit_key(), (*keys)->checkpoint_key(), [] { return absl::ToUnixMicros(absl::Now()); });
  ASSERT_THAT(log, IsOk());
  // The calls that succeeded are logged as OK: one submission, one read (plus start-up and
  // intake-key entries). The two calls refused while the disk failed may be logged afterwards
  // as failed attempts, but never as OK, never as disclosing sections (nothing was released)
  // and never naming a record that was not stored.
  int ok_gets = 0, ok_submits = 0;
  ASSERT_THAT((*log)->ReadEntries(0, UINT64_MAX, [&](const v1::AuditEntry& entry) {
    const v1::AuditEvent& e = entry.event();
    SCOPED_TRACE(::testing::Message() << "entry " << entry.index() << ": " << e.action() << " "
                                      << e.status_code() << " " << e.detail());
    if (e.status_code() == "OK") {
      if (e.action() == "get_record") {
        ++ok_gets;
        EXPECT_THAT(e.record_ids(), ::testing::ElementsAre(record_id));
        EXPECT_GT(e.sections_disclosed_size(), 0);
      }
      if (e.action() == "submit_record") ++ok_submits;
    } else {
      EXPECT_EQ(e.status_code(), "UNAVAILABLE");
      EXPECT_EQ(e.sections_disclosed_size(), 0) << "a failed read disclosed nothing";
      for (const std::string& id : e.record_ids()) {
        EXPECT_EQ(id, record_id) << "names a record that was never stored";
      }
    }
    return true;
  }),
              IsOk());
  EXPECT_EQ(ok_gets, 1);
  EXPECT_EQ(ok_submits, 1);
}

}  // namespace
}  // namespace confidant::testing
