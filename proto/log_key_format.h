// The statement by which the vault identity key (which clients pin) vouches for the log
// (checkpoint) key. Client and server both use it.
#ifndef CONFIDANT_PROTO_LOG_KEY_FORMAT_H_
#define CONFIDANT_PROTO_LOG_KEY_FORMAT_H_

#include <string>
#include <string_view>

#include "base/bytes.h"

namespace confidant {

// "confidant/v1/log-key" 0x00 lp(origin) lp(log public key).
inline std::string LogKeyStatement(std::string_view origin, std::string_view log_public_key) {
  std::string out = DomainTag("confidant/v1/log-key");
  AppendLengthPrefixed(out, origin);
  AppendLengthPrefixed(out, log_public_key);
  return out;
}

}  // namespace confidant

#endif  // CONFIDANT_PROTO_LOG_KEY_FORMAT_H_
