// Requests that do not parse (issue 13, item 8), sent as raw bytes over real mTLS by a known
// identity: invalid UTF-8 in a string field, groups nested past protobuf's limit, and bytes that
// are no protobuf. Each gets INVALID_ARGUMENT with a clear message (not gRPC's bare INTERNAL),
// changes nothing, and leaves an audit denial for the caller, merged with its repeats so a
// flood costs a bounded number of entries.
#include <memory>
#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "grpcpp/generic/generic_stub.h"
#include "grpcpp/impl/codegen/client_unary_call.h"
#include "grpcpp/impl/codegen/rpc_method.h"
#include "grpcpp/support/byte_buffer.h"
#include "gtest/gtest.h"
#include "tests/e2e/identity_helpers.h"
#include "tests/e2e/vault_process.h"
#include "tests/testing/status_matchers.h"

namespace confidant::testing {
namespace {

using ::testing::HasSubstr;

// Sends `payload` as the request of unary `method` and returns the status.
grpc::Status SendRaw(const std::shared_ptr<grpc::Channel>& channel, const std::string& method,
                     const std::string& payload) {
  grpc::Slice slice(payload);
  grpc::ByteBuffer request(&slice, 1);
  grpc::ByteBuffer response;
  grpc::ClientContext context;
  SetTestDeadline(context);
  const grpc::internal::RpcMethod rpc(method.c_str(), grpc::internal::RpcMethod::NORMAL_RPC);
  return grpc::internal::BlockingUnaryCall<grpc::ByteBuffer, grpc::ByteBuffer>(
      channel.get(), rpc, &context, request, &response);
}

TEST(MalformedRequestTest, UnparseableRequestsAreInvalidArgumentAndAuditedBoundedly) {
  absl::StatusOr<std::unique_ptr<VaultProcess>> started = VaultProcess::Start();
  ASSERT_THAT(started, IsOk());
  VaultProcess& vault = **started;
  const std::shared_ptr<grpc::Channel> channel = ChannelAs(vault, "case_officer");
  const std::string get = "/confidant.v1.RecordService/GetRecord";

  std::string nested;  // field 1 as a group, opened 200 times: past protobuf's depth of 100
  for (int i = 0; i < 200; ++i) nested.push_back('\x0b');
  const std::vector<std::string> malformed = {
      std::string("\x0a\x02\xff\xfe", 4),  // record_id = two bytes that are not UTF-8
      nested,
      std::string("\xff\xff\xff\xff\xff", 5),  // no protobuf at all
  };
  for (const std::string& payload : malformed) {
    const grpc::Status status = SendRaw(channel, get, payload);
    EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
    EXPECT_EQ(status.error_message(),
              "the request could not be read as a /confidant.v1.RecordService/GetRecord message "
              "(not protobuf, a string field that is not UTF-8, or nesting too deep)");
  }
  // A flood of them by one identity.
  for (int i = 0; i < 100; ++i) {
    EXPECT_EQ(SendRaw(channel, get, malformed[2]).error_code(),
              grpc::StatusCode::INVALID_ARGUMENT);
  }
  // A well-formed request on the same channel is still served as usual.
  EXPECT_EQ(SendRaw(channel, get, std::string("\x0a\x03\x61\x62\x63", 5)).error_code(),
            grpc::StatusCode::INVALID_ARGUMENT);  // "abc" is not a record id: the handler says so

  int traces = 0;
  for (const v1::AuditEntry& entry : AuditEntriesFrom(vault)) {
    const v1::AuditEvent& e = entry.event();
    if (e.action() != "malformed_request") continue;
    ++traces;
    EXPECT_EQ(e.principal(), DevPrincipalOf("case_officer"));
    EXPECT_EQ(e.decision(), v1::DENY);
    EXPECT_EQ(e.rule(), "deny:malformed-request");
    EXPECT_EQ(e.status_code(), "INVALID_ARGUMENT");
    if (e.count() == 0) {
      EXPECT_EQ(e.detail(), get);  // the first; repeats are counted
    }
  }
  EXPECT_GE(traces, 1);
  EXPECT_LE(traces, 3) << "repeats merge into one entry with a count";
  EXPECT_THAT(vault.log(), HasSubstr("malformed_request"));

  // They cost the call budget like any call (insider review F3): past it, RESOURCE_EXHAUSTED,
  // counted in the caller's hourly call_budget_exceeded entry, and well-formed calls are
  // refused too.
  int exhausted = 0;
  for (int i = 0; i < 1100 && exhausted < 5; ++i) {
    const grpc::Status status = SendRaw(channel, get, malformed[2]);
    if (status.error_code() == grpc::StatusCode::RESOURCE_EXHAUSTED) ++exhausted;
  }
  EXPECT_EQ(exhausted, 5) << "the dev policy's call budget is 1000 an hour";
  EXPECT_EQ(SendRaw(channel, get, std::string("\x0a\x03\x61\x62\x63", 5)).error_code(),
            grpc::StatusCode::RESOURCE_EXHAUSTED);
  int budget_entries = 0;
  for (const v1::AuditEntry& entry : AuditEntriesFrom(vault)) {
    const v1::AuditEvent& e = entry.event();
    if (e.action() == "call_budget_exceeded" && e.principal() == DevPrincipalOf("case_officer")) {
      ++budget_entries;
      EXPECT_TRUE(e.flagged());
    }
  }
  EXPECT_GE(budget_entries, 1);
  EXPECT_LE(budget_entries, 2) << "the first at once; the rest merge over the hour";
}

}  // namespace
}  // namespace confidant::testing
