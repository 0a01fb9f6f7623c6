// Text one person types and another reads on a terminal (a requester's reason, a visit team's
// name) must never move the cursor, erase lines or reorder text on the reader's screen (an
// approver could otherwise be shown one record and approve another). The vault refuses such
// text where it is shown in listings (CheckDisplayText); the CLI escapes whatever the vault
// serves anyway (ForTerminal), for text stored before the check. Letters of any language
// (UTF-8) are kept as they are.
#ifndef CONFIDANT_PROTO_DISPLAY_TEXT_H_
#define CONFIDANT_PROTO_DISPLAY_TEXT_H_

#include <string>
#include <string_view>

#include "absl/status/status.h"

namespace confidant {

// `text` with C0 controls (including newline and tab), DEL, C1 controls (U+0080..U+009F), the
// bidirectional controls (U+061C, U+200E, U+200F, U+202A..U+202E, U+2066..U+2069) and invalid
// UTF-8 bytes replaced by escapes: "\x1b", "\u{202e}".
std::string ForTerminal(std::string_view text);

// INVALID_ARGUMENT "FIELD: contains a control character or a text-direction override (not
// allowed here)" when ForTerminal would change `text` (invalid UTF-8 too). Never quotes it.
absl::Status CheckDisplayText(std::string_view field, std::string_view text);

}  // namespace confidant

#endif  // CONFIDANT_PROTO_DISPLAY_TEXT_H_
