// The newest verified intake key, kept in the identity folder (IDENTITY_DIR/intake-key) so that
// a visit team can seal a record with no connection to the vault (README.md, "Working
// offline").
//
// The file holds no secret (an X25519 public key, its signature by the vault identity key and
// the identity transitions): it is re-verified against the pinned vault.pub every time it is
// loaded, so a key planted in the folder is refused, not used.
#ifndef CONFIDANT_CLIENT_INTAKE_KEY_CACHE_H_
#define CONFIDANT_CLIENT_INTAKE_KEY_CACHE_H_

#include <cstdint>
#include <optional>
#include <string>

#include "absl/status/statusor.h"
#include "absl/status/status.h"
#include "confidant/v1/record.pb.h"
#include "confidant/v1/record_service.pb.h"

namespace confidant::client {

// The vault accepts an envelope sealed to an intake key while the key is current and for
// kIntakeGraceDays after a rotation retires it (server/vault_keys.h kIntakeGraceSeconds). So an
// envelope sealed to a key this client saw as current at time T reaches the vault safely if it
// is delivered before T + kIntakeGraceDays, whatever rotations happen meanwhile.
inline constexpr int64_t kIntakeGraceDays = 14;
// The vault refuses an envelope whose creation time is more than this before its intake key's
// creation or after the vault's clock (server/record_vault.cc).
inline constexpr int64_t kEnvelopeClockSlackSeconds = 24 * 3600;

struct CachedIntakeKey {
  v1::IntakeKey key;
  // When the vault last served this key as its current one: the signed
  // facility_registry.served_unix_seconds (the vault's clock), so editing the kept file cannot
  // make an old key look fresh. Only a key kept before that field existed falls back to the
  // unsigned time written beside it, until the next fetch replaces it.
  int64_t confirmed_unix_seconds = 0;

  // `key` (verified by the caller) dated by its signed served time, or `unsigned_fallback` for
  // a registry signed before served times existed.
  static CachedIntakeKey Dated(v1::IntakeKey key, int64_t unsigned_fallback);

  // The last moment an envelope sealed to this key is sure to be accepted.
  int64_t SafeUntil() const { return confirmed_unix_seconds + kIntakeGraceDays * 86400; }
};

// OK with the vault identity key the intake key's signature was checked under (the pinned key,
// or the newest one its identity transitions lead to). UNAUTHENTICATED if the signature, or
// that of the facility registry served with the key, does not verify, or if the registry is
// missing (every vault serves one: a key without it was stripped, which would turn the offline
// checks below off); DATA_LOSS naming a broken transition chain.
absl::StatusOr<std::string> VerifyIntakeKey(const v1::IntakeKey& key,
                                            const std::string& trusted_vault_key);

// Checks `record`'s facility and region against the facility registry served (signed) with
// `key`, as the vault will (policy/facility_registry.h), so a misspelt facility is refused
// before sealing, offline too, rather than at delivery when the plaintext may be gone.
// INVALID_ARGUMENT with the closest registered ids; UNAUTHENTICATED when the key carries no
// registry.
absl::Status CheckFacilityBeforeSealing(const v1::IntakeKey& key,
                                        const v1::InterviewRecord& record);

// Reads and verifies the kept key. nullopt if there is none; DATA_LOSS if the file is damaged
// or its signature does not verify under `pinned_vault_key` (it is then never used).
absl::StatusOr<std::optional<CachedIntakeKey>> LoadIntakeKey(const std::string& path,
                                                             const std::string& pinned_vault_key);

// Keeps `key` (already verified by the caller), written 0600, synced, renamed into place, with
// `confirmed_unix_seconds` beside it (read back only for a registry without a signed served
// time; see CachedIntakeKey).
absl::Status StoreIntakeKey(const std::string& path, const v1::IntakeKey& key,
                            int64_t confirmed_unix_seconds);

}  // namespace confidant::client

#endif  // CONFIDANT_CLIENT_INTAKE_KEY_CACHE_H_
