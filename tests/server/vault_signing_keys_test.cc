// Rotating the vault identity, checkpoint and release keys over a real RocksDB store and audit
// log: each new key is introduced by a transition signed by the old one, the old private keys
// leave the keys space in the rotation's own batch, the audit log signs with the new checkpoint
// key from the rotation's checkpoint on, and a restart (reload and reopen) keeps the new
// versions; a stored chain that no longer ends at the key refuses to load.
#include <algorithm>
#include <memory>
#include <optional>
#include <string>
#include <tuple>
#include <vector>

#include "crypto/init.h"
#include "crypto/key_transition.h"
#include "crypto/signed_note.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "proto/intake_key_format.h"
#include "server/audit/audit_log.h"
#include "server/store/rocksdb_store.h"
#include "server/vault_keys.h"
#include "tests/store/temp_dir.h"
#include "tests/testing/status_matchers.h"

namespace confidant::server {
namespace {

using ::confidant::testing::IsOk;
using ::confidant::testing::StatusIs;
using ::testing::HasSubstr;

constexpr int64_t kT0 = 1'800'000'000;

class VaultSigningKeysTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_THAT(crypto::InitCrypto(), IsOk());
    auto store = store::RocksDbStore::Open(dir_.path() + "/db");
    ASSERT_THAT(store, IsOk());
    store_ = *std::move(store);
    keys_ = Reload();
    ASSERT_NE(keys_, nullptr);
    OpenLog();
  }

  std::unique_ptr<VaultKeys> Reload() {
    auto keys = VaultKeys::LoadOrCreate(*store_, master_, kT0);
    EXPECT_THAT(keys, IsOk());
    return keys.ok() ? *std::move(keys) : nullptr;
  }
  void OpenLog() {
    log_.reset();
    auto log = audit::AuditLog::Open(*store_, keys_->audit_key(), keys_->checkpoint_key(),
                                     [] { return (kT0 + 60) * 1000000; });
    ASSERT_THAT(log, IsOk());
    log_ = *std::move(log);
  }
  v1::AuditEvent Event(std::string action) {
    v1::AuditEvent event;
    event.set_action(std::move(action));
    return event;
  }
  // A rotation committed the way OperatorService does it: through the audit log.
  absl::StatusOr<VaultKeys::Rotation> Rotate() {
    return keys_->Rotate(kT0 + 30, log_->origin(),
                         [this](store::Mutation batch, const VaultKeys::Rotation& planned) {
                           return log_->AppendWithKeyChange(Event("keys_rotated"),
                                                            std::move(batch),
                                                            planned.checkpoint_change)
                               .status();
                         });
  }
  // The release key's stored transition to version 2, parsed (after one Rotate). The log is
  // closed so the store can be edited and the keys loaded again.
  struct StoredTransition {
    std::string storage_key;
    std::string body;
    crypto::KeyTransition transition;
  };
  std::optional<StoredTransition> ReleaseTransition() {
    StoredTransition out{KeyTransitionStorageKey(crypto::kReleaseKeyPurpose, 2), "", {}};
    auto stored = store_->Get(store::Space::kMeta, out.storage_key);
    EXPECT_THAT(stored, IsOk());
    if (!stored.ok() || !stored->has_value()) return std::nullopt;
    log_.reset();
    absl::StatusOr<crypto::SplitNote> split = crypto::SplitSignedNote(**stored);
    absl::StatusOr<crypto::KeyTransition> t =
        split.ok() ? crypto::ParseKeyTransitionBody(split->body) : split.status();
    EXPECT_THAT(t, IsOk());
    if (!t.ok()) return std::nullopt;
    out.body = split->body;
    out.transition = *std::move(t);
    return out;
  }
  // Every value in the keys space.
  std::vector<std::string> KeysSpaceValues() {
    std::vector<std::string> values;
    EXPECT_THAT(store_->Scan(store::Space::kKeys, "",
                             [&](std::string_view, std::string_view value) {
                               values.emplace_back(value);
                               return true;
                             }),
                IsOk());
    return values;
  }

  store::TempDir dir_;
  crypto::SecretBytes master_ = crypto::SecretBytes::Random(32);
  std::unique_ptr<store::RocksDbStore> store_;
  std::unique_ptr<VaultKeys> keys_;
  std::unique_ptr<audit::AuditLog> log_;
};

TEST_F(VaultSigningKeysTest, NewVaultHasAReleaseKeyAndNoTransitions) {
  ASSERT_NE(keys_->release_key(), nullptr);
  EXPECT_EQ(keys_->release_key()->public_key.size(), crypto::kEd25519PublicKeySize);
  EXPECT_NE(keys_->release_key()->public_key, keys_->identity()->public_key);
  EXPECT_NE(keys_->release_key()->public_key, keys_->checkpoint_key()->public_key);
  for (std::string_view purpose : {crypto::kIdentityKeyPurpose, crypto::kCheckpointKeyPurpose,
                                   crypto::kReleaseKeyPurpose}) {
    EXPECT_EQ(keys_->CurrentSigningKey(purpose).version, 1u);
    EXPECT_TRUE(keys_->CurrentSigningKey(purpose).transitions.empty());
  }
}

TEST_F(VaultSigningKeysTest, EachNewKeyIsSignedByTheOldOneAndReachableFromIt) {
  ASSERT_THAT(log_->Append(Event("before")), IsOk());
  const std::string old_identity = keys_->identity()->public_key;
  const std::string old_checkpoint = keys_->checkpoint_key()->public_key;
  const std::string old_release = keys_->release_key()->public_key;
  absl::StatusOr<VaultKeys::Rotation> rotation = Rotate();
  ASSERT_THAT(rotation, IsOk());
  EXPECT_EQ(rotation->identity_version, 2u);
  EXPECT_EQ(rotation->checkpoint_version, 2u);
  EXPECT_EQ(rotation->release_version, 2u);
  for (const auto& [purpose, pinned, current] :
       {std::make_tuple(crypto::kIdentityKeyPurpose, old_identity, keys_->identity()),
        std::make_tuple(crypto::kCheckpointKeyPurpose, old_checkpoint, keys_->checkpoint_key()),
        std::make_tuple(crypto::kReleaseKeyPurpose, old_release, keys_->release_key())}) {
    ASSERT_NE(current->public_key, pinned) << purpose;
    absl::StatusOr<std::vector<crypto::ChainKey>> chain = crypto::FollowKeyChain(
        purpose, log_->origin(), pinned, keys_->CurrentSigningKey(purpose).transitions);
    ASSERT_THAT(chain, IsOk());
    EXPECT_EQ(chain->back().public_key, current->public_key) << purpose;
  }
  // The checkpoint chain names the rotation's own checkpoint (entry 1 makes the log 2 long) as
  // the first the new key signs; the one before verifies only under the old key.
  absl::StatusOr<std::vector<crypto::ChainKey>> chain = crypto::FollowKeyChain(
      crypto::kCheckpointKeyPurpose, log_->origin(), old_checkpoint,
      keys_->CurrentSigningKey(crypto::kCheckpointKeyPurpose).transitions);
  ASSERT_THAT(chain, IsOk());
  EXPECT_EQ(chain->back().from_tree_size, 2u);
  const v1::Checkpoint latest = log_->LatestCheckpoint();
  EXPECT_EQ(latest.tree_size(), 2u);
  EXPECT_THAT(crypto::VerifyNoteSignature(latest.note(), log_->origin(),
                                          keys_->checkpoint_key()->public_key),
              IsOk());
  EXPECT_THAT(crypto::VerifyNoteSignature(latest.note(), log_->origin(), old_checkpoint),
              ::testing::Not(IsOk()));
  EXPECT_EQ(log_->CheckpointPublicKey(), keys_->checkpoint_key()->public_key);
  // Intake keys are now signed by the new identity key.
  const auto intake = keys_->current_intake();
  EXPECT_THAT(crypto::VerifySignature(keys_->identity()->public_key,
                                      IntakeKeySigningBytes(intake->version,
                                                            intake->key_pair.public_key,
                                                            intake->created_unix_seconds),
                                      intake->signature),
              IsOk());
}

TEST_F(VaultSigningKeysTest, OldPrivateKeysLeaveTheKeysSpaceInTheRotationBatch) {
  const std::vector<std::string> before = KeysSpaceValues();
  std::vector<std::string> old_entries;  // the stored (wrapped) old signing keys
  for (const char* name : {"vault-identity/1", "checkpoint/1", "release/1"}) {
    auto value = store_->Get(store::Space::kKeys, name);
    ASSERT_THAT(value, IsOk());
    ASSERT_TRUE(value->has_value()) << name;
    old_entries.push_back(**value);
  }
  ASSERT_THAT(Rotate(), IsOk());
  for (const char* name : {"vault-identity/1", "checkpoint/1", "release/1"}) {
    auto value = store_->Get(store::Space::kKeys, name);
    ASSERT_THAT(value, IsOk());
    EXPECT_FALSE(value->has_value()) << name << " is still stored";
  }
  const std::vector<std::string> after = KeysSpaceValues();
  for (const std::string& old : old_entries) {
    EXPECT_EQ(std::count(after.begin(), after.end(), old), 0);
  }
  for (const char* name : {"vault-identity/2", "checkpoint/2", "release/2"}) {
    auto value = store_->Get(store::Space::kKeys, name);
    ASSERT_THAT(value, IsOk());
    EXPECT_TRUE(value->has_value()) << name;
  }
}

TEST_F(VaultSigningKeysTest, RestartKeepsTheNewVersionsAndTheLogOpens) {
  ASSERT_THAT(Rotate(), IsOk());
  const std::string identity = keys_->identity()->public_key;
  const std::string checkpoint = keys_->checkpoint_key()->public_key;
  const std::string release = keys_->release_key()->public_key;
  const std::vector<std::string> chain =
      keys_->CurrentSigningKey(crypto::kCheckpointKeyPurpose).transitions;
  log_.reset();
  keys_ = Reload();
  ASSERT_NE(keys_, nullptr);
  EXPECT_EQ(keys_->identity()->public_key, identity);
  EXPECT_EQ(keys_->checkpoint_key()->public_key, checkpoint);
  EXPECT_EQ(keys_->release_key()->public_key, release);
  EXPECT_EQ(keys_->CurrentSigningKey(crypto::kCheckpointKeyPurpose).transitions, chain);
  EXPECT_EQ(keys_->CurrentSigningKey(crypto::kIdentityKeyPurpose).version, 2u);
  OpenLog();  // the last checkpoint verifies under the new key
  ASSERT_THAT(log_->Append(Event("after restart")), IsOk());
  ASSERT_THAT(Rotate(), IsOk());  // and a second rotation continues the chain
  EXPECT_EQ(keys_->CurrentSigningKey(crypto::kCheckpointKeyPurpose).version, 3u);
  EXPECT_EQ(keys_->CurrentSigningKey(crypto::kCheckpointKeyPurpose).transitions.size(), 2u);
  log_.reset();
  keys_ = Reload();
  ASSERT_NE(keys_, nullptr);
  OpenLog();
}

TEST_F(VaultSigningKeysTest, FailedCommitChangesNoSigningKey) {
  const std::string identity = keys_->identity()->public_key;
  absl::StatusOr<VaultKeys::Rotation> rotation =
      keys_->Rotate(kT0, log_->origin(), [](store::Mutation, const VaultKeys::Rotation&) {
        return absl::UnavailableError("disk full");
      });
  EXPECT_THAT(rotation, StatusIs(absl::StatusCode::kUnavailable));
  EXPECT_EQ(keys_->identity()->public_key, identity);
  EXPECT_EQ(log_->CheckpointPublicKey(), keys_->checkpoint_key()->public_key);
  log_.reset();
  keys_ = Reload();
  ASSERT_NE(keys_, nullptr);
  EXPECT_EQ(keys_->identity()->public_key, identity);
  EXPECT_TRUE(keys_->CurrentSigningKey(crypto::kIdentityKeyPurpose).transitions.empty());
}

TEST_F(VaultSigningKeysTest, RotationWithoutAnOriginIsRefused) {
  EXPECT_THAT(keys_->Rotate(kT0, "", [](store::Mutation, const VaultKeys::Rotation&) {
    return absl::OkStatus();
  }), StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_EQ(keys_->CurrentSigningKey(crypto::kIdentityKeyPurpose).version, 1u);
}

TEST_F(VaultSigningKeysTest, RemovedTransitionRefusesToLoad) {
  ASSERT_THAT(Rotate(), IsOk());
  log_.reset();
  store::Mutation remove;
  remove.Delete(store::Space::kMeta,
                KeyTransitionStorageKey(crypto::kIdentityKeyPurpose, 2));
  ASSERT_THAT(store_->Commit(remove), IsOk());
  EXPECT_THAT(VaultKeys::LoadOrCreate(*store_, master_, kT0),
              StatusIs(absl::StatusCode::kDataLoss,
                       HasSubstr("identity key does not match its stored key chain")));
}

TEST_F(VaultSigningKeysTest, ForgedStoredTransitionRefusesToLoadNamingIt) {
  ASSERT_THAT(Rotate(), IsOk());
  std::optional<StoredTransition> stored = ReleaseTransition();
  ASSERT_TRUE(stored.has_value());
  // The same statement (old key, the vault's real new key), signed by someone else.
  store::Mutation forge;
  forge.Put(store::Space::kMeta, stored->storage_key,
            crypto::SignNote(stored->body, stored->transition.origin,
                             crypto::Ed25519KeyPair::Generate()));
  ASSERT_THAT(store_->Commit(forge), IsOk());
  EXPECT_THAT(VaultKeys::LoadOrCreate(*store_, master_, kT0),
              StatusIs(absl::StatusCode::kDataLoss,
                       HasSubstr("release version 2 is not signed by the previous key")));
}

// Someone who can write the data directory (but holds no key) replaces a chain with one that
// starts at a key of their own and ends at the vault's real key: each link verifies, but the
// transitions are MAC'd under the vault's keys, so the vault refuses to open rather than vouch
// for it.
TEST_F(VaultSigningKeysTest, AChainOfSomeoneElsesKeysReplacingTheStoredOneRefusesToLoad) {
  ASSERT_THAT(Rotate(), IsOk());
  std::optional<StoredTransition> stored = ReleaseTransition();
  ASSERT_TRUE(stored.has_value());
  const crypto::Ed25519KeyPair intruder = crypto::Ed25519KeyPair::Generate();
  stored->transition.old_public_key = intruder.public_key;
  absl::StatusOr<std::string> forged = crypto::SignKeyTransition(stored->transition, intruder);
  ASSERT_THAT(forged, IsOk());
  store::Mutation replace;
  replace.Put(store::Space::kMeta, stored->storage_key, *forged);
  ASSERT_THAT(store_->Commit(replace), IsOk());
  EXPECT_THAT(VaultKeys::LoadOrCreate(*store_, master_, kT0),
              StatusIs(absl::StatusCode::kDataLoss, HasSubstr("not written by this vault")));
}

TEST_F(VaultSigningKeysTest, KeyChangeWithoutAStatementIsRefused) {
  audit::CheckpointKeyChange change;
  change.next = std::make_shared<const crypto::Ed25519KeyPair>(crypto::Ed25519KeyPair::Generate());
  EXPECT_THAT(log_->AppendWithKeyChange(Event("x"), {}, change),
              StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_EQ(log_->CheckpointPublicKey(), keys_->checkpoint_key()->public_key);
}

}  // namespace
}  // namespace confidant::server
