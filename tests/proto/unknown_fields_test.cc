// RejectUnknownFields: a message the build knows passes; an unknown field anywhere inside is
// INVALID_ARGUMENT naming its path and number, never its bytes.
#include "proto/unknown_fields.h"

#include <string>

#include "confidant/v1/intake.pb.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/testing/status_matchers.h"

namespace confidant {
namespace {

using ::confidant::testing::IsOk;
using ::confidant::testing::StatusIs;
using ::testing::HasSubstr;
using ::testing::Not;

constexpr char kCanary[] = "CANARY-unknown-field";

void AddUnknown(google::protobuf::Message& message, int number) {
  message.GetReflection()->MutableUnknownFields(&message)->AddLengthDelimited(number, kCanary);
}

v1::IntakePayload Payload() {
  v1::IntakePayload payload;
  payload.set_format_version(1);
  payload.mutable_record()->mutable_visit()->set_facility_id("qc-lav-ihc");
  payload.mutable_record()->add_consents()->set_purpose(v1::FOLLOW_UP);
  payload.mutable_record()->add_consents()->set_purpose(v1::CASE_REVIEW);
  return payload;
}

TEST(RejectUnknownFieldsTest, AKnownMessagePasses) {
  EXPECT_THAT(RejectUnknownFields(Payload(), "sealed_envelope"), IsOk());
  EXPECT_THAT(RejectUnknownFields(v1::IntakePayload(), "request"), IsOk());
}

TEST(RejectUnknownFieldsTest, AtTheTopTheMessageIsNamed) {
  v1::IntakePayload payload = Payload();
  AddUnknown(payload, 200);
  EXPECT_THAT(RejectUnknownFields(payload, "request"),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("request: carries field number 200, which this vault does not "
                                 "know")));
}

TEST(RejectUnknownFieldsTest, NestedAndRepeatedFieldsAreNamedByPath) {
  v1::IntakePayload payload = Payload();
  AddUnknown(*payload.mutable_record()->mutable_visit(), 99);
  EXPECT_THAT(RejectUnknownFields(payload, "sealed_envelope"),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("sealed_envelope.record.visit: carries field number 99")));
  payload = Payload();
  AddUnknown(*payload.mutable_record()->mutable_consents(1), 7);
  const absl::Status status = RejectUnknownFields(payload, "sealed_envelope");
  EXPECT_THAT(status, StatusIs(absl::StatusCode::kInvalidArgument,
                               HasSubstr("sealed_envelope.record.consents[1]: carries field "
                                         "number 7")));
  EXPECT_THAT(std::string(status.message()), Not(HasSubstr(kCanary)));
}

}  // namespace
}  // namespace confidant
