// Loading stored record versions: the header of one version, or of the newest, with its metadata
// opened (see record_vault.h for the layout). Shared by reads, listings and amendments.
#ifndef CONFIDANT_SERVER_RECORD_VERSIONS_H_
#define CONFIDANT_SERVER_RECORD_VERSIONS_H_

#include <cstdint>
#include <optional>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "server/store/kv_store.h"
#include "server/store/storage.pb.h"
#include "server/vault_keys.h"

namespace confidant::server {

struct LoadedRecord {
  storage::v1::StoredRecord header;
  storage::v1::RecordMetadata metadata;
};

// Opens one stored header (`value`) of record `id_hex`. DATA_LOSS if it does not parse or open.
absl::StatusOr<LoadedRecord> OpenHeader(const VaultKeys& keys, std::string_view id_hex,
                                        std::string_view value);

// The newest version of a record, or nullopt if there is none.
absl::StatusOr<std::optional<LoadedRecord>> LoadNewest(const store::KvStore& store,
                                                       const VaultKeys& keys,
                                                       std::string_view raw_id,
                                                       std::string_view id_hex);

// Version `version` (>= 1) of a record, or nullopt if there is no such version.
absl::StatusOr<std::optional<LoadedRecord>> LoadVersion(const store::KvStore& store,
                                                        const VaultKeys& keys,
                                                        std::string_view raw_id,
                                                        std::string_view id_hex, uint64_t version);

// Every version of a record, oldest first (empty if there is no such record).
absl::StatusOr<std::vector<LoadedRecord>> LoadAllVersions(const store::KvStore& store,
                                                          const VaultKeys& keys,
                                                          std::string_view raw_id,
                                                          std::string_view id_hex);

}  // namespace confidant::server

#endif  // CONFIDANT_SERVER_RECORD_VERSIONS_H_
