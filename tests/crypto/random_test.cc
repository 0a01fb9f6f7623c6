#include "crypto/random.h"

#include <string>

#include "gtest/gtest.h"

namespace confidant::crypto {
namespace {

TEST(RandomTest, RandomBytesHaveRequestedSizeAndDiffer) {
  EXPECT_EQ(RandomBytes(24).size(), 24u);
  EXPECT_NE(RandomBytes(24), RandomBytes(24));
  EXPECT_TRUE(RandomBytes(0).empty());
}

TEST(RandomTest, RandomHexIdIsLowerCaseHexOfTwiceTheSize) {
  const std::string id = RandomHexId(16);
  ASSERT_EQ(id.size(), 32u);
  EXPECT_EQ(id.find_first_not_of("0123456789abcdef"), std::string::npos);
  EXPECT_NE(id, RandomHexId(16));
}

TEST(RandomTest, Blake2b256IsDeterministicAndThirtyTwoBytes) {
  EXPECT_EQ(Blake2b256("envelope").size(), 32u);
  EXPECT_EQ(Blake2b256("envelope"), Blake2b256("envelope"));
  EXPECT_NE(Blake2b256("envelope"), Blake2b256("envelopf"));
}

TEST(RandomTest, KeyedHashDependsOnKeyAndDiffersFromUnkeyed) {
  SecretBytes key = SecretBytes::Random(32);
  SecretBytes other = SecretBytes::Random(32);
  EXPECT_EQ(KeyedHash(key, "record-7"), KeyedHash(key, "record-7"));
  EXPECT_NE(KeyedHash(key, "record-7"), KeyedHash(other, "record-7"));
  EXPECT_NE(KeyedHash(key, "record-7"), Blake2b256("record-7"));
}

TEST(RandomDeathTest, KeyedHashWithTooShortKeyAborts) {
  SecretBytes short_key = SecretBytes::Random(8);
  EXPECT_DEATH(KeyedHash(short_key, "x"), "invalid size");
}

}  // namespace
}  // namespace confidant::crypto
