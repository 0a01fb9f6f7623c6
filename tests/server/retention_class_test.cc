// Retention per record class over a real RocksDB store, audit log and record vault: a record
// names its class at intake (sealed with it), an undeclared or malformed class is refused with
// nothing stored, an amendment keeps the class, the expiry listing uses each record's class
// period (records of no class: retention_days), and the disposal receipt names the class.
#include <string>
#include <vector>

#include "absl/strings/str_replace.h"
#include "server/retention_timer.h"
#include "tests/server/shredder_fixture.h"

namespace confidant::server {
namespace {

using namespace shredder_testing;  // NOLINT: the fixture and its helpers

class RetentionClassTest : public ShredderTest {
 protected:
  void SetUp() override {
    ShredderTest::SetUp();
    const std::string text = absl::StrReplaceAll(
        kDevPolicyText, {{"settings {\n", "settings {\n  retention_days: 30\n"
                                          "  retention_classes { name: \"short\" days: 3 }\n"}});
    ASSERT_NE(text, kDevPolicyText);
    authorizer_ = AuthorizerFrom(text);
  }

  static v1::InterviewRecord OfClass(const std::string& text, const std::string& record_class) {
    v1::InterviewRecord record = RecordWith(text);
    record.set_record_class(record_class);
    return record;
  }

  std::vector<std::string> ExpiredAt(int64_t now) {
    std::vector<std::string> ids;
    const policy::Policy& policy = authorizer_->policy();
    absl::StatusOr<std::vector<ExpiredRecord>> expired =
        shredder_->FindExpired(now, [&](std::string_view record_class) {
          return policy.RetentionDaysFor(record_class) * kDay;
        });
    EXPECT_THAT(expired, IsOk());
    if (expired.ok()) {
      for (const ExpiredRecord& r : *expired) ids.push_back(r.record_id);
    }
    return ids;
  }
};

TEST_F(RetentionClassTest, OnlyTheExpiredClassIsShreddedAndItsReceiptNamesTheClass) {
  const std::string brief = Submit(OfClass("brief", "short"), "class-short-0001");
  const std::string plain = Submit(OfClass("plain", ""), "class-plain-0001");
  EXPECT_THAT(ExpiredAt(kT0 + 3 * kDay - 1), IsEmpty());
  EXPECT_THAT(ExpiredAt(kT0 + 3 * kDay), ElementsAre(brief));
  EXPECT_THAT(ExpiredAt(kT0 + 30 * kDay), ::testing::UnorderedElementsAre(brief, plain));

  SetNow(kT0 + 3 * kDay);
  absl::StatusOr<RetentionPass> pass = RunRetentionPass(
      *shredder_, authorizer_->policy(), kT0 + 3 * kDay, true, "", "daily retention run");
  ASSERT_THAT(pass, IsOk());
  EXPECT_THAT(pass->shredded, ElementsAre(brief));
  std::vector<v1::AuditEvent> receipts = EntriesWithAction("record_shredded");
  ASSERT_EQ(receipts.size(), 1u);
  EXPECT_EQ(receipts[0].rule(), "vault:retention-expired");
  EXPECT_THAT(receipts[0].detail(),
              HasSubstr("retention class short: retention 3 days (policy version 1)"));
  EXPECT_THAT(Read(plain), IsOk());
  EXPECT_THAT(Read(brief), StatusIs(absl::StatusCode::kNotFound));

  SetNow(kT0 + 30 * kDay);
  pass = RunRetentionPass(*shredder_, authorizer_->policy(), kT0 + 30 * kDay, true, "",
                          "daily retention run");
  ASSERT_THAT(pass, IsOk());
  EXPECT_THAT(pass->shredded, ElementsAre(plain));
  receipts = EntriesWithAction("record_shredded");
  ASSERT_EQ(receipts.size(), 2u);
  EXPECT_THAT(receipts[1].detail(),
              HasSubstr("retention class default: retention 30 days (policy version 1)"));
}

TEST_F(RetentionClassTest, AnUndeclaredOrMalformedClassIsRefusedAndNothingIsStored) {
  for (const std::string& record_class :
       {std::string("long"), std::string("Short"), std::string(33, 'a')}) {
    absl::Status status;
    Submit(OfClass("refused", record_class), "class-refused-01", "", &status);
    EXPECT_THAT(status, StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("record_class")))
        << record_class;
  }
  EXPECT_THAT(ValuesUnder(store::Space::kRecords, ""), IsEmpty());
  EXPECT_THAT(ValuesUnder(store::Space::kWraps, ""), IsEmpty());
  EXPECT_EQ(IndexEntriesOfSize(32), 0);
}

TEST_F(RetentionClassTest, AnAmendmentKeepsTheRecordsClass) {
  const std::string id = Submit(OfClass("brief", "short"), "class-amend-0001");
  absl::Status status;
  authorizer_ = AuthorizerFrom(absl::StrReplaceAll(
      kDevPolicyText, {{"settings {\n", "settings {\n  retention_classes { name: \"short\" days: 3 }\n"
                                        "  retention_classes { name: \"other\" days: 300 }\n"}}));
  Submit(OfClass("brief amended", "other"), "class-amend-0002", id, &status);
  EXPECT_THAT(status, StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("keeps")));
  Submit(OfClass("brief amended", ""), "class-amend-0003", id);
  Submit(OfClass("brief amended again", "short"), "class-amend-0004", id);
  EXPECT_THAT(ExpiredAt(kT0 + 3 * kDay), ElementsAre(id));
}

}  // namespace
}  // namespace confidant::server
