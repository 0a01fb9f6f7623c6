#include "server/shred_register.h"

#include <set>

#include "absl/strings/str_cat.h"
#include "base/status_macros.h"

namespace confidant::server {

absl::StatusOr<std::vector<std::string>> ReadShredRegister(const audit::AuditLog& log) {
  std::vector<std::string> ids;
  std::set<std::string> seen;
  RETURN_IF_ERROR(log.ReadEntries(0, log.LatestCheckpoint().tree_size(),
                                  [&](const v1::AuditEntry& entry) {
                                    if (entry.event().action() != "record_shredded") return true;
                                    for (const std::string& id : entry.event().record_ids()) {
                                      if (seen.insert(id).second) ids.push_back(id);
                                    }
                                    return true;
                                  }));
  return ids;
}

absl::StatusOr<std::vector<std::string>> ReapplyShredRegister(
    const std::vector<std::string>& register_ids, Shredder& shredder, std::string_view source) {
  ShredOrder order;
  order.rule = kShredRegisterRule;
  order.why = absl::StrCat("shred register re-applied after a restore (from ",
                           absl::string_view(source.data(), source.size()), ")");
  order.requested_by = "restore";
  return shredder.Shred(register_ids, order);
}

}  // namespace confidant::server
