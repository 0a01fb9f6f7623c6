#include "server/request_paging.h"

#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "server/break_glass_store.h"
#include "server/call.h"

namespace confidant::server {

absl::Status AdmitOpenRequest(Call& call, std::string_view kind, OpenRequests open,
                              size_t per_person_limit, size_t vault_limit) {
  const std::string rule =
      absl::StrCat("open_", absl::StrReplaceAll(std::string(kind), {{"-", "_"}}), "_requests");
  if (open.own >= per_person_limit) {
    return RefuseOverLimit(
        call, absl::StrCat(rule, "_per_person"),
        absl::StrCat("you already have ", open.own, " open ", std::string(kind),
                     " requests (at most ", per_person_limit,
                     "): approvers must decide some, or they expire, before you ask again"));
  }
  if (open.all >= vault_limit) {
    return RefuseOverLimit(call, rule,
                           absl::StrCat("the vault already holds ", open.all, " open ",
                                        std::string(kind), " requests (at most ", vault_limit,
                                        "): approvers must decide some first"));
  }
  return absl::OkStatus();
}

absl::StatusOr<RequestPage> ParseRequestPage(uint32_t page_size, std::string_view page_token) {
  if (page_size > kMaxRequestPageSize) {
    return absl::InvalidArgumentError(absl::StrCat("page_size: at most ", kMaxRequestPageSize));
  }
  if (!page_token.empty() && !ValidateBreakGlassRequestId(page_token).ok()) {
    return absl::InvalidArgumentError("page_token: not a token this server issued");
  }
  RequestPage page;
  if (page_size > 0) page.size = page_size;
  page.after_id = std::string(page_token);
  return page;
}

}  // namespace confidant::server
