#!/usr/bin/env bash
# The main job, end to end with the real binaries: a dev vault, three submissions by a visit
# team, reads by a case officer and a health reviewer, refusals for a visit team member and the
# reporting identity, a listing, then the server is stopped. Exits non-zero if anything differs.
set -euo pipefail
build="${1:-build}"
confidantd="$build/server/confidantd"
confidant="$build/client/confidant"
work="$(mktemp -d /tmp/confidant-demo-XXXXXX)"
export CONFIDANT_DEV_DIR="$work/dev"

server_pid=""
cleanup() {
  if [ -n "$server_pid" ] && kill -0 "$server_pid" 2>/dev/null; then kill "$server_pid"; wait "$server_pid" || true; fi
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

step "Start confidantd --dev (dev CA, one identity per role, dev master key: INSECURE, demo only)"
"$confidantd" --dev --dev-dir "$CONFIDANT_DEV_DIR" --listen 127.0.0.1:0 --port-file "$work/port" \
  >"$work/server.log" 2>&1 &
server_pid=$!
for _ in $(seq 100); do [ -s "$work/port" ] && break; sleep 0.1; done
[ -s "$work/port" ] || { cat "$work/server.log"; exit 1; }
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

step "A case officer reads the first record for follow-up: identity, interview and legal sections"
run "$confidant" --as case_officer get "${ids[0]}" --purpose follow_up --reason "demo follow-up call"

step "A health reviewer reads it for a medical referral: health and interview, no identity"
run "$confidant" --as health_reviewer get "${ids[0]}" --purpose medical_referral

step "A visit team member cannot read records back"
refused "$confidant" --as visit_team get "${ids[0]}" --purpose follow_up

step "The reporting identity never sees a record"
refused "$confidant" --as reporting get "${ids[0]}" --purpose case_review

step "A case officer lists record metadata (never sections)"
run "$confidant" --as case_officer list

step "Stop the server"
kill "$server_pid"; wait "$server_pid"; server_pid=""
echo "confidantd stopped cleanly; the demo vault in $work is removed on exit."
