// De-identified facts at intake (server/facts.h) over a real RocksDB store and record vault: what
// a fact row holds (coded indicators only), that the facility registry is enforced, that
// amendments replace the row, that shredding removes rows and person links, and that persons
// are grouped by pseudonym and link.
#include "server/facts.h"

#include <cstdlib>
#include <set>

#include "absl/strings/str_format.h"

#include "tests/server/shredder_fixture.h"

namespace confidant::server::shredder_testing {
namespace {

class ReportingFactsTest : public ShredderTest {
 protected:
  FactKeys Keys() const { return FactKeys::Derive(keys_->index_key()); }

  // Every key of the facts space.
  std::vector<std::string> FactSpaceKeys() {
    std::vector<std::string> keys;
    EXPECT_THAT(store_->Scan(store::Space::kFacts, "", [&](std::string_view k, std::string_view) {
      keys.emplace_back(k);
      return true;
    }),
                IsOk());
    return keys;
  }

  storage::v1::FactRow RowOf(const std::string& id_hex) {
    const std::string key = FactStorageKey(RecordIdFromHex(id_hex));
    absl::StatusOr<std::optional<std::string>> sealed = store_->Get(store::Space::kFacts, key);
    EXPECT_THAT(sealed, IsOk());
    storage::v1::FactRow row;
    if (sealed.ok() && sealed->has_value()) {
      EXPECT_THAT(OpenFact(Keys().facts_key, key, **sealed, row), IsOk());
    } else {
      ADD_FAILURE() << "no fact row for " << id_hex;
    }
    return row;
  }

  void Link(const std::string& a, const std::string& b) {
    store::Mutation m;
    storage::v1::PersonLink link;
    link.set_linked_by_person_id("case_officer");
    const std::string ra = RecordIdFromHex(a), rb = RecordIdFromHex(b);
    for (const std::string& key : {LinkStorageKey(ra, rb), LinkStorageKey(rb, ra)}) {
      absl::StatusOr<std::string> sealed = SealFact(Keys().facts_key, key, link);
      ASSERT_THAT(sealed, IsOk());
      m.Put(store::Space::kFacts, key, *sealed);
    }
    ASSERT_THAT(store_->Commit(m), IsOk());
  }

  std::vector<reporting::InterviewFacts> Facts() {
    absl::StatusOr<std::vector<reporting::InterviewFacts>> facts =
        LoadInterviewFacts(*store_, Keys(), authorizer_->policy().catalogue());
    EXPECT_THAT(facts, IsOk());
    return facts.ok() ? *facts : std::vector<reporting::InterviewFacts>{};
  }
};

TEST(NormaliseTest, NamesIgnoreCaseAccentsPunctuationAndOrder) {
  EXPECT_EQ(NormaliseName("José  DE-LA Cruz"), NormaliseName("cruz de la jose"));
  EXPECT_EQ(NormaliseName("Zoë O'Brien"), NormaliseName("OBRIEN, ZOE"));
  EXPECT_EQ(NormaliseName("  "), "");
  EXPECT_NE(NormaliseName("Amina Diallo"), NormaliseName("Amina Dialo"));  // a misspelling
  EXPECT_EQ(NormaliseClientId(" ic-1234 5678 "), "IC12345678");
}

TEST(PseudonymTest, KeyedOnTheClientIdFirstThenNameAndBirthDate) {
  ASSERT_THAT(crypto::InitCrypto(), IsOk());
  const crypto::SecretBytes key = crypto::SecretBytes::Random(32);
  v1::IdentitySection a;
  a.set_full_name("Amina Diallo");
  a.set_date_of_birth("1990-02-03");
  a.set_immigration_client_id("IC-12345678");
  v1::IdentitySection b = a;
  b.set_full_name("Amina Dialo");  // misspelt, same client id
  EXPECT_EQ(Pseudonym(key, a), Pseudonym(key, b));
  a.clear_immigration_client_id();
  b.clear_immigration_client_id();
  EXPECT_NE(Pseudonym(key, a), Pseudonym(key, b));
  v1::IdentitySection c = a;
  c.set_full_name("DIALLO, Amina");
  EXPECT_EQ(Pseudonym(key, a), Pseudonym(key, c));
  c.set_date_of_birth("1990-02-04");
  EXPECT_NE(Pseudonym(key, a), Pseudonym(key, c));
  EXPECT_EQ(Pseudonym(key, v1::IdentitySection()), "");
  v1::IdentitySection name_only;
  name_only.set_full_name("Amina Diallo");
  EXPECT_EQ(Pseudonym(key, name_only), "") << "namesakes are not merged";
  // Keyed: another vault's key gives another pseudonym, and none contains the name.
  EXPECT_NE(Pseudonym(crypto::SecretBytes::Random(32), a), Pseudonym(key, a));
  EXPECT_EQ(Pseudonym(key, a).size(), 32u);
}

TEST_F(ReportingFactsTest, IntakeWritesOneSealedRowOfCodedIndicatorsOnly) {
  const std::string canary = "CANARY-facts-5e1d";
  v1::InterviewRecord record = RecordWith(canary);
  record.mutable_identity()->set_immigration_client_id(canary + "-id");
  record.mutable_interview()->add_concerns_raised(canary + " concern");
  record.mutable_indicators()->mutable_concerns()->set_lacks_medical_care(v1::YES);
  record.mutable_indicators()->set_detention_grounds(v1::FLIGHT_RISK);
  const std::string id = Submit(record, "facts-00000001");
  ASSERT_EQ(FactSpaceKeys().size(), 1u);

  const storage::v1::FactRow row = RowOf(id);
  EXPECT_EQ(row.facility_id(), "qc-lav-ihc");
  EXPECT_EQ(row.region(), v1::QUEBEC);
  EXPECT_EQ(row.visit_date(), "2026-10-02");
  EXPECT_EQ(row.age_band(), v1::AGE_25_34);
  EXPECT_EQ(row.concerns().lacks_medical_care(), v1::YES);
  EXPECT_EQ(row.pseudonym().size(), 32u);
  // Nothing of the free text, the name or the client id, in the row or at rest.
  const std::string plain = row.SerializeAsString();
  EXPECT_EQ(plain.find("CANARY"), std::string::npos);
  EXPECT_EQ(plain.find("facts-5e1d"), std::string::npos);
  ASSERT_THAT(store_->Flush(), IsOk());
  for (const std::string& form : {canary, absl::BytesToHexString(canary), absl::Base64Escape(canary)}) {
    EXPECT_THAT(FilesContaining(db_dir(), form), IsEmpty()) << form;
  }
  for (const std::string& value : ValuesUnder(store::Space::kFacts, "")) {
    EXPECT_EQ(value.find(row.pseudonym()), std::string::npos) << "the pseudonym is sealed";
  }
  for (const std::string& key : FactSpaceKeys()) {
    EXPECT_EQ(key.find(row.pseudonym()), std::string::npos) << "never a storage key";
  }
}

TEST_F(ReportingFactsTest, AListedFacilityMustBeInItsRegionAndAnUnlistedOneIsRefused) {
  absl::Status status;
  v1::InterviewRecord moved = RecordWith("x");
  moved.mutable_visit()->set_region(v1::ONTARIO);  // qc-lav-ihc is in Quebec
  Submit(moved, "facts-00000003", "", &status);
  EXPECT_THAT(status, StatusIs(absl::StatusCode::kInvalidArgument,
                               HasSubstr("region of this facility in the published list; the "
                                         "registry places it in QUEBEC (as written in a record file)")));
  EXPECT_EQ(IndexEntriesOfSize(32), 0) << "nothing stored";
  // Not in the registry: refused with the closest registered ids (an unregistered facility
  // would be missing from every statistic), without repeating the submitted id.
  v1::InterviewRecord unlisted = RecordWith("x");
  unlisted.mutable_visit()->set_facility_id("qc-lav-ihx");
  Submit(unlisted, "facts-00000002", "", &status);
  EXPECT_THAT(status, StatusIs(absl::StatusCode::kInvalidArgument,
                               HasSubstr("visit.facility_id: not in the facility registry (policy "
                                         "version ")));
  EXPECT_THAT(std::string(status.message()), HasSubstr("; closest: qc-lav-ihc, "));
  EXPECT_THAT(std::string(status.message()), ::testing::Not(HasSubstr("qc-lav-ihx")));
  EXPECT_EQ(IndexEntriesOfSize(32), 0) << "nothing stored";
  EXPECT_THAT(FactSpaceKeys(), IsEmpty());
}

TEST_F(ReportingFactsTest, WithoutAFacilityListAnyFacilityIsAcceptedAndYieldsNoFacts) {
  // A policy with no reporting block declares no registry: facilities are not checked, and
  // nothing is ever counted.
  std::string text = kDevPolicyText;
  const size_t begin = text.find("\nreporting {");
  ASSERT_NE(begin, std::string::npos);
  const size_t end = text.find("\n}\n", begin);
  ASSERT_NE(end, std::string::npos);
  text.erase(begin, end + 3 - begin);
  authorizer_ = AuthorizerFrom(text);
  ASSERT_FALSE(authorizer_->policy().catalogue().enabled);
  v1::InterviewRecord unlisted = RecordWith("x");
  unlisted.mutable_visit()->set_facility_id("qc-not-on-any-list");
  const std::string id = Submit(unlisted, "facts-00000006");
  ASSERT_NE(id, "");
  EXPECT_THAT(Read(id), IsOk());
  EXPECT_THAT(FactSpaceKeys(), IsEmpty());
}

TEST_F(ReportingFactsTest, AnAmendmentReplacesTheRow) {
  v1::InterviewRecord record = RecordWith("x");
  const std::string id = Submit(record, "facts-00000004");
  record.mutable_indicators()->mutable_concerns()->set_restraints(v1::YES);
  record.mutable_indicators()->set_detention_length(v1::DAYS_30_89);
  Submit(record, "facts-00000005", id);
  ASSERT_EQ(FactSpaceKeys().size(), 1u);
  EXPECT_EQ(RowOf(id).concerns().restraints(), v1::YES);
  EXPECT_EQ(RowOf(id).detention_length(), v1::DAYS_30_89);
}

TEST_F(ReportingFactsTest, ShreddingRemovesTheRowAndEveryLinkNamingTheRecord) {
  const std::string doomed = Submit(RecordWith("a"), "facts-00000006");
  const std::string kept = Submit(RecordWith("b"), "facts-00000007");
  const std::string third = Submit(RecordWith("c"), "facts-00000008");
  Link(doomed, kept);
  Link(kept, third);
  ASSERT_EQ(FactSpaceKeys().size(), 3u + 4u);
  ASSERT_THAT(shredder_->Shred({doomed}, Order()), IsOk());
  const std::vector<std::string> keys = FactSpaceKeys();
  const std::set<std::string> left(keys.begin(), keys.end());
  const std::string rk = RecordIdFromHex(kept), rt = RecordIdFromHex(third);
  EXPECT_EQ(left, (std::set<std::string>{FactStorageKey(rk), FactStorageKey(rt),
                                         LinkStorageKey(rk, rt), LinkStorageKey(rt, rk)}));
  const std::vector<v1::AuditEvent> receipts = EntriesWithAction("record_shredded");
  ASSERT_EQ(receipts.size(), 1u);
  EXPECT_THAT(receipts[0].detail(), HasSubstr("3 facts and person links"));
}

TEST_F(ReportingFactsTest, PersonsAreGroupedByPseudonymAndByLink) {
  v1::InterviewRecord amina = RecordWith("x");
  amina.mutable_identity()->set_full_name("Amina Diallo");
  amina.mutable_identity()->set_date_of_birth("1990-02-03");
  const std::string a1 = Submit(amina, "facts-00000010");
  amina.mutable_identity()->set_full_name("DIALLO Amina");  // same after normalising
  const std::string a2 = Submit(amina, "facts-00000011");
  amina.mutable_identity()->set_full_name("Amina Dialo");  // misspelt: another pseudonym
  const std::string a3 = Submit(amina, "facts-00000012");
  v1::InterviewRecord anonymous = RecordWith("x");
  anonymous.mutable_identity()->clear_full_name();
  Submit(anonymous, "facts-00000013");
  Submit(anonymous, "facts-00000014");  // no identity: each record a person of its own

  auto persons = [&] {
    std::set<std::string> distinct;
    for (const reporting::InterviewFacts& f : Facts()) distinct.insert(f.person);
    return distinct.size();
  };
  EXPECT_EQ(Facts().size(), 5u);
  EXPECT_EQ(persons(), 4u);  // {a1, a2}, {a3}, two anonymous
  Link(a3, a1);  // a case officer judges them one person
  EXPECT_EQ(persons(), 3u);
  std::set<std::string> amina_keys;
  for (const reporting::InterviewFacts& f : Facts()) {
    if (f.order_key == RecordIdFromHex(a1) || f.order_key == RecordIdFromHex(a2) ||
        f.order_key == RecordIdFromHex(a3)) {
      amina_keys.insert(f.person);
    }
  }
  EXPECT_EQ(amina_keys.size(), 1u);
  EXPECT_EQ(Facts()[0].facility_group, "qc-lav-ihc");
}

// A hub record linked to more records than one person can have pseudonyms (K = 3) does not
// merge them: a group above K is ignored, and the link that would build it is refusable.
TEST_F(ReportingFactsTest, LinksNeverJoinMoreThanKPseudonyms) {
  std::vector<std::string> ids;
  for (int i = 0; i < 5; ++i) {
    v1::InterviewRecord r = RecordWith("x");
    r.mutable_identity()->set_full_name(absl::StrCat("Person ", i));
    r.mutable_identity()->set_date_of_birth("1980-01-01");
    ids.push_back(Submit(r, absl::StrFormat("hub-%08d", i)));
  }
  auto persons = [&] {
    std::set<std::string> distinct;
    for (const reporting::InterviewFacts& f : Facts()) distinct.insert(f.person);
    return distinct.size();
  };
  Link(ids[0], ids[1]);
  Link(ids[0], ids[2]);
  EXPECT_EQ(persons(), 3u);  // {0, 1, 2} is one person of 3 pseudonyms, plus 3 and 4
  absl::StatusOr<size_t> joined =
      PseudonymsJoinedBy(*store_, Keys(), RecordIdFromHex(ids[0]), RecordIdFromHex(ids[3]));
  ASSERT_THAT(joined, IsOk());
  EXPECT_EQ(*joined, 4u);  // over K: LinkPersons refuses it
  Link(ids[0], ids[3]);    // written anyway (e.g. by an older version): statistics ignore it
  EXPECT_EQ(persons(), 5u);
}

// Issue 5: one person interviewed 50 times under 3 spellings (no client id, no link) changes any
// cell of any catalogue table by at most K = 3, and all cells together by at most 3: each
// pseudonym counts once, in one cell.
TEST_F(ReportingFactsTest, OnePersonFiftyTimesUnderThreeSpellingsMovesCellsByAtMostK) {
  for (int i = 0; i < 40; ++i) {
    v1::InterviewRecord other = RecordWith("x");
    other.mutable_identity()->set_full_name(absl::StrCat("Other Person ", i));
    other.mutable_visit()->set_visit_date(absl::StrFormat("2026-%02d-%02d", 10 + i % 3, 1 + i % 28));
    Submit(other, absl::StrFormat("others-%08d", i));
  }
  const std::vector<reporting::InterviewFacts> without = Facts();
  const char* spellings[] = {"Amina Diallo", "Amina Dialo", "Aminah Diallo"};
  for (int i = 0; i < 50; ++i) {
    v1::InterviewRecord again = RecordWith("x");
    again.mutable_identity()->set_full_name(spellings[i % 3]);
    again.mutable_identity()->set_date_of_birth("1990-02-03");
    again.mutable_visit()->set_visit_date(absl::StrFormat("2026-%02d-%02d", 10 + i % 3, 1 + i % 28));
    again.mutable_indicators()->mutable_concerns()->set_lacks_medical_care(i % 2 ? v1::YES : v1::NO);
    again.mutable_indicators()->set_detention_length(i < 25 ? v1::DAYS_30_89 : v1::DAYS_90_179);
    Submit(again, absl::StrFormat("amina-%08d", i));
  }
  const std::vector<reporting::InterviewFacts> with = Facts();
  ASSERT_EQ(with.size(), without.size() + 50);
  const policy::Catalogue& catalogue = authorizer_->policy().catalogue();
  const uint32_t k = catalogue.max_pseudonyms_per_person;
  ASSERT_EQ(k, 3u);
  for (const policy::v1::CatalogueTable& table : catalogue.tables) {
    const reporting::PeriodId period{2026, table.period() == policy::v1::QUARTER ? 4 : 0};
    const std::vector<reporting::TrueCell> a = reporting::TrueCounts(catalogue, table, period, without);
    const std::vector<reporting::TrueCell> b = reporting::TrueCounts(catalogue, table, period, with);
    ASSERT_EQ(a.size(), b.size()) << table.id();
    int64_t total = 0;
    for (size_t i = 0; i < a.size(); ++i) {
      const int64_t diff = std::llabs(b[i].count - a[i].count);
      EXPECT_LE(diff, k) << table.id() << " cell " << i;
      total += diff;
    }
    EXPECT_LE(total, k) << table.id();
    if (table.id() == "persons-by-facility") {
      EXPECT_EQ(total, 3) << "three pseudonyms, three persons";
    }
  }
}

}  // namespace
}  // namespace confidant::server::shredder_testing
