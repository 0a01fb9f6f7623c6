#include "server/record_wraps.h"

#include <algorithm>
#include <map>
#include <optional>
#include <set>
#include <vector>

#include "base/status_macros.h"
#include "crypto/key_hierarchy.h"
#include "policy/policy.h"
#include "server/record_layout.h"
#include "server/record_versions.h"

namespace confidant::server {
namespace {

using policy::v1::Role;

constexpr size_t kRecordKeyBytes = kRecordIdBytes + 8;         // id || u64(version)
constexpr size_t kWrapKeyBytes = kRecordKeyBytes + 1 + 1 + 4;  // || section || role || u32

struct StoredWrap {
  std::string key, value;
  Role role;
  uint32_t version;
};

// One section of one record version: where its wraps are and how its data key is bound.
struct SectionWraps {
  std::string raw_id, id_hex;
  uint64_t record_version;
  v1::Section section;
  const storage::v1::StoredSection* stored;
  std::vector<StoredWrap> wraps;
  std::string section_name;
};

// Views into `s` and `role_name`, which must outlive it.
crypto::WrapContext WrapContextOf(const SectionWraps& s, const std::string& role_name,
                                  uint32_t version) {
  return {s.id_hex, s.section_name, role_name, version, s.stored->data_key_id()};
}

// The section's data key, through any wrap whose role key version the vault holds and which
// opens (a damaged wrap does not hide the others).
absl::StatusOr<crypto::SecretBytes> OpenDataKey(const VaultKeys& keys, const SectionWraps& s) {
  const crypto::SectionContext context{s.id_hex, s.record_version, s.section_name,
                                       s.stored->data_key_id()};
  for (const StoredWrap& wrap : s.wraps) {
    const VaultKeys::KeyPtr kek = keys.RoleKekVersion(wrap.role, wrap.version);
    if (kek == nullptr) continue;
    const std::string role_name = policy::RoleName(wrap.role);
    absl::StatusOr<crypto::SecretBytes> opened =
        crypto::UnwrapDataKey(*kek, WrapContextOf(s, role_name, wrap.version), wrap.value,
                              context, s.stored->commitment());
    if (opened.ok()) return opened;
  }
  return absl::DataLossError("decryption failed");
}

// The roles that should hold a wrap of the section: those the policy grants it that hold a role
// key; without a policy, or if it grants the section to none, the roles that hold one now.
std::set<Role> TargetRoles(const VaultKeys& keys, const policy::Authorizer* authorizer,
                           const SectionWraps& s) {
  std::set<Role> target;
  if (authorizer != nullptr) {
    for (Role role : authorizer->RolesThatRead(static_cast<policy::v1::Section>(s.section))) {
      if (keys.CurrentRoleKek(role).key != nullptr) target.insert(role);
    }
  }
  if (target.empty()) {
    for (const StoredWrap& wrap : s.wraps) target.insert(wrap.role);
  }
  return target;
}

absl::Status PlanSection(const VaultKeys& keys, const policy::Authorizer* authorizer,
                         const SectionWraps& s, RecordWrapPlan& plan) {
  const std::set<Role> target = TargetRoles(keys, authorizer, s);
  std::set<std::string> keep;
  std::optional<crypto::SecretBytes> data_key;
  bool changed = false;
  for (Role role : target) {
    const VaultKeys::RoleKek current = keys.CurrentRoleKek(role);
    if (current.key == nullptr) {  // a role without keys: its wraps stay as they are
      for (const StoredWrap& w : s.wraps) {
        if (w.role == role) keep.insert(w.key);
      }
      continue;
    }
    const std::string key = WrapKey(s.raw_id, s.record_version, s.section, role, current.version);
    keep.insert(key);
    const bool held = std::any_of(s.wraps.begin(), s.wraps.end(),
                                  [&](const StoredWrap& w) { return w.role == role; });
    if (std::any_of(s.wraps.begin(), s.wraps.end(),
                    [&](const StoredWrap& w) { return w.key == key; })) {
      continue;
    }
    if (!data_key.has_value()) {
      ASSIGN_OR_RETURN(crypto::SecretBytes opened, OpenDataKey(keys, s));
      data_key.emplace(std::move(opened));
    }
    const std::string role_name = policy::RoleName(role);
    ASSIGN_OR_RETURN(std::string wrapped,
                     crypto::WrapDataKey(*current.key, WrapContextOf(s, role_name, current.version),
                                         *data_key));
    plan.batch.Put(store::Space::kWraps, key, std::move(wrapped));
    ++(held ? plan.moved : plan.added);
    changed = true;
  }
  for (const StoredWrap& wrap : s.wraps) {
    if (keep.count(wrap.key) > 0) continue;
    plan.batch.Delete(store::Space::kWraps, wrap.key);
    if (target.count(wrap.role) == 0) ++plan.removed;
    changed = true;
  }
  if (changed) {
    for (const StoredWrap& wrap : s.wraps) {
      plan.batch.Expect(store::Space::kWraps, wrap.key, wrap.value);
    }
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<RecordWrapPlan> PlanRecordWraps(const store::KvStore& store, const VaultKeys& keys,
                                               const policy::Authorizer* authorizer,
                                               const std::string& record_key,
                                               const std::string& header_value) {
  const std::string raw_id = record_key.substr(0, kRecordIdBytes);
  const std::string id_hex = RecordIdToHex(raw_id);
  ASSIGN_OR_RETURN(LoadedRecord loaded, OpenHeader(keys, id_hex, header_value));
  std::map<uint32_t, std::vector<StoredWrap>> by_section;
  RETURN_IF_ERROR(store.Scan(store::Space::kWraps, record_key,
                             [&](std::string_view key, std::string_view value) {
                               if (key.size() != kWrapKeyBytes) return true;
                               by_section[static_cast<uint8_t>(key[kRecordKeyBytes])].push_back(
                                   {std::string(key), std::string(value),
                                    static_cast<Role>(static_cast<uint8_t>(key[kRecordKeyBytes + 1])),
                                    WrapKeyVersion(key)});
                               return true;
                             }));
  RecordWrapPlan plan;
  for (const storage::v1::StoredSection& stored : loaded.header.sections()) {
    auto found = by_section.find(stored.section());
    if (found == by_section.end()) continue;  // no wrap left: nothing can open it (shredded)
    const auto section_enum = static_cast<v1::Section>(stored.section());
    SectionWraps section{raw_id, id_hex, loaded.header.version(), section_enum, &stored,
                         std::move(found->second),
                         policy::SectionName(static_cast<policy::v1::Section>(section_enum))};
    RETURN_IF_ERROR(PlanSection(keys, authorizer, section, plan));
  }
  return plan;
}

}  // namespace confidant::server
