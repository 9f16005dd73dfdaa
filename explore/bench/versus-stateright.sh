#!/usr/bin/env bash
# States per CPU-second: `raftstorm explore` (default scope, exhausted) side
# by side with stateright's own Raft example (`check 3 12`, stopped after
# the same wall time, since it never exhausts), alternating, on one pinned
# core, ROUNDS times; prints every run and the medians and their ratio.
#
#   explore/bench/versus-stateright.sh /path/to/stateright [ROUNDS] [CORE]
#
# The stateright checkout is built at tag v0.31.0 with
# `cargo build --release --example raft`. CPU time (user + system, from
# /usr/bin/time) is the fair measure on a shared machine: wall time there
# is partly waiting.
set -euo pipefail
stateright=${1:?usage: $0 /path/to/stateright [ROUNDS] [CORE]}
rounds=${2:-3}
core=${3:-0}
cd "$(dirname "$0")/../.."
cargo build --release --quiet --bin raftstorm
ours=target/release/raftstorm
theirs=$stateright/target/release/examples/raft
[ -x "$theirs" ] || { echo "build it first: (cd $stateright && cargo build --release --example raft)" >&2; exit 2; }
log=$(mktemp -d)
rate() { # states cpu-seconds -> states per CPU-second
    awk -v s="$1" -v c="$2" 'BEGIN { printf "%.0f\n", s / c }'
}
median() { sort -n | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }
for round in $(seq "$rounds"); do
    /usr/bin/time -f "%e %U %S" -o "$log/ours.time" \
        taskset -c "$core" "$ours" explore --threads 1 --quiet > "$log/ours.out"
    read -r wall user sys < "$log/ours.time"
    states=$(sed -n 's/^explored: \([0-9]*\) states.*/\1/p' "$log/ours.out")
    cpu=$(awk -v u="$user" -v s="$sys" 'BEGIN { print u + s }')
    echo "round $round ours:       $states states, ${wall} s wall, ${cpu} CPU-s, $(rate "$states" "$cpu") states/CPU-s" \
        | tee -a "$log/summary"
    rate "$states" "$cpu" >> "$log/ours.rates"
    stop=$(awk -v w="$wall" 'BEGIN { printf "%.0f", w < 1 ? 1 : w }')
    # stateright prints a progress line every second, the first at 0 s;
    # its last count is charged the CPU time up to that line (CPU time
    # scaled by the line's time over the whole wall time).
    /usr/bin/time -f "%e %U %S" -o "$log/theirs.time" \
        timeout -s INT "$stop" taskset -c "$core" "$theirs" check 3 12 > "$log/theirs.out" 2>&1 || true
    read -r wall user sys < <(tail -n 1 "$log/theirs.time")
    states=$(grep -o 'states=[0-9]*' "$log/theirs.out" | tail -n 1 | cut -d= -f2)
    lines=$(grep -c '^Checking\.' "$log/theirs.out")
    cpu=$(awk -v u="$user" -v s="$sys" -v w="$wall" -v n="$lines" \
        'BEGIN { printf "%.2f", (u + s) * (n - 1) / w }')
    echo "round $round stateright: $states states by its line at $((lines - 1)) s of ${wall} s wall, ${cpu} CPU-s, $(rate "$states" "$cpu") states/CPU-s" \
        | tee -a "$log/summary"
    rate "$states" "$cpu" >> "$log/theirs.rates"
done
ours_median=$(median < "$log/ours.rates")
theirs_median=$(median < "$log/theirs.rates")
echo "median states/CPU-s: ours $ours_median, stateright $theirs_median, ratio $(awk -v a="$ours_median" -v b="$theirs_median" 'BEGIN { printf "%.2f", a / b }')"
