// The outbox keeps sealed envelopes until a verified receipt, and never loses or loops on one.
#include "client/outbox.h"

#include <sys/stat.h>

#include <filesystem>
#include <string>

#include "base/files.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/testing/status_matchers.h"

namespace confidant::client {
namespace {

using ::confidant::testing::IsOk;
using ::confidant::testing::StatusIs;
using ::testing::ElementsAre;
using ::testing::Field;
using ::testing::HasSubstr;

class OutboxTest : public ::testing::Test {
 protected:
  void SetUp() override {
    root_ = std::filesystem::temp_directory_path() /
            ("outbox-test-" + std::to_string(::getpid()) + "-" +
             ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::remove_all(root_);
    std::filesystem::create_directories(root_);
  }
  void TearDown() override { std::filesystem::remove_all(root_); }

  static v1::SubmitRecordRequest Envelope(const std::string& id) {
    v1::SubmitRecordRequest request;
    request.set_submission_id(id);
    request.set_intake_key_version(1);
    request.set_sealed_envelope("ciphertext-of-" + id);
    return request;
  }

  std::string dir() const { return (root_ / "outbox").string(); }
  std::filesystem::path root_;
};

TEST_F(OutboxTest, AddKeepsExactlyTheEnvelopeBytesReadableOnlyByTheOwner) {
  Outbox outbox(dir());
  ASSERT_THAT(outbox.Add(Envelope("sub-00000001"), "", 100), IsOk());
  const std::string path = dir() + "/sub-00000001.sealed";
  absl::StatusOr<std::string> bytes = ReadFile(path);
  ASSERT_THAT(bytes, IsOk());
  EXPECT_EQ(*bytes, Envelope("sub-00000001").SerializeAsString());
  struct stat st;
  ASSERT_EQ(::stat(path.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600);
  ASSERT_EQ(::stat(dir().c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0700);
  EXPECT_FALSE(std::filesystem::exists(path + ".tmp"));
}

TEST_F(OutboxTest, ASecondEnvelopeWithTheSameIdIsRefusedAndTheFirstKept) {
  Outbox outbox(dir());
  ASSERT_THAT(outbox.Add(Envelope("sub-00000001"), "", 100), IsOk());
  v1::SubmitRecordRequest other = Envelope("sub-00000001");
  other.set_sealed_envelope("other bytes");
  EXPECT_THAT(outbox.Add(other, "", 200), StatusIs(absl::StatusCode::kAlreadyExists));
  auto kept = outbox.Find("sub-00000001");
  ASSERT_THAT(kept, IsOk());
  ASSERT_TRUE(kept->has_value());
  EXPECT_EQ((*kept)->sealed_envelope(), "ciphertext-of-sub-00000001");
}

// Sent in the order queued, whatever the clock said (it may have been corrected in between) and
// whatever the ids: two amendments of one record queued in the same second keep their order.
TEST_F(OutboxTest, PendingListsInQueueOrderWithAmendmentsNamed) {
  Outbox outbox(dir());
  const std::string record = "0123456789abcdef0123456789abcdef";
  ASSERT_THAT(outbox.Add(Envelope("sub-00000009"), "", 300), IsOk());
  ASSERT_THAT(outbox.Add(Envelope("sub-00000005"), record, 100), IsOk());  // clock set back
  ASSERT_THAT(outbox.Add(Envelope("sub-00000003"), record, 100), IsOk());  // same second
  auto pending = outbox.Pending();
  ASSERT_THAT(pending, IsOk());
  ASSERT_EQ(pending->size(), 3u);
  EXPECT_EQ((*pending)[0].name, "sub-00000009");
  EXPECT_EQ((*pending)[0].attempts, 0);
  EXPECT_EQ((*pending)[1].submission_id, "sub-00000005");
  EXPECT_EQ((*pending)[1].amends_record_id, record);
  EXPECT_EQ((*pending)[1].queued_unix_seconds, 100);
  EXPECT_EQ((*pending)[2].submission_id, "sub-00000003");
  EXPECT_LT((*pending)[1].sequence, (*pending)[2].sequence);
}

TEST_F(OutboxTest, AFailedAttemptKeepsTheEnvelopeAndRecordsTheError) {
  Outbox outbox(dir());
  ASSERT_THAT(outbox.Add(Envelope("sub-00000001"), "", 100), IsOk());
  auto pending = outbox.Pending();
  ASSERT_THAT(pending, IsOk());
  ASSERT_THAT(outbox.RecordFailure((*pending)[0], absl::UnavailableError("down\nfor now"), 150),
              IsOk());
  pending = outbox.Pending();
  ASSERT_THAT(pending, IsOk());
  ASSERT_EQ(pending->size(), 1u);
  EXPECT_EQ((*pending)[0].attempts, 1);
  EXPECT_EQ((*pending)[0].last_attempt_unix_seconds, 150);
  EXPECT_EQ((*pending)[0].last_error, "UNAVAILABLE: down for now");
  EXPECT_EQ((*pending)[0].queued_unix_seconds, 100);
}

TEST_F(OutboxTest, ARefusedEnvelopeMovesToRefusedWithItsReasonAndIsNeverPendingAgain) {
  Outbox outbox(dir());
  ASSERT_THAT(outbox.Add(Envelope("sub-00000001"), "", 100), IsOk());
  ASSERT_THAT(outbox.Add(Envelope("sub-00000002"), "", 101), IsOk());
  auto pending = outbox.Pending();
  ASSERT_THAT(pending, IsOk());
  ASSERT_THAT(outbox.Refuse((*pending)[0], absl::InvalidArgumentError("visit.facility_id: bad"),
                            200),
              IsOk());
  pending = outbox.Pending();
  ASSERT_THAT(pending, IsOk());
  EXPECT_THAT(*pending, ElementsAre(Field(&Outbox::Entry::name, "sub-00000002")));
  auto refused = outbox.FindRefused("sub-00000001");
  ASSERT_THAT(refused, IsOk());
  ASSERT_TRUE(refused->has_value());
  EXPECT_THAT((*refused)->reason, HasSubstr("INVALID_ARGUMENT: visit.facility_id: bad"));
  EXPECT_TRUE(std::filesystem::exists(dir() + "/refused/sub-00000001.sealed"));
  EXPECT_FALSE(std::filesystem::exists(dir() + "/sub-00000001.sealed"));
  EXPECT_FALSE(std::filesystem::exists(dir() + "/sub-00000001.state"));
}

// Requeue puts a refused envelope back, byte for byte and in its queue order, once only.
TEST_F(OutboxTest, ARequeuedEnvelopeIsPendingAgainWithItsBytesAndOrder) {
  Outbox outbox(dir());
  ASSERT_THAT(outbox.Add(Envelope("sub-00000001"), "", 100), IsOk());
  ASSERT_THAT(outbox.Add(Envelope("sub-00000002"), "", 101), IsOk());
  auto pending = outbox.Pending();
  ASSERT_THAT(pending, IsOk());
  ASSERT_THAT(outbox.Refuse((*pending)[0], absl::InvalidArgumentError("visit.facility_id: x"), 200),
              IsOk());
  auto refused = outbox.FindRefused("sub-00000001");
  ASSERT_THAT(refused, IsOk());
  ASSERT_TRUE(refused->has_value());
  ASSERT_THAT(outbox.Requeue(**refused, 300), IsOk());
  pending = outbox.Pending();
  ASSERT_THAT(pending, IsOk());
  EXPECT_THAT(*pending, ElementsAre(Field(&Outbox::Entry::name, "sub-00000001"),
                                    Field(&Outbox::Entry::name, "sub-00000002")));
  EXPECT_THAT((*pending)[0].last_error, HasSubstr("queued again after a refusal"));
  EXPECT_TRUE(outbox.Refused()->empty());
  EXPECT_FALSE(std::filesystem::exists(dir() + "/refused/sub-00000001.state"));
  auto found = outbox.Find("sub-00000001");
  ASSERT_THAT(found, IsOk());
  ASSERT_TRUE(found->has_value());
  EXPECT_EQ((*found)->SerializeAsString(), Envelope("sub-00000001").SerializeAsString());
  // Refused again, then a second envelope of that name queued meanwhile: not overwritten.
  ASSERT_THAT(outbox.Refuse((*pending)[0], absl::PermissionDeniedError("no"), 400), IsOk());
  ASSERT_THAT(outbox.Add(Envelope("sub-00000001"), "", 500), IsOk());
  refused = outbox.FindRefused("sub-00000001");
  ASSERT_TRUE(refused.ok() && refused->has_value());
  EXPECT_THAT(outbox.Requeue(**refused, 600), StatusIs(absl::StatusCode::kAlreadyExists));
  EXPECT_TRUE(std::filesystem::exists(dir() + "/refused/sub-00000001.sealed"));
}

// An envelope others could have written is never sent in this person's name (found in
// review: a planted envelope was flushed as the victim).
TEST_F(OutboxTest, AnEnvelopeOthersCanWriteIsRefusedNotSent) {
  Outbox outbox(dir());
  ASSERT_THAT(outbox.Add(Envelope("sub-00000001"), "", 100), IsOk());
  ASSERT_EQ(::chmod((dir() + "/sub-00000001.sealed").c_str(), 0666), 0);
  EXPECT_THAT(outbox.Pending(), StatusIs(absl::StatusCode::kFailedPrecondition,
                                         HasSubstr("may have been planted")));
  // Nor is it read to be sent again by its name (a retry with --submission-id).
  EXPECT_THAT(outbox.Find("sub-00000001"), StatusIs(absl::StatusCode::kFailedPrecondition));
  ASSERT_EQ(::chmod((dir() + "/sub-00000001.sealed").c_str(), 0600), 0);
  EXPECT_THAT(outbox.Pending(), IsOk());
  EXPECT_THAT(outbox.Find("sub-00000001"), IsOk());
  // A link in place of an envelope: never followed.
  const std::string elsewhere = root_.string() + "/elsewhere.sealed";
  ASSERT_THAT(WriteFileAtomically(elsewhere, Envelope("sub-00000002").SerializeAsString(), 0600),
              IsOk());
  std::filesystem::create_symlink(elsewhere, dir() + "/sub-00000002.sealed");
  EXPECT_THAT(outbox.Find("sub-00000002"), StatusIs(absl::StatusCode::kFailedPrecondition));
  EXPECT_THAT(outbox.Pending(), StatusIs(absl::StatusCode::kFailedPrecondition));
  // A lock file that is not the user's own plain file stops every command.
  std::filesystem::remove(dir() + "/sub-00000002.sealed");
  std::filesystem::remove(dir() + "/.lock");
  std::filesystem::create_symlink(elsewhere, dir() + "/.lock");
  EXPECT_THAT(outbox.TakeLock(), StatusIs(absl::StatusCode::kFailedPrecondition));
}

TEST_F(OutboxTest, RemoveDeletesTheEnvelopeAndItsState) {
  Outbox outbox(dir());
  ASSERT_THAT(outbox.Add(Envelope("sub-00000001"), "", 100), IsOk());
  auto pending = outbox.Pending();
  ASSERT_THAT(pending, IsOk());
  ASSERT_THAT(outbox.Remove((*pending)[0]), IsOk());
  EXPECT_TRUE(std::filesystem::is_empty(dir()) ||
              std::filesystem::directory_iterator(dir())->path().filename() == ".lock");
  auto found = outbox.Find("sub-00000001");
  ASSERT_THAT(found, IsOk());
  EXPECT_FALSE(found->has_value());
}

TEST_F(OutboxTest, WipeDeletesQueuedAndRefusedEnvelopes) {
  Outbox outbox(dir());
  ASSERT_THAT(outbox.Add(Envelope("sub-00000001"), "", 100), IsOk());
  ASSERT_THAT(outbox.Add(Envelope("sub-00000002"), "", 101), IsOk());
  auto pending = outbox.Pending();
  ASSERT_THAT(pending, IsOk());
  ASSERT_THAT(outbox.Refuse((*pending)[0], absl::PermissionDeniedError("no"), 200), IsOk());
  absl::StatusOr<int> wiped = outbox.Wipe();
  ASSERT_THAT(wiped, IsOk());
  EXPECT_EQ(*wiped, 2);
  EXPECT_TRUE(outbox.Pending()->empty());
  EXPECT_TRUE(outbox.Refused()->empty());
}

// `outbox wipe --refused`: the refused envelopes go, the waiting ones stay.
TEST_F(OutboxTest, WipingOnlyTheRefusedKeepsWhatIsStillQueued) {
  Outbox outbox(dir());
  ASSERT_THAT(outbox.Add(Envelope("sub-00000001"), "", 100), IsOk());
  ASSERT_THAT(outbox.Add(Envelope("sub-00000002"), "", 101), IsOk());
  auto pending = outbox.Pending();
  ASSERT_THAT(pending, IsOk());
  ASSERT_THAT(outbox.Refuse((*pending)[0], absl::PermissionDeniedError("no"), 200), IsOk());
  absl::StatusOr<int> wiped = outbox.Wipe(/*refused_only=*/true);
  ASSERT_THAT(wiped, IsOk());
  EXPECT_EQ(*wiped, 1);
  EXPECT_TRUE(outbox.Refused()->empty());
  ASSERT_EQ(outbox.Pending()->size(), 1u);
  EXPECT_EQ((*outbox.Pending())[0].submission_id, "sub-00000002");
}

TEST_F(OutboxTest, OnlyOneProcessAtATimeHoldsTheLock) {
  Outbox outbox(dir());
  absl::StatusOr<Outbox::Lock> first = outbox.TakeLock();
  ASSERT_THAT(first, IsOk());
  EXPECT_THAT(outbox.TakeLock(), StatusIs(absl::StatusCode::kFailedPrecondition));
}

TEST_F(OutboxTest, ADamagedEnvelopeIsDataLossNotAnEmptySubmission) {
  Outbox outbox(dir());
  std::filesystem::create_directories(dir());
  ASSERT_THAT(WriteFileAtomically(dir() + "/sub-00000009.sealed", "\xff\xff\xff garbage", 0600),
              IsOk());
  EXPECT_THAT(outbox.Find("sub-00000009"), StatusIs(absl::StatusCode::kDataLoss));
}

TEST(IsPermanentRefusalTest, ValidationAndPermissionArePermanentTransportAndStateAreNot) {
  EXPECT_TRUE(IsPermanentRefusal(absl::InvalidArgumentError("")));
  EXPECT_TRUE(IsPermanentRefusal(absl::PermissionDeniedError("")));
  EXPECT_TRUE(IsPermanentRefusal(absl::AlreadyExistsError("")));
  EXPECT_TRUE(IsPermanentRefusal(absl::NotFoundError("")));
  EXPECT_FALSE(IsPermanentRefusal(absl::UnavailableError("")));
  EXPECT_FALSE(IsPermanentRefusal(absl::DeadlineExceededError("")));
  EXPECT_FALSE(IsPermanentRefusal(absl::FailedPreconditionError("sealed")));
  EXPECT_FALSE(IsPermanentRefusal(absl::ResourceExhaustedError("quota")));
  EXPECT_FALSE(IsPermanentRefusal(absl::UnauthenticatedError("receipt")));
  EXPECT_FALSE(IsPermanentRefusal(absl::InternalError("")));
}

}  // namespace
}  // namespace confidant::client
