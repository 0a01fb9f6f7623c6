// The wrap changes one record version needs: wraps under an older role key version moved to the
// role's newest version, wraps added for roles the policy in force grants a section they have
// no wrap of, and wraps deleted of roles it no longer grants the section. Used by the rewrap job
// (server/rewrapper.h); no locking or committing here.
#ifndef CONFIDANT_SERVER_RECORD_WRAPS_H_
#define CONFIDANT_SERVER_RECORD_WRAPS_H_

#include <cstdint>
#include <string>

#include "absl/status/statusor.h"
#include "policy/authorizer.h"
#include "server/store/kv_store.h"
#include "server/vault_keys.h"

namespace confidant::server {

struct RecordWrapPlan {
  // Puts and deletes of wraps, each conditional on every wrap of the section it changes being
  // unchanged since it was read (so a record shredded meanwhile never gets a wrap back). Empty
  // when nothing is to change.
  store::Mutation batch;
  uint64_t moved = 0;    // rewrapped under the role's newest key version
  uint64_t added = 0;    // for a role newly granted the section
  uint64_t removed = 0;  // of a role no longer granted the section
};

// Plans the changes for the record version stored under `record_key` (records space) with
// header `header_value`. With `authorizer` null, only moves to newer role key versions are
// planned. A section the policy grants to no role keeps its wraps (deleting its last wraps would
// crypto-shred it). A data key is unwrapped through any wrap whose role key version the vault
// holds, its commitment checked. DATA_LOSS "decryption failed" if nothing opens; storage errors
// as they come.
absl::StatusOr<RecordWrapPlan> PlanRecordWraps(const store::KvStore& store, const VaultKeys& keys,
                                               const policy::Authorizer* authorizer,
                                               const std::string& record_key,
                                               const std::string& header_value);

}  // namespace confidant::server

#endif  // CONFIDANT_SERVER_RECORD_WRAPS_H_
