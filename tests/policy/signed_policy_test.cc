// Signed policy: K of N governance signatures over the exact bytes; the keys and signature file
// formats; versions only go up.
#include "policy/signed_policy.h"

#include <string>
#include <vector>

#include "absl/strings/escaping.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "crypto/init.h"
#include "tests/policy/policy_test_util.h"
#include "tests/testing/status_matchers.h"

namespace confidant::policy {
namespace {

using namespace testing_util;  // NOLINT: test helpers
using ::confidant::testing::IsOk;
using ::confidant::testing::StatusIs;
using ::testing::HasSubstr;

class SignedPolicyTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_THAT(crypto::InitCrypto(), IsOk());
    for (const char* name : {"alice", "bob", "carol"}) {
      pairs_.push_back(crypto::Ed25519KeyPair::Generate());
      keys_.public_keys[name] = pairs_.back().public_key;
    }
    keys_.threshold = 2;
    text_ = TablePolicyText();  // version 7
  }
  std::string Sign(size_t i, const std::string& text) const {
    static const char* kNames[] = {"alice", "bob", "carol"};
    return SignPolicy(text, kNames[i], pairs_[i]);
  }
  absl::StatusOr<Policy> Verify(const std::string& sigs, uint64_t min_version = 1) const {
    return VerifySignedPolicy(text_, sigs, keys_, min_version);
  }

  std::vector<crypto::Ed25519KeyPair> pairs_;
  GovernanceKeys keys_;
  std::string text_;
};

TEST_F(SignedPolicyTest, KOfNSignaturesLoadThePolicy) {
  absl::StatusOr<Policy> policy = Verify(Sign(0, text_) + Sign(2, text_));
  ASSERT_THAT(policy, IsOk());
  EXPECT_EQ(policy->version(), 7u);
  EXPECT_THAT(Verify("# sidecar\n\n" + Sign(0, text_) + Sign(1, text_) + Sign(2, text_)), IsOk());
}

TEST_F(SignedPolicyTest, UnderSignedOrUnsignedPolicyIsRefused) {
  EXPECT_THAT(Verify(Sign(1, text_)), StatusIs(absl::StatusCode::kPermissionDenied));
  EXPECT_EQ(Verify(Sign(1, text_)).status().message(),
            "policy has 1 of 2 required governance signatures");
  EXPECT_EQ(Verify("").status().message(), "policy has 0 of 2 required governance signatures");
}

TEST_F(SignedPolicyTest, DuplicateSignatureByOneKeyCountsOnce) {
  EXPECT_THAT(Verify(Sign(0, text_) + Sign(0, text_) + Sign(0, text_)),
              StatusIs(absl::StatusCode::kPermissionDenied));
}

TEST_F(SignedPolicyTest, UnknownKeyIsIgnored) {
  const crypto::Ed25519KeyPair mallory = crypto::Ed25519KeyPair::Generate();
  EXPECT_THAT(Verify(Sign(0, text_) + SignPolicy(text_, "mallory", mallory)),
              StatusIs(absl::StatusCode::kPermissionDenied));
  // An outsider's signature under a governance key's name does not verify either.
  EXPECT_THAT(Verify(Sign(0, text_) + SignPolicy(text_, "bob", mallory)),
              StatusIs(absl::StatusCode::kPermissionDenied));
  EXPECT_THAT(Verify(Sign(0, text_) + SignPolicy(text_, "mallory", mallory) + Sign(1, text_)),
              IsOk());
}

TEST_F(SignedPolicyTest, TamperedTextIsRefused) {
  const std::string sigs = Sign(0, text_) + Sign(1, text_);
  const std::string original = text_;
  for (const std::string& tampered :
       {original + " ", original.substr(0, original.size() - 1),
        std::string(original).replace(original.find("version: 7"), 10, "version: 8")}) {
    EXPECT_THAT(VerifySignedPolicy(tampered, sigs, keys_, 1),
                StatusIs(absl::StatusCode::kPermissionDenied));
  }
}

TEST_F(SignedPolicyTest, OlderVersionIsRefusedAndEqualVersionAccepted) {
  const std::string sigs = Sign(0, text_) + Sign(1, text_);
  EXPECT_THAT(Verify(sigs, 7), IsOk());
  absl::StatusOr<Policy> older = Verify(sigs, 8);
  EXPECT_THAT(older, StatusIs(absl::StatusCode::kFailedPrecondition));
  EXPECT_EQ(older.status().message(), "policy version 7 is older than the version in force (8)");
}

TEST_F(SignedPolicyTest, SignedButInvalidPolicyReportsItsLines) {
  text_ = "version: 9\npersons { id: \"x\" }\n";
  EXPECT_THAT(Verify(Sign(0, text_) + Sign(1, text_)), StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(std::string(Verify(Sign(0, text_) + Sign(1, text_)).status().message()),
              HasSubstr("line 2: person x has no certificates"));
}

TEST_F(SignedPolicyTest, MalformedSignatureLinesAreRejectedWithTheirLine) {
  EXPECT_THAT(std::string(Verify(Sign(0, text_) + "bob\n").status().message()),
              HasSubstr("signatures line 2"));
  EXPECT_THAT(Verify("alice not*base64\n"), StatusIs(absl::StatusCode::kInvalidArgument));
}

TEST_F(SignedPolicyTest, SigningMessageIsDomainTaggedAndLengthPrefixed) {
  EXPECT_EQ(PolicySigningMessage("ab"), std::string("confidant/v1/policy\0\0\0\0\x02" "ab", 26));
}

TEST(GovernanceKeysTest, RoundTripsThroughText) {
  GovernanceKeys keys;
  keys.threshold = 1;
  keys.public_keys["alice"] = std::string(32, 'a');
  keys.public_keys["bob"] = std::string(32, 'b');
  absl::StatusOr<GovernanceKeys> parsed = GovernanceKeys::FromText("# pinned\n" + keys.ToText());
  ASSERT_THAT(parsed, IsOk());
  EXPECT_EQ(parsed->threshold, 1u);
  EXPECT_EQ(parsed->public_keys, keys.public_keys);
}

TEST(GovernanceKeysTest, ErrorsNameTheirLines) {
  const std::string a = absl::Base64Escape(std::string(32, 'a'));
  const std::string b = absl::Base64Escape(std::string(32, 'b'));
  auto message = [](const std::string& text) {
    absl::StatusOr<GovernanceKeys> keys = GovernanceKeys::FromText(text);
    EXPECT_THAT(keys, StatusIs(absl::StatusCode::kInvalidArgument));
    return keys.ok() ? std::string() : std::string(keys.status().message());
  };
  EXPECT_THAT(message("alice " + a + "\n"), HasSubstr("no threshold line"));
  EXPECT_THAT(message("threshold 2\nalice " + a + "\n"), HasSubstr("line 1: threshold must be between 1 and 1"));
  EXPECT_THAT(message("threshold 0\nalice " + a + "\n"), HasSubstr("line 1: threshold must be between"));
  EXPECT_THAT(message("threshold 1\nthreshold 1\nalice " + a + "\n"), HasSubstr("line 2: threshold is given twice"));
  EXPECT_THAT(message("threshold 1\nalice " + a + "\nalice " + b + "\n"), HasSubstr("line 3: key name alice is listed twice"));
  EXPECT_THAT(message("threshold 1\nalice " + a + "\nbob " + a + "\n"), HasSubstr("line 3: key bob repeats another name's key"));
  EXPECT_THAT(message("threshold 1\nalice " + absl::Base64Escape("short") + "\n"), HasSubstr("line 2: key must be"));
  EXPECT_THAT(message("threshold 1\nal/ice " + a + "\n"), HasSubstr("line 2: key name must be"));
  EXPECT_THAT(message("threshold 1\nalice " + a + " extra\n"), HasSubstr("line 2: want"));
}

}  // namespace
}  // namespace confidant::policy
