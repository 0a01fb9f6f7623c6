// A confidantd restarted over a tampered audit log refuses to serve (and so to extend it),
// naming the first bad entry.
#include <memory>

#include "base/bytes.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "server/store/rocksdb_store.h"
#include "tests/e2e/vault_process.h"
#include "tests/testing/status_matchers.h"

namespace confidant::testing {
namespace {

using ::testing::HasSubstr;

std::string LeafKey(uint64_t index) {  // the audit space's layout (server/audit/audit_log.h)
  std::string key = "L";
  AppendU64(key, index);
  return key;
}

class AuditTamperRestartTest : public ::testing::Test {
 protected:
  void SetUp() override {
    absl::StatusOr<std::unique_ptr<VaultProcess>> vault = VaultProcess::Start();
    ASSERT_THAT(vault, IsOk());
    vault_ = *std::move(vault);
    ASSERT_THAT(vault_->ClientAs("visit_team")->Submit(SyntheticRecord("t"), "tamper-restart-1"),
                IsOk());
    vault_->Stop();
  }

  // Applies `edit` to the stopped vault's store.
  template <typename Edit>
  void EditStore(Edit edit) {
    absl::StatusOr<std::unique_ptr<store::RocksDbStore>> db =
        store::RocksDbStore::Open(vault_->data_dir());
    ASSERT_THAT(db, IsOk());
    edit(**db);
  }

  std::unique_ptr<VaultProcess> vault_;
};

TEST_F(AuditTamperRestartTest, FlippedEntryStopsTheVaultNamingIt) {
  EditStore([](store::RocksDbStore& db) {
    auto leaf = db.Get(store::Space::kAudit, LeafKey(1));
    ASSERT_TRUE(leaf.ok() && leaf->has_value());
    std::string bad = **leaf;
    bad[bad.size() - 5] ^= 0x01;
    store::Mutation m;
    m.Put(store::Space::kAudit, LeafKey(1), bad);
    ASSERT_THAT(db.Commit(m), IsOk());
  });
  EXPECT_THAT(vault_->Restart(), StatusIs(absl::StatusCode::kInternal, HasSubstr("entry 1 ")));
}

TEST_F(AuditTamperRestartTest, DeletedEntryStopsTheVault) {
  EditStore([](store::RocksDbStore& db) {
    store::Mutation m;
    m.Delete(store::Space::kAudit, LeafKey(0));
    ASSERT_THAT(db.Commit(m), IsOk());
  });
  EXPECT_THAT(vault_->Restart(), StatusIs(absl::StatusCode::kInternal, HasSubstr("entry 0 ")));
}

TEST_F(AuditTamperRestartTest, UntouchedLogRestarts) {
  EXPECT_THAT(vault_->Restart(), IsOk());  // the control: the edits above are what stop it
}

}  // namespace
}  // namespace confidant::testing
