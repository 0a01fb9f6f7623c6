#!/usr/bin/env bash
# The main job, end to end with the real binaries: a dev vault, three submissions by a visit
# team, one sealed and queued while the vault is unreachable and then flushed, reads by a case officer and a health reviewer, refusals for a visit team member and the
# reporting identity, a listing, the audit log checked, then a synthetic population seeded, the
# closed quarters released as frozen, noisy tables, and one printed by confidant-report with its
# chart written; then the server is stopped. Exits non-zero if anything differs.
set -euo pipefail
build="${1:-build}"
confidantd="$build/server/confidantd"
confidant="$build/client/confidant"
report="$build/client/report/confidant-report"
witness="$build/witness/confidant-witness"
work="$(mktemp -d /tmp/confidant-demo-XXXXXX)"
export CONFIDANT_DEV_DIR="$work/dev"

server_pid=""
witness_pid=""
stop() { if [ -n "$1" ] && kill -0 "$1" 2>/dev/null; then kill "$1"; wait "$1" || true; fi; }
cleanup() {
  stop "$server_pid"
  stop "$witness_pid"
  rm -rf "$work"
}
trap cleanup EXIT

step() { printf '\n\033[1m== %s\033[0m\n' "$*"; }
run() { printf '$ %s\n' "$*" | sed "s#$build/client/##"; "$@"; }
refused() {
  printf '$ %s\n' "$*" | sed "s#$build/client/##"
  if "$@"; then echo "UNEXPECTED: that call was allowed" >&2; exit 1; fi
  echo "(refused, as it must be)"
}

wait_for() { for _ in $(seq 100); do [ -s "$1" ] && return 0; sleep 0.1; done; cat "$2"; exit 1; }

step "Create a dev vault (dev CA, one identity per role, dev master key: INSECURE, demo only)"
"$confidantd" --dev --dev-dir "$CONFIDANT_DEV_DIR" --init-only | tee "$work/init.txt"
origin="$(sed -n 's/^audit log origin: //p' "$work/init.txt")"
log_key="$(sed -n 's/^audit log key (Ed25519, base64): //p' "$work/init.txt")"

step "An auditor runs a witness outside the operator's reach, pinned to that log"
"$witness" --init --state-dir "$work/witness" --name witness.demo/auditor-1 \
  --pusher spiffe://confidant.example/dev/vault \
  --log-origin "$origin" --log-key "$log_key" --listen 127.0.0.1:0 --port-file "$work/witness.port" \
  --tls-cert "$CONFIDANT_DEV_DIR/witness/witness.crt" --tls-key "$CONFIDANT_DEV_DIR/witness/witness.key" \
  --client-ca "$CONFIDANT_DEV_DIR/ca/ca.crt" >"$work/witness.log" 2>&1 &
witness_pid=$!
wait_for "$work/witness.port" "$work/witness.log"
grep -v '^[0-9]' "$work/witness.log"
witness_key="$(sed -n 's/^witness key (Ed25519, base64): //p' "$work/witness.log")"
witness_spec="witness.demo/auditor-1@127.0.0.1:$(cat "$work/witness.port")=$witness_key"

step "Start confidantd --dev, pushing every checkpoint to the witness"
"$confidantd" --dev --dev-dir "$CONFIDANT_DEV_DIR" --listen 127.0.0.1:0 --port-file "$work/port" \
  --witness "$witness_spec" >"$work/server.log" 2>&1 &
server_pid=$!
wait_for "$work/port" "$work/server.log"
export CONFIDANT_SERVER="127.0.0.1:$(cat "$work/port")"
grep -v '^[0-9]' "$work/server.log"

step "A visit team submits three interview records (sealed to the vault's intake key)"
ids=()
for f in deploy/examples/record.json deploy/examples/record-bc.json deploy/examples/record-qc.json; do
  printf '$ confidant --as visit_team submit %s\n' "$f"
  id="$("$confidant" --as visit_team submit "$f")"
  echo "$id"
  ids+=("${id%% *}")
done

step "Inside a facility with no connection: the record is sealed at once and queued (only ciphertext)"
cp deploy/examples/record-qc.json "$work/interview-offline.json"
printf '$ confidant --as visit_team submit interview-offline.json --remove-source   (vault unreachable)\n'
rc=0
CONFIDANT_SERVER=127.0.0.1:1 "$confidant" --as visit_team submit "$work/interview-offline.json" \
  --remove-source || rc=$?
[ "$rc" -eq 3 ] || { echo "UNEXPECTED: exit $rc, not 3 (queued)" >&2; exit 1; }
[ ! -e "$work/interview-offline.json" ] || { echo "UNEXPECTED: the plaintext is still there" >&2; exit 1; }
run "$confidant" --as visit_team outbox status

step "Back online: the queued envelope is sent, its receipt verified, the outbox empty"
run "$confidant" --as visit_team outbox flush

step "A case officer reads the first record for follow-up: identity, interview and legal sections"
run "$confidant" --as case_officer get "${ids[0]}" --purpose follow_up --reason "demo follow-up call"

step "A health reviewer reads it for a medical referral: health and interview, no identity"
run "$confidant" --as health_reviewer get "${ids[0]}" --purpose medical_referral

step "A visit team member cannot read records back"
refused "$confidant" --as visit_team get "${ids[0]}" --purpose follow_up

step "The reporting identity never sees a record"
refused "$confidant" --as reporting get "${ids[0]}" --purpose case_review

step "Need-to-know: a case officer scoped to Quebec cannot read the Ontario record"
refused "$confidant" --as case_officer_qc get "${ids[0]}" --purpose follow_up

step "Break-glass: the Ontario case officer asks to read the Quebec record, an approver agrees"
refused "$confidant" --as case_officer_on get "${ids[2]}" --purpose follow_up
printf '$ confidant --as case_officer_on break-glass request %s --purpose follow_up --reason ...\n' "${ids[2]}"
answer="$("$confidant" --as case_officer_on break-glass request "${ids[2]}" --purpose follow_up \
  --reason "detainee transferred from Ontario; continuing follow-up")"
echo "$answer"
request="$(echo "$answer" | grep -o '[0-9a-f]\{32\}' | head -1)"
run "$confidant" --as approver break-glass list
run "$confidant" --as approver break-glass approve "$request"
printf '$ confidant --as case_officer_on get %s --purpose follow_up   (identity, interview, legal)\n' "${ids[2]}"
"$confidant" --as case_officer_on get "${ids[2]}" --purpose follow_up | grep -A4 '"sections_released"'

step "Consent: nobody may raise this detainee's account with the authorities (consent refused)"
refused "$confidant" --as case_officer get "${ids[0]}" --purpose raise_with_authority

step "The visit team corrects its second record (a new version; the first stays readable)"
run "$confidant" --as visit_team amend "${ids[1]}" deploy/examples/record-bc.json
run "$confidant" --as case_officer history "${ids[1]}"

step "A case officer lists record metadata (never sections)"
run "$confidant" --as case_officer list

step "The auditor checks the whole access log: recomputed, signed, cosigned by the witness"
for _ in $(seq 50); do  # the witness cosigns within a moment of each checkpoint
  "$confidant" --as auditor audit verify --witness "witness.demo/auditor-1=$witness_key" \
    >/dev/null 2>&1 && break
  sleep 0.2
done
run "$confidant" --as auditor audit verify --witness "witness.demo/auditor-1=$witness_key"

step "Who accessed the first record, when, and why"
run "$confidant" --as auditor audit show --record "${ids[0]}"

step "Reporting: a synthetic population (1200 persons, 2026Q1..2026Q3) filed through the real client"
run "$confidant" dev seed --persons 1200 --quarters 2026Q1..2026Q3 2>&1 | tail -n 2

step "Restart the vault: its release job computes each closed quarter once, frozen and signed"
stop "$server_pid"; server_pid=""
rm -f "$work/port"
"$confidantd" --dev --dev-dir "$CONFIDANT_DEV_DIR" --listen 127.0.0.1:0 --port-file "$work/port" \
  --reporting-port-file "$work/reporting.port" --release-check-seconds 1 \
  --witness "$witness_spec" >"$work/server.log" 2>&1 &
server_pid=$!
wait_for "$work/port" "$work/server.log"
wait_for "$work/reporting.port" "$work/server.log"
export CONFIDANT_SERVER="127.0.0.1:$(cat "$work/port")"
reporting_server="127.0.0.1:$(cat "$work/reporting.port")"
for _ in $(seq 100); do  # the job's first pass, a second after start
  "$report" --server "$reporting_server" table persons-by-facility --period 2026Q3 >/dev/null 2>&1 && break
  sleep 0.2
done

step "The reporting analyst lists the catalogue (declared in the signed policy) and the ledger"
run "$report" --server "$reporting_server" catalogue
run "$report" --server "$reporting_server" ledger | tail -n 4

step "The reporting analyst cannot read a record, and no record reader can fetch statistics"
refused "$confidant" --as reporting list
refused "$report" --identity "$CONFIDANT_DEV_DIR/identities/case_officer" --server "$reporting_server" catalogue

step "One release, exactly as frozen: persons interviewed by facility, 2026Q3, with its chart"
mkdir -p "$build/demo"
chart="$build/demo/persons-by-facility-2026Q3.svg"
run "$report" --server "$reporting_server" table persons-by-facility --period 2026Q3 --chart "$chart"
echo "chart written: $chart"

step "Stop the server and the witness"
stop "$server_pid"; server_pid=""
stop "$witness_pid"; witness_pid=""
echo "confidantd and confidant-witness stopped; the demo folder $work is removed on exit."
