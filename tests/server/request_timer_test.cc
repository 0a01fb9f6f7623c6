// The request timer over a real store and audit log, at chosen times: pending break-glass
// requests expire after break_glass_request_hours, erasure requests after erasure_request_days, grants lapse on their wall-clock expiry or their
// monotonic deadline, each closing is one audit entry written with the change, and nothing is
// written twice or lost when the log refuses a write.
#include "server/request_timer.h"

#include <atomic>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "crypto/init.h"
#include "crypto/secret_bytes.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "policy/policy.h"
#include "server/audit/audit_log.h"
#include "server/audit_recorder.h"
#include "server/break_glass_store.h"
#include "server/erasure_store.h"
#include "server/store/rocksdb_store.h"
#include "server/vault_keys.h"
#include "tests/store/temp_dir.h"
#include "tests/testing/status_matchers.h"

namespace confidant::server {
namespace {

using ::confidant::testing::IsOk;
using ::confidant::testing::StatusIs;
using ::testing::ElementsAre;

constexpr int64_t kT0 = 1'800'000'000;  // wall seconds when the requests are made
constexpr int64_t kHour = 3600;

std::shared_ptr<const policy::Authorizer> AuthorizerWith(const std::string& settings) {
  absl::StatusOr<policy::Policy> policy =
      policy::Policy::FromText("version: 1\nsettings { " + settings + " }\n");
  EXPECT_THAT(policy, IsOk());
  return std::make_shared<const policy::Authorizer>(
      std::make_shared<const policy::Policy>(*std::move(policy)));
}

class RequestTimerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_THAT(crypto::InitCrypto(), IsOk());
    auto store = store::RocksDbStore::Open(dir_.path() + "/db");
    ASSERT_THAT(store, IsOk());
    store_ = *std::move(store);
    auto keys = VaultKeys::LoadOrCreate(*store_, crypto::SecretBytes::Random(32), kT0);
    ASSERT_THAT(keys, IsOk());
    keys_ = *std::move(keys);
    auto log = audit::AuditLog::Open(*store_, keys_->audit_key(), keys_->checkpoint_key(),
                                     [this] { return log_micros_.load(); });
    ASSERT_THAT(log, IsOk());
    log_ = *std::move(log);
    recorder_ = std::make_unique<AuditRecorder>(*log_, [this] { return log_micros_ / 1000000; });
    requests_ = std::make_unique<BreakGlassStore>(*store_, *keys_);
    erasure_ = std::make_unique<ErasureStore>(*store_, *keys_);
    // A pass an hour: this test runs every pass itself, at the times it chooses.
    timer_ = std::make_unique<RequestTimer>(
        *requests_, *erasure_, *recorder_,
        AuthorizerWith("break_glass_request_hours: 2 erasure_request_days: 3"), absl::Hours(1));
  }

  void TearDown() override {
    timer_.reset();
    erasure_.reset();
    requests_.reset();
    recorder_.reset();
    log_.reset();
  }

  // Stores a request made at kT0; `expires` > 0 makes it a grant until then.
  std::string Store(int64_t expires = 0, const std::string& rejected_by = "") {
    storage::v1::BreakGlassRequest request;
    request.set_record_id(std::string(32, 'e'));
    request.set_requester_person_id("officer");
    request.set_purpose(1);
    request.set_reason("synthetic");
    request.set_created_unix_seconds(kT0);
    if (expires > 0) {
      request.add_approvals("approver");
      request.set_expires_unix_seconds(expires);
    }
    request.set_rejected_by(rejected_by);
    absl::StatusOr<store::Mutation> mutation = requests_->CreateMutation(request);
    EXPECT_THAT(mutation, IsOk());
    EXPECT_THAT(store_->Commit(*mutation), IsOk());
    return request.id();
  }

  // Stores an erasure request made at kT0, decided by `decided_by` if not empty.
  std::string StoreErasure(const std::string& decided_by = "") {
    storage::v1::ErasureRequest request;
    request.set_record_id(std::string(32, 'f'));
    request.set_requester_person_id("officer");
    request.set_reason("synthetic");
    request.set_created_unix_seconds(kT0);
    request.set_decided_by(decided_by);
    absl::StatusOr<store::Mutation> mutation = erasure_->CreateMutation(request);
    EXPECT_THAT(mutation, IsOk());
    EXPECT_THAT(store_->Commit(*mutation), IsOk());
    return request.id();
  }

  storage::v1::ErasureRequest StoredErasure(const std::string& id) {
    absl::StatusOr<std::vector<storage::v1::ErasureRequest>> all = erasure_->All();
    EXPECT_THAT(all, IsOk());
    for (const auto& request : *all) {
      if (request.id() == id) return request;
    }
    ADD_FAILURE() << "no erasure request " << id;
    return {};
  }

  storage::v1::BreakGlassRequest Stored(const std::string& id) {
    absl::StatusOr<std::vector<storage::v1::BreakGlassRequest>> all = requests_->All();
    EXPECT_THAT(all, IsOk());
    for (const auto& request : *all) {
      if (request.id() == id) return request;
    }
    ADD_FAILURE() << "no request " << id;
    return {};
  }

  std::vector<v1::AuditEvent> Entries() {
    std::vector<v1::AuditEvent> events;
    EXPECT_THAT(log_->ReadEntries(0, UINT64_MAX, [&](const v1::AuditEntry& entry) {
      events.push_back(entry.event());
      return true;
    }),
                IsOk());
    return events;
  }

  store::TempDir dir_;
  std::atomic<int64_t> log_micros_{kT0 * 1000000};
  std::unique_ptr<store::RocksDbStore> store_;
  std::unique_ptr<VaultKeys> keys_;
  std::unique_ptr<audit::AuditLog> log_;
  std::unique_ptr<AuditRecorder> recorder_;
  std::unique_ptr<BreakGlassStore> requests_;
  std::unique_ptr<ErasureStore> erasure_;
  std::unique_ptr<RequestTimer> timer_;
};

TEST_F(RequestTimerTest, PendingRequestExpiresAfterTheRequestHoursOnceWithAnEntry) {
  const std::string id = Store();
  EXPECT_EQ(*timer_->RunOnce(kT0 + 2 * kHour - 1, 0), 0);
  EXPECT_FALSE(Stored(id).request_expired());
  EXPECT_EQ(*timer_->RunOnce(kT0 + 2 * kHour, 0), 1);
  EXPECT_TRUE(Stored(id).request_expired());
  EXPECT_EQ(*timer_->RunOnce(kT0 + 5 * kHour, 0), 0);  // never twice

  std::vector<v1::AuditEvent> entries = Entries();
  ASSERT_EQ(entries.size(), 1u);
  EXPECT_EQ(entries[0].action(), "break_glass_request_expired");
  EXPECT_EQ(entries[0].rule(), "vault:break-glass-request-expired");
  EXPECT_EQ(entries[0].decision(), v1::ALLOW);
  EXPECT_EQ(entries[0].detail(), "break-glass request expired " + id);
  EXPECT_THAT(entries[0].record_ids(), ElementsAre(std::string(32, 'e')));
}

TEST_F(RequestTimerTest, ErasureRequestExpiresAfterTheRequestDaysOnceWithAnEntry) {
  const std::string id = StoreErasure();
  const std::string decided = StoreErasure("approver");
  constexpr int64_t kDay = 24 * kHour;
  EXPECT_EQ(*timer_->RunOnce(kT0 + 3 * kDay - 1, 0), 0);
  EXPECT_TRUE(ErasureRequestOpen(StoredErasure(id), 3 * kDay, kT0 + 3 * kDay - 1));
  EXPECT_EQ(*timer_->RunOnce(kT0 + 3 * kDay, 0), 1);
  const storage::v1::ErasureRequest closed = StoredErasure(id);
  EXPECT_TRUE(closed.request_expired());
  EXPECT_TRUE(closed.reason().empty());  // the reason stays only in the request's audit entry
  EXPECT_FALSE(StoredErasure(decided).request_expired());  // a decided request is left alone
  EXPECT_EQ(*timer_->RunOnce(kT0 + 9 * kDay, 0), 0);       // never twice

  std::vector<v1::AuditEvent> entries = Entries();
  ASSERT_EQ(entries.size(), 1u);
  EXPECT_EQ(entries[0].action(), "erasure_request_expired");
  EXPECT_EQ(entries[0].rule(), "vault:erasure-request-expired");
  EXPECT_EQ(entries[0].decision(), v1::ALLOW);
  EXPECT_EQ(entries[0].detail(), "erasure request expired " + id + " (requested by officer)");
  EXPECT_THAT(entries[0].record_ids(), ElementsAre(std::string(32, 'f')));
}

TEST_F(RequestTimerTest, GrantLapsesAtItsWallClockExpiryOnceWithAnEntry) {
  const std::string id = Store(kT0 + kHour);
  EXPECT_EQ(*timer_->RunOnce(kT0 + kHour - 1, 0), 0);
  EXPECT_EQ(*timer_->RunOnce(kT0 + kHour, 0), 1);
  EXPECT_TRUE(Stored(id).lapse_recorded());
  EXPECT_FALSE(Stored(id).request_expired());  // a grant is not an unanswered request
  EXPECT_EQ(*timer_->RunOnce(kT0 + 30 * kHour, 0), 0);

  std::vector<v1::AuditEvent> entries = Entries();
  ASSERT_EQ(entries.size(), 1u);
  EXPECT_EQ(entries[0].action(), "break_glass_lapsed");
  EXPECT_EQ(entries[0].rule(), "vault:break-glass-expired");
  EXPECT_EQ(entries[0].decision(), v1::ALLOW);
  EXPECT_EQ(entries[0].detail(), "break-glass lapsed " + id);
}

TEST_F(RequestTimerTest, GrantLapsesAtItsMonotonicDeadlineWhateverTheWallClockSays) {
  const std::string id = Store(kT0 + kHour);
  const int64_t deadline = 5'000'000'000;  // steady micros
  requests_->RememberSteadyDeadline(id, deadline);
  // The wall clock was set back to just after the grant; the monotonic clock counted an hour.
  EXPECT_EQ(*timer_->RunOnce(kT0 + 10, deadline - 1), 0);
  EXPECT_EQ(ToGrant(Stored(id), deadline, deadline - 1).expires_unix_seconds, kT0 + kHour);
  EXPECT_EQ(ToGrant(Stored(id), deadline, deadline).expires_unix_seconds, 0);
  EXPECT_EQ(*timer_->RunOnce(kT0 + 10, deadline), 1);
  EXPECT_TRUE(Stored(id).lapse_recorded());
  EXPECT_FALSE(requests_->SteadyDeadline(id).has_value());
  // After a restart only the stored state remains: a recorded lapse stays expired.
  EXPECT_EQ(ToGrant(Stored(id), std::nullopt, 0).expires_unix_seconds, 0);
}

TEST_F(RequestTimerTest, RejectedAndFreshRequestsAreLeftAlone) {
  Store(0, "approver");
  Store(kT0 + kHour, "approver");
  Store();
  EXPECT_EQ(*timer_->RunOnce(kT0 + kHour + 1, 0), 0);
  EXPECT_TRUE(Entries().empty());
}

TEST_F(RequestTimerTest, ARefusedWriteChangesNothingAndIsRetried) {
  const std::string id = Store(kT0 + kHour);
  // One entry at kT0, then the log's clock goes back: the log refuses older entries.
  ASSERT_THAT(recorder_->Record(v1::AuditEvent()), IsOk());
  log_micros_ = (kT0 - 100) * 1000000;
  EXPECT_THAT(timer_->RunOnce(kT0 + kHour, 0), StatusIs(absl::StatusCode::kFailedPrecondition));
  EXPECT_FALSE(Stored(id).lapse_recorded());
  log_micros_ = (kT0 + 200) * 1000000;
  EXPECT_EQ(*timer_->RunOnce(kT0 + kHour, 0), 1);
  EXPECT_TRUE(Stored(id).lapse_recorded());
}

TEST_F(RequestTimerTest, ANewPolicyChangesHowLongRequestsWait) {
  const std::string id = Store();
  timer_->SetAuthorizer(AuthorizerWith("break_glass_request_hours: 48"));
  EXPECT_EQ(*timer_->RunOnce(kT0 + 47 * kHour, 0), 0);
  EXPECT_EQ(*timer_->RunOnce(kT0 + 48 * kHour, 0), 1);
  EXPECT_TRUE(Stored(id).request_expired());
}

// Submission index entries share the index space under a 32-byte keyed hash with no prefix, so
// about one in 256 starts with the break-glass prefix "B": it is not a request.
TEST_F(RequestTimerTest, AnIndexEntryThatOnlyStartsLikeARequestIsNotOne) {
  const std::string id = Store();
  store::Mutation submission_like;
  submission_like.Put(store::Space::kIndex, "B" + std::string(31, '\x7f'), "sealed entry");
  ASSERT_THAT(store_->Commit(submission_like), IsOk());
  absl::StatusOr<std::vector<storage::v1::BreakGlassRequest>> all = requests_->All();
  ASSERT_THAT(all, IsOk());
  ASSERT_EQ(all->size(), 1u);
  EXPECT_EQ((*all)[0].id(), id);
  EXPECT_EQ(*timer_->RunOnce(kT0 + 2 * kHour, 0), 1);
}

}  // namespace
}  // namespace confidant::server
