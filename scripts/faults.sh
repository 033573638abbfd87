#!/usr/bin/env bash
# The long form of the SIGKILL fault-injection test
# (crates/cli/tests/faults_kill.rs): `sloe ingest` and `sloe slo ingest`
# (with compaction) killed at random points, TRIES times per backend and
# command, on SQLite and PostgreSQL (127.0.0.1:5432, as the test suite
# needs it; `SLOE_SKIP=postgres` leaves it out). Prints one line of counts
# per backend and command, then the sums:
#
#   ./scripts/faults.sh            # 300 tries per backend and command
#   ./scripts/faults.sh 50         # fewer
#   ./scripts/faults.sh 100 slo_ingest_postgres   # one test (a name filter)
#   SLOE_FAULT_SEED=123 ./scripts/faults.sh 300   # replay a seed
#
# tries: kills sent; kills: kills that found the command still running;
# exited: finished before the kill; before / mid_write / after_commit: where
# a kill landed (mid_write: a transaction had written and was not
# committed); failures: broken promises (partial ingest, failed integrity
# check, a retry that failed or left other totals); lost / doubled: ingests
# missing or counted twice. The test fails when failures is not 0.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
tries="${1:-300}"
filter="${2:-}"
log="$(mktemp)"
trap 'rm -f "$log" "$log.counts"' EXIT
status=0
SLOE_FAULT_TRIES="$tries" cargo test --quiet --manifest-path "$root/Cargo.toml" \
  -p sloe --test faults_kill -- ${filter:+"$filter"} --nocapture >"$log" 2>&1 || status=$?
# cargo's progress dots share lines with the test's output: match anywhere.
grep -oE '[a-z_]+: (seed|one ingest) .*' "$log" || true
grep -oE 'faults: .*' "$log" >"$log.counts" || true
cat "$log.counts"
if [ "$status" -ne 0 ]; then
  echo "--- the test failed (exit $status); its output:" >&2
  cat "$log" >&2
fi
awk '/^faults:/ { for (i = 3; i <= NF; i++) { split($i, kv, "="); sum[kv[1]] += kv[2]; order[i] = kv[1] } n = NF }
     END { if (n) { line = "faults: total"; for (i = 3; i <= n; i++) line = line " " order[i] "=" sum[order[i]]; print line } }' "$log.counts"
exit "$status"
