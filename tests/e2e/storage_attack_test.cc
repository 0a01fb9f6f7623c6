// Someone who can write the data directory while the vault is stopped: moved, flipped or deleted
// bytes fail to open (DATA_LOSS) or withhold the section; sizes and keys leak nothing.
#include <sys/stat.h>

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/escaping.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "server/store/rocksdb_store.h"
#include "server/store/storage.pb.h"
#include "tests/e2e/vault_process.h"
#include "tests/testing/status_matchers.h"

namespace confidant::testing {
namespace {

using ::testing::ElementsAre;
using ::testing::Eq;
using store::Space;

constexpr uint8_t kCaseOfficer = 2;  // policy::v1::CASE_OFFICER

// The storage layout of server/record_vault.h, rebuilt here (confidant::server is not linked).
std::string RawId(const std::string& hex) { return absl::HexStringToBytes(hex); }
std::string RecordKey(const std::string& raw_id) {
  std::string key = raw_id;
  const uint64_t version = 1;
  for (int shift = 56; shift >= 0; shift -= 8) key.push_back(static_cast<char>(version >> shift));
  return key;  // big-endian u64
}
std::string SectionKey(const std::string& raw_id, v1::Section section) {
  return RecordKey(raw_id) + static_cast<char>(section);
}
std::string WrapPrefix(const std::string& raw_id, v1::Section section, uint8_t role) {
  return SectionKey(raw_id, section) + static_cast<char>(role);
}

class StorageAttackTest : public ::testing::Test {
 protected:
  void SetUp() override {
    absl::StatusOr<std::unique_ptr<VaultProcess>> vault = VaultProcess::Start();
    ASSERT_THAT(vault, IsOk());
    vault_ = *std::move(vault);
  }

  std::string Submit(const v1::InterviewRecord& record, const std::string& submission_id) {
    absl::StatusOr<v1::SubmitRecordResponse> submitted =
        vault_->ClientAs("visit_team")->Submit(record, submission_id);
    EXPECT_THAT(submitted, IsOk());
    return submitted.ok() ? submitted->record_id() : std::string();
  }

  // Stops the vault, runs `edit` on its RocksDB, closes it and starts the vault again.
  void EditStore(const std::function<void(store::RocksDbStore&)>& edit) {
    vault_->Stop();
    {
      absl::StatusOr<std::unique_ptr<store::RocksDbStore>> db =
          store::RocksDbStore::Open(vault_->data_dir());
      ASSERT_THAT(db, IsOk());
      edit(**db);
      ASSERT_THAT((*db)->Flush(), IsOk());
    }
    ASSERT_THAT(vault_->Restart(), IsOk());
  }

  static std::string MustGet(store::RocksDbStore& db, Space space, const std::string& key) {
    absl::StatusOr<std::optional<std::string>> value = db.Get(space, key);
    EXPECT_THAT(value, IsOk());
    EXPECT_TRUE(value.ok() && value->has_value()) << "missing key in " << store::SpaceName(space);
    return value.ok() && value->has_value() ? **value : std::string();
  }

  static std::vector<std::pair<std::string, std::string>> ScanAll(store::RocksDbStore& db,
                                                                  Space space,
                                                                  const std::string& prefix = "") {
    std::vector<std::pair<std::string, std::string>> entries;
    EXPECT_THAT(db.Scan(space, prefix,
                        [&](std::string_view key, std::string_view value) {
                          entries.emplace_back(std::string(key), std::string(value));
                          return true;
                        }),
                IsOk());
    return entries;
  }

  absl::StatusOr<v1::GetRecordResponse> Read(const std::string& record_id) {
    v1::GetRecordRequest request;
    request.set_record_id(record_id);
    request.set_purpose(v1::FOLLOW_UP);
    return vault_->ClientAs("case_officer")->Get(request);
  }

  std::unique_ptr<VaultProcess> vault_;
};

TEST_F(StorageAttackTest, SectionCiphertextSwappedBetweenRecordsFailsToOpen) {
  const std::string a = Submit(SyntheticRecord("alpha"), "swap-record-a01");
  const std::string b = Submit(SyntheticRecord("bravo"), "swap-record-b01");
  EditStore([&](store::RocksDbStore& db) {
    const std::string key_a = SectionKey(RawId(a), v1::INTERVIEW);
    const std::string key_b = SectionKey(RawId(b), v1::INTERVIEW);
    store::Mutation swap;
    swap.Put(Space::kSections, key_a, MustGet(db, Space::kSections, key_b));
    swap.Put(Space::kSections, key_b, MustGet(db, Space::kSections, key_a));
    ASSERT_THAT(db.Commit(swap), IsOk());
  });
  EXPECT_THAT(Read(a), StatusIs(absl::StatusCode::kDataLoss, Eq("decryption failed")));
  EXPECT_THAT(Read(b), StatusIs(absl::StatusCode::kDataLoss, Eq("decryption failed")));
}

TEST_F(StorageAttackTest, WrapMovedToOtherRecordFailsToOpen) {
  const std::string a = Submit(SyntheticRecord("alpha"), "wrap-record-a01");
  const std::string b = Submit(SyntheticRecord("bravo"), "wrap-record-b01");
  EditStore([&](store::RocksDbStore& db) {
    auto wraps_a = ScanAll(db, Space::kWraps, WrapPrefix(RawId(a), v1::IDENTITY, kCaseOfficer));
    auto wraps_b = ScanAll(db, Space::kWraps, WrapPrefix(RawId(b), v1::IDENTITY, kCaseOfficer));
    ASSERT_EQ(wraps_a.size(), 1u);
    ASSERT_EQ(wraps_b.size(), 1u);
    store::Mutation move;
    move.Put(Space::kWraps, wraps_b[0].first, wraps_a[0].second);
    ASSERT_THAT(db.Commit(move), IsOk());
  });
  EXPECT_THAT(Read(b), StatusIs(absl::StatusCode::kDataLoss, Eq("decryption failed")));
  EXPECT_THAT(Read(a), IsOk());
}

TEST_F(StorageAttackTest, FlippedSectionByteFailsToOpen) {
  const std::string a = Submit(SyntheticRecord("alpha"), "flip-section-a01");
  EditStore([&](store::RocksDbStore& db) {
    const std::string key = SectionKey(RawId(a), v1::LEGAL);
    std::string value = MustGet(db, Space::kSections, key);
    ASSERT_GT(value.size(), 100u);
    value[value.size() / 2] ^= 0x01;
    store::Mutation flip;
    flip.Put(Space::kSections, key, value);
    ASSERT_THAT(db.Commit(flip), IsOk());
  });
  EXPECT_THAT(Read(a), StatusIs(absl::StatusCode::kDataLoss, Eq("decryption failed")));
}

TEST_F(StorageAttackTest, FlippedMetadataByteFailsToOpenForGetAndList) {
  const std::string a = Submit(SyntheticRecord("alpha"), "flip-header-a01");
  EditStore([&](store::RocksDbStore& db) {
    storage::v1::StoredRecord header;
    ASSERT_TRUE(header.ParseFromString(MustGet(db, Space::kRecords, RecordKey(RawId(a)))));
    std::string* metadata = header.mutable_metadata_ciphertext();
    ASSERT_GT(metadata->size(), 40u);
    (*metadata)[metadata->size() / 2] ^= 0x01;
    store::Mutation flip;
    flip.Put(Space::kRecords, RecordKey(RawId(a)), header.SerializeAsString());
    ASSERT_THAT(db.Commit(flip), IsOk());
  });
  EXPECT_THAT(Read(a), StatusIs(absl::StatusCode::kDataLoss, Eq("decryption failed")));
  EXPECT_THAT(vault_->ClientAs("case_officer")->List(v1::ListRecordsRequest()),
              StatusIs(absl::StatusCode::kDataLoss, Eq("decryption failed")));
}

TEST_F(StorageAttackTest, DeletedWrapWithholdsThatSectionOnly) {
  const std::string a = Submit(SyntheticRecord("alpha"), "del-wrap-a0001");
  EditStore([&](store::RocksDbStore& db) {
    auto wraps = ScanAll(db, Space::kWraps, WrapPrefix(RawId(a), v1::IDENTITY, kCaseOfficer));
    ASSERT_FALSE(wraps.empty());
    store::Mutation erase;
    for (const auto& [key, value] : wraps) erase.Delete(Space::kWraps, key);
    ASSERT_THAT(db.Commit(erase), IsOk());
  });
  absl::StatusOr<v1::GetRecordResponse> got = Read(a);
  ASSERT_THAT(got, IsOk());
  EXPECT_THAT(got->sections_released(), ElementsAre(v1::INTERVIEW, v1::LEGAL));
  EXPECT_FALSE(got->has_identity());
  EXPECT_EQ(got->interview().narrative(), "alpha narrative");
  // Another role's wrap of the same section is untouched.
  v1::GetRecordRequest legal;
  legal.set_record_id(a);
  legal.set_purpose(v1::LEGAL_REFERRAL);
  absl::StatusOr<v1::GetRecordResponse> adviser = vault_->ClientAs("legal_adviser")->Get(legal);
  ASSERT_THAT(adviser, IsOk());
  EXPECT_EQ(adviser->identity().full_name(), "alpha name");
}

TEST_F(StorageAttackTest, PaddedSectionsOfOneBucketHaveEqualCiphertextSizes) {
  v1::InterviewRecord short_record = SyntheticRecord("s");
  short_record.mutable_interview()->set_narrative(std::string(10, 'a'));
  short_record.clear_health();
  v1::InterviewRecord long_record = SyntheticRecord("l");
  long_record.mutable_interview()->set_narrative(std::string(900, 'b'));
  long_record.mutable_health()->set_observations(std::string(500, 'c'));
  long_record.mutable_health()->clear_needs();
  const std::string s = Submit(short_record, "size-short-0001");
  const std::string l = Submit(long_record, "size-long-00001");
  EditStore([&](store::RocksDbStore& db) {
    for (v1::Section section : {v1::INTERVIEW, v1::HEALTH, v1::IDENTITY, v1::LEGAL}) {
      const std::string short_ct = MustGet(db, Space::kSections, SectionKey(RawId(s), section));
      const std::string long_ct = MustGet(db, Space::kSections, SectionKey(RawId(l), section));
      EXPECT_EQ(short_ct.size(), long_ct.size()) << v1::Section_Name(section);
      EXPECT_GE(short_ct.size(), 1024u) << v1::Section_Name(section);
    }
  });
}

TEST_F(StorageAttackTest, DataDirectoryIsOwnerOnly) {
  struct stat st {};
  ASSERT_EQ(::stat(vault_->data_dir().c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0700u);
}

TEST_F(StorageAttackTest, StorageKeysAreOpaqueIds) {
  const std::string a = Submit(SyntheticRecord("alpha"), "opaque-keys-a01");
  const std::string b = Submit(SyntheticRecord("bravo"), "opaque-keys-b01");
  const std::vector<std::string> ids = {RawId(a), RawId(b)};
  const std::vector<std::string> record_text = {
      "qc-lav-ihc", "team-quebec-1", "2026-10-02", "1988-07-21", "alpha", "bravo",
      "opaque-keys", "spiffe", a, b};
  EditStore([&](store::RocksDbStore& db) {
    for (auto [space, length] : {std::pair{Space::kRecords, 24u}, std::pair{Space::kSections, 25u},
                                 std::pair{Space::kWraps, 30u}}) {
      auto entries = ScanAll(db, space);
      EXPECT_FALSE(entries.empty()) << store::SpaceName(space);
      for (const auto& [key, value] : entries) {
        EXPECT_EQ(key.size(), length) << store::SpaceName(space);
        EXPECT_THAT(ids, ::testing::Contains(key.substr(0, 16))) << store::SpaceName(space);
      }
    }
    for (Space space : store::kAllSpaces) {
      for (const auto& [key, value] : ScanAll(db, space)) {
        for (const std::string& text : record_text) {
          EXPECT_EQ(key.find(text), std::string::npos)
              << store::SpaceName(space) << " key holds " << text;
          if (space != Space::kKeys && space != Space::kMeta) {
            EXPECT_EQ(value.find(text), std::string::npos)
                << store::SpaceName(space) << " value holds " << text;
          }
        }
      }
    }
  });
}

}  // namespace
}  // namespace confidant::testing
