// Refusing protobuf fields this build does not know. proto3 parsers keep unknown fields and
// serialize them again, so a client built against another version of the contract (or one
// crafting bytes by hand) could hide content in a message the vault stores or serves, beyond
// every length limit and section grant. The vault refuses such a message before acting on it.
#ifndef CONFIDANT_PROTO_UNKNOWN_FIELDS_H_
#define CONFIDANT_PROTO_UNKNOWN_FIELDS_H_

#include <string_view>

#include "absl/status/status.h"
#include "google/protobuf/message.h"

namespace confidant {

// OK when neither `message` nor any message inside it carries an unknown field. Otherwise
// INVALID_ARGUMENT "WHAT.PATH: carries field number N, which this vault does not know; upgrade
// the client or drop the field", naming the first such field by its path and number only (never
// its bytes). `what` names the message for the caller ("request", "sealed_envelope").
absl::Status RejectUnknownFields(const google::protobuf::Message& message, std::string_view what);

}  // namespace confidant

#endif  // CONFIDANT_PROTO_UNKNOWN_FIELDS_H_
