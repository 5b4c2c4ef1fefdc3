#!/usr/bin/env bash
# make load: a benchmark, not a test (issue 5, "How it is shown"). One release filegate on its local backend under
# 2,000 concurrent keep-alive connections mixing small calls (retrieve, list) and streaming transfers (uploads and
# downloads of a few MiB) for LOAD_MINUTES minutes (default 5; SOAK_MINUTES=30 for a soak, which wins when set).
#
# The client is bench/load_client.py (asyncio on raw sockets, split over two processes). Results go to
# bench/results/load.txt (soak.txt for a soak): errors (must be 0), p50/p99 of the small calls, filegate's RSS at
# start, peak (also per tenth of the run) and end, and its open descriptors at start and end (must be equal). Exits 1
# when there were errors or the descriptors differ. Nothing is pinned: on a shared machine the latencies include whatever else runs.
#
# LOAD_THROUGH=remote puts the load on the remote path instead: the filegate measured forwards to a second filegate on
# its local backend (an openai backend, default limits) and its connections to that upstream are counted apart (open
# at the peak and at the end, opened during the run); those kept open for reuse must stay within the backend's
# max_upstream_connections. Results in load-remote.txt (soak-remote.txt).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

MINUTES="${SOAK_MINUTES:-${LOAD_MINUTES:-5}}"
CONNECTIONS="${LOAD_CONNECTIONS:-2000}"
THROUGH="${LOAD_THROUGH:-local}"
KEY="fg-load-0123456789abcdef"
UPSTREAM_KEY="fg-load-upstream-0123456789abcdef"
# The remote backend's max_upstream_connections, left at its default.
MAX_UPSTREAM_CONNECTIONS=256
WORK=bench/work
# A soak keeps its own results, beside those of the ordinary run; so does a run through the remote path.
RESULTS=bench/results/$([[ -n "${SOAK_MINUTES:-}" ]] && echo soak || echo load)$([[ "$THROUGH" == local ]] || echo -remote).txt
BIN=.build-release/release/filegate
case "$THROUGH" in
local | remote) ;;
*)
    echo "load: LOAD_THROUGH is local or remote, not $THROUGH" >&2
    exit 2
    ;;
esac

echo "load: release build (.build-release)"
swift build -c release --scratch-path .build-release

mkdir -p "$WORK" bench/results
RUN_DIR="$(mktemp -d "$PWD/$WORK/load.XXXXXX")"

# shellcheck source=bench/common.sh
source bench/common.sh
trap stop_filegate_and_clean EXIT
UPSTREAM_ARGUMENTS=()
if [[ "$THROUGH" == remote ]]; then
    start_local_filegate front "$UPSTREAM_KEY" 1610612736
    UPSTREAM_PID="$FILEGATE_PID"
    UPSTREAM_BASE="$BASE"
    cat > "$RUN_DIR/front.json" <<JSON
{
  "listen": "127.0.0.1:0",
  "max_upload_bytes": 1610612736,
  "state_directory": "front",
  "backends": [{"name": "upstream", "kind": "openai", "endpoint": "$UPSTREAM_BASE", "api_key_env": "FG_LOAD_UPSTREAM_KEY",
                "max_upstream_connections": $MAX_UPSTREAM_CONNECTIONS}],
  "clients": [{"name": "load", "key_sha256": "$(key_sha256 "$KEY")",
               "backends": ["upstream"], "default_backend": "upstream"}]
}
JSON
    mkdir -p "$RUN_DIR/front"
    LOG="$RUN_DIR/front.log"
    launch_filegate load "$RUN_DIR/front.json" "$LOG" env FG_LOAD_UPSTREAM_KEY="$UPSTREAM_KEY"
    UPSTREAM_ARGUMENTS=(--upstream-port "${UPSTREAM_BASE##*:}")
    echo "load: upstream filegate (pid $UPSTREAM_PID) on $UPSTREAM_BASE, on its local backend"
else
    start_local_filegate load "$KEY" 1610612736
    LOG="$RUN_DIR/filegate.log"
fi
echo "load: filegate (pid $FILEGATE_PID) on $BASE; $CONNECTIONS connections for $MINUTES min"

ulimit -n "$(ulimit -Hn)" 2>/dev/null || true
SECONDS_TOTAL=$((MINUTES * 60))
REPORT="$(python3 bench/load_client.py --base "$BASE" --key "$KEY" --pid "$FILEGATE_PID" \
    --connections "$CONNECTIONS" --seconds "$SECONDS_TOTAL" "${UPSTREAM_ARGUMENTS[@]}")"
# filegate hands freed heap pages back every 10 s (HeapTrimmer): the settled figure is read after two rounds of it.
SETTLE_SECONDS=25
sleep "$SETTLE_SECONDS"
SETTLED_KIB="$(awk '$1 == "VmRSS:" { print $2 }' "/proc/$FILEGATE_PID/status")"
# The edge figures (bench/edge_load.py): a normal client's latency under slowloris, RSS under a stalled reader.
EDGE_REPORT="$(python3 bench/edge_load.py --base "$BASE" --key "$KEY" --pid "$FILEGATE_PID")"
LIMIT_LINE="$(grep -m1 -o 'open-files limit[^"]*' "$LOG" || echo 'open-files limit left as it was')"

python3 - "$REPORT" "$SETTLED_KIB" "$SETTLE_SECONDS" "$EDGE_REPORT" "$MAX_UPSTREAM_CONNECTIONS" <<'PY' > "$RUN_DIR/summary.txt"
import json, sys
r = json.loads(sys.argv[1])
c = r["calls"]
print(f"calls:          {sum(c.values())} ({', '.join(f'{k} {v}' for k, v in c.items())})")
print(f"errors:         {r['errors']}" + (f"  e.g. {r['error_samples']}" if r["errors"] else ""))
print(f"small calls:    {r['small_calls']}: p50 {r['small_p50_ms']} ms, p99 {r['small_p99_ms']} ms, "
      f"max {r['small_max_ms']} ms")
rss = r["rss_kib"]
print(f"RSS:            start {rss['start'] // 1024} MiB, peak {rss['peak'] // 1024} MiB, end {rss['end'] // 1024} MiB "
      f"({rss['start']} / {rss['peak']} / {rss['end']} KiB, VmRSS sampled once a second)")
print("                highest in each tenth of the run: " + " ".join(f"{kib // 1024}" for kib in rss["by_tenth"])
      + " MiB")
settled = int(sys.argv[2])
print(f"                settled {settled // 1024} MiB ({settled} KiB), {sys.argv[3]} s after the last call")
edge = json.loads(sys.argv[4])
slow, stalled = edge["slowloris"], edge["stalled_reader"]
print(f"slowloris:      {slow['connections']} connections dribbling heads for {slow['seconds']:.0f} s "
      f"({slow['closed_by_filegate']} closed by filegate); a normal client at 50 calls/s: {slow['normal_calls']} "
      f"calls, {slow['normal_errors']} errors, p50 {slow['normal_p50_ms']} ms, p99 {slow['normal_p99_ms']} ms "
      f"(goal < 50 ms), max {slow['normal_max_ms']} ms")
growth = stalled["growth_kib"]
print(f"stalled reader: a {stalled['file_mib']} MiB download read no further than its head for 10 s: RSS "
      f"{stalled['rss_before_kib'] // 1024} -> {stalled['rss_peak_kib'] // 1024} MiB, growth {growth} KiB "
      f"(goal < 16 MiB)")
fds = r["fds"]
print(f"descriptors:    start {fds['start']}, peak {fds['peak']}, end {fds['end']}"
      + (" (connections to the upstream apart)" if "upstream" in r else "")
      + (f"; changed by kind: {r['fds_changed']}" if r["fds_changed"] else ""))
if "upstream" in r:
    up = r["upstream"]
    print(f"upstream:       connections open at start {up['start']}, peak {up['peak']}, end {up['end']} (kept for "
          f"reuse; at most max_upstream_connections, {sys.argv[5]}); {up['opened']} opened during the run "
          f"(the machine's TCP active opens, less the client's)")
PY

{
    echo "filegate load bench (make load)"
    echo "date:        $(date -u '+%Y-%m-%d %H:%M:%S UTC')"
    echo "commit:      $(commit_measured)"
    echo "machine:     $(nproc) cores, $(awk '/^MemTotal:/ { printf "%.0f GiB", $2 / 1048576 }' /proc/meminfo), $(uname -sr); shared with other work, nothing pinned: latencies include it"
    if [[ "$THROUGH" == remote ]]; then
        echo "binary:      swift build -c release --scratch-path .build-release -> $BIN, an openai backend reaching a second"
        echo "             filegate (same binary) on its local backend under $WORK/load.*/data"
    else
        echo "binary:      swift build -c release --scratch-path .build-release -> $BIN, local backend under $WORK/load.*/data"
    fi
    echo "load:        $CONNECTIONS keep-alive connections (bench/load_client.py, 2 processes, asyncio, raw sockets),"
    echo "             after 21 files made and a warm-up (50 connections x 20 calls; start figures after it),"
    echo "             opened over 10 s, then $MINUTES min; each waits 0.5-1.5 s between calls; 96% small calls"
    echo "             (retrieve, list limit=10, and the delete after each upload), 2% uploads and 2% downloads of 4 MiB"
    echo "edge:        bench/edge_load.py once the load is over: 500 connections dribbling heads for 20 s beside one"
    echo "             keep-alive client retrieving a file 50 times a second; then a 1 GiB download stalled after its head"
    echo "filegate:    $LIMIT_LINE"
    echo
    cat "$RUN_DIR/summary.txt"
} | tee "$RESULTS"

python3 - "$REPORT" "$MAX_UPSTREAM_CONNECTIONS" <<'PY'
import json, sys
r = json.loads(sys.argv[1])
kept = r.get("upstream", {}).get("end", 0)
sys.exit(0 if r["errors"] == 0 and r["fds"]["start"] == r["fds"]["end"] and kept <= int(sys.argv[2]) else 1)
PY
