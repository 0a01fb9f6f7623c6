#include "server/record_versions.h"

#include <string>
#include <utility>

#include "base/status_macros.h"
#include "crypto/aead.h"
#include "crypto/padding.h"
#include "server/record_layout.h"

namespace confidant::server {

absl::StatusOr<LoadedRecord> OpenHeader(const VaultKeys& keys, std::string_view id_hex,
                                        std::string_view value) {
  const absl::Status corrupt = absl::DataLossError("decryption failed");
  LoadedRecord loaded;
  if (!loaded.header.ParseFromArray(value.data(), static_cast<int>(value.size()))) return corrupt;
  absl::StatusOr<std::string> padded =
      crypto::AeadOpen(keys.metadata_key(), loaded.header.metadata_ciphertext(),
                       MetadataAssociatedData(id_hex, loaded.header.version()));
  absl::StatusOr<std::string> metadata =
      padded.ok() ? crypto::Unpad(*padded) : absl::StatusOr<std::string>(padded.status());
  const bool parsed = metadata.ok() && loaded.metadata.ParseFromString(*metadata);
  if (padded.ok()) crypto::WipeString(*padded);
  if (metadata.ok()) crypto::WipeString(*metadata);
  if (!parsed) return corrupt;
  return loaded;
}

absl::StatusOr<std::vector<LoadedRecord>> LoadAllVersions(const store::KvStore& store,
                                                          const VaultKeys& keys,
                                                          std::string_view raw_id,
                                                          std::string_view id_hex) {
  std::vector<std::string> values;
  RETURN_IF_ERROR(store.Scan(store::Space::kRecords, raw_id,
                             [&](std::string_view, std::string_view value) {
                               values.emplace_back(value);
                               return true;
                             }));
  std::vector<LoadedRecord> versions;
  for (const std::string& value : values) {
    ASSIGN_OR_RETURN(LoadedRecord loaded, OpenHeader(keys, id_hex, value));
    versions.push_back(std::move(loaded));
  }
  return versions;
}

absl::StatusOr<std::optional<LoadedRecord>> LoadNewest(const store::KvStore& store,
                                                       const VaultKeys& keys,
                                                       std::string_view raw_id,
                                                       std::string_view id_hex) {
  // Keys sort by id then big-endian version: the last one under the id is the newest.
  std::optional<std::string> newest;
  RETURN_IF_ERROR(store.Scan(store::Space::kRecords, raw_id,
                             [&](std::string_view, std::string_view value) {
                               newest = std::string(value);
                               return true;
                             }));
  if (!newest.has_value()) return std::nullopt;
  ASSIGN_OR_RETURN(LoadedRecord loaded, OpenHeader(keys, id_hex, *newest));
  return loaded;
}

absl::StatusOr<std::optional<LoadedRecord>> LoadVersion(const store::KvStore& store,
                                                        const VaultKeys& keys,
                                                        std::string_view raw_id,
                                                        std::string_view id_hex, uint64_t version) {
  ASSIGN_OR_RETURN(std::optional<std::string> value,
                   store.Get(store::Space::kRecords, RecordKey(raw_id, version)));
  if (!value.has_value()) return std::nullopt;
  ASSIGN_OR_RETURN(LoadedRecord loaded, OpenHeader(keys, id_hex, *value));
  if (loaded.header.version() != version) return absl::DataLossError("decryption failed");
  return std::optional<LoadedRecord>(std::move(loaded));
}

}  // namespace confidant::server
