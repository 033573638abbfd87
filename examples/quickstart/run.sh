#!/usr/bin/env bash
# The quickstart, end to end on the embedded SQLite store:
# record five main-branch runs and one pull-request run from results files,
# then judge the pull request against its budgets and its baseline; then
# measure real commands with `sloe run` (sloe-run.toml, its own history).
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../.." && pwd)"

cargo build --quiet --release -p sloe --manifest-path "$root/Cargo.toml"
sloe="$root/target/release/sloe"
cd "$here"
rm -rf .sloe reports   # start from an empty history each time

echo "== recording the main branch's history"
for i in 1 2 3 4 5; do "$sloe" ingest "results/main-$i.json"; done

echo
echo "== recording the pull request's run"
"$sloe" ingest results/pull-request.json

echo
echo "== sloe check"
status=0
"$sloe" check || status=$?

echo
echo "history is in $here/.sloe/history.db; the JSON report is $here/reports/sloe-report-latest.json"
case $status in
  0) echo "sloe check exited 0: nothing that policy blocks on." ;;
  1) echo "sloe check exited 1: policy blocks this pull request (in CI this fails the job)." ;;
  *) echo "sloe check failed with exit $status"; exit "$status" ;;
esac

echo
echo "== sloe run: measuring real commands (sloe-run.toml)"
mkdir -p .sloe
seq 200000 -1 1 > .sloe/numbers.txt
for i in 1 2 3; do
  "$sloe" --config sloe-run.toml run --branch main --commit "main-$i" --report-dir reports/run > /dev/null
done
status=0
"$sloe" --config sloe-run.toml run --branch pull-request --commit pr-1 --report-dir reports/run || status=$?
echo
echo "sloe run history is in $here/.sloe/run-history.db; its report is $here/reports/run/sloe-report-latest.json"
case $status in
  0) echo "sloe run exited 0: nothing that policy blocks on." ;;
  1) echo "sloe run exited 1: policy blocks these measurements." ;;
  *) echo "sloe run failed with exit $status"; exit "$status" ;;
esac
