#include "client/cli_help.h"

#include <algorithm>
#include <cctype>
#include <initializer_list>
#include <string>
#include <vector>

#include "absl/flags/commandlineflag.h"
#include "absl/flags/reflection.h"

namespace confidant::client {
namespace {

constexpr size_t kWidth = 80;

// Abseil 20220623 on Debian has its own absl::string_view, which does not mix with
// std::string_view: these two small helpers keep this file on std types.
std::string Cat(std::initializer_list<std::string_view> parts) {
  std::string out;
  for (std::string_view part : parts) out.append(part);
  return out;
}

// The non-empty pieces of `text` between occurrences of `separator`.
std::vector<std::string_view> Split(std::string_view text, std::string_view separator) {
  std::vector<std::string_view> pieces;
  while (!text.empty()) {
    const size_t at = text.find(separator);
    if (at != 0) pieces.push_back(text.substr(0, at));
    if (at == std::string_view::npos) break;
    text.remove_prefix(at + separator.size());
  }
  return pieces;
}

// One command's help. `name` is "get" or, for a subcommand, "operator unseal". A command with
// subcommands has an entry of its own (its overview) and one per subcommand. `flags` holds one
// "--flag ARG<TAB>what it does" line per flag; `examples` one command line per line, lines
// starting with '#' being comments.
struct Doc {
  std::string_view name;
  std::string_view summary;
  std::string_view usage;  // after "confidant "
  std::string_view about;  // paragraphs separated by a blank line
  std::string_view flags;
  std::string_view examples;
};

// The table every help text comes from. Keep it in step with cli_main.cc (tests check that every
// command has help, a usage line and an example).
constexpr Doc kDocs[] = {
    // Visit teams.
    {"submit", "Seal a record and send it (queued in the outbox when offline)",
     "submit FILE.json [--remove-source] [--submission-id ID]",
     "Reads one interview record written in JSON (see deploy/examples/record.json), checks it, "
     "and seals it at once on this computer: from then on only the vault can open it. The sealed "
     "record goes into your outbox and is sent straight away if the vault can be reached; if it "
     "cannot, the record waits there safely and 'confidant outbox flush' sends it later. When "
     "the vault has stored it, its receipt is checked and the record id is printed.\n\n"
     "Sealing without a connection uses the vault's intake key kept from your last contact with "
     "the vault; 'confidant outbox status' shows whether it is still usable. Fields the record "
     "format does not have are refused. Exit code 0: stored; 3: sealed and queued, not yet "
     "delivered.\n\n"
     "Who: visit team members (roles that may submit).",
     "--remove-source\tDelete FILE.json once the record is sealed in the outbox, so that no "
     "readable copy stays on this computer\n"
     "--submission-id ID\tRetry an earlier attempt under the same id: the vault stores the "
     "record once and answers with the same record id\n",
     "submit interview.json\nsubmit interview.json --remove-source\n"
     "# offline: the record is sealed and queued (exit code 3); later, online:\noutbox flush"},
    {"amend", "Store a corrected version of a record you submitted",
     "amend RECORD_ID FILE.json [--remove-source] [--submission-id ID]",
     "Sends the whole corrected record in FILE.json as a new version of RECORD_ID and prints "
     "'RECORD_ID  version N'. Nothing is overwritten: earlier versions stay readable with "
     "'confidant get --version N'. The region and facility cannot change (they decide who may "
     "read the record): file a new record instead. Like submit, the record is sealed at once and "
     "waits in the outbox if the vault cannot be reached (exit code 3).\n\n"
     "Who: only the person who submitted the record, within the policy's amendment window (72 "
     "hours after the first submission unless the policy says otherwise).",
     "--remove-source\tDelete FILE.json once the record is sealed in the outbox, so that no "
     "readable copy stays on this computer\n"
     "--submission-id ID\tRetry an earlier attempt under the same id: the vault stores the "
     "record once and answers with the same record id\n",
     "amend 7d1f0c2a9b3e4f5a6c7d8e9f0a1b2c3d corrected.json"},
    {"outbox", "See, send or delete the sealed records waiting to be sent",
     "outbox status|flush|requeue|wipe ...",
     "Every record you submit or amend is sealed on this computer and kept in your identity's "
     "outbox until the vault confirms it has stored it. The outbox holds only sealed envelopes: "
     "nobody, you included, can read a record from it.\n\n"
     "Who: visit team members, for their own outbox.",
     "", "outbox status\noutbox flush --retry-for 600"},
    {"outbox status", "List waiting records (age, attempts, last error) and the intake key",
     "outbox status",
     "Lists every envelope waiting to be sent, oldest first: how long it has waited, how many "
     "times sending failed and the last error. Then lists the envelopes the vault refused for "
     "good (they are never sent again: correct the record and submit it again). Also says whether "
     "you hold a usable intake key, which is needed to seal records while offline, and until "
     "when. Works offline.",
     "", "outbox status"},
    {"outbox flush", "Send the waiting records now", "outbox flush [--retry-for SECONDS]",
     "Sends every waiting envelope, oldest first, and checks each receipt. Without --retry-for "
     "it tries once; with it, it keeps trying what is left, waiting longer between attempts, for "
     "up to SECONDS. An envelope the vault refuses for good moves to the refused list ('confidant "
     "outbox status'). While online it also fetches the vault's current intake key. Exit code 0: "
     "the outbox is empty; 3: envelopes are still waiting.",
     "--retry-for SECONDS\tKeep retrying for up to this many seconds\n",
     "outbox flush\noutbox flush --retry-for 600"},
    {"outbox requeue", "Send a refused record again, once staff put right what refused it",
     "outbox requeue NAME",
     "Moves the refused envelope NAME (as 'confidant outbox status' lists it) back to the queue; "
     "the next 'confidant outbox flush' sends it. For a record the vault refused because the "
     "policy changed after it was sealed (the facility dropped from the registry, your grant "
     "removed) and that staff have since put right: the sealed record is sent as it is, nothing "
     "needs entering again. If nothing changed, the vault refuses it again.\n\n"
     "Who: visit team members, for their own outbox.",
     "", "outbox requeue 3f9c2a7e5b1d4c6a8e0f2b4d6a8c0e1f"},
    {"outbox wipe", "Delete every waiting and refused record, unsent",
     "outbox wipe [--refused] --yes",
     "Deletes every envelope in your outbox, waiting or refused, without sending it. Records that "
     "were never delivered are then lost: submit them again from their files if you still have "
     "them. With --refused, only the envelopes the vault refused go (once you have fixed and "
     "submitted those records again); the waiting ones stay. It needs --yes so that it never "
     "runs by accident. Works offline.",
     "--refused\tOnly the refused envelopes\n--yes\tYes, delete them\n",
     "outbox wipe --refused --yes\noutbox wipe --yes"},

    // Staff.
    {"get", "Read the sections of a record your role may see",
     "get RECORD_ID --purpose CODE [--reason TEXT] [--version N]",
     "Prints, as JSON, the sections of the record your role may read (in the example policy: "
     "identity, interview and legal for case officers and legal advisers; health and interview "
     "for health reviewers), with the visit details and the detainee's consents. You must say "
     "why: the purpose must be one your role may use, and some purposes (medical_referral, "
     "legal_referral, raise_with_authority in the example policy) also need the detainee's "
     "consent on record. The record must be within your scope (your regions or facilities) "
     "unless a break-glass request of yours was approved. Every read is written to the audit log "
     "with its purpose and reason.\n\n"
     "Who: case officers, health reviewers and legal advisers.",
     "--purpose CODE\tWhy you read it: follow_up, case_review, quality_assurance, "
     "legal_referral, medical_referral or raise_with_authority (your role allows some)\n"
     "--reason TEXT\tA short note for the audit log (at most 500 bytes)\n"
     "--version N\tAn earlier version of the record (default: the newest)\n",
     "get 7d1f0c2a9b3e4f5a6c7d8e9f0a1b2c3d --purpose follow_up --reason \"call back\"\n"
     "get 7d1f0c2a9b3e4f5a6c7d8e9f0a1b2c3d --purpose case_review --version 1"},
    {"list", "List records (metadata only, never content)",
     "list [--facility ID] [--since YYYY-MM-DD]",
     "Prints one line per record within your scope: id, version, visit date, region, facility and "
     "team. No section of any record is shown.\n\n"
     "Who: roles that may list (case officers, health reviewers and legal advisers in the "
     "example policy).",
     "--facility ID\tOnly records of this facility (e.g. on-tor-ihc)\n"
     "--since YYYY-MM-DD\tOnly visits on or after this day\n",
     "list\nlist --facility on-tor-ihc --since 2026-01-01"},
    {"history", "Show the versions of a record: when and by whom", "history RECORD_ID",
     "Lists each version of a record: its number, when it was stored, whether it was the first "
     "submission or an amendment, and by whom.\n\n"
     "Who: roles that may list, for records in their scope.",
     "", "history 7d1f0c2a9b3e4f5a6c7d8e9f0a1b2c3d"},
    {"consent", "Record that the detainee gave or withdrew consent",
     "consent RECORD_ID --purpose CODE --give|--withdraw [--on YYYY-MM-DD]",
     "Records a change in the detainee's consent for one purpose. The change is added to the "
     "record's consent history (nothing is overwritten) and the newest change decides every later "
     "read for that purpose. Reads for purposes that need consent are refused without it; "
     "nothing, not even break-glass, gets around that.\n\n"
     "Who: roles that may record consent (case officers in the example policy), for records in "
     "their scope.",
     "--purpose CODE\tThe purpose the consent is for, e.g. medical_referral\n"
     "--give\tThe detainee gives consent\n"
     "--withdraw\tThe detainee withdraws consent\n"
     "--on YYYY-MM-DD\tThe day the detainee said so (default: today)\n",
     "consent 7d1f0c2a9b3e4f5a6c7d8e9f0a1b2c3d --purpose medical_referral --give\n"
     "consent 7d1f0c2a9b3e4f5a6c7d8e9f0a1b2c3d --purpose legal_referral --withdraw "
     "--on 2026-10-02"},
    {"break-glass", "Ask for, or approve, urgent access outside your scope",
     "break-glass request|list|approve|reject ...",
     "Break-glass lets a reader open a record outside their scope (another region or facility) "
     "for one purpose, once other people approve. The reader then sees only their own role's "
     "sections, for a limited time (the policy's break_glass_minutes, 60 by default), and the "
     "detainee's consent is still needed where the purpose requires it. Every step is in the "
     "audit log.\n\n"
     "Who: readers request (case officers in the example policy); approvers decide.",
     "", "break-glass request 7d1f0c2a9b3e4f5a6c7d8e9f0a1b2c3d --purpose follow_up --reason "
     "\"transferred from Ontario\"\nbreak-glass list"},
    {"break-glass request", "Ask for access to a record outside your scope",
     "break-glass request RECORD_ID --purpose CODE --reason TEXT",
     "Asks for access to RECORD_ID for one purpose and prints the request id. Approvers see the "
     "request's details and your reason, never the record. Once enough approvers agree (the "
     "policy's min_break_glass_approvals), read it with 'confidant get'. A request nobody "
     "decides within the policy's break_glass_request_hours (24 by default) expires.\n\n"
     "Who: roles that may request break-glass (case officers in the example policy).",
     "--purpose CODE\tThe one purpose you need the record for\n"
     "--reason TEXT\tWhy, for the approvers and the audit log (required, at most 500 bytes)\n",
     "break-glass request 7d1f0c2a9b3e4f5a6c7d8e9f0a1b2c3d --purpose follow_up --reason "
     "\"transferred from Ontario\""},
    {"break-glass list", "Approvers: the open requests; anyone: their own (--mine)",
     "break-glass list [--mine]",
     "Lists the open break-glass requests of other persons: id, record, requester, purpose, "
     "approvals, reason and when it expires unanswered. Never any record content. With --mine, "
     "your own requests in every state: open (until when), approved (access until when), "
     "rejected or expired.\n\nWho: approvers; --mine: everyone.",
     "--mine\tYour own requests, in every state\n", "break-glass list\nbreak-glass list --mine"},
    {"break-glass approve", "Approvers: agree to another person's request",
     "break-glass approve REQUEST_ID",
     "Approves a request. Nobody may decide their own request, from any of their certificates. "
     "When enough approvals are in, the requester may read for the policy's break_glass_minutes "
     "from the last approval, for the purpose requested only.\n\nWho: approvers.",
     "", "break-glass approve REQUEST_ID"},
    {"break-glass reject", "Approvers: refuse another person's request",
     "break-glass reject REQUEST_ID",
     "Refuses a request: it can then never grant access.\n\nWho: approvers.", "",
     "break-glass reject REQUEST_ID"},
    {"erasure", "Ask for, or approve, the early destruction of a record",
     "erasure request|list|approve|reject ...",
     "Early erasure destroys a record before its retention period ends, for example when the "
     "detainee withdraws consent to keep it or it was filed in error. It takes two people: one "
     "asks, and an approver who is a different person agrees. The record is then crypto-shredded "
     "at once (every key that could open it is destroyed) and the audit log keeps a disposal "
     "receipt. This cannot be undone.\n\n"
     "Who: roles that may request erasure (case officers in the example policy) ask; approvers "
     "decide.",
     "", "erasure request 7d1f0c2a9b3e4f5a6c7d8e9f0a1b2c3d --reason \"filed in error\"\n"
     "erasure list"},
    {"erasure request", "Ask for a record to be destroyed early",
     "erasure request RECORD_ID --reason TEXT",
     "Asks for RECORD_ID to be destroyed and prints the request id. Nothing is destroyed until "
     "an approver agrees.\n\nWho: roles that may request erasure, for records in their scope.",
     "--reason TEXT\tWhy, for the approver and the audit log (required)\n",
     "erasure request 7d1f0c2a9b3e4f5a6c7d8e9f0a1b2c3d --reason \"consent to keep withdrawn\""},
    {"erasure list", "Approvers: the open erasure requests; anyone: their own (--mine)",
     "erasure list [--mine]",
     "Lists the open erasure requests of other persons: id, record, requester, reason and when "
     "it expires unanswered. Never any record content. With --mine, your own requests in every "
     "state (an approved one goes with its record).\n\nWho: approvers; --mine: everyone.",
     "--mine\tYour own requests, in every state\n", "erasure list\nerasure list --mine"},
    {"erasure approve", "Approvers: agree; the record is destroyed at once",
     "erasure approve REQUEST_ID",
     "Approves another person's erasure request: the record is crypto-shredded at once, with a "
     "disposal receipt in the audit log naming the request, the requester and you. This cannot "
     "be undone.\n\nWho: approvers (never for their own request).",
     "", "erasure approve REQUEST_ID"},
    {"erasure reject", "Approvers: refuse an erasure request", "erasure reject REQUEST_ID",
     "Refuses another person's erasure request; the record stays.\n\nWho: approvers.", "",
     "erasure reject REQUEST_ID"},

    // Auditors.
    {"audit", "Verify, read and export the access log", "audit verify|tail|show|export ...",
     "Every request that reaches a record, key, policy or audit function leaves one entry in "
     "the vault's audit log, whether it was allowed or refused. The log is append-only, and "
     "provably so: these commands check it and read it.\n\n"
     "Who: auditors. 'audit verify --offline' can be run by anyone holding the vault's public "
     "key (vault.pub).",
     "", "audit verify\naudit show --record 7d1f0c2a9b3e4f5a6c7d8e9f0a1b2c3d"},
    {"audit verify", "Recompute and check the whole log",
     "audit verify [--witness NAME=KEY] [--offline DIR]",
     "Downloads every entry, recomputes the log's hash tree, checks the signatures on the latest "
     "checkpoint (and each required witness's cosignature), and checks that it is consistent "
     "with the last checkpoint you verified. Ends with 'verified N entries up to root R', or "
     "'audit log NOT verified:' and the first entry that fails (exit code 1). With --offline it "
     "checks an export made by 'confidant audit export', with no network.\n\n"
     "Who: auditors; with --offline, anyone with vault.pub.",
     "--witness NAME=KEY\tRequire this witness's cosignature (KEY in base64; repeat, or separate "
     "with commas)\n"
     "--offline DIR\tVerify the export in DIR, with no network\n",
     "audit verify\naudit verify --witness witness.example/auditor-1=BASE64KEY\n"
     "audit verify --offline ./export-2026-10"},
    {"audit tail", "Print the latest entries", "audit tail [--count N] [--follow] [--flagged]",
     "Prints the last N entries: when, who, which role, what action, which records, the decision "
     "and the rule that made it. --flagged searches the whole log for flagged entries only "
     "(quota refusals, refused revisions, shredding waiting for confirmation). --follow keeps "
     "printing new entries as they come.\n\nWho: auditors.",
     "--count N\tHow many entries (default 20)\n"
     "--follow\tKeep printing new entries\n"
     "--follow-seconds S\tWith --follow, stop after S seconds (default 3600)\n"
     "--flagged\tOnly flagged entries, from the whole log\n",
     "audit tail --count 50\naudit tail --flagged\naudit tail --follow"},
    {"audit show", "Who accessed a record, when and why", "audit show --record RECORD_ID",
     "Prints every entry that touched RECORD_ID: when, who, which role, the purpose and reason, "
     "and which sections were disclosed; for a destroyed record, its disposal receipt.\n\n"
     "Who: auditors.",
     "--record RECORD_ID\tThe record\n", "audit show --record 7d1f0c2a9b3e4f5a6c7d8e9f0a1b2c3d"},
    {"audit export", "Save the signed log to a folder, for offline checking", "audit export DIR",
     "Writes the latest signed checkpoint and every entry of the log into DIR. Entries stay "
     "encrypted, so an export holds nothing readable and can be handed to anyone to check with "
     "'confidant audit verify --offline DIR'.\n\nWho: auditors.",
     "", "audit export ./export-2026-10"},

    // The policy: governance, auditors, custodians.
    {"policy", "Sign, check, explain and reload the access policy",
     "policy sign|check|explain|who-can|reload ...",
     "The policy says who may read which sections of which records, why, and within which scope; "
     "anything it does not grant is refused. It is in force only when signed by enough "
     "governance keys.\n\n"
     "Who: governance members sign and check (offline); auditors explain and ask who-can; "
     "custodians reload.",
     "", "policy check policy.textproto\npolicy who-can --record 7d1f0c2a9b3e4f5a6c7d8e9f0a1b2c3d"},
    {"policy sign", "Add your signature to a policy file",
     "policy sign FILE --key KEYFILE [--name NAME]",
     "Signs FILE with your governance key and adds the signature to FILE.sig. Works offline: "
     "needs no identity and no server.\n\n"
     "Who: governance members, who keep their keys offline.",
     "--key KEYFILE\tYour governance key file\n"
     "--name NAME\tThe key's name in the governance keys file (default: the key file's name "
     "without .key)\n",
     "policy sign policy.textproto --key /media/usb/gov-1.key"},
    {"policy check", "Check a policy file and count its signatures",
     "policy check FILE [--governance-keys KEYS]",
     "Checks FILE and prints any errors with their line numbers. With --governance-keys, also "
     "counts its valid signatures against the threshold. Works offline: needs no identity and no "
     "server.\n\nWho: anyone.",
     "--governance-keys KEYS\tThe governance keys file (threshold and one key per line)\n",
     "policy check policy.textproto\n"
     "policy check policy.textproto --governance-keys governance/keys.txt"},
    {"policy explain", "Why a person would be allowed or refused",
     "policy explain --person P [--action A] [--record R] [--purpose X] [--section S]",
     "Asks the vault what the policy in force decides for person P doing action A on record R, "
     "for purpose X and section S, and which rule decides it. Shows no record content.\n\n"
     "Who: auditors.",
     "--person P\tThe person's id in the policy\n"
     "--action A\tThe action (default get_record)\n"
     "--record R\tThe record id\n"
     "--purpose X\tThe purpose, e.g. follow_up\n"
     "--section S\tOne section: identity, interview, health or legal\n",
     "policy explain --person case_officer_on --record 7d1f0c2a9b3e4f5a6c7d8e9f0a1b2c3d "
     "--purpose follow_up"},
    {"policy who-can", "Who could read each section of a record today",
     "policy who-can --record RECORD_ID",
     "Lists, for each section, every person who could read the record today within their "
     "scope, and every break-glass grant for it still in force.\n\nWho: auditors.",
     "--record RECORD_ID\tThe record\n",
     "policy who-can --record 7d1f0c2a9b3e4f5a6c7d8e9f0a1b2c3d"},
    {"policy reload", "Put a newly signed policy in force", "policy reload",
     "Asks the vault to load its policy file again. A policy that is invalid, not signed by "
     "enough governance keys or not newer than the one in force is refused (with line-numbered "
     "errors) and the old one stays in force. Both outcomes are audited.\n\nWho: custodians.",
     "", "policy reload"},

    // Custodians.
    {"operator", "Unseal, seal and look after the vault's keys", "operator SUBCOMMAND ...",
     "A production vault starts sealed after every start: it refuses every data call until "
     "enough custodians (K of N) have each given their unseal share. These commands also seal "
     "the vault, rotate and re-wrap its keys, shred expired records and take backups. They work "
     "while the vault is sealed, and every call is audited.\n\n"
     "Who: custodians (roles that may operate the vault).",
     "", "operator status\noperator unseal < share.txt"},
    {"operator status", "Is the vault initialised, sealed; how many shares so far",
     "operator status",
     "Shows whether the vault is initialised and sealed, how many shares it has received towards "
     "an unseal, and its identity key (vault.pub, which clients pin).",
     "", "operator status"},
    {"operator init", "Key a new vault and print its N shares, once",
     "operator init --shares N --threshold K",
     "For a new vault with an empty data directory only: creates the master key, splits it into N "
     "shares of which any K open the vault (K at least 2), and prints the N shares, once. Hand "
     "each share to a different custodian at once: the vault cannot show them again.",
     "--shares N\tHow many shares\n--threshold K\tHow many shares open the vault (at least 2)\n",
     "operator init --shares 5 --threshold 3"},
    {"operator unseal", "Give one share to open the sealed vault", "operator unseal < SHARE_FILE",
     "Reads one share from standard input (paste it and press Ctrl-D, or redirect a file). "
     "A typo is caught by the share's checksum; a wrong share, one from another vault or one "
     "already given is refused and does not count. When K valid shares are in, the vault opens "
     "and serves.",
     "", "operator unseal < share.txt"},
    {"operator reset-unseal", "Forget the shares given so far", "operator reset-unseal",
     "Forgets every share given towards the current unseal, e.g. after a mistake; custodians "
     "then start again.",
     "", "operator reset-unseal"},
    {"operator approve-restore", "Approve a pending restore (two custodians must)",
     "operator approve-restore",
     "A vault started with --restore waits for two different custodians to approve before it "
     "can be unsealed with the shares of the backup's time.",
     "", "operator approve-restore"},
    {"operator seal", "Wipe every key from the vault's memory now", "operator seal [--emergency]",
     "Seals the vault at once: every key is wiped from memory and every data call is refused "
     "until custodians unseal it again. With --emergency the next unseal must come from K "
     "different custodians (one person holding several shares is not enough); this lasts across "
     "restarts until the vault is unsealed.",
     "--emergency\tThe next unseal needs K different custodians\n",
     "operator seal\noperator seal --emergency"},
    {"operator shred", "Crypto-shred the records past their retention period",
     "operator shred --expired [--confirm]",
     "Destroys every record kept longer than the policy's retention period: the keys that could "
     "open it are deleted, with a disposal receipt in the audit log, and prints how many and "
     "which. A run that would destroy more than the policy's max_shred_without_confirmation "
     "records (50 by default) destroys nothing until it is repeated with --confirm. The vault "
     "also runs this by itself every day, never confirming.",
     "--expired\tShred the records past retention (required)\n"
     "--confirm\tGo ahead even above the policy's limit\n",
     "operator shred --expired\noperator shred --expired --confirm"},
    {"operator rotate", "New versions of the role, intake and signing keys", "operator rotate",
     "Adds a new version of every role key, a new intake key and new signing keys, and keeps "
     "serving. Records stay readable. Run 'confidant operator rewrap' afterwards to move older "
     "records to the new keys.",
     "", "operator rotate"},
    {"operator rewrap", "Move records to the newest role keys", "operator rewrap [--wait]",
     "Starts, or resumes, the background job that re-wraps every record's keys under the newest "
     "role key versions and then destroys the old versions. The vault keeps serving.",
     "--wait\tFollow the job's progress until it finishes\n", "operator rewrap --wait"},
    {"operator backup", "Take an encrypted backup of the running vault", "operator backup DIR",
     "Writes an encrypted backup into DIR: an absolute path on the vault's own machine, on "
     "another filesystem than its data. Restoring needs two custodians and the vault's shares.",
     "", "operator backup /mnt/backup/confidant-2026-10-01"},
    {"operator verify-backup", "Check that a backup still opens", "operator verify-backup DIR",
     "Checks that the backup in DIR (a path on the vault's machine) is complete and opens with "
     "the vault's keys.",
     "", "operator verify-backup /mnt/backup/confidant-2026-10-01"},
    {"operator reshare", "Replace every unseal share with a new set",
     "operator reshare --shares N --threshold K < SHARE_FILE",
     "For when shares may have leaked, custodians change, or N and K should change. Each "
     "custodian gives one current share (from standard input), all asking for the same new "
     "--shares and --threshold. At K current shares the vault changes its master key and the "
     "last custodian's command prints the N new shares, once. From then on only the new shares "
     "open the vault.",
     "--shares N\tHow many new shares\n--threshold K\tHow many new shares open the vault\n",
     "operator reshare --shares 5 --threshold 3 < my-share.txt"},
    {"operator reset-reshare", "Forget the re-share shares given so far",
     "operator reset-reshare", "Forgets every share given towards the current re-share.", "",
     "operator reset-reshare"},
    {"operator revise-release", "Ask for a new version of a released statistics table",
     "operator revise-release TABLE PERIOD --reason TEXT",
     "Asks the release job to compute a new version of released table TABLE for PERIOD (e.g. "
     "2026Q3) at its next pass, for records filed late or corrected. It spends privacy budget "
     "like any release; earlier versions stay as released.",
     "--reason TEXT\tWhy (required; kept in the audit log)\n",
     "operator revise-release persons-by-facility 2026Q3 --reason \"late records\""},

    // Development.
    {"dev", "Dev vaults only: synthetic test data", "dev seed ...",
     "Commands for development and demonstrations against a vault started with 'confidantd "
     "--dev'. Never use them against a real vault.",
     "", "dev seed --persons 300"},
    {"dev seed", "Submit a synthetic population to a dev vault",
     "dev seed --persons N [--quarters 2026Q1..2026Q4] [--seed S]",
     "Submits the records of N synthetic persons through the real client: persons interviewed "
     "several times, some under misspelt names, in small and large facilities. It submits as the "
     "dev identity bench_visit_team unless --identity or --as says otherwise, to 127.0.0.1:7443 "
     "unless --server or CONFIDANT_SERVER says otherwise. Progress goes to the screen; the same seed gives the same "
     "records.",
     "--persons N\tHow many synthetic persons\n"
     "--quarters Q1..Q2\tThe quarters to spread interviews over (default 2026Q1..2026Q4; "
     "quarters not yet begun are skipped)\n"
     "--seed S\tThe random seed (default 1)\n",
     "dev seed --persons 1200 --quarters 2026Q1..2026Q3"},

    {"help", "Show help for confidant or one command", "help [COMMAND [SUBCOMMAND]]",
     "Without a command, lists every command. With one, explains it: what it does, who may use "
     "it, its flags and examples. 'confidant COMMAND --help' and '-h' do the same. Needs no "
     "identity and no connection.",
     "", "help\nhelp submit\nhelp operator unseal\nget --help"},
};

const Doc* FindDoc(std::string_view name) {
  for (const Doc& doc : kDocs) {
    if (doc.name == name) return &doc;
  }
  return nullptr;
}

// The subcommand names of `command` ("status", "init", ...), in table order.
std::vector<std::string_view> Subcommands(std::string_view command) {
  std::vector<std::string_view> subs;
  for (const Doc& doc : kDocs) {
    if (doc.name.size() > command.size() + 1 && doc.name.starts_with(command) &&
        doc.name[command.size()] == ' ') {
      subs.push_back(doc.name.substr(command.size() + 1));
    }
  }
  return subs;
}

// Appends `text` word-wrapped to kWidth columns. The first line goes on at `column` (the
// caller has written that much of it); later lines start with `indent` spaces.
void AppendWrapped(std::string& out, std::string_view text, size_t column, size_t indent) {
  bool first_word = true;
  for (std::string_view word : Split(text, " ")) {
    if (!first_word && column + 1 + word.size() > kWidth) {
      out += '\n';
      out.append(indent, ' ');
      column = indent;
    } else if (!first_word) {
      out += ' ';
      ++column;
    }
    out.append(word);
    column += word.size();
    first_word = false;
  }
  out += '\n';
}

// "  label   text" with `text` wrapped under itself at column `at` (on the next line if the label
// is too long to leave room).
void AppendItem(std::string& out, std::string_view label, std::string_view text, size_t at) {
  out += Cat({"  ", label});
  size_t column = 2 + label.size();
  if (column + 2 > at) {
    out += '\n';
    column = 0;
  }
  out.append(at - column, ' ');
  AppendWrapped(out, text, at, at);
}

void AppendParagraphs(std::string& out, std::string_view text) {
  for (std::string_view paragraph : Split(text, "\n\n")) {
    AppendWrapped(out, paragraph, 0, 0);
    out += '\n';
  }
}

void AppendFlags(std::string& out, std::string_view flags) {
  if (flags.empty()) return;
  out += "Flags:\n";
  for (std::string_view line : Split(flags, "\n")) {
    const size_t tab = line.find('\t');
    AppendItem(out, line.substr(0, tab), tab == std::string_view::npos ? "" : line.substr(tab + 1), 24);
  }
  out += '\n';
}

void AppendExamples(std::string& out, std::string_view examples) {
  if (examples.empty()) return;
  out += "Examples:\n";
  for (std::string_view line : Split(examples, "\n")) {
    out += Cat({line.starts_with("#") ? "  " : "  $ confidant ", line, "\n"});
  }
  out += '\n';
}

constexpr std::string_view kSeeOverview =
    "Global flags (--server, --identity, --as), environment variables and exit codes: run "
    "'confidant help'.";

std::string RenderCommand(const Doc& doc) {
  std::string out = Cat({"confidant ", doc.name, ": ", doc.summary, "\n\nUsage:\n  confidant ", doc.usage, "\n\n"});
  AppendParagraphs(out, doc.about);
  AppendFlags(out, doc.flags);
  AppendExamples(out, doc.examples);
  AppendWrapped(out, kSeeOverview, 0, 0);
  return out;
}

std::string RenderParent(const Doc& doc, const std::vector<std::string_view>& subs) {
  std::string out = Cat({"confidant ", doc.name, ": ", doc.summary, "\n\nUsage:\n  confidant ", doc.usage, "\n\n"});
  AppendParagraphs(out, doc.about);
  out += "Subcommands:\n";
  for (std::string_view sub : subs) {
    AppendItem(out, sub, FindDoc(Cat({doc.name, " ", sub}))->summary, 20);
  }
  out += '\n';
  AppendWrapped(out, Cat({"Run 'confidant help ", doc.name, " SUBCOMMAND' or 'confidant ", doc.name,
                          " SUBCOMMAND --help' for details and examples."}),
                0, 0);
  out += '\n';
  AppendExamples(out, doc.examples);
  AppendWrapped(out, kSeeOverview, 0, 0);
  return out;
}

// Who uses which command, for the overview.
struct Group {
  std::string_view title;
  std::vector<std::string_view> commands;
};

const std::vector<Group>& Groups() {
  static const std::vector<Group>* groups = new std::vector<Group>{
      {"Visit teams", {"submit", "amend", "outbox"}},
      {"Staff (case officers, health reviewers, legal advisers, approvers)",
       {"get", "list", "history", "consent", "break-glass", "erasure"}},
      {"Auditors", {"audit", "policy explain", "policy who-can"}},
      {"Custodians", {"operator", "policy reload"}},
      {"Governance (offline: no identity or server needed)", {"policy sign", "policy check"}},
      {"Development (dev vaults only)", {"dev seed"}},
      {"Help", {"help"}},
  };
  return *groups;
}

constexpr std::string_view kOverviewTail = R"(Global flags (before or after the command; --flag-name or --flag_name):
  --server HOST:PORT    The vault's address. Default: $CONFIDANT_SERVER, else
                        127.0.0.1:7443 when CONFIDANT_DEV_DIR is set.
  --identity DIR        Your identity folder (ca.crt, client.crt, client.key,
                        vault.pub). Default: $CONFIDANT_IDENTITY.
  --as NAME             Dev vaults only: use $CONFIDANT_DEV_DIR/identities/NAME.
  -h, --help            Show help (for a command: 'confidant COMMAND --help').

Environment:
  CONFIDANT_SERVER      Default for --server.
  CONFIDANT_IDENTITY    Default for --identity.
  CONFIDANT_DEV_DIR     The folder of a dev vault (confidantd --dev); lets --as
                        name an identity in it.

Exit codes:
  0  Done.
  1  Failed: the vault refused, or a check failed (the message says which).
  2  Bad input or usage: nothing was sent.
  3  Sealed and queued in the outbox but not yet delivered (submit, amend,
     outbox flush): run 'confidant outbox flush' when online.
)";

// Shown for the word a user typed: at most 40 bytes, printable ASCII only.
std::string Printable(std::string_view word) {
  std::string out(word.substr(0, 40));
  for (char& c : out) {
    if (c < 0x20 || c > 0x7e) c = '?';
  }
  if (word.size() > 40) out += "...";
  return out;
}

// A registered non-boolean Abseil flag takes the next argument as its value ("--purpose X").
bool TakesValue(std::string_view name) {
  std::string underscored(name);
  std::replace(underscored.begin(), underscored.end(), '-', '_');
  const absl::CommandLineFlag* flag = absl::FindCommandLineFlag(underscored);
  return flag != nullptr && !flag->IsOfType<bool>();
}

struct ScannedArgs {
  std::vector<std::string> words;
  bool help_flag = false;
  bool abseil_usage_flag = false;  // --helpfull and the like: Abseil answers them
};

ScannedArgs ScanArgs(int argc, char** argv) {
  ScannedArgs scanned;
  bool only_words = false;
  for (int i = 1; i < argc; ++i) {
    const std::string_view arg = argv[i];
    if (only_words || arg.size() < 2 || arg[0] != '-') {
      scanned.words.emplace_back(arg);
      continue;
    }
    if (arg == "--") {
      only_words = true;
      continue;
    }
    std::string_view body = arg.substr(1);
    if (body.starts_with("-")) body.remove_prefix(1);
    const size_t eq = body.find('=');
    const std::string_view name = body.substr(0, eq);
    if (name == "h" || name == "help" || name == "helpshort") {
      scanned.help_flag = true;
    } else if (name == "helpfull" || name == "helppackage" || name == "helpon" ||
               name == "helpmatch" || name == "version" || name == "only_check_args") {
      scanned.abseil_usage_flag = true;
    } else if (eq == std::string_view::npos && TakesValue(name) && i + 1 < argc) {
      ++i;  // the flag's value, never a command word
    }
  }
  return scanned;
}

}  // namespace

size_t EditDistance(std::string_view a, std::string_view b) {
  std::vector<std::vector<size_t>> d(a.size() + 1, std::vector<size_t>(b.size() + 1));
  for (size_t i = 0; i <= a.size(); ++i) d[i][0] = i;
  for (size_t j = 0; j <= b.size(); ++j) d[0][j] = j;
  for (size_t i = 1; i <= a.size(); ++i) {
    for (size_t j = 1; j <= b.size(); ++j) {
      const size_t cost = a[i - 1] == b[j - 1] ? 0 : 1;
      d[i][j] = std::min({d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + cost});
      if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1]) {
        d[i][j] = std::min(d[i][j], d[i - 2][j - 2] + 1);
      }
    }
  }
  return d[a.size()][b.size()];
}


std::string CliOverview() {
  std::string out =
      "confidant: the Confidant records vault, from the command line.\n\n"
      "Usage:\n"
      "  confidant [--server HOST:PORT] [--identity DIR | --as NAME] COMMAND ...\n"
      "  confidant help [COMMAND]\n\n";
  for (const Group& group : Groups()) {
    out += Cat({group.title, ":\n"});
    for (std::string_view name : group.commands) AppendItem(out, name, FindDoc(name)->summary, 18);
    out += '\n';
  }
  out += "Run 'confidant help COMMAND' or 'confidant COMMAND --help' for details.\n\n";
  out += kOverviewTail;
  return out;
}

std::optional<std::string> CommandHelp(std::string_view command, std::string_view subcommand) {
  if (!IsCommand(command)) return std::nullopt;
  const std::vector<std::string_view> subs = Subcommands(command);
  if (subs.empty()) return RenderCommand(*FindDoc(command));
  if (const Doc* sub = FindDoc(Cat({command, " ", subcommand})); sub != nullptr) {
    return RenderCommand(*sub);
  }
  return RenderParent(*FindDoc(command), subs);
}

const std::vector<std::string_view>& CommandNames() {
  static const std::vector<std::string_view>* names = [] {
    auto* list = new std::vector<std::string_view>;
    for (const Doc& doc : kDocs) {
      if (doc.name.find(' ') == std::string_view::npos) list->push_back(doc.name);
    }
    return list;
  }();
  return *names;
}

bool IsCommand(std::string_view word) {
  const std::vector<std::string_view>& names = CommandNames();
  return std::find(names.begin(), names.end(), word) != names.end();
}

std::optional<std::string> ClosestCommand(std::string_view word) {
  std::string lower(word);
  for (char& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  if (lower.empty() || lower.size() > 40) return std::nullopt;
  std::vector<std::string_view> prefixed;
  for (std::string_view name : CommandNames()) {
    if (lower.size() >= 3 && name.starts_with(lower)) prefixed.push_back(name);
  }
  if (prefixed.size() == 1) return std::string(prefixed[0]);
  const size_t limit = lower.size() <= 3 ? 1 : 2;
  std::optional<std::string> best;
  size_t best_distance = limit + 1;
  for (std::string_view name : CommandNames()) {
    const size_t distance = EditDistance(lower, name);
    if (distance < best_distance) {
      best_distance = distance;
      best = std::string(name);
    }
  }
  return best;
}

std::string UnknownCommandMessage(std::string_view word) {
  std::string message =
      Cat({"unknown command \"", Printable(word), "\"; run 'confidant help'"});
  if (std::optional<std::string> closest = ClosestCommand(word)) {
    message += Cat({" (did you mean \"", *closest, "\"?)"});
  }
  return message;
}

std::vector<std::string> CommandWords(int argc, char** argv) {
  return ScanArgs(argc, argv).words;
}

bool WantsHelp(int argc, char** argv) {
  const ScannedArgs scanned = ScanArgs(argc, argv);
  return scanned.help_flag || (!scanned.words.empty() && scanned.words[0] == "help");
}

std::optional<int> HandleHelp(int argc, char** argv, std::ostream& out, std::ostream& err) {
  ScannedArgs scanned = ScanArgs(argc, argv);
  std::vector<std::string>& words = scanned.words;
  bool help = scanned.help_flag;
  if (!words.empty() && words[0] == "help") {
    words.erase(words.begin());
    help = true;
  }
  if (words.empty() && !help && scanned.abseil_usage_flag) return std::nullopt;
  if (words.empty()) {
    out << CliOverview();
    return help ? 0 : 2;
  }
  if (!IsCommand(words[0])) {
    err << "confidant: " << UnknownCommandMessage(words[0]) << "\n";
    return 2;
  }
  if (words.size() > 1 && words[1] == "help") help = true;  // `confidant operator help`
  if (!help) return std::nullopt;
  out << *CommandHelp(words[0], words.size() > 1 ? words[1] : "");
  return 0;
}

absl::Status UsageError(std::string_view command, std::string_view subcommand) {
  if (command.empty()) return absl::InvalidArgumentError("no command; run 'confidant help'");
  if (!IsCommand(command)) return absl::InvalidArgumentError(UnknownCommandMessage(command));
  std::string usage;
  std::string topic(command);
  const std::vector<std::string_view> subs = Subcommands(command);
  if (subs.empty()) {
    usage = FindDoc(command)->usage;
  } else if (const Doc* sub = FindDoc(Cat({command, " ", subcommand})); sub != nullptr) {
    usage = sub->usage;
    topic = sub->name;
  } else {
    usage = Cat({command, " "});
    for (std::string_view sub : subs) usage += Cat({sub, sub == subs.back() ? " ..." : "|"});
  }
  return absl::InvalidArgumentError(
      Cat({"usage: confidant ", usage, "\nrun 'confidant help ", topic, "' for details"}));
}

namespace {

// How many words (command, subcommand, operands) a usage line takes: those before its first
// flag, optional part or redirection ("get RECORD_ID --purpose CODE ..." takes 2).
size_t UsageWords(std::string_view usage) {
  size_t words = 0;
  for (std::string_view token : Split(usage, " ")) {
    if (token[0] == '-' || token[0] == '[' || token[0] == '<') break;
    ++words;
  }
  return words;
}

}  // namespace

bool IsUsageError(const absl::Status& status) {
  if (status.code() != absl::StatusCode::kInvalidArgument) return false;
  const std::string message(status.message());
  for (std::string_view prefix : {"usage: confidant ", "unknown command \"", "no command; "}) {
    if (message.starts_with(prefix)) return true;
  }
  return false;
}

absl::Status CheckUsage(const std::vector<char*>& args) {
  if (args.size() < 2 || !IsCommand(args[1])) return UsageError(args);
  const std::string_view command = args[1];
  if (command == "help") return absl::OkStatus();
  const Doc* doc = FindDoc(command);
  if (!Subcommands(command).empty()) {
    doc = args.size() > 2 ? FindDoc(Cat({command, " ", args[2]})) : nullptr;
  }
  if (doc == nullptr || UsageWords(doc->usage) != args.size() - 1) return UsageError(args);
  return absl::OkStatus();
}

absl::Status UsageError(const std::vector<char*>& args) {
  return UsageError(args.size() > 1 ? args[1] : "", args.size() > 2 ? args[2] : "");
}

}  // namespace confidant::client
