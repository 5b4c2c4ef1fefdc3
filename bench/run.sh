#!/usr/bin/env bash
# make bench: 1 GiB up and down through filegate's local backend, 3 rounds each, with curl on 127.0.0.1; then small
# GETs of one file's metadata with wrk (installed when missing).
#
# Builds a release binary into .build-release, serves a temporary config whose local backend lives under
# bench/work/ (on disk, not tmpfs), and writes MB/s (best and median; MB = 10^6 bytes), filegate's peak RSS (VmHWM)
# over the 1 GiB rounds, and the small GETs' requests/s and filegate's CPU per request to
# bench/results/local-backend.txt. Exits 1 when the peak RSS reaches 64 MiB (issue 3's bound).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

ROUNDS=3
SIZE=$((1024 * 1024 * 1024))
RSS_LIMIT_KIB=$((64 * 1024))
KEY="fg-bench-0123456789abcdef"
WORK=bench/work
SOURCE="$WORK/1GiB.bin"
RESULTS=bench/results/local-backend.txt
BIN=.build-release/release/filegate
CURL=(curl -sS --noproxy '*' --max-time 600)
SMALL_GET_SECONDS=10
SMALL_GET_CONNECTIONS=64

# shellcheck source=bench/common.sh
source bench/common.sh
install_missing bench wrk

echo "bench: release build (.build-release)"
swift build -c release --scratch-path .build-release

mkdir -p "$WORK" bench/results
if [[ ! -f "$SOURCE" || "$(stat -c %s "$SOURCE")" -ne "$SIZE" ]]; then
    echo "bench: creating $SOURCE ($((SIZE / 1048576)) MiB of random bytes, kept for later runs)"
    head -c "$SIZE" /dev/urandom > "$SOURCE.partial"
    mv "$SOURCE.partial" "$SOURCE"
fi

RUN_DIR="$(mktemp -d "$PWD/$WORK/run.XXXXXX")"
available_kib="$(df --output=avail -k "$RUN_DIR" | tail -1)"
if (( available_kib < 3 * 1024 * 1024 )); then
    echo "bench: need 3 GiB free under $WORK, have $((available_kib / 1024)) MiB" >&2
    rm -rf "$RUN_DIR"
    exit 1
fi

trap stop_filegate_and_clean EXIT
start_local_filegate bench "$KEY" $((2 * SIZE))
echo "bench: filegate (pid $FILEGATE_PID) on $BASE"

UPLOAD_CMD="curl -sS -H 'Authorization: Bearer KEY' -F purpose=fine-tune -F file=@$SOURCE $BASE/v1/files"
DOWNLOAD_CMD="curl -sS -H 'Authorization: Bearer KEY' -o /dev/null $BASE/v1/files/ID/content"

# created_id FILE: the id of the file object in FILE, a create's answer.
created_id() { python3 -c 'import json, sys; print(json.load(open(sys.argv[1]))["id"])' "$1"; }
mbps() { awk -v bytes="$1" -v seconds="$2" 'BEGIN { printf "%.0f", bytes / 1e6 / seconds }'; }

up_rates=()
down_rates=()
for round in $(seq "$ROUNDS"); do
    read -r code seconds < <("${CURL[@]}" -o "$RUN_DIR/created.json" -w '%{http_code} %{time_total}\n' \
        -H "Authorization: Bearer $KEY" -F purpose=fine-tune -F "file=@$SOURCE" "$BASE/v1/files")
    if [[ "$code" != 200 ]]; then
        echo "bench: upload answered $code: $(head -c 500 "$RUN_DIR/created.json")" >&2
        exit 1
    fi
    id="$(created_id "$RUN_DIR/created.json")"
    up_rates+=("$(mbps "$SIZE" "$seconds")")

    read -r code bytes seconds < <("${CURL[@]}" -o /dev/null -w '%{http_code} %{size_download} %{time_total}\n' \
        -H "Authorization: Bearer $KEY" "$BASE/v1/files/$id/content")
    if [[ "$code" != 200 || "$bytes" != "$SIZE" ]]; then
        echo "bench: download answered $code with $bytes bytes" >&2
        exit 1
    fi
    down_rates+=("$(mbps "$SIZE" "$seconds")")

    "${CURL[@]}" -o /dev/null -X DELETE -H "Authorization: Bearer $KEY" "$BASE/v1/files/$id"
    echo "bench: round $round: up ${up_rates[-1]} MB/s, down ${down_rates[-1]} MB/s"
done

PEAK_RSS_KIB="$(awk '/^VmHWM:/ { print $2 }' "/proc/$FILEGATE_PID/status")"

# Small GETs: one small file's metadata, flat out on keep-alive connections; filegate's CPU from /proc/PID/stat.
printf '{"prompt": "p", "completion": "c"}\n' > "$RUN_DIR/small.jsonl"
"${CURL[@]}" -o "$RUN_DIR/small.json" -H "Authorization: Bearer $KEY" -F purpose=fine-tune \
    -F "file=@$RUN_DIR/small.jsonl" "$BASE/v1/files"
small_id="$(created_id "$RUN_DIR/small.json")"
SMALL_GET_CMD="wrk -t1 -c$SMALL_GET_CONNECTIONS -d${SMALL_GET_SECONDS}s -H 'Authorization: Bearer KEY' $BASE/v1/files/ID"
get_rates=()
get_cpu=()
for round in $(seq "$ROUNDS"); do
    ticks="$(cpu_ticks "$FILEGATE_PID")"
    report="$(wrk -t1 -c"$SMALL_GET_CONNECTIONS" -d"${SMALL_GET_SECONDS}s" -H "Authorization: Bearer $KEY" \
        "$BASE/v1/files/$small_id")"
    ticks=$(($(cpu_ticks "$FILEGATE_PID") - ticks))
    if [[ "$report" == *"Non-2xx"* || "$report" == *"Socket errors"* ]]; then
        echo "bench: small GETs failed:" >&2
        echo "$report" >&2
        exit 1
    fi
    get_rates+=("$(awk '/^Requests\/sec:/ { printf "%.0f", $2 }' <<< "$report")")
    get_cpu+=("$(cpu_us_per_request "$ticks" "${get_rates[-1]}" "$SMALL_GET_SECONDS")")
    echo "bench: small GETs round $round: ${get_rates[-1]} requests/s, ${get_cpu[-1]} us of filegate CPU per request"
done


verdict="under"
(( PEAK_RSS_KIB < RSS_LIMIT_KIB )) || verdict="NOT under"

{
    echo "filegate local-backend bench"
    echo "date:      $(date -u '+%Y-%m-%d %H:%M:%S UTC')"
    echo "commit:    $(commit_measured)"
    echo "machine:   $(nproc) cores, $(awk '/^MemTotal:/ { printf "%.0f GiB", $2 / 1048576 }' /proc/meminfo), $(uname -sr)"
    echo "tools:     $(swift --version 2>&1 | head -1); $(curl --version | head -1 | cut -d' ' -f1-2)"
    echo "binary:    swift build -c release --scratch-path .build-release -> $BIN"
    echo "file:      $SOURCE, $SIZE bytes of /dev/urandom; local backend under $WORK/run.*/data"
    echo "upload:    $UPLOAD_CMD"
    echo "download:  $DOWNLOAD_CMD"
    echo "small GETs: $SMALL_GET_CMD (a one-line JSONL file), nothing pinned; CPU = filegate's utime+stime per request"
    echo "rounds:    $ROUNDS (upload, download, delete); MB = 10^6 bytes, over curl's time_total; then $ROUNDS of small GETs"
    echo
    echo "upload MB/s:    ${up_rates[*]}   best $(best "${up_rates[@]}"), median $(median "${up_rates[@]}")"
    echo "download MB/s:  ${down_rates[*]}   best $(best "${down_rates[@]}"), median $(median "${down_rates[@]}")"
    echo "peak RSS:       ${PEAK_RSS_KIB} KiB ($((PEAK_RSS_KIB / 1024)) MiB, VmHWM of pid $FILEGATE_PID after the 1 GiB rounds)"
    echo "small GETs/s:   ${get_rates[*]}   median $(median "${get_rates[@]}"); CPU per request ${get_cpu[*]} us, median $(median "${get_cpu[@]}")"
    echo "bound:          peak RSS $verdict 64 MiB"
} | tee "$RESULTS"

[[ "$verdict" == "under" ]]
