// The envelope's creation time is bound, over real mTLS: a payload created before its intake
// key (less 24 h of slack for a field laptop's wrong time zone) or more than 24 h after the
// vault's clock is refused with INVALID_ARGUMENT naming the field and the window, never the
// value, and nothing is stored; times inside the window, and an envelope queued offline for
// days while its key stayed current, are accepted.
#include <memory>
#include <string>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/e2e/vault_process.h"
#include "tests/testing/status_matchers.h"

namespace confidant::testing {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

constexpr int64_t kHour = 3600;
constexpr int64_t kYear2100 = 4'102'444'800;  // 2100-01-01T00:00:00Z

class EnvelopeTimeTest : public ::testing::Test {
 protected:
  void Start(bool dev_clock) {
    absl::StatusOr<std::unique_ptr<VaultProcess>> vault =
        dev_clock ? VaultProcess::StartWithDevClock() : VaultProcess::Start();
    ASSERT_THAT(vault, IsOk());
    vault_ = *std::move(vault);
    submitter_ = vault_->ClientAs("visit_team");
    ASSERT_NE(submitter_, nullptr);
    absl::StatusOr<v1::IntakeKey> key = submitter_->FetchIntakeKey();
    ASSERT_THAT(key, IsOk());
    key_ = *std::move(key);
  }

  absl::StatusOr<v1::SubmitRecordResponse> SubmitCreatedAt(int64_t created,
                                                            const std::string& id) {
    absl::StatusOr<v1::SubmitRecordRequest> request = client::SealSubmission(
        key_, submitter_->identity().principal, SyntheticRecord("time"), id, created);
    EXPECT_THAT(request, IsOk());
    if (!request.ok()) return request.status();
    return submitter_->SubmitSealed(*request);
  }

  int RecordCount() {
    absl::StatusOr<v1::ListRecordsResponse> listed =
        vault_->ClientAs("case_officer")->List(v1::ListRecordsRequest());
    EXPECT_THAT(listed, IsOk());
    return listed.ok() ? listed->records_size() : -1;
  }

  static int64_t Now() { return absl::ToUnixSeconds(absl::Now()); }

  std::unique_ptr<VaultProcess> vault_;
  std::unique_ptr<client::VaultClient> submitter_;
  v1::IntakeKey key_;
};

TEST_F(EnvelopeTimeTest, CreationTimesOutsideTheWindowAreRefusedAndNothingIsStored) {
  Start(/*dev_clock=*/false);
  struct Case {
    int64_t created;
    std::string id;
    std::string value_forms[2];  // how the refused value would read if it were printed
  };
  const int64_t later = Now() + 25 * kHour;
  const std::string later_utc = absl::FormatTime("%Y-%m-%dT%H:%M", absl::FromUnixSeconds(later),
                                                 absl::UTCTimeZone());
  for (const Case& c : {Case{0, "time-zero-00001", {"1970-01-01", "created_unix_seconds 0"}},
                        Case{kYear2100, "time-2100-00001", {"2100-01-01", "4102444800"}},
                        Case{later, "time-later-0001", {later_utc, absl::StrCat(later)}}}) {
    absl::StatusOr<v1::SubmitRecordResponse> refused = SubmitCreatedAt(c.created, c.id);
    EXPECT_THAT(refused, StatusIs(absl::StatusCode::kInvalidArgument,
                                  HasSubstr("created_unix_seconds is outside the accepted window")))
        << c.id;
    EXPECT_THAT(std::string(refused.status().message()),
                HasSubstr(absl::StrCat("from 24 h before intake key version ", key_.version(),
                                       " was created to 24 h after the vault's clock")));
    for (const std::string& form : c.value_forms) {
      EXPECT_THAT(std::string(refused.status().message()), Not(HasSubstr(form))) << c.id;
    }
  }
  EXPECT_EQ(RecordCount(), 0);
}

TEST_F(EnvelopeTimeTest, CreationTimesInsideTheWindowAreAccepted) {
  Start(/*dev_clock=*/false);
  // A laptop whose clock runs up to a day ahead or behind (a wrong time zone), and an exact one.
  EXPECT_THAT(SubmitCreatedAt(Now(), "time-now-000001"), IsOk());
  EXPECT_THAT(SubmitCreatedAt(Now() + 23 * kHour, "time-ahead-0001"), IsOk());
  EXPECT_THAT(SubmitCreatedAt(key_.created_unix_seconds() - 23 * kHour, "time-behind-001"),
              IsOk());
  EXPECT_EQ(RecordCount(), 3);
}

TEST_F(EnvelopeTimeTest, AnEnvelopeQueuedOfflineForDaysIsAccepted) {
  Start(/*dev_clock=*/true);
  // Sealed now, with the current key; delivered five days later (the key is still current).
  absl::StatusOr<v1::SubmitRecordRequest> queued = client::SealSubmission(
      key_, submitter_->identity().principal, SyntheticRecord("queued"), "time-queued-001", Now());
  ASSERT_THAT(queued, IsOk());
  ASSERT_THAT(vault_->SetClockOffsetSeconds(5 * 24 * kHour), IsOk());
  EXPECT_THAT(submitter_->SubmitSealed(*queued), IsOk());
  EXPECT_EQ(RecordCount(), 1);
}

}  // namespace
}  // namespace confidant::testing
