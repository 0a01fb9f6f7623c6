// ForTerminal and CheckDisplayText (proto/display_text.h): text another person typed can never
// move the cursor, erase a line or reorder what a reader sees (insider review F1, F2), while
// letters of any language stay readable.
#include "proto/display_text.h"

#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/testing/status_matchers.h"

namespace confidant {
namespace {

using ::confidant::testing::IsOk;
using ::confidant::testing::StatusIs;
using ::testing::Not;
using ::testing::HasSubstr;

TEST(ForTerminalTest, KeepsLettersOfAnyLanguage) {
  for (const std::string text : {"filed in error", "déposé par erreur — deux fois", "ملف", "日本"}) {
    EXPECT_EQ(ForTerminal(text), text);
    EXPECT_THAT(CheckDisplayText("reason", text), IsOk());
  }
}

TEST(ForTerminalTest, EscapesControlsBidiOverridesAndInvalidUtf8) {
  EXPECT_EQ(ForTerminal("a\x1b[2Kb\rc\nd\te\x7f"), "a\\x1b[2Kb\\x0dc\\x0ad\\x09e\\x7f");
  EXPECT_EQ(ForTerminal("x\xc2\x9b" "31m"), "x\\x9b31m");            // C1 CSI
  EXPECT_EQ(ForTerminal("abc\xe2\x80\xae" "fed"), "abc\\u{202e}fed");  // right-to-left override
  EXPECT_EQ(ForTerminal("\xe2\x81\xa6x"), "\\u{2066}x");                // left-to-right isolate
  EXPECT_EQ(ForTerminal("bad \xff\xc3"), "bad \\xff\\xc3");
  EXPECT_EQ(ForTerminal("\xc0\xaf"), "\\xc0\\xaf");  // overlong '/'
  EXPECT_EQ(ForTerminal("\xed\xa0\x80"), "\\xed\\xa0\\x80");  // a surrogate
}

TEST(CheckDisplayTextTest, RefusesWhatForTerminalWouldChangeWithoutQuotingIt) {
  const std::string forged = "filed in error\r\x1b[34Crecord b6ff65015f4f0741";
  const absl::Status refused = CheckDisplayText("reason", forged);
  EXPECT_THAT(refused, StatusIs(absl::StatusCode::kInvalidArgument,
                                "reason: contains a control character or a text-direction "
                                "override (not allowed here)"));
  EXPECT_THAT(std::string(refused.message()), Not(HasSubstr("b6ff")));
  EXPECT_THAT(CheckDisplayText("visit.team", "team\xe2\x80\xae"),
              StatusIs(absl::StatusCode::kInvalidArgument));
}

}  // namespace
}  // namespace confidant
