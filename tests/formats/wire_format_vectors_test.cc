// The test vectors of docs/WIRE-FORMATS.md are what this build computes: every byte string a
// client in another language must reproduce or verify (signing bytes, signed notes, key ids,
// audit leaves and their hashes), computed here from the fixed inputs the document states, and
// compared with the hex in the document's `vectors` block. A change to a format fails here until
// the document says the same.
#include <sodium.h>

#include <fstream>
#include <map>
#include <sstream>
#include <string>
#include <string_view>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "crypto/asymmetric.h"
#include "crypto/init.h"
#include "crypto/key_transition.h"
#include "crypto/merkle.h"
#include "crypto/secret_bytes.h"
#include "crypto/signed_note.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "proto/facility_registry_format.h"
#include "proto/intake_key_format.h"
#include "proto/log_key_format.h"
#include "proto/receipt_format.h"
#include "server/audit/audit_leaf.h"
#include "tests/testing/status_matchers.h"

namespace confidant {
namespace {

using ::confidant::testing::IsOk;

// The Ed25519 key whose 32-byte seed is `first`, first+1, ..., first+31.
crypto::Ed25519KeyPair KeyFromSeed(unsigned char first) {
  unsigned char seed[crypto_sign_SEEDBYTES];
  for (size_t i = 0; i < sizeof seed; ++i) seed[i] = static_cast<unsigned char>(first + i);
  unsigned char pk[crypto_sign_PUBLICKEYBYTES];
  unsigned char sk[crypto_sign_SECRETKEYBYTES];
  crypto_sign_seed_keypair(pk, sk, seed);
  absl::StatusOr<crypto::Ed25519KeyPair> key = crypto::Ed25519KeyPair::FromSecretKey(
      crypto::SecretBytes::CopyFrom(std::string_view(reinterpret_cast<const char*>(sk), sizeof sk)));
  sodium_memzero(sk, sizeof sk);
  EXPECT_THAT(key, IsOk());
  return *std::move(key);
}

// name -> lower-case hex, from the ```vectors block of docs/WIRE-FORMATS.md: "name = hex", hex
// continued on following lines that start with a space.
std::map<std::string, std::string> DocumentedVectors() {
  std::ifstream in(std::string(CONFIDANT_SOURCE_DIR) + "/docs/WIRE-FORMATS.md");
  std::stringstream text;
  text << in.rdbuf();
  std::map<std::string, std::string> vectors;
  bool inside = false;
  std::string last;
  for (absl::string_view line : absl::StrSplit(text.str(), '\n')) {
    if (!inside) {
      inside = line == "```vectors";
      continue;
    }
    if (line == "```") break;
    if (!line.empty() && line[0] == ' ' && !last.empty()) {
      vectors[last] += std::string(absl::StripAsciiWhitespace(line));
      continue;
    }
    const std::vector<std::string> parts = absl::StrSplit(line, absl::MaxSplits(" = ", 1));
    if (parts.size() != 2) continue;
    last = parts[0];
    vectors[last] = parts[1];
  }
  return vectors;
}

std::string Hex(const std::string& bytes) { return absl::BytesToHexString(bytes); }

TEST(WireFormatVectorsTest, TheDocumentedVectorsAreWhatThisBuildComputes) {
  ASSERT_THAT(crypto::InitCrypto(), IsOk());
  const crypto::Ed25519KeyPair vault = KeyFromSeed(0x00);      // the vault identity key
  const crypto::Ed25519KeyPair log_key = KeyFromSeed(0x20);    // the checkpoint (log) key
  const crypto::Ed25519KeyPair next_log = KeyFromSeed(0x40);   // the next checkpoint key
  const std::string origin = "confidant.example/log/0123456789abcdef";
  std::map<std::string, std::string> computed;

  computed["vault-public-key"] = Hex(vault.public_key);
  computed["log-public-key"] = Hex(log_key.public_key);
  computed["next-log-public-key"] = Hex(next_log.public_key);

  // Intake key: version 3, public key 32 bytes of 0x11, created 1800000000.
  const std::string intake = IntakeKeySigningBytes(3, std::string(32, '\x11'), 1'800'000'000);
  computed["intake-key-signing-bytes"] = Hex(intake);
  computed["intake-key-signature"] = Hex(crypto::Sign(vault, intake));

  // Facility registry: policy version 7, with intake key version 3.
  v1::FacilityRegistry registry;
  registry.set_policy_version(7);
  registry.set_intake_key_version(3);
  registry.set_lists_facilities(true);
  v1::RegisteredFacility* quebec = registry.add_facilities();
  quebec->set_id("qc-lav-ihc");
  quebec->set_region(v1::QUEBEC);
  v1::RegisteredFacility* ontario = registry.add_facilities();
  ontario->set_id("on-tor-ihc");
  ontario->set_region(v1::ONTARIO);
  registry.add_record_classes("short-stay");
  registry.set_served_unix_seconds(1'800'000'030);
  const std::string registry_bytes = FacilityRegistrySigningBytes(registry);
  computed["facility-registry-signing-bytes"] = Hex(registry_bytes);
  computed["facility-registry-signature"] = Hex(crypto::Sign(vault, registry_bytes));

  // Checkpoint: tree size 6, root 32 bytes of 0x5a, time 1800000060, signed by the log key.
  crypto::CheckpointBody body;
  body.origin = origin;
  body.tree_size = 6;
  body.root.fill(0x5a);
  body.time_unix_seconds = 1'800'000'060;
  const std::string checkpoint = crypto::SignNote(crypto::FormatCheckpointBody(body), origin,
                                                  log_key);
  computed["checkpoint-note"] = Hex(checkpoint);

  // Receipt: record 00112233445566778899aabbccddeeff (hex text), envelope hash 32 x 0xaa,
  // audit index 5, the checkpoint note above.
  const std::string receipt = ReceiptSigningBytes("00112233445566778899aabbccddeeff",
                                                  std::string(32, '\xaa'), 5, checkpoint);
  computed["receipt-signing-bytes"] = Hex(receipt);
  computed["receipt-signature"] = Hex(crypto::Sign(vault, receipt));

  // Checkpoint key transition to version 2 (log key -> next log key) from tree size 6.
  crypto::KeyTransition transition;
  transition.origin = origin;
  transition.purpose = std::string(crypto::kCheckpointKeyPurpose);
  transition.version = 2;
  transition.old_public_key = log_key.public_key;
  transition.new_public_key = next_log.public_key;
  transition.time_unix_seconds = 1'800'000'100;
  transition.from_tree_size = 6;
  absl::StatusOr<std::string> transition_note = crypto::SignKeyTransition(transition, log_key);
  ASSERT_THAT(transition_note, IsOk());
  computed["checkpoint-key-transition-note"] = Hex(*transition_note);

  // The vault identity key vouches for the next log key and the chain leading to it.
  const std::string statement =
      LogKeyStatement(origin, next_log.public_key, std::vector<std::string>{*transition_note});
  computed["log-key-statement"] = Hex(statement);
  computed["log-key-signature"] = Hex(crypto::Sign(vault, statement));

  // Audit leaf 5 at 1800000000123456 micros with ciphertext "ciphertext", and its hash.
  const std::string leaf = audit::EncodeLeaf({5, 1'800'000'000'123'456, "ciphertext"});
  computed["audit-leaf"] = Hex(leaf);
  computed["audit-leaf-hash"] = Hex(crypto::HashToString(crypto::LeafHash(leaf)));

  const std::map<std::string, std::string> documented = DocumentedVectors();
  for (const auto& [name, hex] : computed) {
    auto it = documented.find(name);
    if (it == documented.end()) {
      ADD_FAILURE() << "docs/WIRE-FORMATS.md has no vector " << name << " = " << hex;
      continue;
    }
    EXPECT_EQ(it->second, hex) << name;
  }
  EXPECT_EQ(documented.size(), computed.size()) << "the document has vectors no test computes";
}

}  // namespace
}  // namespace confidant
