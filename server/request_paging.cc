#include "server/request_paging.h"

#include "absl/strings/str_cat.h"
#include "server/break_glass_store.h"

namespace confidant::server {

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
