// The governance-key pin and the policy version in force are authenticated by the unsealed
// vault: removing or rewriting them on disk cannot bring a self-signed policy into force.
#include <memory>

#include "base/files.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "policy/signed_policy.h"
#include "server/store/rocksdb_store.h"
#include "tests/e2e/vault_process.h"
#include "tests/testing/status_matchers.h"

namespace confidant::testing {
namespace {

using ::testing::HasSubstr;

class PolicyStateTest : public ::testing::Test {
 protected:
  void SetUp() override {
    absl::StatusOr<std::unique_ptr<VaultProcess>> vault = VaultProcess::Start();
    ASSERT_THAT(vault, IsOk());
    vault_ = *std::move(vault);
    vault_->Stop();
  }

  // Governance keys of the attacker's own, with the dev policy signed by them.
  void SwapInOwnGovernanceKeys() {
    policy::GovernanceKeys keys;
    keys.threshold = 1;
    crypto::Ed25519KeyPair own = crypto::Ed25519KeyPair::Generate();
    keys.public_keys["gov-1"] = own.public_key;
    const std::string dev = vault_->dev_dir();
    ASSERT_THAT(WriteFileAtomically(dev + "/governance/keys.txt", keys.ToText(), 0644), IsOk());
    absl::StatusOr<std::string> text = ReadFile(dev + "/policy.textproto");
    ASSERT_THAT(text, IsOk());
    ASSERT_THAT(WriteFileAtomically(dev + "/policy.textproto.sig",
                                    policy::SignPolicy(*text, "gov-1", own), 0600),
                IsOk());
  }

  void DeleteMeta(std::initializer_list<const char*> keys) {
    auto db = store::RocksDbStore::Open(vault_->data_dir());
    ASSERT_THAT(db, IsOk());
    store::Mutation m;
    for (const char* key : keys) m.Delete(store::Space::kMeta, key);
    ASSERT_THAT((*db)->Commit(m), IsOk());
  }

  // Deletes every stored key whose name starts with one of `prefixes` ("" deletes them all).
  void DeleteKeys(std::initializer_list<const char*> prefixes) {
    auto db = store::RocksDbStore::Open(vault_->data_dir());
    ASSERT_THAT(db, IsOk());
    store::Mutation m;
    for (const char* prefix : prefixes) {
      ASSERT_THAT((*db)->Scan(store::Space::kKeys, prefix,
                              [&](std::string_view key, std::string_view) {
                                m.Delete(store::Space::kKeys, std::string(key));
                                return true;
                              }),
                  IsOk());
    }
    ASSERT_FALSE(m.empty());
    ASSERT_THAT((*db)->Commit(m), IsOk());
  }

  std::unique_ptr<VaultProcess> vault_;
};

TEST_F(PolicyStateTest, OtherGovernanceKeysAreRefusedAtStart) {
  SwapInOwnGovernanceKeys();
  EXPECT_THAT(vault_->Restart(), StatusIs(absl::StatusCode::kInternal, HasSubstr("governance keys")));
}

TEST_F(PolicyStateTest, DeletedPinAndVersionDoNotLetOtherKeysIn) {
  SwapInOwnGovernanceKeys();
  DeleteMeta({"policy/governance-keys", "policy/version-in-force", "policy/hash-in-force"});
  EXPECT_THAT(vault_->Restart(), StatusIs(absl::StatusCode::kInternal, HasSubstr("policy state")));
}

TEST_F(PolicyStateTest, DeletedPolicyStateEntirelyIsRefused) {
  SwapInOwnGovernanceKeys();
  DeleteMeta({"policy/governance-keys", "policy/version-in-force", "policy/hash-in-force",
              "policy/state-mac"});
  EXPECT_THAT(vault_->Restart(), StatusIs(absl::StatusCode::kInternal, HasSubstr("not authenticated")));
}

// Review finding: deleting the identity key made the vault look new, so it skipped the policy
// state's MAC and pinned the attacker's governance keys. Keys are never created over data.
TEST_F(PolicyStateTest, DeletedIdentityKeyDoesNotMakeTheVaultNew) {
  SwapInOwnGovernanceKeys();
  DeleteKeys({"vault-identity/"});
  DeleteMeta({"policy/governance-keys", "policy/version-in-force", "policy/hash-in-force",
              "policy/state-mac"});
  EXPECT_THAT(vault_->Restart(),
              StatusIs(absl::StatusCode::kInternal, HasSubstr("key set is incomplete")));
}

// Review finding: deleting the audit body key silently created a new one, leaving every earlier
// entry unreadable while the vault served on.
TEST_F(PolicyStateTest, DeletedAuditKeyStopsTheVault) {
  DeleteKeys({"audit-body/"});
  EXPECT_THAT(vault_->Restart(),
              StatusIs(absl::StatusCode::kInternal, HasSubstr("key set is incomplete")));
}

TEST_F(PolicyStateTest, DeletedRoleKeyStopsTheVault) {
  DeleteKeys({"role-kek/health_reviewer/"});
  EXPECT_THAT(vault_->Restart(),
              StatusIs(absl::StatusCode::kInternal, HasSubstr("key set is incomplete")));
}

TEST_F(PolicyStateTest, EveryKeyDeletedIsNotANewVault) {
  SwapInOwnGovernanceKeys();
  DeleteKeys({""});
  DeleteMeta({"policy/governance-keys", "policy/version-in-force", "policy/hash-in-force",
              "policy/state-mac"});
  EXPECT_THAT(vault_->Restart(),
              StatusIs(absl::StatusCode::kInternal, HasSubstr("but no keys")));
}

TEST_F(PolicyStateTest, UntouchedStateRestarts) { EXPECT_THAT(vault_->Restart(), IsOk()); }

}  // namespace
}  // namespace confidant::testing
