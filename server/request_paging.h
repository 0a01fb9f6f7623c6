// Paging and limits shared by the two-person request workflows (break-glass and early erasure,
// server/break_glass_service.cc and server/erasure_service.cc). Requests are listed in id order;
// a page token is the id of the last request of the previous page.
#ifndef CONFIDANT_SERVER_REQUEST_PAGING_H_
#define CONFIDANT_SERVER_REQUEST_PAGING_H_

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"

namespace confidant::server {

struct Call;  // server/call.h

inline constexpr uint32_t kDefaultRequestPageSize = 50;
inline constexpr uint32_t kMaxRequestPageSize = 100;  // 100 summaries of <= ~700 bytes each

// Open (undecided, unexpired) requests one person may have at once, and in all. Past either, a
// new request is refused with RESOURCE_EXHAUSTED (an audited, flagged denial), so one identity
// can neither bury the approvers nor grow what every listing has to read.
inline constexpr size_t kMaxOpenBreakGlassRequestsPerPerson = 5;
inline constexpr size_t kMaxOpenBreakGlassRequests = 500;
inline constexpr size_t kMaxOpenErasureRequestsPerPerson = 10;
inline constexpr size_t kMaxOpenErasureRequests = 500;

// Open requests counted before a new one is stored: the caller's own, and all.
struct OpenRequests {
  size_t own = 0;
  size_t all = 0;
};

// The open-request limits for one workflow (`kind`: "erasure" or "break-glass"): per person,
// then for the vault. Past either, RefuseOverLimit (server/call.h): a flagged denial with rule
// "deny:quota/open_<kind>_requests_per_person" or "..._requests", and RESOURCE_EXHAUSTED saying
// how many are open and what frees a place.
absl::Status AdmitOpenRequest(Call& call, std::string_view kind, OpenRequests open,
                              size_t per_person_limit, size_t vault_limit);

struct RequestPage {
  size_t size = kDefaultRequestPageSize;
  std::string after_id;  // empty: from the first request
};

// INVALID_ARGUMENT for a page size above kMaxRequestPageSize or a token that is not a request
// id; 0 means the default size.
absl::StatusOr<RequestPage> ParseRequestPage(uint32_t page_size, std::string_view page_token);

}  // namespace confidant::server

#endif  // CONFIDANT_SERVER_REQUEST_PAGING_H_
