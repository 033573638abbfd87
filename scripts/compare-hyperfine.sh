#!/usr/bin/env bash
# sloe's measurements against hyperfine's and /usr/bin/time's on the same
# commands, as a table. Needs hyperfine, jq and GNU time (Debian packages
# `hyperfine jq time`). Builds sloe in release mode first.
#
#   ./scripts/compare-hyperfine.sh            # RUNS=30, ROUNDS=5 by default
#
# Wall times are compared in interleaved rounds (sloe, hyperfine, sloe,
# hyperfine, ...) and each tool's figure is the median of its per-round
# medians, so that a machine that drifts (another job, CPU frequency)
# moves both tools alike instead of whichever ran second.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
runs="${RUNS:-30}"
rounds="${ROUNDS:-5}"
target="${CARGO_TARGET_DIR:-$root/target}"
cargo build --quiet --release -p sloe --manifest-path "$root/Cargo.toml"
sloe="$target/release/sloe"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
cd "$work"
: > sloe.toml
seq 200000 -1 1 > numbers.txt

# The median (ns) of `measure` in sloe's JSON report on stdin.
to_ns='def ns: if .unit == "s" then .value*1e9 elif .unit == "ms" then .value*1e6
        elif .unit == "us" then .value*1e3 elif .unit == "ns" then .value
        elif .unit == "B" then .value elif .unit == "KiB" then .value*1024
        elif .unit == "MiB" then .value*1048576 elif .unit == "GiB" then .value*1073741824
        else error("unit \(.unit)") end;'
sloe_stat() { # measure, then sloe run's arguments
  local measure="$1"; shift
  "$sloe" run --branch compare --format json "$@" 2>/dev/null \
    | jq -r "$to_ns [.results[] | select(.measure == \"$measure\")][0] | ns"
}
hf_median() { # hyperfine's arguments
  hyperfine --style none --export-json hf.json "$@" > /dev/null 2>&1
  jq -r '.results[0].median * 1e9' hf.json
}
median() { sort -g | awk '{v[NR]=$1} END {print (NR%2 ? v[(NR+1)/2] : (v[NR/2]+v[NR/2+1])/2)}'; }
compare_time() { # label, then sloe run's arguments, `::`, then hyperfine's
  local label="$1"; shift
  local sloe_args=() hf_args=()
  while [ "$1" != "::" ]; do sloe_args+=("$1"); shift; done; shift
  hf_args=("$@")
  local a=() b=()
  for _ in $(seq "$rounds"); do
    a+=("$(sloe_stat wall_time --runs "$runs" --warmup 3 "${sloe_args[@]}")")
    b+=("$(hf_median --runs "$runs" --warmup 3 "${hf_args[@]}")")
  done
  row "$label" "$(printf '%s\n' "${a[@]}" | median)" "$(printf '%s\n' "${b[@]}" | median)" time 2
}
row() { # label, sloe, other, what, limit %
  awk -v l="$1" -v a="$2" -v b="$3" -v w="$4" -v lim="$5" 'BEGIN {
    d = (a - b) / b * 100; ok = (d < 0 ? -d : d) <= lim ? "yes" : "NO";
    if (w == "time") printf "%-28s %12.3f ms %12.3f ms %+8.2f %%  %s (±%s %%)\n", l, a/1e6, b/1e6, d, ok, lim;
    else printf "%-28s %12.1f MiB %11.1f MiB %+8.2f %%  %s (±%s %%)\n", l, a/1048576, b/1048576, d, ok, lim }'
}

printf "%-28s %15s %15s %9s  %s\n" "command" "sloe" "reference" "diff" "within"
echo "--- median wall time: sloe vs hyperfine ($rounds interleaved rounds of $runs runs, 3 warm-up) ---"
compare_time "sleep 0.02" -- sleep 0.02 :: -N 'sleep 0.02'
compare_time "sort -n (CPU-bound)" -- sort -n numbers.txt :: -N 'sort -n numbers.txt'
compare_time "sh: seq 1 200000 | wc -l" --shell -- 'seq 1 200000 | wc -l' :: 'seq 1 200000 | wc -l'

echo "--- peak RSS: sloe vs /usr/bin/time -v (max of 5) ---"
cmd='head -c 200M /dev/zero | tail'
a=$(sloe_stat peak_rss --runs 5 --shell -- "$cmd")
b=0
for _ in 1 2 3 4 5; do
  kb=$(/usr/bin/time -v sh -c "$cmd" 2>&1 >/dev/null | awk -F': ' '/Maximum resident/ {print $2}')
  b=$(( kb * 1024 > b ? kb * 1024 : b ))
done
row "sh: head -c 200M | tail" "$a" "$b" rss 5

echo "--- sloe's own overhead per execution, for \`true\` ---"
a=$(sloe_stat wall_time --runs 1000 -- true)
printf "%-28s %12.3f ms   (median wall time sloe measures: process start, exec, exit, wait)\n" "true, measured" "$(awk -v a="$a" 'BEGIN{print a/1e6}')"
t0=$(date +%s%N); "$sloe" run --branch compare --runs 10 -- true > /dev/null 2>&1; t1=$(date +%s%N)
"$sloe" run --branch compare --runs 1010 -- true > /dev/null 2>&1; t2=$(date +%s%N)
printf "%-28s %12.3f ms   (whole sloe process: (t(1010 runs) - t(10 runs)) / 1000)\n" "true, amortised" "$(awk -v x=$((t2 - t1 - (t1 - t0))) 'BEGIN{print x/1000/1e6}')"
