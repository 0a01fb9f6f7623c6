// The facility registry (policy/facility_registry.h): edit distance, the closest registered ids,
// and the intake check with its messages (which never repeat the submitted id).
#include "policy/facility_registry.h"

#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "policy/policy.h"
#include "tests/policy/policy_test_util.h"
#include "tests/testing/status_matchers.h"

namespace confidant::policy {
namespace {

using ::confidant::testing::IsOk;
using ::confidant::testing::StatusIs;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::Not;

v1::Facility F(const std::string& id, v1::Region region) {
  v1::Facility f;
  f.set_id(id);
  f.set_region(region);
  return f;
}

Catalogue Registry() {
  Catalogue c;
  c.enabled = true;
  c.facilities = {F("on-tor-ihc", v1::ONTARIO), F("qc-lav-ihc", v1::QUEBEC),
                  F("qc-mtl-hold", v1::QUEBEC), F("bc-sur-ihc", v1::BRITISH_COLUMBIA),
                  F("ab-edm-rc", v1::ALBERTA)};
  return c;
}

TEST(FacilityEditDistanceTest, CountsInsertionsDeletionsAndSubstitutions) {
  EXPECT_EQ(FacilityEditDistance("", ""), 0u);
  EXPECT_EQ(FacilityEditDistance("abc", ""), 3u);
  EXPECT_EQ(FacilityEditDistance("", "abc"), 3u);
  EXPECT_EQ(FacilityEditDistance("kitten", "sitting"), 3u);
  EXPECT_EQ(FacilityEditDistance("qc-lav-ihc", "qc-lav-ih"), 1u);   // deletion
  EXPECT_EQ(FacilityEditDistance("qc-lav-ihc", "qc-lavv-ihc"), 1u);  // insertion
  EXPECT_EQ(FacilityEditDistance("qc-lav-ihc", "qc-lau-ihc"), 1u);   // substitution
  EXPECT_EQ(FacilityEditDistance("qc-lav-ihc", "qc-alv-ihc"), 2u);   // a swap is two edits
}

TEST(FacilityEditDistanceTest, IsSymmetricAndIgnoresAsciiCase) {
  EXPECT_EQ(FacilityEditDistance("QC-LAV-IHC", "qc-lav-ihc"), 0u);
  EXPECT_EQ(FacilityEditDistance("on-tor-ihc", "bc-sur-ihc"),
            FacilityEditDistance("bc-sur-ihc", "on-tor-ihc"));
}

TEST(ClosestFacilityIdsTest, NearestFirstAtMostThreeTiesInIdOrder) {
  const Catalogue c = Registry();
  EXPECT_THAT(ClosestFacilityIds(c.facilities, "qc-lav-ihx"),
              ElementsAre("qc-lav-ihc", "bc-sur-ihc", "on-tor-ihc"));
  EXPECT_THAT(ClosestFacilityIds(c.facilities, "qc-lav-ihx", 1), ElementsAre("qc-lav-ihc"));
  // All three letters differ from every id: equal distances fall back to id order.
  EXPECT_THAT(ClosestFacilityIds({F("b-1", v1::ONTARIO), F("a-1", v1::ONTARIO),
                                  F("c-1", v1::ONTARIO), F("d-1", v1::ONTARIO)},
                                 "zzz"),
              ElementsAre("a-1", "b-1", "c-1"));
  EXPECT_THAT(ClosestFacilityIds({}, "qc-lav-ihc"), IsEmpty());
}

TEST(CheckRegisteredFacilityTest, RegisteredFacilityInItsRegionPasses) {
  EXPECT_THAT(CheckRegisteredFacility(Registry(), 4, "qc-lav-ihc", v1::QUEBEC), IsOk());
}

TEST(CheckRegisteredFacilityTest, UnknownFacilityIsRefusedWithClosestIdsAndPolicyVersion) {
  const absl::Status status = CheckRegisteredFacility(Registry(), 4, "qc-lav-ihk", v1::QUEBEC);
  EXPECT_THAT(status, StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_EQ(status.message(),
            "visit.facility_id: not in the facility registry (policy version 4); closest: "
            "qc-lav-ihc, bc-sur-ihc, on-tor-ihc");
  EXPECT_THAT(std::string(status.message()), Not(HasSubstr("qc-lav-ihk")));
}

TEST(CheckRegisteredFacilityTest, SubmittedIdIsNeverPrintedBack) {
  const std::string canary = "CANARY-facility-9f2e";
  const absl::Status status = CheckRegisteredFacility(Registry(), 1, canary, v1::QUEBEC);
  EXPECT_THAT(status, StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(std::string(status.message()), Not(HasSubstr("CANARY")));
}

TEST(CheckRegisteredFacilityTest, CaseMatters) {
  // Registry ids are exact codes: another case is not registered, but is the first suggestion.
  const absl::Status status = CheckRegisteredFacility(Registry(), 2, "QC-LAV-IHC", v1::QUEBEC);
  EXPECT_THAT(status, StatusIs(absl::StatusCode::kInvalidArgument,
                               HasSubstr("closest: qc-lav-ihc, ")));
}

TEST(CheckRegisteredFacilityTest, WrongRegionNamesTheRegistryRegion) {
  EXPECT_THAT(CheckRegisteredFacility(Registry(), 4, "qc-lav-ihc", v1::ONTARIO),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       "visit.region: not the region of this facility in the published list; "
                       "the registry places it in QUEBEC (as written in a record file)"));
}

TEST(CheckRegisteredFacilityTest, PolicyWithoutRegistryChecksNothing) {
  Catalogue none;  // no reporting block
  EXPECT_FALSE(DeclaresFacilityRegistry(none));
  EXPECT_THAT(CheckRegisteredFacility(none, 1, "anything-at-all", v1::ONTARIO), IsOk());
  EXPECT_TRUE(DeclaresFacilityRegistry(Registry()));
}

TEST(CheckRegisteredFacilityTest, ExamplePolicyDeclaresItsRegistry) {
  std::shared_ptr<const Policy> example = testing_util::Load(testing_util::ReadExamplePolicy());
  ASSERT_NE(example, nullptr);
  EXPECT_TRUE(DeclaresFacilityRegistry(example->catalogue()));
  EXPECT_THAT(CheckRegisteredFacility(example->catalogue(), example->version(), "qc-lav-ihc",
                                      v1::QUEBEC),
              IsOk());
  EXPECT_THAT(CheckRegisteredFacility(example->catalogue(), example->version(), "qc-lav-ihd",
                                      v1::QUEBEC),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("closest: qc-lav-ihc")));
}

}  // namespace
}  // namespace confidant::policy
