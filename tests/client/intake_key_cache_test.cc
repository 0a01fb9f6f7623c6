// The kept intake key is used only while it verifies under the pinned vault key.
#include "client/intake_key_cache.h"

#include <filesystem>
#include <string>

#include "base/files.h"
#include "crypto/asymmetric.h"
#include "crypto/init.h"
#include "gtest/gtest.h"
#include "proto/intake_key_format.h"
#include "tests/testing/status_matchers.h"

namespace confidant::client {
namespace {

using ::confidant::testing::IsOk;
using ::confidant::testing::StatusIs;

class IntakeKeyCacheTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_THAT(crypto::InitCrypto(), IsOk());
    path_ = (std::filesystem::temp_directory_path() /
             ("intake-key-test-" + std::to_string(::getpid()) + "-" +
              ::testing::UnitTest::GetInstance()->current_test_info()->name()))
                .string();
    std::filesystem::remove(path_);
    key_.set_version(3);
    key_.set_public_key(crypto::X25519KeyPair::Generate().public_key);
    key_.set_created_unix_seconds(1'700'000'000);
    key_.set_signature(crypto::Sign(
        vault_, IntakeKeySigningBytes(key_.version(), key_.public_key(),
                                      key_.created_unix_seconds())));
  }
  void TearDown() override { std::filesystem::remove(path_); }

  crypto::Ed25519KeyPair vault_ = crypto::Ed25519KeyPair::Generate();
  v1::IntakeKey key_;
  std::string path_;
};

TEST_F(IntakeKeyCacheTest, AKeptKeyLoadsBackWithWhenItWasConfirmed) {
  ASSERT_THAT(StoreIntakeKey(path_, key_, 1'700'000'500), IsOk());
  auto loaded = LoadIntakeKey(path_, vault_.public_key);
  ASSERT_THAT(loaded, IsOk());
  ASSERT_TRUE(loaded->has_value());
  EXPECT_EQ((*loaded)->key.public_key(), key_.public_key());
  EXPECT_EQ((*loaded)->confirmed_unix_seconds, 1'700'000'500);
  EXPECT_EQ((*loaded)->SafeUntil(), 1'700'000'500 + 14 * 86400);
}

TEST_F(IntakeKeyCacheTest, NoKeptKeyIsNotAnError) {
  auto loaded = LoadIntakeKey(path_, vault_.public_key);
  ASSERT_THAT(loaded, IsOk());
  EXPECT_FALSE(loaded->has_value());
}

TEST_F(IntakeKeyCacheTest, AKeyPlantedUnderAnotherVaultKeyIsNeverUsed) {
  crypto::Ed25519KeyPair impostor = crypto::Ed25519KeyPair::Generate();
  key_.set_signature(crypto::Sign(
      impostor, IntakeKeySigningBytes(key_.version(), key_.public_key(),
                                      key_.created_unix_seconds())));
  ASSERT_THAT(StoreIntakeKey(path_, key_, 1'700'000'500), IsOk());
  EXPECT_THAT(LoadIntakeKey(path_, vault_.public_key), StatusIs(absl::StatusCode::kDataLoss));
}

TEST_F(IntakeKeyCacheTest, ASwappedPublicKeyFailsTheSignature) {
  v1::IntakeKey swapped = key_;
  swapped.set_public_key(crypto::X25519KeyPair::Generate().public_key);
  ASSERT_THAT(StoreIntakeKey(path_, swapped, 1'700'000'500), IsOk());
  EXPECT_THAT(LoadIntakeKey(path_, vault_.public_key), StatusIs(absl::StatusCode::kDataLoss));
}

TEST_F(IntakeKeyCacheTest, ADamagedFileIsDataLoss) {
  ASSERT_THAT(WriteFileAtomically(path_, "confidant-intake-key v1\nconfirmed x\n!!\n", 0600),
              IsOk());
  EXPECT_THAT(LoadIntakeKey(path_, vault_.public_key), StatusIs(absl::StatusCode::kDataLoss));
}

}  // namespace
}  // namespace confidant::client
