// ProductionVaultTest: a production confidantd (no --dev, no key file) over real mTLS, with the
// PKI, identities and signed policy of a dev folder whose own server is stopped; custodian calls
// (status, init, unseal, seal), and a few reads for checks.
#ifndef CONFIDANT_TESTS_E2E_PRODUCTION_VAULT_H_
#define CONFIDANT_TESTS_E2E_PRODUCTION_VAULT_H_

#include <sys/stat.h>

#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "base/files.h"
#include "confidant/v1/audit.grpc.pb.h"
#include "confidant/v1/operator.grpc.pb.h"
#include "confidant/v1/record_service.grpc.pb.h"
#include "crypto/shamir.h"
#include "crypto/share_text.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/e2e/daemon.h"
#include "tests/e2e/identity_helpers.h"
#include "tests/e2e/vault_process.h"
#include "tests/testing/status_matchers.h"

namespace confidant::testing {

class ProductionVaultTest : public ::testing::Test {
 protected:
  void SetUp() override {
    // A dev folder supplies the PKI, identities and signed policy; its own server is stopped.
    absl::StatusOr<std::unique_ptr<VaultProcess>> vault = VaultProcess::Start();
    ASSERT_THAT(vault, IsOk());
    dev_ = *std::move(vault);
    dev_->Stop();
    data_dir_ = dev_->root() + "/prod-data";
    ASSERT_EQ(::mkdir(data_dir_.c_str(), 0700), 0);
  }

  // Starts a production confidantd over data_dir_ (with `extra` flags), its output in
  // ROOT/`log`; daemon.pid stays -1 if it exits instead of serving.
  void LaunchProduction(Daemon& daemon, std::vector<std::string> extra,
                        const std::string& log = "prod.log") {
    const std::string dev = dev_->dev_dir();
    std::filesystem::remove(port_file());
    std::vector<std::string> args = {
        "--data_dir", data_dir_, "--tls_cert", dev + "/server/server.crt", "--tls_key",
        dev + "/server/server.key", "--client_ca", dev + "/ca/ca.crt", "--policy",
        dev + "/policy.textproto", "--governance_keys", dev + "/governance/keys.txt",
        "--listen", "127.0.0.1:0", "--port_file", port_file()};
    args.insert(args.end(), extra.begin(), extra.end());
    Launch(std::move(args), port_file(), dev_->root() + "/" + log, {}, daemon);
    if (daemon.pid > 0) address_ = absl::StrCat("127.0.0.1:", daemon.port);
  }
  // The same, and it must serve.
  void StartProduction(Daemon& daemon, std::vector<std::string> extra = {}) {
    LaunchProduction(daemon, std::move(extra));
    ASSERT_GT(daemon.pid, 0) << daemon.log();
  }

  std::shared_ptr<grpc::Channel> Channel(const std::string& who) const {
    absl::StatusOr<client::ClientIdentity> identity =
        client::ClientIdentity::Load(dev_->identity_dir(who));
    EXPECT_THAT(identity, IsOk());
    return RawChannel(address_, identity.ok() ? *identity : client::ClientIdentity());
  }
  // A copy of `who`'s dev identity that pins this production vault's identity key (as a
  // custodian does with the key `operator init` prints), so the CLI's log checks hold. The vault
  // must be unsealed (its status carries the key).
  std::string PinnedIdentityDir(const std::string& who) const {
    v1::VaultStatus status;
    EXPECT_TRUE(Status(&status, who).ok());
    const std::string dir = dev_->root() + "/pinned-" + who;
    std::filesystem::create_directories(dir);
    for (const char* file : {"ca.crt", "client.crt", "client.key"}) {
      std::filesystem::copy_file(dev_->identity_dir(who) + "/" + file, dir + "/" + file,
                                 std::filesystem::copy_options::overwrite_existing);
    }
    EXPECT_THAT(WriteFileAtomically(dir + "/vault.pub",
                                    absl::Base64Escape(status.vault_public_key()) + "\n", 0600),
                IsOk());
    return dir;
  }
  std::unique_ptr<v1::OperatorService::Stub> Operator(const std::string& who = "custodian") const {
    return v1::OperatorService::NewStub(Channel(who));
  }

  grpc::Status Status(v1::VaultStatus* out, const std::string& who = "custodian") const {
    grpc::ClientContext context;
    SetTestDeadline(context);
    return Operator(who)->GetStatus(&context, {}, out);
  }
  grpc::Status Init(uint32_t shares, uint32_t threshold, v1::InitResponse* out,
                    const std::string& who = "custodian") const {
    grpc::ClientContext context;
    SetTestDeadline(context);
    v1::InitRequest request;
    request.set_shares(shares);
    request.set_threshold(threshold);
    return Operator(who)->Init(&context, request, out);
  }
  grpc::Status Unseal(const std::string& share, v1::VaultStatus* out = nullptr,
                      const std::string& who = "custodian") const {
    grpc::ClientContext context;
    SetTestDeadline(context);
    v1::UnsealRequest request;
    request.set_share(share);
    v1::VaultStatus ignored;
    return Operator(who)->Unseal(&context, request, out ? out : &ignored);
  }
  grpc::Status Seal(bool emergency) const {
    grpc::ClientContext context;
    SetTestDeadline(context);
    v1::SealRequest request;
    request.set_emergency(emergency);
    v1::VaultStatus status;
    return Operator()->Seal(&context, request, &status);
  }
  // GetRecord as `who` for FOLLOW_UP; `out` (if set) receives the record.
  grpc::Status ReadAs(const std::string& record_id, const std::string& who = "case_officer",
                      v1::GetRecordResponse* out = nullptr) const {
    auto stub = v1::RecordService::NewStub(Channel(who));
    grpc::ClientContext context;
    SetTestDeadline(context);
    v1::GetRecordRequest request;
    request.set_record_id(record_id);
    request.set_purpose(v1::FOLLOW_UP);
    v1::GetRecordResponse ignored;
    return stub->GetRecord(&context, request, out ? out : &ignored);
  }
  grpc::StatusCode ListCode() const {
    auto stub = v1::RecordService::NewStub(Channel("case_officer"));
    grpc::ClientContext context;
    SetTestDeadline(context);
    v1::ListRecordsResponse response;
    return stub->ListRecords(&context, {}, &response).error_code();
  }
  std::vector<v1::AuditEntry> Entries() const {
    auto stub = v1::AuditService::NewStub(Channel("auditor"));
    grpc::ClientContext context;
    SetTestDeadline(context);
    auto reader = stub->GetEntries(&context, v1::GetEntriesRequest());
    std::vector<v1::AuditEntry> entries;
    v1::AuditEntry entry;
    while (reader->Read(&entry)) entries.push_back(entry);
    EXPECT_TRUE(reader->Finish().ok());
    return entries;
  }

  // Starts a production confidantd on a new vault, initialises it with `shares` shares of which
  // `threshold` open it, keeps the shares, and stops it: the next start is sealed.
  void InitAndStop(uint32_t shares, uint32_t threshold, std::vector<std::string>& out) {
    Daemon daemon;
    StartProduction(daemon);
    v1::InitResponse init;
    ASSERT_TRUE(Init(shares, threshold, &init).ok());
    out.assign(init.shares().begin(), init.shares().end());
  }

  std::string port_file() const { return dev_->root() + "/prod.port"; }

  std::unique_ptr<VaultProcess> dev_;
  std::string data_dir_;
  std::string address_;
};

// The master key (raw bytes) that the first `k` of `shares` recombine to; empty on failure.
inline std::string Recombine(const std::vector<std::string>& shares, size_t k) {
  std::vector<crypto::Share> parsed;
  for (size_t i = 0; i < k && i < shares.size(); ++i) {
    absl::StatusOr<crypto::Share> share = crypto::ParseShare(shares[i]);
    EXPECT_THAT(share, IsOk());
    if (share.ok()) parsed.push_back(*std::move(share));
  }
  absl::StatusOr<crypto::SecretBytes> master = crypto::Combine(parsed);
  EXPECT_THAT(master, IsOk());
  if (!master.ok()) return "";
  return std::string(reinterpret_cast<const char*>(master->RevealSecret()), master->size());
}

// A copy of `share` with one payload character changed (a typo).
inline std::string WithTypo(std::string share) {
  const size_t at = share.size() - 12;  // inside the payload, before the checksum
  share[at] = share[at] == 'a' ? 'b' : 'a';
  return share;
}

}  // namespace confidant::testing

#endif  // CONFIDANT_TESTS_E2E_PRODUCTION_VAULT_H_
