// Custody over a real RocksDB store: init records share hashes (never shares) once, and only on
// a vault without keys; shares are collected one at a time, checked, named when wrong, and the
// master key comes back exactly at the threshold; an emergency seal demands K different persons
// and survives a restart (a new Custody over the same store).
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "crypto/init.h"
#include "crypto/share_text.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "server/custody.h"
#include "server/store/rocksdb_store.h"
#include "tests/store/temp_dir.h"
#include "tests/testing/status_matchers.h"

namespace confidant::server {
namespace {

using ::confidant::testing::IsOk;
using ::confidant::testing::StatusIs;
using ::testing::HasSubstr;

std::string Text(const crypto::SecretBytes& text) {
  return std::string(reinterpret_cast<const char*>(text.RevealSecret()), text.size());
}

bool SameKey(const crypto::SecretBytes& a, const crypto::SecretBytes& b) {
  return a.size() == b.size() && Text(a) == Text(b);
}

class CustodyTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_THAT(crypto::InitCrypto(), IsOk());
    auto store = store::RocksDbStore::Open(tmp_.path());
    ASSERT_THAT(store, IsOk());
    store_ = *std::move(store);
  }
  store::TempDir tmp_;
  std::unique_ptr<store::KvStore> store_;
};

TEST_F(CustodyTest, ThresholdSharesGiveBackTheMasterKeyAndNoFewer) {
  Custody custody(*store_);
  absl::StatusOr<CustodyStatus> status = custody.Status();
  ASSERT_THAT(status, IsOk());
  EXPECT_FALSE(status->initialised);
  absl::StatusOr<Custody::Initialised> init = custody.Init(3, 5, 1700000000);
  ASSERT_THAT(init, IsOk());
  ASSERT_EQ(init->share_texts.size(), 5u);
  EXPECT_THAT(custody.Init(3, 5, 1700000000), StatusIs(absl::StatusCode::kFailedPrecondition));

  for (int i : {4, 1}) {
    auto added = custody.AddShare(Text(init->share_texts[i]), "custodian-a");
    ASSERT_THAT(added, IsOk());
    EXPECT_FALSE(added->has_value()) << "opened below the threshold";
  }
  status = custody.Status();
  ASSERT_THAT(status, IsOk());
  EXPECT_EQ(status->received, 2u);
  auto added = custody.AddShare(Text(init->share_texts[2]), "custodian-a");
  ASSERT_THAT(added, IsOk());
  ASSERT_TRUE(added->has_value());
  EXPECT_TRUE(SameKey(**added, init->master_key));
  status = custody.Status();
  ASSERT_THAT(status, IsOk());
  EXPECT_EQ(status->received, 0u) << "shares are forgotten once used";
}

TEST_F(CustodyTest, WrongDuplicateAndForeignSharesAreNamedAndDoNotCount) {
  Custody custody(*store_);
  auto init = custody.Init(2, 3, 1700000000);
  ASSERT_THAT(init, IsOk());
  // A share of another split with the same set id cannot be made here; one of another vault:
  store::TempDir other_dir;
  auto other_store = store::RocksDbStore::Open(other_dir.path());
  ASSERT_THAT(other_store, IsOk());
  Custody other(**other_store);
  auto foreign = other.Init(2, 3, 1700000000);
  ASSERT_THAT(foreign, IsOk());
  EXPECT_THAT(custody.AddShare(Text(foreign->share_texts[0]), "p"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("different inits")));
  EXPECT_THAT(custody.AddShare("confidant-share-v1:garbage", "p"),
              StatusIs(absl::StatusCode::kInvalidArgument));
  ASSERT_THAT(custody.AddShare(Text(init->share_texts[0]), "p"), IsOk());
  EXPECT_THAT(custody.AddShare(Text(init->share_texts[0]), "p"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("share 1 was already given")));
  custody.Reset();
  auto status = custody.Status();
  ASSERT_THAT(status, IsOk());
  EXPECT_EQ(status->received, 0u);
}

TEST_F(CustodyTest, ACraftedShareIsNamedByItsIndex) {
  Custody custody(*store_);
  auto init = custody.Init(2, 3, 1700000000);
  ASSERT_THAT(init, IsOk());
  // Shares are checked against the recorded hashes: a share whose payload changed but whose
  // checksum was recomputed (crafted, not a typo) is named by its index.
  absl::StatusOr<crypto::Share> share = crypto::ParseShare(Text(init->share_texts[1]));
  ASSERT_THAT(share, IsOk());
  crypto::SecretBytes payload = crypto::SecretBytes::CopyFrom(
      std::string(crypto::kShamirSecretSize, '\x42'));
  auto forged = crypto::Share::Create(share->set_id(), share->threshold(), share->index(),
                                      std::move(payload));
  ASSERT_THAT(forged, IsOk());
  EXPECT_THAT(custody.AddShare(Text(crypto::EncodeShare(*forged)), "p"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("share 2")));
}

TEST_F(CustodyTest, EmergencySealNeedsDifferentPersonsAndSurvivesARestart) {
  std::vector<std::string> shares;
  {
    Custody custody(*store_);
    auto init = custody.Init(2, 3, 1700000000);
    ASSERT_THAT(init, IsOk());
    for (const auto& s : init->share_texts) shares.push_back(Text(s));
    ASSERT_THAT(custody.SetEmergency(true), IsOk());
  }
  Custody custody(*store_);  // a restart
  auto status = custody.Status();
  ASSERT_THAT(status, IsOk());
  EXPECT_TRUE(status->emergency);
  ASSERT_THAT(custody.AddShare(shares[0], "custodian-a"), IsOk());
  EXPECT_THAT(custody.AddShare(shares[1], "custodian-a"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("different custodian")));
  auto opened = custody.AddShare(shares[1], "custodian-b");
  ASSERT_THAT(opened, IsOk());
  EXPECT_TRUE(opened->has_value());
  ASSERT_THAT(custody.SetEmergency(false), IsOk());
  status = custody.Status();
  ASSERT_THAT(status, IsOk());
  EXPECT_FALSE(status->emergency);
}

TEST_F(CustodyTest, InitIsRefusedOnAVaultThatAlreadyHasKeys) {
  store::Mutation keys;
  keys.Put(store::Space::kKeys, "vault-identity/1", "wrapped");
  ASSERT_THAT(store_->Commit(keys), IsOk());
  Custody custody(*store_);
  EXPECT_THAT(custody.Init(2, 3, 1700000000),
              StatusIs(absl::StatusCode::kFailedPrecondition, HasSubstr("already has keys")));
  EXPECT_THAT(custody.AddShare("x", "p"), StatusIs(absl::StatusCode::kFailedPrecondition));
}

TEST_F(CustodyTest, BadThresholdsAreRefusedBeforeAnythingIsStored) {
  Custody custody(*store_);
  EXPECT_THAT(custody.Init(1, 3, 0), StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(custody.Init(4, 3, 0), StatusIs(absl::StatusCode::kInvalidArgument));
  auto status = custody.Status();
  ASSERT_THAT(status, IsOk());
  EXPECT_FALSE(status->initialised);
}

}  // namespace
}  // namespace confidant::server
