// The newest vault identity key a client verified becomes its anchor (client/vault_key_pin.h):
// kept with the transitions that lead to it from vault.pub, re-verified at every load, ignored
// for another vault.pub, and a chain served later that stops short of it is refused.
#include "client/vault_key_pin.h"

#include <filesystem>
#include <string>
#include <vector>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "base/files.h"
#include "crypto/asymmetric.h"
#include "crypto/init.h"
#include "crypto/key_transition.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/testing/status_matchers.h"

namespace confidant::client {
namespace {

using ::confidant::testing::IsOk;
using ::confidant::testing::IsOkAndHolds;
using ::confidant::testing::StatusIs;
using ::testing::HasSubstr;
using ::testing::Optional;

class VaultKeyPinTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_THAT(crypto::InitCrypto(), IsOk());
    dir_ = (std::filesystem::temp_directory_path() /
            ("vault-key-pin-test-" + std::to_string(::getpid()) + "-" +
             ::testing::UnitTest::GetInstance()->current_test_info()->name()))
               .string();
    std::filesystem::remove_all(dir_);
    std::filesystem::create_directories(dir_);
    for (int v = 2; v <= 3; ++v) {
      crypto::KeyTransition t;
      t.origin = "confidant.example/log/0123456789abcdef";
      t.purpose = std::string(crypto::kIdentityKeyPurpose);
      t.version = static_cast<uint32_t>(v);
      t.old_public_key = keys_[v - 2].public_key;
      t.new_public_key = keys_[v - 1].public_key;
      t.time_unix_seconds = 1'800'000'000 + v;
      absl::StatusOr<std::string> note = crypto::SignKeyTransition(t, keys_[v - 2]);
      ASSERT_THAT(note, IsOk());
      chain_.push_back(*note);
    }
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  const std::string& Key(int i) const { return keys_[i].public_key; }

  std::string dir_;
  crypto::Ed25519KeyPair keys_[3] = {crypto::Ed25519KeyPair::Generate(),
                                     crypto::Ed25519KeyPair::Generate(),
                                     crypto::Ed25519KeyPair::Generate()};
  std::vector<std::string> chain_;  // key 0 -> 1 -> 2
};

TEST_F(VaultKeyPinTest, TheNewestKeyReachedIsKeptAndLoadedAsTheAnchor) {
  EXPECT_THAT(LoadNewestVaultKey(dir_, Key(0)), IsOk());
  EXPECT_FALSE(LoadNewestVaultKey(dir_, Key(0))->has_value());
  absl::StatusOr<std::string> reached = KeepNewestVaultKey(dir_, Key(0), Key(0), chain_);
  ASSERT_THAT(reached, IsOk());
  EXPECT_EQ(*reached, Key(2));
  EXPECT_THAT(LoadNewestVaultKey(dir_, Key(0)), IsOkAndHolds(Optional(Key(2))));
}

// A vault (or an impostor holding the retired key 0) serving a shorter chain is refused from
// the kept anchor, as it would not be from vault.pub alone.
TEST_F(VaultKeyPinTest, AChainThatStopsShortOfTheKeptKeyIsRefused) {
  ASSERT_THAT(KeepNewestVaultKey(dir_, Key(0), Key(0), chain_), IsOk());
  const std::string anchor = **LoadNewestVaultKey(dir_, Key(0));
  const std::vector<std::string> rolled_back = {chain_[0]};
  EXPECT_THAT(FollowVaultKeyChain(Key(0), rolled_back), IsOk()) << "vault.pub alone believes it";
  EXPECT_THAT(FollowVaultKeyChain(anchor, rolled_back),
              StatusIs(absl::StatusCode::kDataLoss, HasSubstr("not in the vault's key chain")));
  EXPECT_THAT(FollowVaultKeyChain(anchor, {}), IsOk()) << "no chain: the anchor itself";
}

TEST_F(VaultKeyPinTest, AnEditedFileIsRefusedAndAnotherPinIgnoresIt) {
  ASSERT_THAT(KeepNewestVaultKey(dir_, Key(0), Key(0), {chain_[0]}), IsOk());
  const std::string path = dir_ + "/" + kNewestVaultKeyFile;
  absl::StatusOr<std::string> text = ReadFile(path);
  ASSERT_THAT(text, IsOk());
  // The newest key swapped for one the chain does not reach.
  const std::string forged = absl::StrCat(
      "confidant-vault-key v1\npinned ", text->substr(text->find("pinned ") + 7, 44), "\nnewest ",
      absl::Base64Escape(crypto::Ed25519KeyPair::Generate().public_key), "\n");
  ASSERT_THAT(WriteFileAtomically(path, forged, 0600), IsOk());
  EXPECT_THAT(LoadNewestVaultKey(dir_, Key(0)), StatusIs(absl::StatusCode::kDataLoss));
  ASSERT_THAT(WriteFileAtomically(path, "garbage\n", 0600), IsOk());
  EXPECT_THAT(LoadNewestVaultKey(dir_, Key(0)), StatusIs(absl::StatusCode::kDataLoss));
  // Written for another vault.pub: a new pin is the person's decision, the file is ignored.
  ASSERT_THAT(KeepNewestVaultKey(dir_, Key(0), Key(0), chain_), IsOk());
  EXPECT_THAT(LoadNewestVaultKey(dir_, Key(1)), IsOkAndHolds(std::nullopt));
}

TEST_F(VaultKeyPinTest, NothingIsWrittenWithoutANewerKeyOrAFolder) {
  ASSERT_THAT(KeepNewestVaultKey(dir_, Key(0), Key(0), {}), IsOk());
  ASSERT_THAT(KeepNewestVaultKey("", Key(0), Key(0), chain_), IsOk());
  EXPECT_FALSE(std::filesystem::exists(dir_ + "/" + kNewestVaultKeyFile));
}

}  // namespace
}  // namespace confidant::client
