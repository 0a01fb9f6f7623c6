// The witness key file: created once, 0600, reloaded unchanged, refused when exposed or broken.
#include "witness/witness_key.h"

#include <stdlib.h>
#include <sys/stat.h>

#include <filesystem>
#include <string>

#include "base/files.h"
#include "crypto/init.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/testing/status_matchers.h"

namespace confidant::witness {
namespace {

using ::confidant::testing::IsOk;
using ::confidant::testing::StatusIs;

class WitnessKeyTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_THAT(crypto::InitCrypto(), IsOk());
    std::string tmpl = ::testing::TempDir() + "/witness_key_XXXXXX";
    ASSERT_NE(::mkdtemp(tmpl.data()), nullptr);
    dir_ = tmpl;
    path_ = dir_ + "/" + kWitnessKeyFileName;
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  std::string dir_;
  std::string path_;
};

TEST_F(WitnessKeyTest, CreatedKeyIsPrivateAndReloadsUnchanged) {
  absl::StatusOr<crypto::Ed25519KeyPair> created = LoadOrCreateWitnessKey(path_, true);
  ASSERT_THAT(created, IsOk());
  struct stat info {};
  ASSERT_EQ(::stat(path_.c_str(), &info), 0);
  EXPECT_EQ(info.st_mode & 0777, 0600u);
  EXPECT_EQ(info.st_size, static_cast<off_t>(crypto::kEd25519SecretKeySize));
  absl::StatusOr<crypto::Ed25519KeyPair> loaded = LoadOrCreateWitnessKey(path_, false);
  ASSERT_THAT(loaded, IsOk());
  EXPECT_EQ(loaded->public_key, created->public_key);
  absl::StatusOr<crypto::Ed25519KeyPair> again = LoadOrCreateWitnessKey(path_, true);
  ASSERT_THAT(again, IsOk());
  EXPECT_EQ(again->public_key, created->public_key);  // --init never replaces a key
}

TEST_F(WitnessKeyTest, MissingKeyWithoutInitIsNotFound) {
  EXPECT_THAT(LoadOrCreateWitnessKey(path_, false), StatusIs(absl::StatusCode::kNotFound));
}

TEST_F(WitnessKeyTest, KeyReadableByOthersIsRefused) {
  ASSERT_THAT(LoadOrCreateWitnessKey(path_, true), IsOk());
  ASSERT_EQ(::chmod(path_.c_str(), 0644), 0);
  EXPECT_THAT(LoadOrCreateWitnessKey(path_, false),
              StatusIs(absl::StatusCode::kFailedPrecondition));
}

TEST_F(WitnessKeyTest, MalformedKeyIsDataLoss) {
  ASSERT_THAT(WriteFileAtomically(path_, std::string(32, 'k'), 0600), IsOk());
  EXPECT_THAT(LoadOrCreateWitnessKey(path_, false), StatusIs(absl::StatusCode::kDataLoss));
  ASSERT_THAT(WriteFileAtomically(path_, std::string(100, 'k'), 0600), IsOk());
  EXPECT_THAT(LoadOrCreateWitnessKey(path_, false), StatusIs(absl::StatusCode::kDataLoss));
  // 64 bytes whose public half does not match the seed.
  ASSERT_THAT(WriteFileAtomically(path_, std::string(64, 'k'), 0600), IsOk());
  EXPECT_THAT(LoadOrCreateWitnessKey(path_, false), StatusIs(absl::StatusCode::kDataLoss));
}

}  // namespace
}  // namespace confidant::witness
