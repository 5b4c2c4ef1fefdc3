#!/usr/bin/env bash
# make bench-micro: the event loop's own per-request pieces of a small GET, each timed alone (bench/micro/, a separate
# package built in release only here), the multipart parser's pass over an upload's bytes, and the copy out of curl's
# write callback by memcpy and by fg_copy_bytes (bench/curl_copy.c), pinned to CPU 0; figures in
# bench/results/micro.txt. No targets: it shows where a small GET's own CPU goes, beside bench-proxy's end-to-end
# figures and floors, and what the copy of every downloaded byte costs.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

RESULTS=bench/results/micro.txt
ITERATIONS="${MICRO_ITERATIONS:-200000}"

# shellcheck source=bench/common.sh
source bench/common.sh

echo "bench-micro: release build (bench/micro/.build)"
swift build -c release --package-path bench/micro
mkdir -p bench/work
cc -O2 -o bench/work/curl_copy bench/curl_copy.c Sources/CFilegateCurl/CFilegateCurl.c \
    -I Sources/CFilegateCurl/include $(pkg-config --cflags --libs libcurl)
mkdir -p bench/results
{
    echo "filegate's per-request pieces of a small GET, each alone, and an upload's multipart scan" \
        "(bench/micro/Sources/FilegateMicro/main.swift)"
    echo "date:      $(date -u '+%Y-%m-%d %H:%M:%S UTC')"
    echo "commit:    $(commit_measured)"
    echo "machine:   $(nproc) CPUs, $(awk -F': ' '/^model name/ { print $2; exit }' /proc/cpuinfo); shared, so noisy"
    echo "tools:     $(swift --version 2>&1 | head -1)"
    echo "command:   taskset -c 0 bench/micro/.build/release/filegate-micro $ITERATIONS"
    taskset -c 0 bench/micro/.build/release/filegate-micro "$ITERATIONS"
    taskset -c 0 bench/work/curl_copy
} | tee "$RESULTS"
