// VaultKeys rotation over a real RocksDB store: a rotation adds one version of every role KEK
// and a new intake key (the previous one retired, still accepted within its grace), stores them
// so a reload under the same master key sees the same versions, and changes nothing when its
// commit fails; retired intake keys are destroyed only past their grace; the current role key
// version is never destroyed, an older one is (from storage too); a key a call still holds stays
// usable after its version is destroyed.
#include <memory>
#include <string>

#include "base/status_macros.h"
#include "crypto/init.h"
#include "crypto/secret_bytes.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "policy/policy.pb.h"
#include "server/record_vault.h"
#include "server/store/rocksdb_store.h"
#include "server/vault_keys.h"
#include "tests/store/temp_dir.h"
#include "tests/testing/status_matchers.h"

namespace confidant::server {
namespace {

using ::confidant::testing::IsOk;
using ::confidant::testing::StatusIs;
using policy::v1::CASE_OFFICER;

constexpr int64_t kT0 = 1'800'000'000;
constexpr std::string_view kOrigin = "confidant.example/log/00000000000000aa";

class VaultKeysRotationTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_THAT(crypto::InitCrypto(), IsOk());
    auto store = store::RocksDbStore::Open(dir_.path() + "/db");
    ASSERT_THAT(store, IsOk());
    store_ = *std::move(store);
    auto keys = VaultKeys::LoadOrCreate(*store_, master_, kT0);
    ASSERT_THAT(keys, IsOk());
    keys_ = *std::move(keys);
  }

  VaultKeys::RotateCommitFn Commit() {
    return [this](store::Mutation batch, const VaultKeys::Rotation& rotation) -> absl::Status {
      // What the audit log does for the checkpoint key change, at an arbitrary log size.
      ASSIGN_OR_RETURN(store::Mutation statement, rotation.checkpoint_change.statement(7));
      for (const store::Mutation::Op& op : statement.ops()) batch.Put(op.space, op.key, *op.value);
      return store_->Commit(batch);
    };
  }
  VaultKeys::CommitFn PlainCommit() {
    return [this](store::Mutation batch) { return store_->Commit(batch); };
  }
  std::unique_ptr<VaultKeys> Reload() {
    auto keys = VaultKeys::LoadOrCreate(*store_, master_, kT0);
    EXPECT_THAT(keys, IsOk());
    return keys.ok() ? *std::move(keys) : nullptr;
  }

  store::TempDir dir_;
  crypto::SecretBytes master_ = crypto::SecretBytes::Random(32);
  std::unique_ptr<store::RocksDbStore> store_;
  std::unique_ptr<VaultKeys> keys_;
};

TEST_F(VaultKeysRotationTest, RotationAddsVersionsThatAReloadSees) {
  absl::StatusOr<VaultKeys::Rotation> rotation = keys_->Rotate(kT0 + 10, kOrigin, Commit());
  ASSERT_THAT(rotation, IsOk());
  EXPECT_FALSE(rotation->role_keks.empty());
  EXPECT_EQ(rotation->intake_version, 2u);
  EXPECT_EQ(rotation->retired_intake_version, 1u);
  EXPECT_EQ(keys_->CurrentRoleKek(CASE_OFFICER).version, 2u);
  EXPECT_NE(keys_->RoleKekVersion(CASE_OFFICER, 1), nullptr);
  EXPECT_EQ(keys_->current_intake()->version, 2u);
  EXPECT_EQ(keys_->intake(1)->retired_unix_seconds, kT0 + 10);

  std::unique_ptr<VaultKeys> reloaded = Reload();
  ASSERT_NE(reloaded, nullptr);
  EXPECT_EQ(reloaded->CurrentRoleKek(CASE_OFFICER).version, 2u);
  EXPECT_TRUE(reloaded->CurrentRoleKek(CASE_OFFICER).key->ConstantTimeEquals(
      *keys_->CurrentRoleKek(CASE_OFFICER).key));
  EXPECT_EQ(reloaded->current_intake()->version, 2u);
  EXPECT_EQ(reloaded->intake(1)->retired_unix_seconds, kT0 + 10);
  EXPECT_EQ(reloaded->intake(1)->signature, keys_->intake(1)->signature);
}

TEST_F(VaultKeysRotationTest, RetiredIntakeKeyIsAcceptedOnlyWithinItsGrace) {
  ASSERT_THAT(keys_->Rotate(kT0, kOrigin, Commit()), IsOk());
  const auto retired = keys_->intake(1);
  const uint32_t current = keys_->current_intake()->version;
  EXPECT_TRUE(IntakeKeyAccepted(*retired, current, kT0 + kIntakeGraceSeconds - 1));
  EXPECT_FALSE(IntakeKeyAccepted(*retired, current, kT0 + kIntakeGraceSeconds));
}

TEST_F(VaultKeysRotationTest, FailedCommitChangesNothing) {
  absl::StatusOr<VaultKeys::Rotation> rotation = keys_->Rotate(
      kT0, kOrigin, [](store::Mutation, const VaultKeys::Rotation&) {
        return absl::UnavailableError("disk full");
      });
  EXPECT_THAT(rotation, StatusIs(absl::StatusCode::kUnavailable));
  EXPECT_EQ(keys_->CurrentRoleKek(CASE_OFFICER).version, 1u);
  EXPECT_EQ(keys_->current_intake()->version, 1u);
  EXPECT_EQ(keys_->intake(1)->retired_unix_seconds, 0);
  EXPECT_EQ(Reload()->CurrentRoleKek(CASE_OFFICER).version, 1u);
}

TEST_F(VaultKeysRotationTest, IntakeKeysAreDestroyedOnlyPastTheirGrace) {
  ASSERT_THAT(keys_->Rotate(kT0, kOrigin, Commit()), IsOk());
  absl::StatusOr<std::vector<uint32_t>> early =
      keys_->DestroyExpiredIntakeKeys(kT0 + kIntakeGraceSeconds - 1, PlainCommit());
  ASSERT_THAT(early, IsOk());
  EXPECT_TRUE(early->empty());
  absl::StatusOr<VaultKeys::Rotation> later =
      keys_->Rotate(kT0 + kIntakeGraceSeconds, kOrigin, Commit());
  ASSERT_THAT(later, IsOk());
  EXPECT_EQ(later->destroyed_intake_versions, std::vector<uint32_t>{1});
  EXPECT_EQ(keys_->intake(1), nullptr);
  EXPECT_NE(keys_->intake(2), nullptr);  // retired just now: in its grace
  EXPECT_EQ(Reload()->intake(1), nullptr);
}

TEST_F(VaultKeysRotationTest, OnlyOldRoleKeyVersionsAreDestroyedAndHeldKeysStayUsable) {
  ASSERT_THAT(keys_->Rotate(kT0, kOrigin, Commit()), IsOk());
  EXPECT_THAT(keys_->DestroyRoleKek(CASE_OFFICER, 2, PlainCommit()),
              StatusIs(absl::StatusCode::kFailedPrecondition));
  VaultKeys::KeyPtr held = keys_->RoleKekVersion(CASE_OFFICER, 1);
  ASSERT_NE(held, nullptr);
  auto copy = crypto::SecretBytes::CopyFrom(std::string_view(
      reinterpret_cast<const char*>(held->RevealSecret()), held->size()));
  ASSERT_THAT(keys_->DestroyRoleKek(CASE_OFFICER, 1, PlainCommit()), IsOk());
  EXPECT_EQ(keys_->RoleKekVersion(CASE_OFFICER, 1), nullptr);
  EXPECT_EQ(keys_->RoleKekVersions(CASE_OFFICER), std::vector<uint32_t>{2});
  EXPECT_TRUE(held->ConstantTimeEquals(copy));  // an in-flight call keeps its key
  EXPECT_THAT(keys_->DestroyRoleKek(CASE_OFFICER, 1, PlainCommit()),
              StatusIs(absl::StatusCode::kNotFound));
  std::unique_ptr<VaultKeys> reloaded = Reload();
  ASSERT_NE(reloaded, nullptr);
  EXPECT_EQ(reloaded->RoleKekVersion(CASE_OFFICER, 1), nullptr);
  EXPECT_EQ(reloaded->CurrentRoleKek(CASE_OFFICER).version, 2u);
}

}  // namespace
}  // namespace confidant::server
