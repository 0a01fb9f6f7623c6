// De-identified facts: what the reporting engine may ever see of a record (docs/ARCHITECTURE.md
// "Reporting"). At intake the vault derives one FactRow from the record's coded indicators only,
// keyed by a pseudonym so that one person counts once; the row is sealed under the facts key and
// removed with its record. Case officers may link two records they judge to be one person.
//
// Facts space layout (all values sealed under the facts key, AD "confidant/v1/fact" 0x00 lp(key)):
//   "F" || record id              -> FactRow of the record's newest version
//   "L" || record id a || id b    -> PersonLink (written in both directions)
// Pseudonyms are never storage keys.
#ifndef CONFIDANT_SERVER_FACTS_H_
#define CONFIDANT_SERVER_FACTS_H_

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "confidant/v1/record.pb.h"
#include "crypto/secret_bytes.h"
#include "policy/catalogue.h"
#include "server/reporting/release_engine.h"
#include "server/store/kv_store.h"
#include "server/store/storage.pb.h"

namespace confidant::server {

// The keys of the facts space, derived from the index key (KeyedHash with their own labels).
struct FactKeys {
  crypto::SecretBytes facts_key;      // seals fact rows and links
  crypto::SecretBytes pseudonym_key;  // keys the pseudonyms
  static FactKeys Derive(const crypto::SecretBytes& index_key);
};

// Identity normalisation behind pseudonyms: case, accents (Latin-1 letters), apostrophes,
// punctuation, spacing and the order of name parts do not matter ("José  DE-LA Cruz" == "cruz de la jose").
std::string NormaliseName(std::string_view name);
std::string NormaliseClientId(std::string_view id);

// The person's pseudonym (32 bytes): keyed on the immigration client id when there is one,
// else on the normalised name and date of birth (both required: a name alone would merge
// namesakes); empty otherwise (the record then counts as a person of its own).
std::string Pseudonym(const crypto::SecretBytes& pseudonym_key, const v1::IdentitySection& identity);

// The record's fact row, or nullopt when the catalogue is off or its facility is not listed.
std::optional<storage::v1::FactRow> DeriveFactRow(const v1::InterviewRecord& record,
                                                  const policy::Catalogue& catalogue,
                                                  const crypto::SecretBytes& pseudonym_key);

std::string FactStorageKey(std::string_view raw_record_id);
std::string LinkStorageKey(std::string_view raw_a, std::string_view raw_b);
inline constexpr std::string_view kFactPrefix = "F";
inline constexpr std::string_view kLinkPrefix = "L";

absl::StatusOr<std::string> SealFact(const crypto::SecretBytes& facts_key, std::string_view key,
                                     const google::protobuf::MessageLite& message);
// DATA_LOSS "decryption failed" when the value does not open or parse.
absl::Status OpenFact(const crypto::SecretBytes& facts_key, std::string_view key,
                      std::string_view sealed, google::protobuf::MessageLite& message);

// Adds the deletion of `raw_id`'s fact row and of every link that names it (both directions).
absl::Status DeleteFacts(const store::KvStore& store, std::string_view raw_id,
                         store::Mutation& mutation, std::vector<std::string>& deleted_keys);

// Every fact row in the store, grouped into persons: pseudonyms joined by links (union-find)
// count as one person, whose key is the smallest pseudonym of the group. A row without a
// pseudonym is a person of its own. A group of more than K (catalogue.max_pseudonyms_per_person)
// pseudonyms is not one person: its links are ignored. DATA_LOSS if a row does not open.
absl::StatusOr<std::vector<reporting::InterviewFacts>> LoadInterviewFacts(
    const store::KvStore& store, const FactKeys& keys, const policy::Catalogue& catalogue);

// How many distinct pseudonyms the group of `raw_a` and `raw_b` would hold once they are linked
// (0 when neither has a fact row).
absl::StatusOr<size_t> PseudonymsJoinedBy(const store::KvStore& store, const FactKeys& keys,
                                          std::string_view raw_a, std::string_view raw_b);

}  // namespace confidant::server

#endif  // CONFIDANT_SERVER_FACTS_H_
