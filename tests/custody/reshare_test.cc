// Re-share (re-key) of the master key over a real RocksDB store: K current shares, each checked
// as unseal checks them, re-key every stored key under a new master key split under a new share
// set; the old shares and the old master key then open nothing, the new ones open the same keys;
// shares that recombine to another key, and every kind of bad share, change nothing.
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
#include "server/vault_keys.h"
#include "tests/store/temp_dir.h"
#include "tests/testing/status_matchers.h"

namespace confidant::server {
namespace {

using ::confidant::testing::IsOk;
using ::confidant::testing::StatusIs;
using ::testing::HasSubstr;

constexpr int64_t kNow = 1700000000;

std::string Text(const crypto::SecretBytes& text) {
  return std::string(reinterpret_cast<const char*>(text.RevealSecret()), text.size());
}

crypto::SecretBytes Copy(const crypto::SecretBytes& key) {
  return crypto::SecretBytes::CopyFrom(Text(key));
}

class ReshareTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_THAT(crypto::InitCrypto(), IsOk());
    auto store = store::RocksDbStore::Open(tmp_.path());
    ASSERT_THAT(store, IsOk());
    store_ = *std::move(store);
    custody_ = std::make_unique<Custody>(*store_);
    auto init = custody_->Init(3, 5, kNow);
    ASSERT_THAT(init, IsOk());
    master_ = std::move(init->master_key);
    for (const auto& s : init->share_texts) shares_.push_back(Text(s));
    auto keys = VaultKeys::LoadOrCreate(*store_, master_, kNow);
    ASSERT_THAT(keys, IsOk());
    keys_ = *std::move(keys);
  }

  // The commit a server does: re-key every stored key, store it with the custody record.
  Custody::ReshareCommitFn Commit() {
    return [this](const crypto::SecretBytes& current, const crypto::SecretBytes& fresh,
                  store::Mutation custody, uint32_t old_set, uint32_t new_set) -> absl::Status {
      ++commits_;
      EXPECT_NE(old_set, new_set);
      auto rekeyed = keys_->Rekey(*store_, current, fresh, [&](store::Mutation keys) {
        for (const auto& op : custody.ops()) keys.Put(op.space, op.key, *op.value);
        return fail_commit_ ? absl::UnavailableError("disk full") : store_->Commit(keys);
      });
      if (!rekeyed.ok()) return rekeyed.status();
      new_master_ = Copy(fresh);
      return absl::OkStatus();
    };
  }

  absl::StatusOr<Custody::ReshareProgress> Give(int index, int threshold = 2, int shares = 3) {
    return custody_->AddReshareShare(shares_[static_cast<size_t>(index)], "custodian", threshold,
                                     shares, kNow + 10, Commit());
  }

  // The master key `texts` (the first `k`) recombine to through an unseal, or its error.
  absl::StatusOr<std::optional<crypto::SecretBytes>> UnsealWith(
      const std::vector<std::string>& texts, size_t k) {
    Custody fresh(*store_);  // a restart
    absl::StatusOr<std::optional<crypto::SecretBytes>> result{std::optional<crypto::SecretBytes>()};
    for (size_t i = 0; i < k; ++i) {
      result = fresh.AddShare(texts[i], "custodian");
      if (!result.ok()) return result;
    }
    return result;
  }

  store::TempDir tmp_;
  std::unique_ptr<store::KvStore> store_;
  std::unique_ptr<Custody> custody_;
  crypto::SecretBytes master_;
  crypto::SecretBytes new_master_;
  std::vector<std::string> shares_;
  std::unique_ptr<VaultKeys> keys_;
  int commits_ = 0;
  bool fail_commit_ = false;

  // Commits a rotation straight to the store, with its checkpoint key statement (the audit log
  // adds it in the vault).
  VaultKeys::RotateCommitFn CommitRotation() {
    return [this](store::Mutation batch, const VaultKeys::Rotation& planned) -> absl::Status {
      absl::StatusOr<store::Mutation> statement = planned.checkpoint_change.statement(1);
      if (!statement.ok()) return statement.status();
      for (const store::Mutation::Op& op : statement->ops()) batch.Put(op.space, op.key, *op.value);
      return store_->Commit(batch);
    };
  }
  static constexpr std::string_view kOrigin = "confidant.example/log/reshare";
};

TEST_F(ReshareTest, ThresholdCurrentSharesRekeyEverythingUnderANewShareSet) {
  auto before = custody_->Status();
  ASSERT_THAT(before, IsOk());
  const std::string identity = keys_->identity()->public_key;
  for (int i : {4, 0}) {
    auto progress = Give(i);
    ASSERT_THAT(progress, IsOk());
    EXPECT_TRUE(progress->share_texts.empty()) << "re-keyed below the threshold";
    EXPECT_EQ(progress->needed, 3u);
  }
  EXPECT_EQ(custody_->ReshareReceived(), 2u);
  EXPECT_EQ(commits_, 0);
  auto done = Give(2);
  ASSERT_THAT(done, IsOk());
  ASSERT_EQ(done->share_texts.size(), 3u);
  EXPECT_EQ(custody_->ReshareReceived(), 0u) << "the current shares are forgotten once used";
  auto after = custody_->Status();
  ASSERT_THAT(after, IsOk());
  EXPECT_EQ(after->threshold, 2u);
  EXPECT_EQ(after->shares, 3u);
  EXPECT_NE(after->set_id_hex, before->set_id_hex);
  EXPECT_EQ(done->new_set_id_hex, after->set_id_hex);
  EXPECT_EQ(done->old_set_id_hex, before->set_id_hex);
  EXPECT_FALSE(new_master_.ConstantTimeEquals(master_));

  // The old shares name the other set and open nothing; two new shares give the new key.
  EXPECT_THAT(UnsealWith(shares_, 3),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("different inits")));
  std::vector<std::string> fresh;
  for (const auto& s : done->share_texts) fresh.push_back(Text(s));
  auto opened = UnsealWith({fresh[2], fresh[0]}, 2);
  ASSERT_THAT(opened, IsOk());
  ASSERT_TRUE(opened->has_value());
  EXPECT_TRUE((*opened)->ConstantTimeEquals(new_master_));

  // Every stored key opens under the new master key, and they are the same keys.
  EXPECT_THAT(VaultKeys::LoadOrCreate(*store_, master_, kNow),
              StatusIs(absl::StatusCode::kDataLoss, HasSubstr("do not open")));
  auto reopened = VaultKeys::LoadOrCreate(*store_, new_master_, kNow);
  ASSERT_THAT(reopened, IsOk());
  EXPECT_FALSE((*reopened)->created());
  EXPECT_EQ((*reopened)->identity()->public_key, identity);
  // The running vault's key-wrapping key is the new one: keys it stores later open too.
  ASSERT_THAT(keys_->Rotate(kNow + 20, kOrigin, CommitRotation()),
              IsOk());
  EXPECT_THAT(VaultKeys::LoadOrCreate(*store_, new_master_, kNow), IsOk());
}

TEST_F(ReshareTest, BadSharesAndNumbersAreNamedAndCountForNothing) {
  EXPECT_THAT(Give(0, 1, 3), StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(Give(0, 4, 3), StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(Give(0, 2, 256), StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_EQ(custody_->ReshareReceived(), 0u);
  EXPECT_THAT(custody_->AddReshareShare("confidant-share-v1:garbage", "c", 2, 3, kNow, Commit()),
              StatusIs(absl::StatusCode::kInvalidArgument));
  ASSERT_THAT(Give(1), IsOk());
  EXPECT_THAT(Give(1), StatusIs(absl::StatusCode::kInvalidArgument,
                                HasSubstr("share 2 was already given for this re-share")));
  EXPECT_THAT(Give(3, 3, 4),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("2 of 3 new shares")));
  EXPECT_EQ(custody_->ReshareReceived(), 1u);
  // A share of another vault.
  store::TempDir other_dir;
  auto other_store = store::RocksDbStore::Open(other_dir.path());
  ASSERT_THAT(other_store, IsOk());
  Custody other(**other_store);
  auto foreign = other.Init(3, 5, kNow);
  ASSERT_THAT(foreign, IsOk());
  EXPECT_THAT(custody_->AddReshareShare(Text(foreign->share_texts[0]), "c", 2, 3, kNow, Commit()),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("different inits")));
  custody_->ResetReshare();
  EXPECT_EQ(custody_->ReshareReceived(), 0u);
  // After the reset, other numbers may be asked for.
  ASSERT_THAT(Give(3, 3, 4), IsOk());
  EXPECT_EQ(commits_, 0);
  // Nothing changed: the old shares still unseal to the old key.
  auto opened = UnsealWith(shares_, 3);
  ASSERT_THAT(opened, IsOk());
  ASSERT_TRUE(opened->has_value());
  EXPECT_TRUE((*opened)->ConstantTimeEquals(master_));
}

TEST_F(ReshareTest, AFailedCommitChangesNothingAndTheSharesMustComeAgain) {
  fail_commit_ = true;
  for (int i : {0, 1}) ASSERT_THAT(Give(i), IsOk());
  EXPECT_THAT(Give(2), StatusIs(absl::StatusCode::kUnavailable));
  EXPECT_EQ(custody_->ReshareReceived(), 0u);
  auto status = custody_->Status();
  ASSERT_THAT(status, IsOk());
  EXPECT_EQ(status->threshold, 3u);
  EXPECT_THAT(VaultKeys::LoadOrCreate(*store_, master_, kNow), IsOk());
  // The running vault still wraps under the old key.
  ASSERT_THAT(keys_->Rotate(kNow + 20, kOrigin, CommitRotation()),
              IsOk());
  EXPECT_THAT(VaultKeys::LoadOrCreate(*store_, master_, kNow), IsOk());
  fail_commit_ = false;
  for (int i : {2, 3}) ASSERT_THAT(Give(i), IsOk());
  auto done = Give(4);
  ASSERT_THAT(done, IsOk());
  EXPECT_EQ(done->share_texts.size(), 3u);
}

TEST_F(ReshareTest, SharesOfAnotherMasterKeyDoNotRekeyTheVault) {
  // As if the custody record had been replaced: valid shares of a key that is not in use.
  const crypto::SecretBytes other = crypto::SecretBytes::Random(32);
  bool committed = false;
  EXPECT_THAT(keys_->Rekey(*store_, other, crypto::SecretBytes::Random(32),
                           [&](store::Mutation) {
                             committed = true;
                             return absl::OkStatus();
                           }),
              StatusIs(absl::StatusCode::kDataLoss, HasSubstr("not the one in use")));
  EXPECT_FALSE(committed);
  EXPECT_THAT(VaultKeys::LoadOrCreate(*store_, master_, kNow), IsOk());
}

TEST_F(ReshareTest, ReshareBeforeInitIsAFailedPrecondition) {
  store::TempDir empty_dir;
  auto empty = store::RocksDbStore::Open(empty_dir.path());
  ASSERT_THAT(empty, IsOk());
  Custody custody(**empty);
  EXPECT_THAT(custody.AddReshareShare(shares_[0], "c", 2, 3, kNow, Commit()),
              StatusIs(absl::StatusCode::kFailedPrecondition));
}

}  // namespace
}  // namespace confidant::server
