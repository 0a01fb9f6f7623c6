// RecordVault::Get and RecordVault::List: releasing sections and listing metadata.
#include <algorithm>
#include <map>
#include <optional>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "base/status_macros.h"
#include "crypto/aead.h"
#include "crypto/key_hierarchy.h"
#include "crypto/padding.h"
#include "policy/policy.h"
#include "proto/record_validation.h"
#include "server/record_consent.h"
#include "server/record_layout.h"
#include "server/record_versions.h"
#include "server/record_vault.h"

namespace confidant::server {
namespace {

absl::Status Corrupt() { return absl::DataLossError("decryption failed"); }

// The newest wrap of (section, role) whose role key version the vault still holds, with that
// key (held for the call even if a rewrap destroys the version meanwhile).
struct FoundWrap {
  uint32_t version = 0;
  std::string wrapped;
  VaultKeys::KeyPtr kek;
};
absl::StatusOr<std::optional<FoundWrap>> FindWrap(const store::KvStore& store,
                                                  const VaultKeys& keys, std::string_view raw_id,
                                                  uint64_t version, v1::Section section,
                                                  policy::v1::Role role) {
  std::optional<FoundWrap> found;
  RETURN_IF_ERROR(store.Scan(store::Space::kWraps, WrapPrefix(raw_id, version, section, role),
                             [&](std::string_view key, std::string_view value) {
                               const uint32_t kv = WrapKeyVersion(key);
                               if (VaultKeys::KeyPtr kek = keys.RoleKekVersion(role, kv)) {
                                 found = FoundWrap{kv, std::string(value), std::move(kek)};
                               }
                               return true;
                             }));
  return found;
}

absl::StatusOr<bool> OpenSection(const store::KvStore& store, const VaultKeys& keys,
                                 std::string_view raw_id, std::string_view id_hex,
                                 const storage::v1::StoredRecord& header,
                                 const policy::SectionGrant& grant,
                                 v1::GetRecordResponse& response) {
  const auto section = static_cast<v1::Section>(grant.section);
  auto stored = std::find_if(header.sections().begin(), header.sections().end(),
                             [&](const auto& s) { return s.section() == uint32_t(section); });
  if (stored == header.sections().end()) return Corrupt();
  ASSIGN_OR_RETURN(auto wrap, FindWrap(store, keys, raw_id, header.version(), section, grant.role));
  if (!wrap.has_value()) return false;  // the second lock: no wrap for this role
  const std::string section_name = policy::SectionName(grant.section);
  const std::string role_name = policy::RoleName(grant.role);
  const crypto::SectionContext context{id_hex, header.version(), section_name,
                                       stored->data_key_id()};
  const crypto::WrapContext wrap_context{id_hex, section_name, role_name, wrap->version,
                                         stored->data_key_id()};
  absl::StatusOr<crypto::SecretBytes> data_key = crypto::UnwrapDataKey(
      *wrap->kek, wrap_context, wrap->wrapped, context, stored->commitment());
  if (!data_key.ok()) return Corrupt();
  ASSIGN_OR_RETURN(auto ciphertext,
                   store.Get(store::Space::kSections, SectionKey(raw_id, header.version(), section)));
  if (!ciphertext.has_value()) return Corrupt();
  absl::StatusOr<std::string> plaintext = crypto::DecryptSection(*data_key, context, *ciphertext);
  if (!plaintext.ok()) return Corrupt();
  absl::Status released = ReleaseSection(section, *plaintext, response);
  crypto::WipeString(*plaintext);
  RETURN_IF_ERROR(released);
  return true;
}

policy::RecordFacts FactsOf(std::string_view record_id, const LoadedRecord& loaded) {
  const storage::v1::RecordMetadata& m = loaded.metadata;
  policy::RecordFacts facts;
  facts.record_id = std::string(record_id);
  facts.region = static_cast<policy::v1::Region>(m.visit().region());
  facts.facility_id = m.visit().facility_id();
  facts.submitter_person_id = m.submitter_person_id();
  facts.submitted_unix_seconds = m.submitted_unix_seconds();
  return facts;  // consent: see CurrentConsent
}

// The record's consent now: every version and every consent change replayed (ReplayConsent).
absl::StatusOr<std::map<v1::Purpose, ConsentState>> CurrentConsent(const store::KvStore& store,
                                                                   const VaultKeys& keys,
                                                                   std::string_view raw_id,
                                                                   std::string_view id_hex) {
  ASSIGN_OR_RETURN(std::vector<LoadedRecord> versions, LoadAllVersions(store, keys, raw_id, id_hex));
  std::vector<const storage::v1::RecordMetadata*> metadata;
  for (const LoadedRecord& v : versions) metadata.push_back(&v.metadata);
  ASSIGN_OR_RETURN(auto changes, LoadConsentChanges(store, keys.metadata_key(), id_hex));
  return ReplayConsent(metadata, changes);
}

}  // namespace

absl::StatusOr<std::optional<policy::RecordFacts>> RecordVault::Facts(std::string_view record_id) {
  RETURN_IF_ERROR(ValidateRecordId(record_id));
  ASSIGN_OR_RETURN(auto loaded, LoadNewest(store_, keys_, RecordIdFromHex(record_id), record_id));
  if (!loaded.has_value()) return std::nullopt;
  policy::RecordFacts facts = FactsOf(record_id, *loaded);
  ASSIGN_OR_RETURN(auto consent,
                   CurrentConsent(store_, keys_, RecordIdFromHex(record_id), record_id));
  for (const auto& [purpose, state] : consent) {
    facts.consent[static_cast<policy::v1::Purpose>(purpose)] = state.consent;
  }
  return facts;
}

absl::StatusOr<v1::GetRecordResponse> RecordVault::Get(std::string_view record_id,
                                                       const policy::Decision& decision,
                                                       uint64_t version) {
  RETURN_IF_ERROR(ValidateRecordId(record_id));
  const std::string raw_id = RecordIdFromHex(record_id);
  absl::MutexLock lock(&RecordLock(raw_id));  // never half-way through a shred
  std::optional<LoadedRecord> loaded;
  if (version == 0) {
    ASSIGN_OR_RETURN(loaded, LoadNewest(store_, keys_, raw_id, record_id));
  } else {
    ASSIGN_OR_RETURN(loaded, LoadVersion(store_, keys_, raw_id, record_id, version));
    if (!loaded.has_value()) return absl::NotFoundError("this record has no such version");
  }
  if (!loaded.has_value()) return absl::NotFoundError("no such record");
  v1::GetRecordResponse response;
  response.set_record_id(std::string(record_id));
  response.set_record_version(loaded->header.version());
  for (const policy::SectionGrant& grant : decision.sections) {
    RETURN_IF_ERROR(
        OpenSection(store_, keys_, raw_id, record_id, loaded->header, grant, response).status());
  }
  if (response.sections_released_size() == 0) {
    return absl::PermissionDeniedError("no section of this record is keyed for your role");
  }
  *response.mutable_visit() = loaded->metadata.visit();
  response.mutable_visit()->DiscardUnknownFields();  // as in List
  // The record's consent now, whichever version is read.
  ASSIGN_OR_RETURN(auto consent, CurrentConsent(store_, keys_, raw_id, record_id));
  ToConsents(consent, *response.mutable_consents());
  if (response.has_interview()) *response.mutable_indicators() = loaded->metadata.indicators();
  return response;
}

absl::StatusOr<v1::ListRecordsResponse> RecordVault::List(const v1::ListRecordsRequest& request,
                                                          const Visible& visible) {
  if (!request.facility_id().empty() && request.facility_id().size() > 64) {
    return absl::InvalidArgumentError("facility_id: longer than 64 bytes");
  }
  if (!request.since().empty() && !IsValidDate(request.since())) {
    return absl::InvalidArgumentError(absl::StrCat("since: ", DateProblem(request.since())));
  }
  if (request.page_size() > 1000) return absl::InvalidArgumentError("page_size: at most 1000");
  if (!request.page_token().empty() && !ValidateRecordId(request.page_token()).ok()) {
    return absl::InvalidArgumentError("page_token: not a token this server issued");
  }
  const size_t page_size = request.page_size() == 0 ? 100 : request.page_size();
  const std::string after = RecordIdFromHex(request.page_token());

  // Keys sort by id then version, so the last entry seen for an id is its newest version.
  std::vector<std::pair<std::string, std::string>> newest;
  RETURN_IF_ERROR(store_.Scan(store::Space::kRecords, "", [&](std::string_view key,
                                                              std::string_view value) {
    const std::string_view raw_id = key.substr(0, kRecordIdBytes);
    if (!after.empty() && raw_id <= after) return true;
    if (!newest.empty() && newest.back().first == raw_id) {
      newest.back().second = std::string(value);
    } else {
      newest.emplace_back(std::string(raw_id), std::string(value));
    }
    return true;
  }));
  v1::ListRecordsResponse response;
  size_t page_bytes = 0;
  for (const auto& [raw_id, value] : newest) {
    const std::string id_hex = RecordIdToHex(raw_id);
    ASSIGN_OR_RETURN(LoadedRecord loaded, OpenHeader(keys_, id_hex, value));
    const v1::VisitMetadata& visit = loaded.metadata.visit();
    if (!visible(FactsOf(id_hex, loaded))) continue;  // outside the caller's scope
    if (!request.facility_id().empty() && visit.facility_id() != request.facility_id()) continue;
    if (!request.since().empty() && visit.visit_date() < request.since()) continue;
    if (static_cast<size_t>(response.records_size()) == page_size) {
      response.set_next_page_token(response.records().rbegin()->record_id());
      break;
    }
    v1::RecordSummary* summary = response.add_records();
    summary->set_record_id(id_hex);
    summary->set_record_version(loaded.header.version());
    *summary->mutable_visit() = visit;
    // Records stored before unknown fields were refused may carry some: never serve them.
    summary->mutable_visit()->DiscardUnknownFields();
    summary->set_submitted_unix_seconds(loaded.metadata.submitted_unix_seconds());
    // The earlier record, only while it exists (not shredded) and the caller may see it.
    if (const std::string& earlier = loaded.metadata.likely_duplicate_of();
        !earlier.empty() && ValidateRecordId(earlier).ok()) {
      ASSIGN_OR_RETURN(std::optional<LoadedRecord> other,
                       LoadNewest(store_, keys_, RecordIdFromHex(earlier), earlier));
      if (other.has_value() && visible(FactsOf(earlier, *other))) {
        summary->set_likely_duplicate_of(earlier);
      }
    }
    // Pages are bounded by bytes too, so a response never nears the message limit whatever
    // the page size (each summary is bounded by the record's validation rules).
    const size_t summary_bytes = summary->ByteSizeLong() + 8;  // with its tag and length
    if (page_bytes + summary_bytes > kMaxListPageBytes && response.records_size() > 1) {
      response.mutable_records()->RemoveLast();
      response.set_next_page_token(response.records().rbegin()->record_id());
      break;
    }
    page_bytes += summary_bytes;
  }
  return response;
}

absl::StatusOr<v1::ListRecordVersionsResponse> RecordVault::Versions(
    std::string_view record_id) {
  RETURN_IF_ERROR(ValidateRecordId(record_id));
  ASSIGN_OR_RETURN(std::vector<LoadedRecord> versions,
                   LoadAllVersions(store_, keys_, RecordIdFromHex(record_id), record_id));
  if (versions.empty()) return absl::NotFoundError("no such record");
  v1::ListRecordVersionsResponse response;
  response.set_record_id(std::string(record_id));
  for (const LoadedRecord& loaded : versions) {
    v1::RecordVersionSummary* summary = response.add_versions();
    summary->set_version(loaded.header.version());
    const storage::v1::RecordMetadata& m = loaded.metadata;
    // Records stored before amendments existed carry only the submission's fields.
    summary->set_created_unix_seconds(m.version_created_unix_seconds() != 0
                                          ? m.version_created_unix_seconds()
                                          : m.submitted_unix_seconds());
    summary->set_author_person_id(m.version_author_person_id().empty()
                                      ? m.submitter_person_id()
                                      : m.version_author_person_id());
  }
  return response;
}

}  // namespace confidant::server
