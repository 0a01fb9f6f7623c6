// RecordVault::Submit: opening a sealed submission and storing it encrypted per section.
#include "server/record_vault.h"

#include <utility>

#include "base/status_macros.h"
#include "confidant/v1/intake.pb.h"
#include "crypto/aead.h"
#include "crypto/asymmetric.h"
#include "crypto/key_hierarchy.h"
#include "crypto/padding.h"
#include "crypto/random.h"
#include "policy/policy.h"
#include "proto/record_validation.h"
#include "server/record_layout.h"

namespace confidant::server {
namespace {

using crypto::SecretBytes;

absl::StatusOr<v1::IntakePayload> OpenEnvelope(const VaultKeys& keys, std::string_view principal,
                                               const v1::SubmitRecordRequest& request,
                                               int64_t now) {
  RETURN_IF_ERROR(ValidateSubmissionId(request.submission_id()));
  if (request.sealed_envelope().size() > kMaxSealedEnvelopeBytes) {
    return absl::InvalidArgumentError("sealed_envelope: too large");
  }
  const IntakeKeyVersion* intake = keys.intake(request.intake_key_version());
  if (intake == nullptr ||
      !IntakeKeyAccepted(*intake, keys.current_intake().version, now)) {
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
  if (payload.submitter() != principal) {
    return absl::PermissionDeniedError("sealed_envelope: sealed by another principal");
  }
  if (payload.submission_id() != request.submission_id() ||
      payload.intake_key_version() != request.intake_key_version()) {
    return absl::InvalidArgumentError(
        "sealed_envelope: submission id or key version differs from the request");
  }
  RETURN_IF_ERROR(ValidateRecord(payload.record()));
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
  for (policy::v1::Role role :
       authorizer.RolesThatRead(static_cast<policy::v1::Section>(section))) {
    const VaultKeys::RoleKek kek = keys.CurrentRoleKek(role);
    if (kek.key == nullptr) continue;
    const std::string role_name = policy::RoleName(role);
    ASSIGN_OR_RETURN(std::string wrapped,
                     crypto::WrapDataKey(*kek.key,
                                         {id_hex, section_name, role_name, kek.version, data_key_id},
                                         data_key));
    batch.Put(store::Space::kWraps, WrapKey(raw_id, header.version(), section, role, kek.version),
              std::move(wrapped));
  }
  return absl::OkStatus();
}

}  // namespace

bool IntakeKeyAccepted(const IntakeKeyVersion& key, uint32_t current_version, int64_t now) {
  if (key.version == current_version) return true;
  return key.retired_unix_seconds > 0 && now < key.retired_unix_seconds + kIntakeGraceSeconds;
}

absl::Mutex& RecordVault::SubmissionLock(std::string_view index_key) {
  return submission_locks_[static_cast<uint8_t>(index_key[0]) % submission_locks_.size()];
}

absl::StatusOr<v1::SubmitRecordResponse> RecordVault::Submit(
    std::string_view principal, std::string_view person_id, const v1::SubmitRecordRequest& request,
    const policy::Authorizer& authorizer, const CommitFn& commit) {
  const int64_t now = clock_();
  ASSIGN_OR_RETURN(v1::IntakePayload payload, OpenEnvelope(keys_, principal, request, now));
  const std::string envelope_hash = crypto::Blake2b256(request.sealed_envelope());
  const std::string index_key =
      SubmissionIndexKey(keys_.index_key(), principal, request.submission_id());
  const std::string index_ad = SubmissionAssociatedData(index_key);

  absl::MutexLock lock(&SubmissionLock(index_key));
  ASSIGN_OR_RETURN(auto existing, store_.Get(store::Space::kIndex, index_key));
  if (existing.has_value()) {
    ASSIGN_OR_RETURN(std::string opened,
                     crypto::AeadOpen(keys_.metadata_key(), *existing, index_ad));
    storage::v1::SubmissionEntry entry;
    if (!entry.ParseFromString(opened)) return absl::DataLossError("decryption failed");
    if (entry.envelope_hash() != envelope_hash) {
      return absl::AlreadyExistsError(
          "submission_id: already used by this principal for a different envelope");
    }
    v1::SubmitRecordResponse response;
    response.set_record_id(entry.record_id());
    response.set_record_version(1);
    response.set_envelope_hash(envelope_hash);
    response.set_duplicate(true);
    RETURN_IF_ERROR(commit(store::Mutation(), response));
    return response;
  }

  const std::string raw_id = crypto::RandomBytes(kRecordIdBytes);
  const std::string id_hex = RecordIdToHex(raw_id);
  store::Mutation batch;
  storage::v1::StoredRecord header;
  header.set_version(1);
  for (v1::Section section : kAllSections) {
    RETURN_IF_ERROR(
        AddSection(keys_, authorizer, payload.record(), raw_id, id_hex, section, header, batch));
  }
  storage::v1::RecordMetadata metadata;
  *metadata.mutable_visit() = payload.record().visit();
  *metadata.mutable_indicators() = payload.record().indicators();
  *metadata.mutable_consents() = payload.record().consents();
  metadata.set_submitter(std::string(principal));
  metadata.set_submitter_person_id(std::string(person_id));
  metadata.set_submitted_unix_seconds(now);
  metadata.set_intake_key_version(request.intake_key_version());
  // Padded like sections: its length must not tell the facility, team or consents.
  std::string metadata_bytes = metadata.SerializeAsString();
  absl::StatusOr<std::string> padded = crypto::PadToBucket(metadata_bytes);
  crypto::WipeString(metadata_bytes);
  RETURN_IF_ERROR(padded.status());
  ASSIGN_OR_RETURN(*header.mutable_metadata_ciphertext(),
                   crypto::AeadSeal(keys_.metadata_key(), *padded,
                                    MetadataAssociatedData(id_hex, header.version())));
  crypto::WipeString(*padded);
  batch.Put(store::Space::kRecords, RecordKey(raw_id, header.version()), header.SerializeAsString());

  storage::v1::SubmissionEntry entry;
  entry.set_record_id(id_hex);
  entry.set_envelope_hash(envelope_hash);
  ASSIGN_OR_RETURN(std::string sealed_entry,
                   crypto::AeadSeal(keys_.metadata_key(), entry.SerializeAsString(), index_ad));
  batch.Put(store::Space::kIndex, index_key, std::move(sealed_entry));

  v1::SubmitRecordResponse response;
  response.set_record_id(id_hex);
  response.set_record_version(header.version());
  response.set_envelope_hash(envelope_hash);
  RETURN_IF_ERROR(commit(std::move(batch), response));
  return response;
}

}  // namespace confidant::server
