#include "crypto/secret_bytes.h"

#include <string>
#include <utility>

#include "gtest/gtest.h"

namespace confidant::crypto {
namespace {

std::string Contents(const SecretBytes& secret) {
  return std::string(reinterpret_cast<const char*>(secret.RevealSecret()), secret.size());
}

TEST(SecretBytesTest, ZeroSizeHoldsNoMemory) {
  SecretBytes empty(0);
  EXPECT_TRUE(empty.empty());
  EXPECT_EQ(empty.RevealSecret(), nullptr);
  EXPECT_EQ(SecretBytes().RevealSecret(), nullptr);
  EXPECT_EQ(SecretBytes::CopyFrom("").RevealSecret(), nullptr);
  EXPECT_EQ(SecretBytes::Random(0).RevealSecret(), nullptr);
}

TEST(SecretBytesTest, SizedConstructorZeroesTheBytes) {
  SecretBytes secret(48);
  EXPECT_EQ(Contents(secret), std::string(48, '\0'));
}

TEST(SecretBytesTest, RandomSecretsDiffer) {
  SecretBytes a = SecretBytes::Random(32);
  SecretBytes b = SecretBytes::Random(32);
  ASSERT_EQ(a.size(), 32u);
  EXPECT_FALSE(a.ConstantTimeEquals(b));
  EXPECT_NE(Contents(a), std::string(32, '\0'));
}

TEST(SecretBytesTest, CopyFromRoundTrips) {
  const std::string bytes("key\0material\xff", 13);
  SecretBytes secret = SecretBytes::CopyFrom(bytes);
  EXPECT_EQ(secret.size(), bytes.size());
  EXPECT_EQ(Contents(secret), bytes);
}

TEST(SecretBytesTest, ConstantTimeEqualsComparesContentAndSize) {
  SecretBytes a = SecretBytes::CopyFrom("0123456789abcdef");
  EXPECT_TRUE(a.ConstantTimeEquals(SecretBytes::CopyFrom("0123456789abcdef")));
  EXPECT_FALSE(a.ConstantTimeEquals(SecretBytes::CopyFrom("0123456789abcdeF")));
  EXPECT_FALSE(a.ConstantTimeEquals(SecretBytes::CopyFrom("0123456789abcde")));
  EXPECT_FALSE(a.ConstantTimeEquals(SecretBytes()));
  EXPECT_TRUE(SecretBytes().ConstantTimeEquals(SecretBytes(0)));
}

TEST(SecretBytesTest, MoveConstructionLeavesSourceEmpty) {
  SecretBytes source = SecretBytes::CopyFrom("secret");
  const uint8_t* memory = source.RevealSecret();
  SecretBytes target(std::move(source));
  EXPECT_EQ(target.RevealSecret(), memory);
  EXPECT_EQ(Contents(target), "secret");
  EXPECT_TRUE(source.empty());  // NOLINT(bugprone-use-after-move): checking the contract.
  EXPECT_EQ(source.RevealSecret(), nullptr);
}

TEST(SecretBytesTest, MoveAssignmentReplacesTargetAndLeavesSourceEmpty) {
  SecretBytes source = SecretBytes::CopyFrom("new");
  SecretBytes target = SecretBytes::CopyFrom("old secret");
  target = std::move(source);
  EXPECT_EQ(Contents(target), "new");
  EXPECT_TRUE(source.empty());  // NOLINT(bugprone-use-after-move): checking the contract.
  EXPECT_EQ(source.RevealSecret(), nullptr);
}

TEST(WipeStringTest, WipeStringZeroesTheBytesAndClears) {
  std::string text(64, 'p');  // Longer than any small-string buffer, so it lives on the heap.
  const char* bytes = text.data();
  WipeString(text);
  EXPECT_TRUE(text.empty());
  ASSERT_EQ(text.data(), bytes);  // clear() keeps the allocation, so the old bytes are readable.
  EXPECT_EQ(std::string(bytes, 64), std::string(64, '\0'));
}

}  // namespace
}  // namespace confidant::crypto
