// RecordVault::Submit: opening a sealed submission and storing it encrypted per section.
#include "server/record_vault.h"

#include <optional>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "base/status_macros.h"
#include "confidant/v1/intake.pb.h"
#include "crypto/aead.h"
#include "crypto/asymmetric.h"
#include "crypto/key_hierarchy.h"
#include "crypto/padding.h"
#include "crypto/random.h"
#include "policy/facility_registry.h"
#include "policy/policy.h"
#include "proto/record_validation.h"
#include "proto/unknown_fields.h"
#include "server/facts.h"
#include "server/record_layout.h"
#include "server/clock.h"
#include "server/record_versions.h"

namespace confidant::server {
namespace {

using crypto::SecretBytes;

std::string Utc(int64_t unix_seconds) {
  return absl::FormatTime("%Y-%m-%dT%H:%M:%SZ", absl::FromUnixSeconds(unix_seconds),
                          absl::UTCTimeZone());
}

// The envelope's creation time must lie in [intake key created - slack, now + slack]: an
// envelope cannot predate the key it is sealed to, and the slack absorbs a field laptop's wrong
// time zone. Envelopes queued offline for days pass, since the key itself is accepted only while
// current or within kIntakeGraceSeconds of its retirement. The message names the window, never
// the value.
absl::Status CheckCreationTime(int64_t created, const IntakeKeyVersion& intake, int64_t now) {
  const int64_t earliest = intake.created_unix_seconds - kEnvelopeClockSlackSeconds;
  const int64_t latest = now + kEnvelopeClockSlackSeconds;
  if (created >= earliest && created <= latest) return absl::OkStatus();
  return absl::InvalidArgumentError(absl::StrCat(
      "sealed_envelope: payload created_unix_seconds is outside the accepted window (",
      Utc(earliest), " to ", Utc(latest),
      ": from 24 h before intake key version ", intake.version,
      " was created to 24 h after the vault's clock); check this device's clock and seal the "
      "record again"));
}

// Opens and checks a sealed envelope. `amends_record_id` is empty for a submission and the
// amended record's id for an amendment; the payload must say the same.
absl::StatusOr<v1::IntakePayload> OpenEnvelope(const VaultKeys& keys, std::string_view principal,
                                               const v1::SubmitRecordRequest& request,
                                               std::string_view amends_record_id, int64_t now) {
  RETURN_IF_ERROR(ValidateSubmissionId(request.submission_id()));
  if (request.sealed_envelope().size() > kMaxSealedEnvelopeBytes) {
    return absl::InvalidArgumentError("sealed_envelope: too large");
  }
  const std::shared_ptr<const IntakeKeyVersion> intake = keys.intake(request.intake_key_version());
  if (intake == nullptr || !IntakeKeyAccepted(*intake, keys.current_intake()->version, now)) {
    return absl::InvalidArgumentError(
        "intake_key_version: unknown or expired intake key; fetch the current intake key");
  }
  absl::StatusOr<std::string> plaintext =
      crypto::OpenSealedBox(intake->key_pair, request.sealed_envelope());
  if (!plaintext.ok()) {
    return absl::InvalidArgumentError(
        "sealed_envelope: does not open with the intake key (not sealed, or sealed to another "
        "key)");
  }
  v1::IntakePayload payload;
  const bool parsed = payload.ParseFromString(*plaintext);
  crypto::WipeString(*plaintext);
  if (!parsed || payload.format_version() != 1) {
    return absl::InvalidArgumentError("sealed_envelope: payload is not an intake payload v1");
  }
  // Unknown fields would be stored and served past every length limit and section grant.
  RETURN_IF_ERROR(RejectUnknownFields(payload, "sealed_envelope"));
  if (payload.submitter() != principal) {
    return absl::PermissionDeniedError("sealed_envelope: sealed by another principal");
  }
  if (payload.submission_id() != request.submission_id() ||
      payload.intake_key_version() != request.intake_key_version()) {
    return absl::InvalidArgumentError(
        "sealed_envelope: submission id or key version differs from the request");
  }
  if (payload.amends_record_id() != amends_record_id) {
    return absl::InvalidArgumentError(
        amends_record_id.empty()
            ? "sealed_envelope: sealed as an amendment; send it with AmendRecord"
            : "sealed_envelope: not sealed as an amendment of this record");
  }
  RETURN_IF_ERROR(CheckCreationTime(payload.created_unix_seconds(), *intake, now));
  RETURN_IF_ERROR(ValidateRecord(payload.record()));
  RETURN_IF_ERROR(CheckVisitDateNotInFuture(payload.record(), now));
  return payload;
}

// Encrypts one section and wraps its data key for every role that reads it.
absl::Status AddSection(const VaultKeys& keys, const policy::Authorizer& authorizer,
                        const v1::InterviewRecord& record, std::string_view raw_id,
                        std::string_view id_hex, v1::Section section,
                        storage::v1::StoredRecord& header, store::Mutation& batch) {
  const std::string data_key_id = crypto::RandomHexId(16);
  const std::string section_name = policy::SectionName(static_cast<policy::v1::Section>(section));
  const crypto::SectionContext context{id_hex, header.version(), section_name, data_key_id};
  SecretBytes data_key = SecretBytes::Random(crypto::kDataKeySize);
  std::string plaintext = SectionPlaintext(record, section);
  absl::StatusOr<std::string> ciphertext = crypto::EncryptSection(data_key, context, plaintext);
  crypto::WipeString(plaintext);
  if (!ciphertext.ok()) return ciphertext.status();
  batch.Put(store::Space::kSections, SectionKey(raw_id, header.version(), section),
            *std::move(ciphertext));
  storage::v1::StoredSection* stored = header.add_sections();
  stored->set_section(section);
  stored->set_data_key_id(data_key_id);
  stored->set_commitment(crypto::CommitToDataKey(data_key, context));
  int wraps = 0;
  for (policy::v1::Role role :
       authorizer.RolesThatRead(static_cast<policy::v1::Section>(section))) {
    const VaultKeys::RoleKek kek = keys.CurrentRoleKek(role);
    if (kek.key == nullptr) continue;
    ++wraps;
    const std::string role_name = policy::RoleName(role);
    ASSIGN_OR_RETURN(std::string wrapped,
                     crypto::WrapDataKey(*kek.key,
                                         {id_hex, section_name, role_name, kek.version, data_key_id},
                                         data_key));
    batch.Put(store::Space::kWraps, WrapKey(raw_id, header.version(), section, role, kek.version),
              std::move(wrapped));
  }
  // Never store a section nobody can open (custodians recover role keys, not data keys): the
  // policy loader's coverage rule (policy/policy_loader.cc CheckEverySectionRead) makes this
  // unreachable; if it is reached, the whole submission is refused and nothing is written.
  if (wraps == 0) {
    return absl::FailedPreconditionError(absl::StrCat(
        "no role key of the policy in force can open the ", section_name,
        " section; nothing was stored. An operator must fix the policy's section grants"));
  }
  return absl::OkStatus();
}

// The likely-duplicate index key of `record`, or "" when its identity gives no pseudonym (such
// records are never flagged).
std::string LikelyDuplicateKeyOf(const VaultKeys& keys, const v1::InterviewRecord& record) {
  const FactKeys fact_keys = FactKeys::Derive(keys.index_key());
  std::string pseudonym = Pseudonym(fact_keys.pseudonym_key, record.identity());
  if (pseudonym.empty()) return "";
  std::string key = LikelyDuplicateKey(keys.index_key(), pseudonym, record.visit().facility_id(),
                                       record.visit().visit_date());
  crypto::WipeString(pseudonym);
  return key;
}

}  // namespace

bool IntakeKeyAccepted(const IntakeKeyVersion& key, uint32_t current_version, int64_t now) {
  if (key.version == current_version) return true;
  return key.retired_unix_seconds > 0 && now < key.retired_unix_seconds + kIntakeGraceSeconds;
}

absl::Status RecordVault::WithWrapWritesPaused(const std::function<absl::Status()>& fn) {
  absl::MutexLock gate(&wrap_gate_);
  return fn();
}

absl::Mutex& RecordVault::SubmissionLock(std::string_view index_key) {
  return submission_locks_[static_cast<uint8_t>(index_key[0]) % submission_locks_.size()];
}

absl::Mutex& RecordVault::RecordLock(std::string_view raw_id) {
  return record_locks_[static_cast<uint8_t>(raw_id[0]) % record_locks_.size()];
}

absl::StatusOr<std::optional<RecordVault::Retry>> RecordVault::FindDuplicate(
    std::string_view index_key, std::string_view envelope_hash,
    std::string_view amends_record_id) {
  ASSIGN_OR_RETURN(auto existing, store_.Get(store::Space::kIndex, index_key));
  if (!existing.has_value()) return std::nullopt;
  ASSIGN_OR_RETURN(std::string opened, crypto::AeadOpen(keys_.metadata_key(), *existing,
                                                        SubmissionAssociatedData(index_key)));
  storage::v1::SubmissionEntry entry;
  if (!entry.ParseFromString(opened)) return absl::DataLossError("decryption failed");
  // The envelope hash binds amends_record_id (it is inside the envelope); the record check is
  // for an amendment whose submission id was first used by a submission with equal bytes, which
  // the payload check makes impossible, so this is defence in depth.
  if (entry.envelope_hash() != envelope_hash ||
      (!amends_record_id.empty() && entry.record_id() != amends_record_id)) {
    return absl::AlreadyExistsError(
        "submission_id: already used by this principal for a different envelope");
  }
  Retry retry;
  retry.response.set_record_id(entry.record_id());
  retry.response.set_record_version(entry.version() == 0 ? 1 : entry.version());
  retry.response.set_envelope_hash(std::string(envelope_hash));
  retry.response.set_duplicate(true);
  retry.response.set_likely_duplicate(entry.likely_duplicate_shown());
  retry.likely_duplicate_of = entry.likely_duplicate_of();
  return retry;
}

absl::Mutex& RecordVault::DuplicateLock(std::string_view duplicate_key) {
  return duplicate_locks_[static_cast<uint8_t>(duplicate_key.back()) % duplicate_locks_.size()];
}

absl::StatusOr<std::optional<storage::v1::LikelyDuplicateEntry>> RecordVault::FindLikelyDuplicate(
    std::string_view duplicate_key) {
  ASSIGN_OR_RETURN(auto existing, store_.Get(store::Space::kIndex, duplicate_key));
  if (!existing.has_value()) return std::nullopt;
  absl::StatusOr<std::string> opened = crypto::AeadOpen(
      keys_.metadata_key(), *existing, LikelyDuplicateAssociatedData(duplicate_key));
  storage::v1::LikelyDuplicateEntry entry;
  if (!opened.ok() || !entry.ParseFromString(*opened) ||
      !ValidateRecordId(entry.record_id()).ok()) {
    return absl::DataLossError("decryption failed");
  }
  return entry;
}

absl::Status RecordVault::MarkLikelyDuplicate(std::string_view duplicate_key,
                                              std::string_view id_hex,
                                              std::string_view person_id,
                                              storage::v1::RecordMetadata& metadata,
                                              store::Mutation& batch) {
  const auto put_entry = [&](const std::string& key) -> absl::Status {
    storage::v1::LikelyDuplicateEntry entry;
    entry.set_record_id(std::string(id_hex));
    ASSIGN_OR_RETURN(std::string sealed,
                     crypto::AeadSeal(keys_.metadata_key(), entry.SerializeAsString(),
                                      LikelyDuplicateAssociatedData(key)));
    batch.Put(store::Space::kIndex, key, std::move(sealed));
    return absl::OkStatus();
  };
  // For staff: the first record of the triple, whoever filed it. Stored all the same: never
  // lose testimony.
  ASSIGN_OR_RETURN(std::optional<storage::v1::LikelyDuplicateEntry> earlier,
                   FindLikelyDuplicate(duplicate_key));
  if (earlier.has_value()) {
    metadata.set_likely_duplicate_of(earlier->record_id());
  } else {
    RETURN_IF_ERROR(put_entry(std::string(duplicate_key)));
    metadata.set_likely_duplicate_key(std::string(duplicate_key));  // the shredder deletes it
  }
  // For the submitter: only whether they filed one themselves, so the answer never depends on
  // what anyone else filed (no oracle of who was interviewed where and when).
  if (person_id.empty()) return absl::OkStatus();
  const std::string own_key = OwnLikelyDuplicateKey(keys_.index_key(), duplicate_key, person_id);
  ASSIGN_OR_RETURN(std::optional<storage::v1::LikelyDuplicateEntry> own,
                   FindLikelyDuplicate(own_key));
  if (own.has_value()) {
    metadata.set_likely_duplicate_shown(true);
    return absl::OkStatus();
  }
  RETURN_IF_ERROR(put_entry(own_key));
  metadata.set_own_duplicate_key(own_key);  // the shredder deletes it
  return absl::OkStatus();
}

absl::Status RecordVault::StoreVersion(const v1::InterviewRecord& record, std::string_view raw_id,
                                       uint64_t version, storage::v1::RecordMetadata& metadata,
                                       const policy::Authorizer& authorizer,
                                       std::string_view index_key, std::string_view envelope_hash,
                                       store::Mutation& batch) {
  const std::string id_hex = RecordIdToHex(raw_id);
  storage::v1::StoredRecord header;
  header.set_version(version);
  for (v1::Section section : kAllSections) {
    RETURN_IF_ERROR(AddSection(keys_, authorizer, record, raw_id, id_hex, section, header, batch));
  }
  *metadata.mutable_visit() = record.visit();
  *metadata.mutable_indicators() = record.indicators();
  *metadata.mutable_consents() = record.consents();
  // Padded like sections: its length must not tell the facility, team or consents.
  std::string metadata_bytes = metadata.SerializeAsString();
  absl::StatusOr<std::string> padded = crypto::PadToBucket(metadata_bytes);
  crypto::WipeString(metadata_bytes);
  RETURN_IF_ERROR(padded.status());
  absl::StatusOr<std::string> sealed = crypto::AeadSeal(
      keys_.metadata_key(), *padded, MetadataAssociatedData(id_hex, header.version()));
  crypto::WipeString(*padded);
  RETURN_IF_ERROR(sealed.status());
  header.set_metadata_ciphertext(*std::move(sealed));
  batch.Put(store::Space::kRecords, RecordKey(raw_id, version), header.SerializeAsString());

  storage::v1::SubmissionEntry entry;
  entry.set_record_id(id_hex);
  entry.set_envelope_hash(std::string(envelope_hash));
  entry.set_version(version);
  entry.set_likely_duplicate_of(metadata.likely_duplicate_of());
  entry.set_likely_duplicate_shown(metadata.likely_duplicate_shown());
  ASSIGN_OR_RETURN(std::string sealed_entry,
                   crypto::AeadSeal(keys_.metadata_key(), entry.SerializeAsString(),
                                    SubmissionAssociatedData(index_key)));
  batch.Put(store::Space::kIndex, std::string(index_key), std::move(sealed_entry));
  // The newest version's de-identified facts replace the previous version's.
  const policy::Catalogue& catalogue = authorizer.policy().catalogue();
  if (catalogue.enabled) {
    const FactKeys fact_keys = FactKeys::Derive(keys_.index_key());
    const std::string fact_key = FactStorageKey(raw_id);
    std::optional<storage::v1::FactRow> row =
        DeriveFactRow(record, catalogue, fact_keys.pseudonym_key);
    if (row.has_value()) {
      ASSIGN_OR_RETURN(std::string sealed_row, SealFact(fact_keys.facts_key, fact_key, *row));
      batch.Put(store::Space::kFacts, fact_key, std::move(sealed_row));
    } else {
      batch.Delete(store::Space::kFacts, fact_key);
    }
  }
  return absl::OkStatus();
}

absl::StatusOr<v1::SubmitRecordResponse> RecordVault::Submit(
    std::string_view principal, std::string_view person_id, const v1::SubmitRecordRequest& request,
    const policy::Authorizer& authorizer, const CommitFn& commit) {
  absl::ReaderMutexLock gate(&wrap_gate_);  // from choosing role key versions to the commit
  const int64_t now = clock_();
  ASSIGN_OR_RETURN(v1::IntakePayload payload, OpenEnvelope(keys_, principal, request, "", now));
  const std::string envelope_hash = crypto::Blake2b256(request.sealed_envelope());
  const std::string index_key =
      SubmissionIndexKey(keys_.index_key(), principal, request.submission_id());

  absl::MutexLock lock(&SubmissionLock(index_key));
  ASSIGN_OR_RETURN(std::optional<Retry> retry, FindDuplicate(index_key, envelope_hash, ""));
  if (retry.has_value()) {
    RETURN_IF_ERROR(commit(store::Mutation(), retry->response, retry->likely_duplicate_of));
    return std::move(retry->response);
  }

  // The facility registry (the signed policy's facility list): an unregistered facility would
  // be missing from every statistic, and one named in the wrong region counted elsewhere. A
  // policy without a list checks nothing (policy/facility_registry.h).
  // A facility dropped after the envelope was sealed stays accepted for the grace, so a record
  // sealed offline before the change is not lost (server/facility_history.h).
  // The creation time is the client's word, so such a record is flagged in its receipt and
  // audit entry for staff to check.
  const v1::VisitMetadata& visit = payload.record().visit();
  bool facility_dropped = false;
  if (absl::Status registered = policy::CheckRegisteredFacility(
          authorizer.policy().catalogue(), authorizer.policy().version(), visit.facility_id(),
          static_cast<policy::v1::Region>(visit.region()));
      !registered.ok()) {
    if (!facilities_.AcceptsDropped(visit.facility_id(), visit.region(),
                                    payload.created_unix_seconds(), now)) {
      return registered;
    }
    facility_dropped = true;
  }
  if (!authorizer.policy().DeclaresRecordClass(payload.record().record_class())) {
    return absl::InvalidArgumentError(
        "record.record_class: not a retention class the policy declares (leave it empty for the "
        "default class)");
  }
  const std::string raw_id = crypto::RandomBytes(kRecordIdBytes);
  const std::string id_hex = RecordIdToHex(raw_id);
  storage::v1::RecordMetadata metadata;
  if (payload.record().record_class() != policy::kDefaultRecordClass) {  // stored as ""
    metadata.set_record_class(payload.record().record_class());
  }
  metadata.set_submitter(std::string(principal));
  metadata.set_submitter_person_id(std::string(person_id));
  metadata.set_submitted_unix_seconds(now);
  metadata.set_intake_key_version(request.intake_key_version());
  metadata.set_version_created_unix_seconds(now);
  metadata.set_version_created_unix_micros(WallMicros());
  metadata.set_version_author_person_id(std::string(person_id));
  store::Mutation batch;
  // Held until the commit, so that of two concurrent records of one triple exactly one owns
  // the entry and the other is flagged.
  std::optional<absl::MutexLock> duplicate_lock;
  if (const std::string duplicate_key = LikelyDuplicateKeyOf(keys_, payload.record());
      !duplicate_key.empty()) {
    duplicate_lock.emplace(&DuplicateLock(duplicate_key));
    RETURN_IF_ERROR(MarkLikelyDuplicate(duplicate_key, id_hex, person_id, metadata, batch));
  }
  RETURN_IF_ERROR(StoreVersion(payload.record(), raw_id, 1, metadata, authorizer, index_key,
                               envelope_hash, batch));
  v1::SubmitRecordResponse response;
  response.set_record_id(id_hex);
  response.set_record_version(1);
  response.set_envelope_hash(envelope_hash);
  response.set_likely_duplicate(metadata.likely_duplicate_shown());
  response.set_facility_dropped(facility_dropped);
  RETURN_IF_ERROR(commit(std::move(batch), response, metadata.likely_duplicate_of()));
  return response;
}

absl::StatusOr<v1::SubmitRecordResponse> RecordVault::Amend(
    std::string_view principal, std::string_view person_id, const v1::AmendRecordRequest& request,
    const policy::Authorizer& authorizer, const CommitFn& commit) {
  RETURN_IF_ERROR(ValidateRecordId(request.record_id()));
  absl::ReaderMutexLock gate(&wrap_gate_);  // from choosing role key versions to the commit
  const int64_t now = clock_();
  ASSIGN_OR_RETURN(v1::IntakePayload payload,
                   OpenEnvelope(keys_, principal, request.submission(), request.record_id(), now));
  const std::string envelope_hash = crypto::Blake2b256(request.submission().sealed_envelope());
  const std::string index_key =
      SubmissionIndexKey(keys_.index_key(), principal, request.submission().submission_id());

  absl::MutexLock submission_lock(&SubmissionLock(index_key));
  ASSIGN_OR_RETURN(std::optional<Retry> retry,
                   FindDuplicate(index_key, envelope_hash, request.record_id()));
  if (retry.has_value()) {
    RETURN_IF_ERROR(commit(store::Mutation(), retry->response, retry->likely_duplicate_of));
    return std::move(retry->response);
  }

  const std::string raw_id = RecordIdFromHex(request.record_id());
  absl::MutexLock record_lock(&RecordLock(raw_id));
  ASSIGN_OR_RETURN(std::optional<LoadedRecord> newest,
                   LoadNewest(store_, keys_, raw_id, request.record_id()));
  if (!newest.has_value()) return absl::NotFoundError("no such record");
  const v1::VisitMetadata& before = newest->metadata.visit();
  const v1::VisitMetadata& after = payload.record().visit();
  if (after.region() != before.region() || after.facility_id() != before.facility_id()) {
    return absl::InvalidArgumentError(
        "record.visit: an amendment cannot change the region or facility (they decide who may "
        "read the record); submit a new record and ask for this one to be corrected");
  }
  if (const std::string& record_class = payload.record().record_class();
      !record_class.empty() && record_class != newest->metadata.record_class() &&
      !(record_class == policy::kDefaultRecordClass && newest->metadata.record_class().empty())) {
    return absl::InvalidArgumentError(
        "record.record_class: an amendment keeps the record's retention class; leave it empty "
        "or repeat the record's class");
  }
  storage::v1::RecordMetadata metadata = newest->metadata;  // keeps the first submission's facts
  metadata.set_intake_key_version(request.submission().intake_key_version());
  metadata.set_version_created_unix_seconds(now);
  metadata.set_version_created_unix_micros(WallMicros());
  metadata.set_version_author_person_id(std::string(person_id));
  const uint64_t version = newest->header.version() + 1;
  store::Mutation batch;
  RETURN_IF_ERROR(StoreVersion(payload.record(), raw_id, version, metadata, authorizer, index_key,
                               envelope_hash, batch));
  v1::SubmitRecordResponse response;
  response.set_record_id(request.record_id());
  response.set_record_version(version);
  response.set_envelope_hash(envelope_hash);
  // The first submission's flag (metadata is the newest version's, which carries it).
  response.set_likely_duplicate(metadata.likely_duplicate_shown());
  RETURN_IF_ERROR(commit(std::move(batch), response, metadata.likely_duplicate_of()));
  return response;
}

}  // namespace confidant::server
