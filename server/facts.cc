#include "server/facts.h"

#include <algorithm>
#include <map>
#include <set>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "base/status_macros.h"
#include "crypto/aead.h"
#include "crypto/random.h"
#include "server/record_layout.h"

namespace confidant::server {
namespace {

// Latin-1 letters (U+00C0..U+00FF, UTF-8 0xC3 0x80..0xBF) without their accents; "" for the
// two signs in that block (multiplication, division), which separate name parts.
std::string_view FoldLatin1(unsigned char second) {
  static constexpr std::string_view kUpper[32] = {
      "a", "a", "a", "a", "a", "a", "ae", "c", "e", "e", "e", "e", "i", "i", "i", "i",
      "d", "n", "o", "o", "o", "o", "o",  "",  "o", "u", "u", "u", "u", "y", "th", "ss"};
  if (second < 0x80 || second > 0xBF) return "";
  const unsigned index = (second - 0x80) % 32;
  if (second == 0xBF) return "y";
  return kUpper[index];
}

std::string Label(std::string_view key) {
  std::string label("confidant/v1/fact");
  label.push_back('\0');
  label.append(key);
  return label;
}

}  // namespace

FactKeys FactKeys::Derive(const crypto::SecretBytes& index_key) {
  std::string facts = crypto::KeyedHash(index_key, "confidant/v1/facts-key");
  std::string pseudonyms = crypto::KeyedHash(index_key, "confidant/v1/pseudonym-key");
  FactKeys keys{crypto::SecretBytes::CopyFrom(facts), crypto::SecretBytes::CopyFrom(pseudonyms)};
  crypto::WipeString(facts);
  crypto::WipeString(pseudonyms);
  return keys;
}

std::string NormaliseName(std::string_view name) {
  std::vector<std::string> parts(1);
  for (size_t i = 0; i < name.size(); ++i) {
    const auto c = static_cast<unsigned char>(name[i]);
    std::string_view piece;
    char ascii = 0;
    if (c == '\'') continue;  // O'Brien == OBrien
    if (c == 0xE2 && name.substr(i, 3) == "\xE2\x80\x99") {  // the typographic apostrophe
      i += 2;
      continue;
    }
    if (c == 0xC3 && i + 1 < name.size()) {
      piece = FoldLatin1(static_cast<unsigned char>(name[++i]));
    } else if (c < 0x80 && absl::ascii_isalnum(c)) {
      ascii = absl::ascii_tolower(c);
      piece = std::string_view(&ascii, 1);
    } else if (c >= 0x80) {
      parts.back().push_back(static_cast<char>(c));  // other scripts: kept byte for byte
      continue;
    }
    if (piece.empty()) {
      if (!parts.back().empty()) parts.emplace_back();
    } else {
      parts.back().append(piece);
    }
  }
  if (parts.back().empty()) parts.pop_back();
  std::sort(parts.begin(), parts.end());
  return absl::StrJoin(parts, " ");
}

std::string NormaliseClientId(std::string_view id) {
  std::string out;
  for (char c : id) {
    if (absl::ascii_isalnum(static_cast<unsigned char>(c))) out.push_back(absl::ascii_toupper(c));
  }
  return out;
}

std::string Pseudonym(const crypto::SecretBytes& pseudonym_key, const v1::IdentitySection& identity) {
  std::string material;
  if (std::string id = NormaliseClientId(identity.immigration_client_id()); !id.empty()) {
    material = absl::StrCat("confidant/v1/pseudonym/client-id", std::string(1, '\0'), id);
    crypto::WipeString(id);
  } else if (std::string name = NormaliseName(identity.full_name());
             !name.empty() && !identity.date_of_birth().empty()) {
    // A name alone would merge namesakes into one person (whose removal could then move a
    // cell other than their own): without a birth date the record is a person of its own.
    material = absl::StrCat("confidant/v1/pseudonym/name", std::string(1, '\0'), name,
                            std::string(1, '\0'), identity.date_of_birth());
    crypto::WipeString(name);
  } else {
    crypto::WipeString(name);
    return "";
  }
  std::string pseudonym = crypto::KeyedHash(pseudonym_key, material);
  crypto::WipeString(material);
  return pseudonym;
}

std::optional<storage::v1::FactRow> DeriveFactRow(const v1::InterviewRecord& record,
                                                  const policy::Catalogue& catalogue,
                                                  const crypto::SecretBytes& pseudonym_key) {
  if (!catalogue.enabled) return std::nullopt;
  const policy::v1::Facility* facility = catalogue.FindFacility(record.visit().facility_id());
  if (facility == nullptr ||
      static_cast<int>(facility->region()) != static_cast<int>(record.visit().region())) {
    return std::nullopt;
  }
  storage::v1::FactRow row;
  row.set_format_version(1);
  row.set_pseudonym(Pseudonym(pseudonym_key, record.identity()));
  row.set_facility_id(facility->id());
  row.set_region(record.visit().region());
  row.set_visit_date(record.visit().visit_date());
  // Coded indicators only: detention grounds are not a reporting dimension and stay out.
  const v1::CodedIndicators& in = record.indicators();
  row.set_age_band(in.age_band());
  row.set_gender(in.gender());
  row.set_detention_length(in.detention_length());
  *row.mutable_concerns() = in.concerns();
  return row;
}

std::string FactStorageKey(std::string_view raw_record_id) {
  std::string key(kFactPrefix);
  key.append(raw_record_id);
  return key;
}

std::string LinkStorageKey(std::string_view raw_a, std::string_view raw_b) {
  std::string key(kLinkPrefix);
  key.append(raw_a);
  key.append(raw_b);
  return key;
}

absl::StatusOr<std::string> SealFact(const crypto::SecretBytes& facts_key, std::string_view key,
                                     const google::protobuf::MessageLite& message) {
  std::string bytes = message.SerializeAsString();
  absl::StatusOr<std::string> sealed = crypto::AeadSeal(facts_key, bytes, Label(key));
  crypto::WipeString(bytes);
  return sealed;
}

absl::Status OpenFact(const crypto::SecretBytes& facts_key, std::string_view key,
                      std::string_view sealed, google::protobuf::MessageLite& message) {
  absl::StatusOr<std::string> opened = crypto::AeadOpen(facts_key, sealed, Label(key));
  if (!opened.ok()) return absl::DataLossError("decryption failed");
  const bool parsed = message.ParseFromString(*opened);
  crypto::WipeString(*opened);
  if (!parsed) return absl::DataLossError("decryption failed");
  return absl::OkStatus();
}

absl::Status DeleteFacts(const store::KvStore& store, std::string_view raw_id,
                         store::Mutation& mutation, std::vector<std::string>& deleted_keys) {
  const std::string fact_key = FactStorageKey(raw_id);
  ASSIGN_OR_RETURN(std::optional<std::string> fact, store.Get(store::Space::kFacts, fact_key));
  if (fact.has_value()) {
    mutation.Delete(store::Space::kFacts, fact_key);
    deleted_keys.push_back(fact_key);
  }
  const std::string prefix = LinkStorageKey(raw_id, "");
  std::vector<std::string> partners;
  RETURN_IF_ERROR(store.Scan(store::Space::kFacts, prefix, [&](std::string_view key, std::string_view) {
    if (key.size() == prefix.size() + kRecordIdBytes) partners.emplace_back(key.substr(prefix.size()));
    return true;
  }));
  for (const std::string& partner : partners) {
    for (std::string key : {LinkStorageKey(raw_id, partner), LinkStorageKey(partner, raw_id)}) {
      mutation.Delete(store::Space::kFacts, key);
      deleted_keys.push_back(std::move(key));
    }
  }
  return absl::OkStatus();
}

namespace {

// Union-find over pseudonyms (path halving).
class Persons {
 public:
  std::string Find(const std::string& x) {
    std::string at = x;
    while (true) {
      auto it = parent_.find(at);
      if (it == parent_.end() || it->second == at) return at;
      auto grand = parent_.find(it->second);
      if (grand != parent_.end()) it->second = grand->second;
      at = it->second;
    }
  }
  void Join(const std::string& a, const std::string& b) {
    std::string ra = Find(a), rb = Find(b);
    if (ra == rb) return;
    if (rb < ra) std::swap(ra, rb);
    parent_[ra] = ra;
    parent_[rb] = ra;  // the smaller pseudonym represents the person
  }

 private:
  std::map<std::string, std::string> parent_;
};

}  // namespace

namespace {

struct FactsAndLinks {
  std::map<std::string, storage::v1::FactRow> rows;  // raw record id -> row
  std::vector<std::pair<std::string, std::string>> links;
};

absl::StatusOr<FactsAndLinks> ReadFactsSpace(const store::KvStore& store, const FactKeys& keys) {
  FactsAndLinks out;
  absl::Status failed;
  RETURN_IF_ERROR(store.Scan(store::Space::kFacts, "", [&](std::string_view key, std::string_view value) {
    if (key.size() == 1 + kRecordIdBytes && key.substr(0, 1) == kFactPrefix) {
      storage::v1::FactRow row;
      failed = OpenFact(keys.facts_key, key, value, row);
      if (!failed.ok()) return false;
      out.rows.emplace(std::string(key.substr(1)), std::move(row));
    } else if (key.size() == 1 + 2 * kRecordIdBytes && key.substr(0, 1) == kLinkPrefix) {
      storage::v1::PersonLink link;
      failed = OpenFact(keys.facts_key, key, value, link);
      if (!failed.ok()) return false;
      out.links.emplace_back(key.substr(1, kRecordIdBytes), key.substr(1 + kRecordIdBytes));
    }
    return true;
  }));
  RETURN_IF_ERROR(failed);
  return out;
}

// A row without a pseudonym is a person of its own, named by its record.
std::string PersonOf(const std::string& raw_id, const storage::v1::FactRow& row) {
  return row.pseudonym().empty() ? "record:" + raw_id : row.pseudonym();
}

// Joins the pseudonyms of linked records; returns, per group representative, how many distinct
// pseudonyms the group holds.
std::map<std::string, size_t> JoinLinked(const FactsAndLinks& space, Persons& persons) {
  for (const auto& [a, b] : space.links) {
    auto ra = space.rows.find(a), rb = space.rows.find(b);
    if (ra == space.rows.end() || rb == space.rows.end()) continue;
    persons.Join(PersonOf(a, ra->second), PersonOf(b, rb->second));
  }
  std::set<std::string> pseudonyms;
  for (const auto& [raw_id, row] : space.rows) pseudonyms.insert(PersonOf(raw_id, row));
  std::map<std::string, size_t> sizes;
  for (const std::string& p : pseudonyms) ++sizes[persons.Find(p)];
  return sizes;
}

}  // namespace

absl::StatusOr<std::vector<reporting::InterviewFacts>> LoadInterviewFacts(
    const store::KvStore& store, const FactKeys& keys, const policy::Catalogue& catalogue) {
  ASSIGN_OR_RETURN(FactsAndLinks space, ReadFactsSpace(store, keys));
  Persons persons;
  const std::map<std::string, size_t> sizes = JoinLinked(space, persons);
  const size_t k = std::max<uint32_t>(catalogue.max_pseudonyms_per_person, 1);
  std::vector<reporting::InterviewFacts> facts;
  facts.reserve(space.rows.size());
  for (const auto& [raw_id, row] : space.rows) {
    const policy::v1::Facility* facility = catalogue.FindFacility(row.facility_id());
    if (facility == nullptr) continue;  // dropped from the list since: counted nowhere
    reporting::InterviewFacts f;
    const std::string own = PersonOf(raw_id, row);
    const std::string group = persons.Find(own);
    // A group of more than K pseudonyms cannot be one person (K is the most one person may
    // have): links that built it are ignored, so that no link, by mistake or on purpose, lets
    // one person's removal move more than K cells.
    f.person = sizes.at(group) > k ? own : group;
    f.visit_date = row.visit_date();
    f.order_key = raw_id;
    f.facility_group = policy::FacilityGroup(*facility);
    f.region = static_cast<policy::v1::Region>(row.region());
    f.age_band = row.age_band();
    f.gender = row.gender();
    f.detention_length = row.detention_length();
    f.concerns = row.concerns();
    facts.push_back(std::move(f));
  }
  return facts;
}

absl::StatusOr<size_t> PseudonymsJoinedBy(const store::KvStore& store, const FactKeys& keys,
                                          std::string_view raw_a, std::string_view raw_b) {
  ASSIGN_OR_RETURN(FactsAndLinks space, ReadFactsSpace(store, keys));
  space.links.emplace_back(std::string(raw_a), std::string(raw_b));
  Persons persons;
  const std::map<std::string, size_t> sizes = JoinLinked(space, persons);
  // Once linked, a and b are one group: ask through whichever has a fact row.
  auto row = space.rows.find(std::string(raw_a));
  if (row == space.rows.end()) row = space.rows.find(std::string(raw_b));
  if (row == space.rows.end()) return 0;  // neither has facts (unlisted facilities): no group
  return sizes.at(persons.Find(PersonOf(row->first, row->second)));
}

}  // namespace confidant::server
