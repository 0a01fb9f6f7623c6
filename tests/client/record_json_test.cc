#include "client/record_json.h"

#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "client/json_scan.h"
#include "proto/record_validation.h"
#include "gmock/gmock.h"
#include "google/protobuf/util/json_util.h"
#include "google/protobuf/util/message_differencer.h"
#include "gtest/gtest.h"
#include "tests/testing/status_matchers.h"

namespace confidant::client {
namespace {

using ::confidant::testing::IsOk;
using ::confidant::testing::StatusIs;
using ::testing::AllOf;
using ::testing::HasSubstr;
using ::testing::Not;

constexpr absl::StatusCode kInvalid = absl::StatusCode::kInvalidArgument;
constexpr char kCanary[] = "CANARY-7f3a";

// Line and column numbers in the expectations below refer to this layout.
constexpr char kRecord[] = R"({
  "visit": {
    "facility_id": "on-tor-ihc",
    "region": "ONTARIO",
    "visit_date": "2026-09-14",
    "team": "team-ontario-2"
  },
  "identity": {"full_name": "Synthetic Person", "languages": ["Arabic"]},
  "interview": {
    "narrative": "Synthetic example.",
    "concerns_raised": ["family contact"],
    "follow_up_requested": true
  },
  "indicators": {"age_band": "AGE_35_49", "concerns": {"restraints": "NO"}},
  "consents": [{"purpose": "FOLLOW_UP", "given": true, "recorded_on": "2026-09-14"}]
}
)";

// kRecord with `from` replaced by `to` (which must occur).
std::string Edited(const std::string& from, const std::string& to) {
  EXPECT_NE(std::string_view(kRecord).find(from), std::string_view::npos) << from;
  return absl::StrReplaceAll(kRecord, {{from, to}});
}

absl::StatusOr<v1::InterviewRecord> Parse(std::string_view json) {
  return ParseRecordJson(json, "record.json");
}

std::string ReadWholeFile(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}

TEST(RecordJsonTest, EveryDeployExampleParsesLikeProtobuf) {
  int examples = 0;
  for (const auto& entry :
       std::filesystem::directory_iterator(CONFIDANT_SOURCE_DIR "/deploy/examples")) {
    if (entry.path().extension() != ".json") continue;
    ++examples;
    const std::string json = ReadWholeFile(entry.path());
    const absl::StatusOr<v1::InterviewRecord> record = Parse(json);
    ASSERT_THAT(record, IsOk()) << entry.path();
    v1::InterviewRecord expected;
    ASSERT_TRUE(google::protobuf::util::JsonStringToMessage(json, &expected).ok());
    EXPECT_TRUE(google::protobuf::util::MessageDifferencer::Equals(*record, expected));
  }
  EXPECT_GE(examples, 3);
}

TEST(RecordJsonTest, ByteOrderMarkAccepted) {
  const absl::StatusOr<v1::InterviewRecord> record = Parse(std::string("\xEF\xBB\xBF") + kRecord);
  ASSERT_THAT(record, IsOk());
  EXPECT_EQ(record->visit().facility_id(), "on-tor-ihc");
}

TEST(RecordJsonTest, MisspeltFieldNamesPathLineAndSuggestion) {
  EXPECT_THAT(Parse(Edited("\"facility_id\"", "\"facilty_id\"")),
              StatusIs(kInvalid, "record.json:3:5: visit.facilty_id: no such field (did you "
                                 "mean facility_id?)"));
}

TEST(RecordJsonTest, WindowsLineEndingsCountAsOneLine) {
  const std::string json =
      absl::StrReplaceAll(Edited("\"facility_id\"", "\"facilty_id\""), {{"\n", "\r\n"}});
  EXPECT_THAT(Parse(json), StatusIs(kInvalid, HasSubstr("record.json:3:5: visit.facilty_id:")));
}

TEST(RecordJsonTest, FieldInTheWrongSectionSaysWhereItBelongs) {
  EXPECT_THAT(Parse(Edited("{\"full_name\"", "{\"team\": \"t\", \"full_name\"")),
              StatusIs(kInvalid, "record.json:8:16: identity.team: no such field; team belongs "
                                 "in visit, not here"));
}

TEST(RecordJsonTest, UnknownFieldWithTextForANameIsNotQuoted) {
  const std::string key = absl::StrCat("\"She said ", kCanary, "\"");
  EXPECT_THAT(Parse(Edited("\"team\"", key)),
              StatusIs(kInvalid, "record.json:6:5: visit: an unknown field; the fields here "
                                 "are: facility_id, region, visit_date, team"));
}

TEST(RecordJsonTest, FieldGivenTwiceRefused) {
  EXPECT_THAT(Parse(Edited("\"region\"", "\"facilityId\": \"x\", \"region\"")),
              StatusIs(kInvalid, "record.json:4:5: visit.facilityId: given twice (first at line "
                                 "3, column 5); keep only one"));
}

TEST(RecordJsonTest, UnknownEnumValueListsAcceptedNamesWithoutQuotingIt) {
  const absl::StatusOr<v1::InterviewRecord> record =
      Parse(Edited("\"ONTARIO\"", absl::StrCat("\"", kCanary, "\"")));
  EXPECT_THAT(record, StatusIs(kInvalid, "record.json:4:15: visit.region: not a known value; "
                                         "accepted: ATLANTIC, QUEBEC, ONTARIO, MANITOBA, "
                                         "ALBERTA, BRITISH_COLUMBIA"));
  EXPECT_THAT(Parse(Edited("\"NO\"", "\"maybe\"")),
              StatusIs(kInvalid, "record.json:14:70: indicators.concerns.restraints: not a known "
                                 "value; accepted: YES, NO"));
}

// A newcomer writes "Ontario" or "no": the message gives the exact spelling.
TEST(RecordJsonTest, EnumValueInTheWrongCaseNamesTheExactSpelling) {
  EXPECT_THAT(Parse(Edited("\"ONTARIO\"", "\"Ontario\"")),
              StatusIs(kInvalid, "record.json:4:15: visit.region: values are written in capital "
                                 "letters: \"ONTARIO\""));
  EXPECT_THAT(Parse(Edited("\"NO\"", "\"no\"")),
              StatusIs(kInvalid, "record.json:14:70: indicators.concerns.restraints: values are "
                                 "written in capital letters: \"NO\""));
}

TEST(RecordJsonTest, IntegerEnumAcceptedWhenDefined) {
  const absl::StatusOr<v1::InterviewRecord> record = Parse(Edited("\"ONTARIO\"", "3"));
  ASSERT_THAT(record, IsOk());
  EXPECT_EQ(record->visit().region(), v1::ONTARIO);
  EXPECT_THAT(Parse(Edited("\"ONTARIO\"", "99")),
              StatusIs(kInvalid, HasSubstr("record.json:4:15: visit.region: not a known value")));
  EXPECT_THAT(Parse(Edited("\"ONTARIO\"", "3.0")), StatusIs(kInvalid, HasSubstr(":4:15:")));
}

TEST(RecordJsonTest, WrongTypedValueNeverQuoted) {
  const std::string quoted = absl::StrCat("\"", kCanary, "\"");
  EXPECT_THAT(Parse(Edited("[\"Arabic\"]", quoted)),
              StatusIs(kInvalid, AllOf(HasSubstr("record.json:8:62: identity.languages: "
                                                 "expected a list"),
                                       Not(HasSubstr(kCanary)))));
  EXPECT_THAT(Parse(Edited("true\n", quoted + "\n")),
              StatusIs(kInvalid, AllOf(HasSubstr("record.json:12:28: "
                                                 "interview.follow_up_requested: expected true "
                                                 "or false"),
                                       Not(HasSubstr(kCanary)))));
  EXPECT_THAT(Parse(Edited("\"Synthetic example.\"", absl::StrCat("{", quoted, ": 1}"))),
              StatusIs(kInvalid, AllOf(HasSubstr("record.json:10:18: interview.narrative: "
                                                 "expected a string"),
                                       Not(HasSubstr(kCanary)))));
  EXPECT_THAT(Parse(Edited("{\"purpose\"", absl::StrCat(quoted, ", {\"purpose\""))),
              StatusIs(kInvalid, AllOf(HasSubstr("record.json:15:16: consents[0]: expected an "
                                                 "object"),
                                       Not(HasSubstr(kCanary)))));
}

TEST(RecordJsonTest, CamelCaseAndSnakeCaseBothAccepted) {
  const std::string json = absl::StrReplaceAll(
      kRecord, {{"facility_id", "facilityId"}, {"full_name", "fullName"},
                {"follow_up_requested", "followUpRequested"}, {"recorded_on", "recordedOn"}});
  const absl::StatusOr<v1::InterviewRecord> record = Parse(json);
  ASSERT_THAT(record, IsOk());
  EXPECT_EQ(record->visit().facility_id(), "on-tor-ihc");
  EXPECT_EQ(record->identity().full_name(), "Synthetic Person");
  EXPECT_TRUE(record->interview().follow_up_requested());
  EXPECT_EQ(record->consents(0).recorded_on(), "2026-09-14");
  EXPECT_EQ(record->visit().visit_date(), "2026-09-14");  // snake_case beside camelCase
}

TEST(RecordJsonTest, EscapesAndSurrogatePairsDecoded) {
  const absl::StatusOr<v1::InterviewRecord> record = Parse(Edited(
      "\"Synthetic example.\"", R"("caf\u00e9 \ud83d\ude00 \"q\" \\ \/ \n")"));
  ASSERT_THAT(record, IsOk());
  EXPECT_EQ(record->interview().narrative(), "caf\xC3\xA9 \xF0\x9F\x98\x80 \"q\" \\ / \n");
  EXPECT_THAT(Parse(Edited("\"Synthetic example.\"", R"("half \udc00")")),
              StatusIs(kInvalid, HasSubstr("record.json:10:24: syntax error: a \\u escape")));
}

TEST(RecordJsonTest, TrailingCommaPointsAtTheComma) {
  EXPECT_THAT(Parse(Edited("\"team-ontario-2\"", "\"team-ontario-2\",")),
              StatusIs(kInvalid, "record.json:6:29: syntax error: a ',' before the closing '}': "
                                 "remove this ','"));
  EXPECT_THAT(Parse(Edited("[\"Arabic\"]", "[\"Arabic\",]")),
              StatusIs(kInvalid, HasSubstr("record.json:8:71: syntax error: a ','")));
}

TEST(RecordJsonTest, MissingCommaPointsAtTheNextMember) {
  EXPECT_THAT(Parse(Edited("\"ONTARIO\",", "\"ONTARIO\"")),
              StatusIs(kInvalid, "record.json:5:5: syntax error: expected ',' or '}' after an "
                                 "object member"));
}

TEST(RecordJsonTest, MissingClosingBraceNamesTheOpenBrace) {
  std::string json = kRecord;
  json.erase(json.rfind('}'));
  EXPECT_THAT(Parse(json), StatusIs(kInvalid, "record.json:16:1: syntax error: the file ends "
                                              "before the '{' at line 1, column 1 is closed: "
                                              "add the missing '}'"));
}

TEST(RecordJsonTest, BadEscapePointsAtTheBackslash) {
  EXPECT_THAT(Parse(Edited("\"Synthetic example.\"", R"("Synthetic \q example.")")),
              StatusIs(kInvalid, HasSubstr("record.json:10:29: syntax error: invalid escape")));
}

TEST(RecordJsonTest, InvalidUtf8PointsAtTheByteCountingCharacters) {
  // "D\u00e9j\u00e0 " then a Latin-1 byte: the bad byte is the sixth character of the text.
  EXPECT_THAT(Parse(Edited("\"Synthetic example.\"", "\"D\xC3\xA9j\xC3\xA0 \xFF\"")),
              StatusIs(kInvalid, "record.json:10:24: syntax error: invalid UTF-8: save the file "
                                 "with UTF-8 encoding"));
}

TEST(RecordJsonTest, UnterminatedStringPointsAtItsOpeningQuote) {
  EXPECT_THAT(Parse(Edited("\"Synthetic example.\"", "\"Synthetic example.")),
              StatusIs(kInvalid, HasSubstr("record.json:10:18: syntax error: this text is not "
                                           "closed before the end of the line")));
  EXPECT_THAT(Parse("{\"visit\": \"abc"),
              StatusIs(kInvalid, "record.json:1:11: syntax error: this text is not closed: add "
                                 "the missing '\"' at its end"));
}

TEST(RecordJsonTest, CommentsAndControlCharactersRefused) {
  EXPECT_THAT(Parse(Edited("  \"visit\"", "  // a note\n  \"visit\"")),
              StatusIs(kInvalid, HasSubstr("record.json:2:3: syntax error: comments are not")));
  EXPECT_THAT(Parse(Edited("Synthetic example.", "Synthetic\texample.")),
              StatusIs(kInvalid, HasSubstr("record.json:10:28: syntax error: a tab")));
}

TEST(RecordJsonTest, NestingDeeperThan64Refused) {
  EXPECT_THAT(Parse("{\"a\": " + std::string(64, '[')),
              StatusIs(kInvalid, "record.json:1:70: syntax error: nested more than 64 levels "
                                 "deep"));
  // 64 levels are fine for the scanner (the schema then refuses the field).
  const std::string deepest = "{\"a\": " + std::string(63, '[') + std::string(63, ']') + "}";
  EXPECT_THAT(ScanJson(deepest, "x"), IsOk());
}

TEST(RecordJsonTest, InputOver1MiBRefused) {
  std::string json = kRecord;
  json.append(kMaxJsonBytes + 1 - json.size(), ' ');
  EXPECT_THAT(Parse(json), StatusIs(kInvalid, HasSubstr("record.json: the file is larger")));
}

TEST(RecordJsonTest, TopLevelMustBeAnObject) {
  EXPECT_THAT(Parse(" []"),
              StatusIs(kInvalid, "record.json:1:2: record: expected an object: fields inside { }"));
  EXPECT_THAT(Parse(""), StatusIs(kInvalid, HasSubstr("record.json:1:1: syntax error: the file "
                                                      "ends too early")));
}

TEST(RecordJsonTest, NullListItemRefused) {
  EXPECT_THAT(Parse(Edited("[\"Arabic\"]", "[\"Arabic\", null]")),
              StatusIs(kInvalid, "record.json:8:73: identity.languages[1]: a list item cannot "
                                 "be null; remove it"));
}

// A content rule's refusal (here ValidateRecord's) points at the line and column where the field
// was written; for a missing field, at the nearest enclosing one; never quoting the value.
absl::Status Validated(const std::string& json) {
  FieldPositions positions;
  absl::StatusOr<v1::InterviewRecord> record = ParseRecordJson(json, "record.json", &positions);
  if (!record.ok()) return record.status();
  return AtFieldPosition(ValidateRecord(*record), "record.json", positions);
}

TEST(RecordJsonPositionTest, AnImpossibleDatePointsAtItsLine) {
  const absl::Status refused =
      Validated(Edited("\"visit_date\": \"2026-09-14\"", "\"visit_date\": \"2026-02-30\""));
  EXPECT_THAT(refused, StatusIs(kInvalid, HasSubstr("record.json:5:5: visit.visit_date: ")));
  EXPECT_THAT(refused.message(), Not(HasSubstr("2026-02-30")));
}

TEST(RecordJsonPositionTest, AMissingFieldPointsAtTheObjectThatLacksIt) {
  const absl::Status refused = Validated(Edited("\"team\": \"team-ontario-2\"", "\"team\": \"\""));
  EXPECT_THAT(refused, StatusIs(kInvalid, HasSubstr("record.json:6:5: visit.team: is required")));
  const absl::Status no_date =
      Validated(Edited("    \"visit_date\": \"2026-09-14\",\n", ""));
  EXPECT_THAT(no_date, StatusIs(kInvalid, HasSubstr("record.json:2:3: visit.visit_date: ")));
}

TEST(RecordJsonPositionTest, AFieldInAListPointsAtTheItemThatHasIt) {
  const absl::Status refused = Validated(
      Edited("\"recorded_on\": \"2026-09-14\"", "\"recorded_on\": \"14/09/2026\""));
  EXPECT_THAT(refused, StatusIs(kInvalid, HasSubstr("record.json:15:")));
  EXPECT_THAT(refused.message(), Not(HasSubstr("14/09/2026")));
}

TEST(RecordJsonPositionTest, AStatusWithoutAKnownFieldIsLeftWhole) {
  EXPECT_THAT(AtFieldPosition(absl::OkStatus(), "record.json", {}), IsOk());
  EXPECT_THAT(AtFieldPosition(absl::InvalidArgumentError("record: too large"), "record.json", {}),
              StatusIs(kInvalid, "record.json: record: too large"));
}

}  // namespace
}  // namespace confidant::client
