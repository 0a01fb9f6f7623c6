// RecordService::LinkPersons: a case officer's judgement that two records are the same detainee.
// Reporting counts linked records as one person (server/facts.h); the link itself is sealed in
// the facts space and goes when either record is shredded.
#include <algorithm>
#include <optional>
#include <string>

#include "absl/strings/str_cat.h"

#include "base/status_macros.h"
#include "proto/record_validation.h"
#include "server/call.h"
#include "server/clock.h"
#include "server/facts.h"
#include "server/record_layout.h"
#include "server/record_service.h"

namespace confidant::server {

using policy::Action;

namespace {

// Serialises link decisions (check K, then commit) across all records.
absl::Mutex& LinksMutex() {
  static absl::Mutex mu(absl::kConstInit);
  return mu;
}

}  // namespace

grpc::Status RecordServiceImpl::LinkPersons(grpc::ServerContext* context,
                                            const v1::LinkPersonsRequest* request,
                                            v1::LinkPersonsResponse* response) {
  return Serve(context, *request, "LinkPersons", Action::kLinkPersons, [&](Call& call) -> absl::Status {
    RETURN_IF_ERROR(Begin(state_, *context, call));
    RETURN_IF_ERROR(ValidateRecordId(request->record_id()));
    RETURN_IF_ERROR(ValidateRecordId(request->other_record_id()));
    call.event.add_record_ids(request->record_id());
    call.event.add_record_ids(request->other_record_id());
    if (request->record_id() == request->other_record_id()) {
      return absl::InvalidArgumentError("other_record_id: must name a different record");
    }
    // Both records must exist and lie in the caller's scope.
    for (const std::string& id : {request->record_id(), request->other_record_id()}) {
      ASSIGN_OR_RETURN(std::optional<policy::RecordFacts> facts, call.vault->records.Facts(id));
      if (!facts.has_value()) return RefuseMissingRecord(call, Action::kLinkPersons);
      RETURN_IF_ERROR(Authorize(call, Action::kLinkPersons, policy::v1::PURPOSE_UNSPECIFIED, &*facts));
    }
    std::string a = RecordIdFromHex(request->record_id());
    std::string b = RecordIdFromHex(request->other_record_id());
    if (b < a) std::swap(a, b);
    // Held so that neither record is shredded between the check above and the commit: a shred
    // takes the record's lock too, and would otherwise leave a link to a record that is gone.
    // Record locks are striped: take the two stripes in address order (not record id order), as
    // any two callers must, or two links could each hold one stripe and wait for the other.
    absl::Mutex* first = &call.vault->records.RecordMutex(a);
    absl::Mutex* second = &call.vault->records.RecordMutex(b);
    if (std::less<absl::Mutex*>()(second, first)) std::swap(first, second);
    absl::MutexLock lock_a(first);
    std::optional<absl::MutexLock> lock_b;
    if (second != first) lock_b.emplace(second);
    ASSIGN_OR_RETURN(std::optional<policy::RecordFacts> still_a,
                     call.vault->records.Facts(request->record_id()));
    ASSIGN_OR_RETURN(std::optional<policy::RecordFacts> still_b,
                     call.vault->records.Facts(request->other_record_id()));
    if (!still_a.has_value() || !still_b.has_value()) {
      return absl::NotFoundError("no such record");
    }
    const FactKeys keys = FactKeys::Derive(call.vault->keys->index_key());
    const std::string forward = LinkStorageKey(a, b);
    ASSIGN_OR_RETURN(std::optional<std::string> existing, state_.store().Get(store::Space::kFacts, forward));
    response->set_already_linked(existing.has_value());
    store::Mutation mutation;
    std::optional<absl::MutexLock> links_lock;  // held until the link is committed
    if (!existing.has_value()) {
      // One person has at most K pseudonyms (the policy's assumption behind every release's
      // noise); a link that would join more is a mistake, and statistics would ignore it.
      // One link decision at a time: two concurrent links into one group must not each see
      // room for one more pseudonym.
      links_lock.emplace(&LinksMutex());
      ASSIGN_OR_RETURN(const size_t joined, PseudonymsJoinedBy(state_.store(), keys, a, b));
      const uint32_t k = call.authorizer->policy().catalogue().max_pseudonyms_per_person;
      if (joined > k) {
        return absl::FailedPreconditionError(absl::StrCat(
            "this link would join ", joined, " pseudonyms as one person; the policy allows at most ",
            k, " (max_pseudonyms_per_person)"));
      }
      storage::v1::PersonLink link;
      link.set_linked_by_person_id(call.decision.person_id);
      link.set_linked_unix_seconds(WallSeconds());
      for (const std::string& key : {forward, LinkStorageKey(b, a)}) {
        ASSIGN_OR_RETURN(std::string sealed, SealFact(keys.facts_key, key, link));
        mutation.Put(store::Space::kFacts, key, std::move(sealed));
      }
    }
    call.event.set_detail(existing.has_value() ? "already linked" : "linked as one person");
    return RecordAllowed(call, std::move(mutation)).status();  // link + entry: one batch
  });
}

}  // namespace confidant::server
