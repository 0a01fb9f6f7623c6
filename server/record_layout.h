// Storage keys and byte formats of records (see record_vault.h for the layout).
#ifndef CONFIDANT_SERVER_RECORD_LAYOUT_H_
#define CONFIDANT_SERVER_RECORD_LAYOUT_H_

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "confidant/v1/record_service.pb.h"
#include "crypto/secret_bytes.h"
#include "policy/policy.pb.h"
#include "server/store/storage.pb.h"

namespace confidant::server {

inline constexpr size_t kRecordIdBytes = 16;
inline constexpr v1::Section kAllSections[] = {v1::IDENTITY, v1::INTERVIEW, v1::HEALTH, v1::LEGAL};

// Hex record id <-> 16 raw bytes. Parse expects an id already validated by ValidateRecordId.
std::string RecordIdToHex(std::string_view raw);
std::string RecordIdFromHex(std::string_view hex);

std::string RecordKey(std::string_view raw_id, uint64_t version);
std::string SectionKey(std::string_view raw_id, uint64_t version, v1::Section section);
std::string WrapPrefix(std::string_view raw_id, uint64_t version, v1::Section section,
                       policy::v1::Role role);
std::string WrapKey(std::string_view raw_id, uint64_t version, v1::Section section,
                    policy::v1::Role role, uint32_t role_key_version);
// The role key version at the end of a wrap key.
uint32_t WrapKeyVersion(std::string_view wrap_key);

std::string SubmissionIndexKey(const crypto::SecretBytes& index_key, std::string_view principal,
                               std::string_view submission_id);

// The likely-duplicate index key (kLikelyDuplicateKeyBytes): "D" || KeyedHash(k, "confidant/v1/
// likely-duplicate" 0x00 lp(pseudonym) lp(facility id) lp(visit date)), where k is derived from
// the index key with its own label. `pseudonym` must be non-empty (server/facts.h Pseudonym).
std::string LikelyDuplicateKey(const crypto::SecretBytes& index_key, std::string_view pseudonym,
                               std::string_view facility_id, std::string_view visit_date);
// A submitter's own entry for the same triple (same prefix and size): "D" || KeyedHash(k,
// "confidant/v1/likely-duplicate-own" 0x00 lp(LikelyDuplicateKey) lp(person id)).
std::string OwnLikelyDuplicateKey(const crypto::SecretBytes& index_key,
                                  std::string_view duplicate_key, std::string_view person_id);
inline constexpr std::string_view kLikelyDuplicatePrefix = "D";
inline constexpr size_t kLikelyDuplicateKeyBytes = 33;

std::string MetadataAssociatedData(std::string_view record_id_hex, uint64_t version);
std::string SubmissionAssociatedData(std::string_view index_key);
std::string LikelyDuplicateAssociatedData(std::string_view storage_key);

// The plaintext of one section of `record` (its serialized section message; empty sections
// serialize too, so every section is always stored).
std::string SectionPlaintext(const v1::InterviewRecord& record, v1::Section section);
// Parses a section plaintext into the matching field of `response`. DATA_LOSS if it does not
// parse.
absl::Status ReleaseSection(v1::Section section, std::string_view plaintext,
                            v1::GetRecordResponse& response);

}  // namespace confidant::server

#endif  // CONFIDANT_SERVER_RECORD_LAYOUT_H_
