#include "server/record_layout.h"

#include "absl/strings/escaping.h"
#include "base/bytes.h"
#include "crypto/random.h"

namespace confidant::server {

std::string RecordIdToHex(std::string_view raw) {
  return absl::BytesToHexString(absl::string_view(raw.data(), raw.size()));
}

std::string RecordIdFromHex(std::string_view hex) {
  return absl::HexStringToBytes(absl::string_view(hex.data(), hex.size()));
}

std::string RecordKey(std::string_view raw_id, uint64_t version) {
  std::string key(raw_id);
  AppendU64(key, version);
  return key;
}

std::string SectionKey(std::string_view raw_id, uint64_t version, v1::Section section) {
  std::string key = RecordKey(raw_id, version);
  key.push_back(static_cast<char>(section));
  return key;
}

std::string WrapPrefix(std::string_view raw_id, uint64_t version, v1::Section section,
                       policy::v1::Role role) {
  std::string key = SectionKey(raw_id, version, section);
  key.push_back(static_cast<char>(role));
  return key;
}

std::string WrapKey(std::string_view raw_id, uint64_t version, v1::Section section,
                    policy::v1::Role role, uint32_t role_key_version) {
  std::string key = WrapPrefix(raw_id, version, section, role);
  AppendU32(key, role_key_version);
  return key;
}

uint32_t WrapKeyVersion(std::string_view wrap_key) {
  uint32_t v = 0;
  for (size_t i = wrap_key.size() - 4; i < wrap_key.size(); ++i) {
    v = (v << 8) | static_cast<uint8_t>(wrap_key[i]);
  }
  return v;
}

std::string SubmissionIndexKey(const crypto::SecretBytes& index_key, std::string_view principal,
                               std::string_view submission_id) {
  std::string message = DomainTag("confidant/v1/submission");
  AppendLengthPrefixed(message, principal);
  AppendLengthPrefixed(message, submission_id);
  return crypto::KeyedHash(index_key, message);
}

std::string LikelyDuplicateKey(const crypto::SecretBytes& index_key, std::string_view pseudonym,
                               std::string_view facility_id, std::string_view visit_date) {
  std::string derived = crypto::KeyedHash(index_key, "confidant/v1/likely-duplicate-key");
  const crypto::SecretBytes key = crypto::SecretBytes::CopyFrom(derived);
  crypto::WipeString(derived);
  std::string message = DomainTag("confidant/v1/likely-duplicate");
  AppendLengthPrefixed(message, pseudonym);
  AppendLengthPrefixed(message, facility_id);
  AppendLengthPrefixed(message, visit_date);
  std::string storage_key(kLikelyDuplicatePrefix);
  storage_key.append(crypto::KeyedHash(key, message));
  crypto::WipeString(message);
  return storage_key;
}

std::string OwnLikelyDuplicateKey(const crypto::SecretBytes& index_key,
                                  std::string_view duplicate_key, std::string_view person_id) {
  std::string derived = crypto::KeyedHash(index_key, "confidant/v1/likely-duplicate-key");
  const crypto::SecretBytes key = crypto::SecretBytes::CopyFrom(derived);
  crypto::WipeString(derived);
  std::string message = DomainTag("confidant/v1/likely-duplicate-own");
  AppendLengthPrefixed(message, duplicate_key);
  AppendLengthPrefixed(message, person_id);
  std::string storage_key(kLikelyDuplicatePrefix);
  storage_key.append(crypto::KeyedHash(key, message));
  return storage_key;
}

std::string LikelyDuplicateAssociatedData(std::string_view storage_key) {
  std::string ad = DomainTag("confidant/v1/likely-duplicate");
  AppendLengthPrefixed(ad, storage_key);
  return ad;
}

std::string MetadataAssociatedData(std::string_view record_id_hex, uint64_t version) {
  std::string ad = DomainTag("confidant/v1/record-meta");
  AppendLengthPrefixed(ad, record_id_hex);
  AppendU64(ad, version);
  return ad;
}

std::string SubmissionAssociatedData(std::string_view index_key) {
  std::string ad = DomainTag("confidant/v1/submission");
  AppendLengthPrefixed(ad, index_key);
  return ad;
}

std::string SectionPlaintext(const v1::InterviewRecord& record, v1::Section section) {
  switch (section) {
    case v1::IDENTITY:
      return record.identity().SerializeAsString();
    case v1::INTERVIEW:
      return record.interview().SerializeAsString();
    case v1::HEALTH:
      return record.health().SerializeAsString();
    case v1::LEGAL:
      return record.legal().SerializeAsString();
    default:
      return "";
  }
}

absl::Status ReleaseSection(v1::Section section, std::string_view plaintext,
                            v1::GetRecordResponse& response) {
  bool ok = false;
  const int size = static_cast<int>(plaintext.size());
  switch (section) {
    case v1::IDENTITY:
      ok = response.mutable_identity()->ParseFromArray(plaintext.data(), size);
      break;
    case v1::INTERVIEW:
      ok = response.mutable_interview()->ParseFromArray(plaintext.data(), size);
      break;
    case v1::HEALTH:
      ok = response.mutable_health()->ParseFromArray(plaintext.data(), size);
      break;
    case v1::LEGAL:
      ok = response.mutable_legal()->ParseFromArray(plaintext.data(), size);
      break;
    default:
      break;
  }
  if (!ok) return absl::DataLossError("decryption failed");
  // A section stored before unknown fields were refused (proto/unknown_fields.h) may carry
  // some; they are never served. Recursive over the whole response, which holds only sections
  // the caller may read.
  response.DiscardUnknownFields();
  response.add_sections_released(section);
  return absl::OkStatus();
}

}  // namespace confidant::server
