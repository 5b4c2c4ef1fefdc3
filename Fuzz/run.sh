#!/usr/bin/env bash
# `make fuzz`: builds the fuzz package with libFuzzer and AddressSanitizer, runs every target (or FUZZ_TARGETS) for
# FUZZ_SECONDS each (or FUZZ_RUNS executions each), and writes a summary to bench/results/fuzz.txt.
# Each target runs as FUZZ_JOBS processes side by side (default: one per CPU), sharing its corpus folder; FUZZ_RUNS
# is their total, split evenly. Inputs are at most FUZZ_MAX_LEN bytes (default 1024): a KiB reaches every state of
# these parsers (the targets' small limits bring their refusals within reach), and longer inputs grown by libFuzzer
# only repeat those states, each execution slower.
#
# Each target reads its seeds from Fuzz/Corpus/<target>/ and keeps what it finds in Fuzz/.build/corpus/<target>/,
# so later runs start from there. A crash, sanitizer report, leak, timeout or broken invariant is written to
# Fuzz/Crashes/<target>/ and fails the run; commit it with the fix, and the Swift tests replay it for good.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

FUZZ_SECONDS="${FUZZ_SECONDS:-60}"
FUZZ_RUNS="${FUZZ_RUNS:-}"
FUZZ_JOBS="${FUZZ_JOBS:-$(nproc)}"
FUZZ_MAX_LEN="${FUZZ_MAX_LEN:-1024}"
results=bench/results/fuzz.txt
binary=Fuzz/.build/release/filegate-fuzz
work=Fuzz/.build/corpus
logs=Fuzz/.build/logs

swift build -c release -Xswiftc -sanitize=fuzzer,address --package-path Fuzz
targets="${FUZZ_TARGETS:-$("$binary" --list)}"
if [[ -n "$FUZZ_RUNS" ]]; then
    budget=(-runs="$(((FUZZ_RUNS + FUZZ_JOBS - 1) / FUZZ_JOBS))")
    mode="FUZZ_RUNS=$FUZZ_RUNS executions per target"
else
    budget=(-max_total_time="$FUZZ_SECONDS")
    mode="FUZZ_SECONDS=$FUZZ_SECONDS per target"
fi
# Swift's own crash handler trips AddressSanitizer while it reads the crashed process; libFuzzer reports instead.
export SWIFT_BACKTRACE=enable=no
# Eight frames of each allocation's stack instead of thirty: recording them was a fifth of a target's time.
export ASAN_OPTIONS="${ASAN_OPTIONS:-malloc_context_size=8}"

count() { find "$1" -maxdepth 1 -type f ! -name '.*' | wc -l; }
# Findings among a target's artifacts: libFuzzer also writes `slow-unit-*` there, which is a report, not a failure.
findings() { find "$1" -maxdepth 1 -type f \( -name 'crash-*' -o -name 'leak-*' -o -name 'timeout-*' -o -name 'oom-*' \) | wc -l; }
# The sum of one libFuzzer statistic over a target's job logs.
stat() { cat "$2".* | awk -v name="stat::$1:" '$1 == name { sum += $2 } END { print sum + 0 }'; }

mkdir -p "$(dirname "$results")" "$logs"
summary="$(mktemp)"
{
    echo "filegate make fuzz, $(date -u +%Y-%m-%dT%H:%M:%SZ), commit $(git rev-parse --short HEAD 2>/dev/null || echo unknown)"
    echo "libFuzzer + AddressSanitizer, release build, $FUZZ_JOBS processes per target, $mode, inputs up to" \
        "$FUZZ_MAX_LEN bytes, CPUs allowed: $(nproc)"
    echo "executions and exec/s are the sums over a target's processes"
    printf '%-22s %12s %10s %14s %8s\n' target executions exec/s corpus crashes
} > "$summary"
failed=()
for target in $targets; do
    mkdir -p "$work/$target" "Fuzz/Crashes/$target"
    log="$logs/$target.log"
    crashes_before="$(findings "Fuzz/Crashes/$target")"
    rm -f "$log".*
    jobs=()
    for ((job = 1; job <= FUZZ_JOBS; job++)); do
        "$binary" "$target" "${budget[@]}" -max_len="$FUZZ_MAX_LEN" -timeout=10 -print_final_stats=1 \
            -artifact_prefix="Fuzz/Crashes/$target/" "$work/$target" "Fuzz/Corpus/$target" > "$log.$job" 2>&1 &
        jobs+=($!)
    done
    status=0
    for pid in "${jobs[@]}"; do wait "$pid" || status=$?; done
    crashes=$(($(findings "Fuzz/Crashes/$target") - crashes_before))
    corpus="$(($(count "Fuzz/Corpus/$target") + $(count "$work/$target")))"
    printf '%-22s %12s %10s %14s %8s\n' "$target" "$(stat number_of_executed_units "$log")" \
        "$(stat average_exec_per_sec "$log")" "$corpus" "$crashes" | tee -a "$summary"
    if ((status != 0 || crashes > 0)); then
        failed+=("$target")
        grep -h -m3 -E "ERROR|invariant broken|SUMMARY" "$log".* >&2 || true
    fi
done
echo "corpus = seeds in Fuzz/Corpus/<target>/ + inputs kept in Fuzz/.build/corpus/<target>/" >> "$summary"
if ((${#failed[@]} > 0)); then
    echo "FAILED: ${failed[*]} (artifacts in Fuzz/Crashes/<target>/, logs in $logs/)" >> "$summary"
fi
mv "$summary" "$results"
echo "fuzz: summary in $results"
if ((${#failed[@]} > 0)); then
    echo "fuzz: crashes in ${failed[*]}; see Fuzz/Crashes/ and $logs/" >&2
    exit 1
fi
