// Key rotation and rewrap over real mTLS (confidantd --dev): rotating under concurrent submits
// and reads fails no call; records written before stay readable and keep their old wraps,
// records written after are wrapped under the new role key versions (checked in storage); the
// rotation is audited with its versions; a rewrap moves every wrap to the newest version,
// destroys the old versions (audited) and leaves every record readable; a rewrap killed
// (SIGKILL) half-way resumes from its stored cursor after a restart and completes.
#include <atomic>
#include <chrono>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "confidant/v1/operator.grpc.pb.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "server/store/rocksdb_store.h"
#include "tests/e2e/identity_helpers.h"
#include "tests/e2e/vault_process.h"
#include "tests/e2e/witness_process.h"
#include "tests/testing/status_matchers.h"

namespace confidant::testing {
namespace {

using ::testing::HasSubstr;

constexpr size_t kRawIdBytes = 16;

// Role key versions of the wraps in storage, per raw record id. The server must be stopped.
std::map<std::string, std::set<uint32_t>> WrapVersions(const std::string& data_dir) {
  std::map<std::string, std::set<uint32_t>> versions;
  absl::StatusOr<std::unique_ptr<store::RocksDbStore>> db = store::RocksDbStore::Open(data_dir);
  EXPECT_THAT(db, IsOk());
  if (!db.ok()) return versions;
  EXPECT_THAT((*db)->Scan(store::Space::kWraps, "",
                          [&](std::string_view key, std::string_view) {
                            uint32_t v = 0;
                            for (size_t i = key.size() - 4; i < key.size(); ++i) {
                              v = (v << 8) | static_cast<uint8_t>(key[i]);
                            }
                            versions[std::string(key.substr(0, kRawIdBytes))].insert(v);
                            return true;
                          }),
              IsOk());
  return versions;
}

std::set<std::string> StoredKeyNames(const std::string& data_dir) {
  std::set<std::string> names;
  absl::StatusOr<std::unique_ptr<store::RocksDbStore>> db = store::RocksDbStore::Open(data_dir);
  EXPECT_THAT(db, IsOk());
  if (!db.ok()) return names;
  EXPECT_THAT((*db)->Scan(store::Space::kKeys, "",
                          [&](std::string_view key, std::string_view) {
                            names.emplace(key);
                            return true;
                          }),
              IsOk());
  return names;
}

std::string RawId(const std::string& hex) { return absl::HexStringToBytes(hex); }

class RotateTest : public ::testing::Test {
 protected:
  void StartVault(std::vector<std::string> args = {}) {
    absl::StatusOr<std::unique_ptr<VaultProcess>> vault = VaultProcess::Start(std::move(args));
    ASSERT_THAT(vault, IsOk());
    vault_ = *std::move(vault);
  }

  std::string SubmitOne(const std::string& submission_id) {
    absl::StatusOr<v1::SubmitRecordResponse> submitted =
        vault_->ClientAs("bench_visit_team")->Submit(SyntheticRecord("rotate"), submission_id);
    EXPECT_THAT(submitted, IsOk());
    return submitted.ok() ? submitted->record_id() : "";
  }

  absl::Status Read(const std::string& record_id) {
    v1::GetRecordRequest request;
    request.set_record_id(record_id);
    request.set_purpose(v1::FOLLOW_UP);
    absl::StatusOr<v1::GetRecordResponse> got =
        vault_->ClientAs("bench_case_officer")->Get(request);
    if (!got.ok()) return got.status();
    if (got->identity().full_name() != "rotate name") {
      return absl::DataLossError("wrong content");
    }
    return absl::OkStatus();
  }

  std::unique_ptr<v1::OperatorService::Stub> Operator() const {
    return v1::OperatorService::NewStub(ChannelAs(*vault_, "custodian"));
  }

  grpc::Status Rotate(v1::RotateResponse* response) const {
    grpc::ClientContext context;
    SetTestDeadline(context, 30);
    return Operator()->Rotate(&context, {}, response);
  }

  v1::RewrapStatus RewrapStatus() const {
    grpc::ClientContext context;
    SetTestDeadline(context);
    v1::RewrapStatus status;
    EXPECT_TRUE(Operator()->GetRewrapStatus(&context, {}, &status).ok());
    return status;
  }

  v1::RewrapStatus WaitForRewrap() const {
    v1::RewrapStatus status;
    for (int i = 0; i < 600; ++i) {
      status = RewrapStatus();
      if (!status.running()) break;
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    return status;
  }

  std::vector<v1::AuditEvent> Events(const std::string& action) const {
    return AuditEventsWithAction(*vault_, action);
  }

  // The load generator's dev persons: quotas high enough not to interfere.
  std::unique_ptr<VaultProcess> vault_;
};

TEST_F(RotateTest, RotationUnderConcurrentLoadFailsNoCallAndNewWritesUseNewVersions) {
  StartVault();
  std::vector<std::string> before;
  for (int i = 0; i < 3; ++i) before.push_back(SubmitOne(absl::StrCat("rotate-before-", i)));

  std::atomic<bool> stop{false};
  std::atomic<int> calls{0};
  std::atomic<int> failures{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 2; ++t) {
    threads.emplace_back([&, t] {
      auto client = vault_->ClientAs("bench_visit_team");
      for (int i = 0; !stop.load(); ++i) {
        absl::StatusOr<v1::SubmitRecordResponse> submitted =
            client->Submit(SyntheticRecord("rotate"), absl::StrCat("rotate-load-", t, "-", i));
        ++calls;
        if (!submitted.ok()) {
          ++failures;
          ADD_FAILURE() << "submit: " << submitted.status();
        }
      }
    });
    threads.emplace_back([&, t] {
      for (int i = 0; !stop.load(); ++i) {
        absl::Status read = Read(before[(t + i) % before.size()]);
        ++calls;
        if (!read.ok()) {
          ++failures;
          ADD_FAILURE() << "read: " << read;
        }
      }
    });
  }
  std::this_thread::sleep_for(std::chrono::milliseconds(500));
  v1::RotateResponse first;
  ASSERT_TRUE(Rotate(&first).ok());
  std::this_thread::sleep_for(std::chrono::milliseconds(500));
  // The second rotation through the CLI.
  CommandResult cli = RunCommand({CONFIDANT_CLI_PATH, "--identity",
                                  vault_->identity_dir("custodian"), "--server", vault_->address(),
                                  "operator", "rotate"});
  std::this_thread::sleep_for(std::chrono::milliseconds(500));
  stop = true;
  for (std::thread& thread : threads) thread.join();
  EXPECT_EQ(failures.load(), 0);
  EXPECT_GT(calls.load(), 8);

  ASSERT_GT(first.role_keys_size(), 0);
  for (const v1::RoleKeyVersion& key : first.role_keys()) EXPECT_EQ(key.version(), 2u);
  EXPECT_EQ(first.intake_key_version(), 2u);
  EXPECT_EQ(first.retired_intake_key_version(), 1u);
  ASSERT_EQ(cli.exit_code, 0) << cli.out << cli.err;
  EXPECT_THAT(cli.out, HasSubstr("role key case_officer: version 3"));
  EXPECT_THAT(cli.out, HasSubstr("intake key: version 3 (version 2 accepted until"));
  EXPECT_GT(first.intake_grace_until_unix_seconds(), 0);

  const std::string after = SubmitOne("rotate-after-0");
  for (const std::string& id : before) EXPECT_THAT(Read(id), IsOk());
  EXPECT_THAT(Read(after), IsOk());

  std::vector<v1::AuditEvent> rotated = Events("keys_rotated");
  ASSERT_EQ(rotated.size(), 2u);
  EXPECT_THAT(rotated[0].detail(), HasSubstr("case_officer v2"));
  EXPECT_THAT(rotated[0].detail(), HasSubstr("intake v2 (v1 retired"));
  EXPECT_THAT(rotated[1].detail(), HasSubstr("case_officer v3"));

  vault_->Stop();
  std::map<std::string, std::set<uint32_t>> versions = WrapVersions(vault_->data_dir());
  for (const std::string& id : before) EXPECT_EQ(versions[RawId(id)], std::set<uint32_t>{1});
  EXPECT_EQ(versions[RawId(after)], std::set<uint32_t>{3});
  const std::set<std::string> keys = StoredKeyNames(vault_->data_dir());
  EXPECT_EQ(keys.count("intake/1"), 1u);  // retired, still within its grace
  EXPECT_EQ(keys.count("role-kek/case_officer/3"), 1u);

  // The new versions were stored: after a restart everything still opens.
  ASSERT_THAT(vault_->Restart(), IsOk());
  for (const std::string& id : before) EXPECT_THAT(Read(id), IsOk());
  EXPECT_THAT(Read(after), IsOk());
  EXPECT_FALSE(SubmitOne("rotate-after-restart").empty());
}

TEST_F(RotateTest, RewrapMovesEveryWrapToTheNewestVersionAndDestroysOldVersions) {
  StartVault();
  std::vector<std::string> records;
  for (int i = 0; i < 4; ++i) records.push_back(SubmitOne(absl::StrCat("rewrap-", i)));
  v1::RotateResponse rotated;
  ASSERT_TRUE(Rotate(&rotated).ok());
  records.push_back(SubmitOne("rewrap-after"));

  CommandResult cli = RunCommand({CONFIDANT_CLI_PATH, "--identity",
                                  vault_->identity_dir("custodian"), "--server", vault_->address(),
                                  "operator", "rewrap", "--wait"});
  ASSERT_EQ(cli.exit_code, 0) << cli.out << cli.err;
  EXPECT_THAT(cli.out, HasSubstr("rewrap completed"));
  v1::RewrapStatus status = RewrapStatus();
  EXPECT_TRUE(status.completed());
  EXPECT_EQ(status.records_scanned(), 5u);
  EXPECT_GT(status.wraps_rewrapped(), 0u);
  EXPECT_EQ(status.destroyed_size(), rotated.role_keys_size());
  for (const v1::RoleKeyVersion& key : status.destroyed()) EXPECT_EQ(key.version(), 1u);

  for (const std::string& id : records) EXPECT_THAT(Read(id), IsOk());
  EXPECT_EQ(Events("role_key_destroyed").size(), static_cast<size_t>(rotated.role_keys_size()));
  EXPECT_EQ(Events("rewrap_completed").size(), 1u);
  EXPECT_EQ(Events("rewrap_started").size(), 1u);

  vault_->Stop();
  for (const auto& [id, versions] : WrapVersions(vault_->data_dir())) {
    EXPECT_EQ(versions, std::set<uint32_t>{2});
  }
  for (const std::string& name : StoredKeyNames(vault_->data_dir())) {
    if (absl::StartsWith(name, "role-kek/")) {
      EXPECT_TRUE(absl::EndsWith(name, "/2")) << name;
    }
  }
  ASSERT_THAT(vault_->Restart(), IsOk());
  for (const std::string& id : records) EXPECT_THAT(Read(id), IsOk());
}

TEST_F(RotateTest, RewrapKilledHalfWayResumesAfterRestartAndCompletes) {
  StartVault({"--dev_rewrap_pause_ms", "300"});
  std::vector<std::string> records;
  for (int i = 0; i < 10; ++i) records.push_back(SubmitOne(absl::StrCat("resume-", i)));
  v1::RotateResponse rotated;
  ASSERT_TRUE(Rotate(&rotated).ok());
  {
    grpc::ClientContext context;
    SetTestDeadline(context);
    v1::RewrapStatus started;
    ASSERT_TRUE(Operator()->Rewrap(&context, {}, &started).ok());
    EXPECT_TRUE(started.running());
  }
  v1::RewrapStatus status;
  for (int i = 0; i < 200 && status.records_scanned() < 3; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    status = RewrapStatus();
  }
  ASSERT_GE(status.records_scanned(), 3u);
  ASSERT_TRUE(status.running());
  vault_->Kill();

  std::map<std::string, std::set<uint32_t>> half = WrapVersions(vault_->data_dir());
  std::set<uint32_t> seen;
  for (const auto& [id, versions] : half) seen.insert(versions.begin(), versions.end());
  EXPECT_EQ(seen, (std::set<uint32_t>{1, 2}));  // interrupted half-way

  ASSERT_THAT(vault_->Restart(), IsOk());
  status = WaitForRewrap();
  EXPECT_TRUE(status.resumed());
  EXPECT_TRUE(status.completed()) << status.error();
  EXPECT_LT(status.records_scanned(), records.size());  // only those left after the cursor
  for (const std::string& id : records) EXPECT_THAT(Read(id), IsOk());
  EXPECT_THAT(vault_->log(), HasSubstr("rewrap_resumed"));

  vault_->Stop();
  for (const auto& [id, versions] : WrapVersions(vault_->data_dir())) {
    EXPECT_EQ(versions, std::set<uint32_t>{2});
  }
  for (const std::string& name : StoredKeyNames(vault_->data_dir())) {
    if (absl::StartsWith(name, "role-kek/")) {
      EXPECT_TRUE(absl::EndsWith(name, "/2")) << name;
    }
  }
}

}  // namespace
}  // namespace confidant::testing
