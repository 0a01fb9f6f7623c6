// The kept intake key is used only while it verifies under the pinned vault key.
#include "client/intake_key_cache.h"

#include <filesystem>
#include <string>

#include "base/files.h"
#include "crypto/asymmetric.h"
#include "crypto/init.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "proto/facility_registry_format.h"
#include "proto/intake_key_format.h"
#include "tests/testing/status_matchers.h"

namespace confidant::client {
namespace {

using ::confidant::testing::IsOk;
using ::confidant::testing::StatusIs;
using ::testing::AllOf;
using ::testing::HasSubstr;
using ::testing::Not;

constexpr int64_t kServed = 1'700'000'600;

v1::InterviewRecord At(const std::string& facility, v1::Region region) {
  v1::InterviewRecord record;
  record.mutable_visit()->set_facility_id(facility);
  record.mutable_visit()->set_region(region);
  return record;
}

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
    // Every vault serves a signed registry with its key, dated by the vault's clock.
    v1::FacilityRegistry* registry = key_.mutable_facility_registry();
    registry->set_policy_version(7);
    registry->set_intake_key_version(key_.version());
    registry->set_served_unix_seconds(kServed);
    registry->set_signature(crypto::Sign(vault_, FacilityRegistrySigningBytes(*registry)));
  }
  void TearDown() override { std::filesystem::remove(path_); }

  crypto::Ed25519KeyPair vault_ = crypto::Ed25519KeyPair::Generate();
  v1::IntakeKey key_;
  std::string path_;
};

// The kept key is dated by the time the vault signed into its registry, not by the time
// written beside it: editing that line, or the signed time, cannot make an old key look fresh.
TEST_F(IntakeKeyCacheTest, AKeptKeyIsDatedByTheVaultsSignedServedTime) {
  ASSERT_THAT(StoreIntakeKey(path_, key_, kServed + 30 * 86400), IsOk());
  auto loaded = LoadIntakeKey(path_, vault_.public_key);
  ASSERT_THAT(loaded, IsOk());
  ASSERT_TRUE(loaded->has_value());
  EXPECT_EQ((*loaded)->key.public_key(), key_.public_key());
  EXPECT_EQ((*loaded)->confirmed_unix_seconds, kServed);
  EXPECT_EQ((*loaded)->SafeUntil(), kServed + 14 * 86400);

  v1::IntakeKey freshened = key_;
  freshened.mutable_facility_registry()->set_served_unix_seconds(kServed + 30 * 86400);
  EXPECT_THAT(VerifyIntakeKey(freshened, vault_.public_key),
              StatusIs(absl::StatusCode::kUnauthenticated));
  ASSERT_THAT(StoreIntakeKey(path_, freshened, kServed + 30 * 86400), IsOk());
  EXPECT_THAT(LoadIntakeKey(path_, vault_.public_key), StatusIs(absl::StatusCode::kDataLoss));
  // Nor can the time be dropped to fall back on the written line: the signature covers it.
  v1::IntakeKey undated = key_;
  undated.mutable_facility_registry()->set_served_unix_seconds(0);
  EXPECT_THAT(VerifyIntakeKey(undated, vault_.public_key),
              StatusIs(absl::StatusCode::kUnauthenticated));
}

// A registry kept before served times existed (signed without one) still verifies, dated by
// the line beside it until the next fetch replaces it.
TEST_F(IntakeKeyCacheTest, ARegistrySignedBeforeServedTimesIsDatedByTheKeptLine) {
  v1::FacilityRegistry* registry = key_.mutable_facility_registry();
  registry->set_served_unix_seconds(0);
  registry->set_signature(crypto::Sign(vault_, FacilityRegistrySigningBytes(*registry)));
  ASSERT_THAT(StoreIntakeKey(path_, key_, 1'700'000'500), IsOk());
  auto loaded = LoadIntakeKey(path_, vault_.public_key);
  ASSERT_THAT(loaded, IsOk());
  ASSERT_TRUE(loaded->has_value());
  EXPECT_EQ((*loaded)->confirmed_unix_seconds, 1'700'000'500);
}

// Stripping the registry from a kept key would turn the offline facility and class checks
// off: such a key is never used.
TEST_F(IntakeKeyCacheTest, AKeyWithoutItsRegistryIsRefused) {
  v1::IntakeKey stripped = key_;
  stripped.clear_facility_registry();
  EXPECT_THAT(VerifyIntakeKey(stripped, vault_.public_key),
              StatusIs(absl::StatusCode::kUnauthenticated, HasSubstr("facility registry")));
  ASSERT_THAT(StoreIntakeKey(path_, stripped, 1'700'000'500), IsOk());
  EXPECT_THAT(LoadIntakeKey(path_, vault_.public_key),
              StatusIs(absl::StatusCode::kDataLoss, HasSubstr("facility registry")));
  EXPECT_THAT(CheckFacilityBeforeSealing(stripped, At("anything", v1::QUEBEC)),
              StatusIs(absl::StatusCode::kUnauthenticated));
}

// A symbolic link planted at the temporary name (base/files.h WriteFileAtomically) is not
// followed: its target is untouched and the key lands in a regular file.
TEST_F(IntakeKeyCacheTest, ALinkPlantedAtTheTemporaryNameIsNotFollowed) {
  const std::string victim = path_ + ".victim";
  ASSERT_THAT(WriteFileAtomically(victim, "untouched", 0644), IsOk());
  std::filesystem::remove(path_ + ".tmp");
  std::filesystem::create_symlink(victim, path_ + ".tmp");
  ASSERT_THAT(StoreIntakeKey(path_, key_, 1'700'000'500), IsOk());
  EXPECT_EQ(ReadFile(victim).value_or(""), "untouched");
  EXPECT_TRUE(std::filesystem::is_regular_file(std::filesystem::symlink_status(path_)));
  EXPECT_FALSE(std::filesystem::exists(std::filesystem::symlink_status(path_ + ".tmp")));
  auto loaded = LoadIntakeKey(path_, vault_.public_key);
  ASSERT_THAT(loaded, IsOk());
  EXPECT_TRUE(loaded->has_value());
  std::filesystem::remove(victim);
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

// A registry of two facilities, signed by `signer`, attached to the fixture's key.
v1::IntakeKey WithRegistry(v1::IntakeKey key, const crypto::Ed25519KeyPair& signer) {
  v1::FacilityRegistry* registry = key.mutable_facility_registry();
  registry->set_policy_version(7);
  registry->set_intake_key_version(key.version());
  registry->set_lists_facilities(true);
  registry->add_record_classes("short-stay");
  v1::RegisteredFacility* lav = registry->add_facilities();
  lav->set_id("qc-lav-ihc");
  lav->set_region(v1::QUEBEC);
  v1::RegisteredFacility* tor = registry->add_facilities();
  tor->set_id("on-tor-ihc");
  tor->set_region(v1::ONTARIO);
  registry->set_signature(crypto::Sign(signer, FacilityRegistrySigningBytes(*registry)));
  return key;
}

TEST_F(IntakeKeyCacheTest, AKeptRegistryRefusesAMisspeltFacilityBeforeSealing) {
  ASSERT_THAT(StoreIntakeKey(path_, WithRegistry(key_, vault_), 1'700'000'500), IsOk());
  auto loaded = LoadIntakeKey(path_, vault_.public_key);
  ASSERT_THAT(loaded, IsOk());
  ASSERT_TRUE(loaded->has_value());
  const v1::IntakeKey& kept = (*loaded)->key;
  EXPECT_THAT(CheckFacilityBeforeSealing(kept, At("qc-lav-ihc", v1::QUEBEC)), IsOk());
  const absl::Status misspelt = CheckFacilityBeforeSealing(kept, At("qc-lav-ich", v1::QUEBEC));
  EXPECT_THAT(misspelt, StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(misspelt.message(),
              AllOf(HasSubstr("visit.facility_id"), HasSubstr("policy version 7"),
                    HasSubstr("closest: qc-lav-ihc"), HasSubstr("Nothing was sealed"),
                    Not(HasSubstr("qc-lav-ich"))));
  const absl::Status region = CheckFacilityBeforeSealing(kept, At("on-tor-ihc", v1::QUEBEC));
  EXPECT_THAT(region, StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(region.message(), HasSubstr("visit.region"));
}

TEST_F(IntakeKeyCacheTest, AKeptRegistryRefusesAnUndeclaredRecordClassBeforeSealing) {
  const v1::IntakeKey kept = WithRegistry(key_, vault_);
  v1::InterviewRecord record = At("qc-lav-ihc", v1::QUEBEC);
  for (const char* declared : {"", "default", "short-stay"}) {
    record.set_record_class(declared);
    EXPECT_THAT(CheckFacilityBeforeSealing(kept, record), IsOk()) << declared;
  }
  record.set_record_class("short-stya");
  const absl::Status refused = CheckFacilityBeforeSealing(kept, record);
  EXPECT_THAT(refused, StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(refused.message(), AllOf(HasSubstr("record_class"), HasSubstr("declared: short-stay"),
                                       HasSubstr("Nothing was sealed")));
}

TEST_F(IntakeKeyCacheTest, ARegistryWithoutAFacilityListChecksNoFacility) {
  v1::IntakeKey kept = WithRegistry(key_, vault_);
  v1::FacilityRegistry* registry = kept.mutable_facility_registry();
  registry->clear_facilities();
  registry->set_lists_facilities(false);
  registry->set_signature(crypto::Sign(vault_, FacilityRegistrySigningBytes(*registry)));
  ASSERT_THAT(VerifyIntakeKey(kept, vault_.public_key), IsOk());
  EXPECT_THAT(CheckFacilityBeforeSealing(kept, At("anything", v1::QUEBEC)), IsOk());
}

TEST_F(IntakeKeyCacheTest, ARegistryServedWithAnotherIntakeKeyIsRefused) {
  v1::IntakeKey replayed = WithRegistry(key_, vault_);
  v1::FacilityRegistry* registry = replayed.mutable_facility_registry();
  registry->set_intake_key_version(key_.version() - 1);
  registry->set_signature(crypto::Sign(vault_, FacilityRegistrySigningBytes(*registry)));
  EXPECT_THAT(VerifyIntakeKey(replayed, vault_.public_key),
              StatusIs(absl::StatusCode::kUnauthenticated, HasSubstr("another intake key")));
}

TEST_F(IntakeKeyCacheTest, ARegistryWithoutAListChecksNoFacility) {
  EXPECT_THAT(CheckFacilityBeforeSealing(key_, At("anything", v1::QUEBEC)), IsOk());
}

TEST_F(IntakeKeyCacheTest, AnEditedRegistryFailsItsSignatureAndTheKeyIsNotUsed) {
  v1::IntakeKey edited = WithRegistry(key_, vault_);
  edited.mutable_facility_registry()->mutable_facilities(0)->set_id("qc-lav-ihx");
  EXPECT_THAT(VerifyIntakeKey(edited, vault_.public_key),
              StatusIs(absl::StatusCode::kUnauthenticated));
  ASSERT_THAT(StoreIntakeKey(path_, edited, 1'700'000'500), IsOk());
  EXPECT_THAT(LoadIntakeKey(path_, vault_.public_key), StatusIs(absl::StatusCode::kDataLoss));
  // Signed by another key: refused too.
  crypto::Ed25519KeyPair impostor = crypto::Ed25519KeyPair::Generate();
  EXPECT_THAT(VerifyIntakeKey(WithRegistry(key_, impostor), vault_.public_key),
              StatusIs(absl::StatusCode::kUnauthenticated));
}

}  // namespace
}  // namespace confidant::client
