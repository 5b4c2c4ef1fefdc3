#!/usr/bin/env bash
# make bench-proxy: filegate against nginx as a reverse proxy, side by side in one run, in front of one fast upstream.
#
# The upstream is nginx (one worker) on 127.0.0.1 shaped like the OpenAI Files API: a static 1 GiB (and 2 GiB) file
# at /v1/files/file-bench/content, a JSON file object at /v1/files/file-bench, and a sink at POST /v1/files that reads
# the whole body before it answers a file object. The sink is nginx's echo module (Debian's nginx-light brings it):
# `echo_read_request_body` reads the body to its last byte into one memory buffer, then `echo` answers. A plain
# `return 200` would answer before the body is read (nginx discards the rest afterwards), so a proxy could finish
# before the upload did; a Python sink would put a second process and an extra hop behind the upstream.
#
# Three targets, the same clients (curl, wrk) against each: the upstream directly; nginx as a reverse proxy set up
# as a careful operator would; filegate (release build) with one `openai` backend on the upstream. The proxy under
# test runs on CPU 0, client and upstream on CPU 1. Rounds are interleaved (each round visits every target, the
# order rotating). Then each half of filegate's small GET alone, as a floor: libcurl (bench/curl_floor.c) and SwiftNIO
# (bench/nio-floor). Results go to bench/results/proxy.txt; the exit status is 1 when a target of issue 4 fails.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

ROUNDS="${ROUNDS:-3}"
FLOOR_REQUESTS="${FLOOR_REQUESTS:-100000}"
WRK_SECONDS="${WRK_SECONDS:-10}"
WRK_CONNECTIONS=64
SLOW_RATE=20M
GIB=$((1024 * 1024 * 1024))
RSS_LIMIT_KIB=$((64 * 1024))
CLIENT_KEY="fg-bench-client-0123456789abcdef"
UPSTREAM_KEY="fg-bench-upstream-fedcba9876543210"
WORK=bench/work
SOURCE_1G="$PWD/$WORK/1GiB.bin"
SOURCE_2G="$PWD/$WORK/2GiB.bin"
RESULTS=bench/results/proxy.txt
BIN=.build-release/release/filegate
ECHO_MODULE=/usr/lib/nginx/modules/ngx_http_echo_module.so
CURL=(curl -sS --noproxy '*' --max-time 900)
PROXY_CPU=0
CLIENT_CPU=1

# shellcheck source=bench/common.sh
source bench/common.sh
install_missing bench-proxy nginx-light wrk util-linux curl
[[ -f "$ECHO_MODULE" ]] || { echo "bench-proxy: $ECHO_MODULE is missing (package libnginx-mod-http-echo)" >&2; exit 1; }
if (( $(nproc) < 2 )); then
    echo "bench-proxy: needs 2 CPUs (proxy on CPU 0, client and upstream on CPU 1), this machine has $(nproc)" >&2
    exit 1
fi

echo "bench-proxy: release build (.build-release)"
swift build -c release --scratch-path .build-release
swift build -c release --package-path bench/nio-floor

mkdir -p "$WORK" bench/results
if [[ ! -f "$SOURCE_1G" || "$(stat -c %s "$SOURCE_1G")" -ne "$GIB" ]]; then
    echo "bench-proxy: creating $SOURCE_1G (1 GiB of random bytes, kept for later runs)"
    head -c "$GIB" /dev/urandom > "$SOURCE_1G.partial"
    mv "$SOURCE_1G.partial" "$SOURCE_1G"
fi
if [[ ! -f "$SOURCE_2G" || "$(stat -c %s "$SOURCE_2G")" -ne $((2 * GIB)) ]]; then
    echo "bench-proxy: creating $SOURCE_2G (the 1 GiB file twice, kept for later runs)"
    cat "$SOURCE_1G" "$SOURCE_1G" > "$SOURCE_2G.partial"
    mv "$SOURCE_2G.partial" "$SOURCE_2G"
fi

RUN_DIR="$(mktemp -d "$PWD/$WORK/proxy.XXXXXX")"
PIDS=()
cleanup() {
    local pid
    for pid in "${PIDS[@]}"; do
        if kill -0 "$pid" 2>/dev/null; then
            kill -TERM "$pid"
            wait "$pid" 2>/dev/null || true
        fi
    done
    rm -rf "$RUN_DIR"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

free_port() {
    python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}
UPSTREAM_PORT="$(free_port)"
NGINX_PROXY_PORT="$(free_port)"

# The worker drops to `user`; under root it keeps root so that it can use the private run folder.
NGINX_USER=""
(( $(id -u) != 0 )) || NGINX_USER="user root root;"

# Settings both nginx processes share: one worker, no access log, every temporary path in the run folder.
nginx_common() {
    local name="$1"
    cat <<EOF
$NGINX_USER
worker_processes 1;
pid $RUN_DIR/$name.pid;
events { worker_connections 4096; }
EOF
}
nginx_http_common() {
    local name="$1"
    cat <<EOF
    access_log off;
    client_body_temp_path $RUN_DIR/$name-temp/body;
    proxy_temp_path $RUN_DIR/$name-temp/proxy;
    fastcgi_temp_path $RUN_DIR/$name-temp/fastcgi;
    uwsgi_temp_path $RUN_DIR/$name-temp/uwsgi;
    scgi_temp_path $RUN_DIR/$name-temp/scgi;
    keepalive_requests 1000000;
    keepalive_timeout 300s;
EOF
}

file_object() {
    printf '{"id":"%s","object":"file","bytes":%s,"created_at":1700000000,"filename":"%s","purpose":"fine-tune","status":"processed","status_details":null}' "$1" "$2" "$3"
}

mkdir -p "$RUN_DIR"/{upstream,nginx-proxy}-temp
{
    echo "load_module $ECHO_MODULE;"
    nginx_common upstream
    cat <<EOF
http {
$(nginx_http_common upstream)
    sendfile on;
    tcp_nopush on;
    server {
        listen 127.0.0.1:$UPSTREAM_PORT;
        client_max_body_size 0;
        # The sink keeps the whole body in one buffer: read to the end, nothing written to disk.
        client_body_buffer_size 2100m;
        if (\$http_authorization != "Bearer $UPSTREAM_KEY") {
            return 401 '{"error":{"message":"bad key","type":"invalid_request_error","code":"invalid_api_key"}}';
        }
        location = /v1/files {
            default_type application/json;
            echo_read_request_body;
            echo -n '$(file_object file-bench-upload "$GIB" 1GiB.bin)';
        }
        location = /v1/files/file-bench {
            default_type application/json;
            return 200 '$(file_object file-bench "$GIB" 1GiB.bin)';
        }
        location = /v1/files/file-bench/content {
            default_type application/octet-stream;
            alias $SOURCE_1G;
        }
        location = /v1/files/file-bench-2g/content {
            default_type application/octet-stream;
            alias $SOURCE_2G;
        }
    }
}
EOF
} > "$RUN_DIR/upstream.conf"

{
    nginx_common nginx-proxy
    cat <<EOF
http {
$(nginx_http_common nginx-proxy)
    upstream files {
        server 127.0.0.1:$UPSTREAM_PORT;
        keepalive 64;
        keepalive_requests 1000000;
    }
    server {
        listen 127.0.0.1:$NGINX_PROXY_PORT;
        client_max_body_size 0;
        if (\$http_authorization != "Bearer $CLIENT_KEY") {
            return 401 '{"error":{"message":"bad key","type":"invalid_request_error","code":"invalid_api_key"}}';
        }
        location / {
            proxy_pass http://files;
            proxy_http_version 1.1;
            proxy_set_header Connection "";
            proxy_set_header Authorization "Bearer $UPSTREAM_KEY";
            proxy_request_buffering off;
            proxy_buffers 8 256k;
            proxy_buffer_size 64k;
            proxy_max_temp_file_size 0;
        }
    }
}
EOF
} > "$RUN_DIR/nginx-proxy.conf"

# Both proxies without a line per request: nginx has `access_log off`, filegate `"access_log": false`.
KEY_SHA256="$(key_sha256 "$CLIENT_KEY")"
cat > "$RUN_DIR/filegate.json" <<EOF
{
  "listen": "127.0.0.1:0",
  "max_upload_bytes": $((3 * GIB)),
  "access_log": false,
  "backends": [
    {"name": "upstream", "kind": "openai", "endpoint": "http://127.0.0.1:$UPSTREAM_PORT",
     "api_key_env": "FILEGATE_BENCH_UPSTREAM_KEY"}
  ],
  "clients": [
    {"name": "bench", "key_sha256": "$KEY_SHA256", "backends": ["upstream"], "default_backend": "upstream"}
  ]
}
EOF

# Whether the nginx master MASTER has its worker and answers on PORT.
nginx_serves() {
    pgrep -P "$1" > /dev/null && "${CURL[@]}" -o /dev/null "http://127.0.0.1:$2/" 2>/dev/null
}

# Starts nginx on a CPU, in the foreground of a background job of this shell; sets STARTED_MASTER and
# STARTED_WORKER once it serves.
start_nginx() {
    local name="$1" cpu="$2" port="$3"
    taskset -c "$cpu" nginx -p "$RUN_DIR" -e "$RUN_DIR/$name-error.log" -c "$RUN_DIR/$name.conf" \
        -g 'daemon off;' > "$RUN_DIR/$name.out" 2>&1 &
    STARTED_MASTER=$!
    PIDS+=("$STARTED_MASTER")
    if await_ready "$STARTED_MASTER" nginx_serves "$STARTED_MASTER" "$port"; then
        STARTED_WORKER="$(pgrep -P "$STARTED_MASTER" | head -1)"
        return
    fi
    echo "bench-proxy: nginx $name did not start:" >&2
    cat "$RUN_DIR/$name.out" "$RUN_DIR/$name-error.log" >&2 || true
    exit 1
}

# Starts filegate on CPU 0 as a background job of this shell; sets STARTED_PID and STARTED_BASE once it serves.
start_filegate() {
    launch_filegate bench-proxy "$RUN_DIR/filegate.json" "$1" \
        FILEGATE_BENCH_UPSTREAM_KEY="$UPSTREAM_KEY" taskset -c "$PROXY_CPU"
    STARTED_PID="$FILEGATE_PID"
    STARTED_BASE="$BASE"
    PIDS+=("$STARTED_PID")
}

stop_pid() {
    local pid="$1"
    if kill -0 "$pid" 2>/dev/null; then
        kill -TERM "$pid"
        wait "$pid" 2>/dev/null || true
    fi
}

start_nginx upstream "$CLIENT_CPU" "$UPSTREAM_PORT"
UPSTREAM_WORKER="$STARTED_WORKER"
start_nginx nginx-proxy "$PROXY_CPU" "$NGINX_PROXY_PORT"
NGINX_WORKER="$STARTED_WORKER"
start_filegate "$RUN_DIR/filegate.log"
FILEGATE_PID="$STARTED_PID"
FILEGATE_BASE="$STARTED_BASE"
echo "bench-proxy: upstream nginx worker $UPSTREAM_WORKER on :$UPSTREAM_PORT (CPU $CLIENT_CPU)," \
    "nginx proxy worker $NGINX_WORKER on :$NGINX_PROXY_PORT (CPU $PROXY_CPU)," \
    "filegate $FILEGATE_PID on $FILEGATE_BASE (CPU $PROXY_CPU)"

TARGETS=(direct nginx filegate)
declare -A BASE=(
    [direct]="http://127.0.0.1:$UPSTREAM_PORT"
    [nginx]="http://127.0.0.1:$NGINX_PROXY_PORT"
    [filegate]="$FILEGATE_BASE"
)
declare -A KEY=([direct]="$UPSTREAM_KEY" [nginx]="$CLIENT_KEY" [filegate]="$CLIENT_KEY")
declare -A PROXY_PID=([nginx]="$NGINX_WORKER" [filegate]="$FILEGATE_PID")

vm_kib() { awk -v field="$2:" '$1 == field { print $2 }' "/proc/$1/status"; }

# Target order of a round: rotated so that no target always goes first.
round_order() {
    local round="$1" i
    for i in 0 1 2; do echo "${TARGETS[$(((round + i) % 3))]}"; done
}

mbps() { awk -v bytes="$1" -v seconds="$2" 'BEGIN { printf "%.0f", bytes / 1e6 / seconds }'; }
cpu_per_gib() {
    awk -v ticks="$1" -v hz="$CLK_TCK" -v bytes="$2" 'BEGIN { printf "%.2f", ticks / hz / (bytes / 1073741824) }'
}

declare -A UP_MBPS DOWN_MBPS UP_CPU DOWN_CPU RPS P50 P99

# One 1 GiB upload of `target`; appends MB/s and the proxy's CPU seconds per GiB.
upload() {
    local target="$1" before=0 after code seconds
    [[ "$target" == direct ]] || before="$(cpu_ticks "${PROXY_PID[$target]}")"
    read -r code seconds < <(taskset -c "$CLIENT_CPU" "${CURL[@]}" -o "$RUN_DIR/created.json" \
        -w '%{http_code} %{time_total}\n' -H "Authorization: Bearer ${KEY[$target]}" \
        -F purpose=fine-tune -F "file=@$SOURCE_1G" "${BASE[$target]}/v1/files")
    if [[ "$code" != 200 ]] || ! grep -q '"id"' "$RUN_DIR/created.json"; then
        echo "bench-proxy: $target upload answered $code: $(head -c 500 "$RUN_DIR/created.json")" >&2
        exit 1
    fi
    UP_MBPS[$target]+="$(mbps "$GIB" "$seconds") "
    if [[ "$target" != direct ]]; then
        after="$(cpu_ticks "${PROXY_PID[$target]}")"
        UP_CPU[$target]+="$(cpu_per_gib $((after - before)) "$GIB") "
    fi
}

# One 1 GiB download of `target`; appends MB/s and the proxy's CPU seconds per GiB.
download() {
    local target="$1" before=0 after code bytes seconds
    [[ "$target" == direct ]] || before="$(cpu_ticks "${PROXY_PID[$target]}")"
    read -r code bytes seconds < <(taskset -c "$CLIENT_CPU" "${CURL[@]}" -o /dev/null \
        -w '%{http_code} %{size_download} %{time_total}\n' -H "Authorization: Bearer ${KEY[$target]}" \
        "${BASE[$target]}/v1/files/file-bench/content")
    if [[ "$code" != 200 || "$bytes" != "$GIB" ]]; then
        echo "bench-proxy: $target download answered $code with $bytes bytes" >&2
        exit 1
    fi
    DOWN_MBPS[$target]+="$(mbps "$GIB" "$seconds") "
    if [[ "$target" != direct ]]; then
        after="$(cpu_ticks "${PROXY_PID[$target]}")"
        DOWN_CPU[$target]+="$(cpu_per_gib $((after - before)) "$GIB") "
    fi
}

# wrk's summary as one line: requests/s, p50 and p99 in microseconds, and the count of failed requests.
cat > "$RUN_DIR/report.lua" <<'EOF'
function done(summary, latency, requests)
    local errors = summary.errors.connect + summary.errors.read + summary.errors.write
        + summary.errors.status + summary.errors.timeout
    io.write(string.format("RESULT %.1f %d %d %d\n", summary.requests / (summary.duration / 1e6),
        latency:percentile(50), latency:percentile(99), errors))
end
EOF

# wrk against GET /v1/files/file-bench; `script` paces it or not. Prints "rps p50_us p99_us".
run_wrk() {
    local target="$1" seconds="$2" script="$3" rps p50 p99 errors
    read -r _ rps p50 p99 errors < <(taskset -c "$CLIENT_CPU" wrk -t1 -c"$WRK_CONNECTIONS" -d"${seconds}s" \
        -s "$script" -H "Authorization: Bearer ${KEY[$target]}" "${BASE[$target]}/v1/files/file-bench" \
        | grep '^RESULT')
    if [[ -z "${rps:-}" || "$errors" != 0 ]]; then
        echo "bench-proxy: wrk against $target: ${errors:-no result} failed requests" >&2
        exit 1
    fi
    echo "$rps $p50 $p99"
}

echo "bench-proxy: warming up (page cache, connections)"
for target in "${TARGETS[@]}"; do
    taskset -c "$CLIENT_CPU" "${CURL[@]}" -o /dev/null -H "Authorization: Bearer ${KEY[$target]}" \
        "${BASE[$target]}/v1/files/file-bench/content"
    run_wrk "$target" 2 "$RUN_DIR/report.lua" > /dev/null
done

for round in $(seq "$ROUNDS"); do
    for target in $(round_order "$round"); do
        upload "$target"
        download "$target"
        up=(${UP_MBPS[$target]})
        down=(${DOWN_MBPS[$target]})
        echo "bench-proxy: streaming round $round $target: up ${up[-1]} MB/s, down ${down[-1]} MB/s"
    done
done

for round in $(seq "$ROUNDS"); do
    for target in $(round_order "$round"); do
        read -r rps _ < <(run_wrk "$target" "$WRK_SECONDS" "$RUN_DIR/report.lua")
        RPS[$target]+="$rps "
        echo "bench-proxy: flat-out round $round $target: $rps requests/s"
    done
done

# The two halves of a small GET through filegate, each alone on the proxy's CPU, nothing else: libcurl's upstream
# half (bench/curl_floor.c; an easy handle reused per slot, or a fresh one per request, driven by curl_multi_perform,
# and reused ones driven through epoll as filegate's curl thread does) and SwiftNIO's client half
# (bench/nio-floor server: read a head, write a fixed answer). Together they bound what filegate's design can reach.
# For comparison, the upstream half on NIOHTTP1 instead of libcurl (bench/nio-floor client).
cc -O2 -o "$RUN_DIR/curl_floor" bench/curl_floor.c $(pkg-config --cflags --libs libcurl)
NIO_FLOOR_PORT="$(free_port)"
taskset -c "$PROXY_CPU" bench/nio-floor/.build/release/nio-floor server "$NIO_FLOOR_PORT" > "$RUN_DIR/nio-floor.log" 2>&1 &
NIO_FLOOR_PID=$!
PIDS+=("$NIO_FLOOR_PID")
if ! await_ready "$NIO_FLOOR_PID" grep -q listening "$RUN_DIR/nio-floor.log"; then
    echo "bench-proxy: nio-floor did not start:" >&2
    cat "$RUN_DIR/nio-floor.log" >&2
    exit 1
fi
KEY[nio-floor]="$CLIENT_KEY"
BASE[nio-floor]="http://127.0.0.1:$NIO_FLOOR_PORT"
declare -A FLOOR_RPS FLOOR_CPU
for round in $(seq "$ROUNDS"); do
    for mode in reuse fresh socket; do
        # socket: reused handles driven as filegate's curl thread drives them (socket and timer callbacks, epoll).
        read -r rps cpu < <(taskset -c "$PROXY_CPU" "$RUN_DIR/curl_floor" \
            "${BASE[direct]}/v1/files/file-bench" "$UPSTREAM_KEY" "$FLOOR_REQUESTS" \
            $([[ "$mode" == socket ]] && echo "reuse socket" || echo "$mode"))
        FLOOR_RPS[$mode]+="$rps "
        FLOOR_CPU[$mode]+="$cpu "
        echo "bench-proxy: libcurl floor round $round $mode: $rps requests/s, $cpu us CPU per request"
    done
    read -r rps cpu < <(taskset -c "$PROXY_CPU" bench/nio-floor/.build/release/nio-floor client \
        "${BASE[direct]}/v1/files/file-bench" "$UPSTREAM_KEY" "$FLOOR_REQUESTS")
    FLOOR_RPS[nio-client]+="$rps "
    FLOOR_CPU[nio-client]+="$cpu "
    echo "bench-proxy: NIOHTTP1 client floor round $round: $rps requests/s, $cpu us CPU per request"
    ticks="$(cpu_ticks "$NIO_FLOOR_PID")"
    read -r rps _ < <(run_wrk nio-floor "$WRK_SECONDS" "$RUN_DIR/report.lua")
    cpu="$(cpu_us_per_request $(($(cpu_ticks "$NIO_FLOOR_PID") - ticks)) "$rps" "$WRK_SECONDS")"
    FLOOR_RPS[nio]+="$rps "
    FLOOR_CPU[nio]+="$cpu "
    echo "bench-proxy: SwiftNIO floor round $round: $rps requests/s, $cpu us CPU per request"
done
stop_pid "$NIO_FLOOR_PID"

spread() { printf '%s\n' "$@" | sort -g | awk 'NR == 1 { lo = $1 } { hi = $1 } END { printf "%s-%s", lo, hi }'; }
# "median (min-max)" of a space-separated list.
summary() {
    local -a values
    read -r -a values <<< "$1"
    printf '%s (%s)' "$(median "${values[@]}")" "$(spread "${values[@]}")"
}

# Paced: every connection waits between its requests, so that the offered rate is half the slowest target's
# flat-out median; wrk's latency is counted from each request's send, so the wait is not in it.
slowest="$(for target in "${TARGETS[@]}"; do read -r -a v <<< "${RPS[$target]}"; median "${v[@]}"; done | sort -g | head -1)"
PACE_MS="$(awk -v c="$WRK_CONNECTIONS" -v r="$slowest" 'BEGIN { d = c * 1000 / (r / 2); printf "%d", (d < 1) ? 1 : d + 0.999 }')"
OFFERED="$(awk -v c="$WRK_CONNECTIONS" -v d="$PACE_MS" 'BEGIN { printf "%.0f", c * 1000 / d }')"
{ echo "function delay() return $PACE_MS end"; cat "$RUN_DIR/report.lua"; } > "$RUN_DIR/paced.lua"
declare -A ADD50 ADD99
for round in $(seq "$ROUNDS"); do
    declare -A round_p50=() round_p99=()
    for target in $(round_order "$round"); do
        read -r rps p50 p99 < <(run_wrk "$target" "$WRK_SECONDS" "$RUN_DIR/paced.lua")
        P50[$target]+="$p50 "
        P99[$target]+="$p99 "
        round_p50[$target]="$p50"
        round_p99[$target]="$p99"
        echo "bench-proxy: paced round $round $target: $rps requests/s, p50 $p50 us, p99 $p99 us"
    done
    for target in nginx filegate; do
        ADD50[$target]+="$((round_p50[$target] - round_p50[direct])) "
        ADD99[$target]+="$((round_p99[$target] - round_p99[direct])) "
    done
done

# Peak RSS: a fresh filegate for each case, its VmHWM read after the transfer.
declare -A RSS
rss_case() {
    local name="$1" code bytes
    shift
    start_filegate "$RUN_DIR/filegate-rss-$name.log"
    read -r code bytes < <("$@" "$STARTED_BASE")
    RSS[$name]="$(vm_kib "$STARTED_PID" VmHWM)"
    stop_pid "$STARTED_PID"
    if [[ "$code" != 200 ]]; then
        echo "bench-proxy: RSS case $name answered $code" >&2
        exit 1
    fi
    echo "bench-proxy: peak RSS $name: ${RSS[$name]} KiB ($bytes bytes)"
}
upload_2g() {
    taskset -c "$CLIENT_CPU" "${CURL[@]}" -o /dev/null -w '%{http_code} %{size_upload}\n' \
        -H "Authorization: Bearer $CLIENT_KEY" -F purpose=fine-tune -F "file=@$SOURCE_2G" "$1/v1/files"
}
download_2g() {
    taskset -c "$CLIENT_CPU" "${CURL[@]}" -o /dev/null -w '%{http_code} %{size_download}\n' \
        -H "Authorization: Bearer $CLIENT_KEY" "$1/v1/files/file-bench-2g/content"
}
download_2g_slow() {
    taskset -c "$CLIENT_CPU" "${CURL[@]}" --limit-rate "$SLOW_RATE" -o /dev/null -w '%{http_code} %{size_download}\n' \
        -H "Authorization: Bearer $CLIENT_KEY" "$1/v1/files/file-bench-2g/content"
}
rss_case upload-2GiB upload_2g
rss_case download-2GiB download_2g
rss_case download-2GiB-slow download_2g_slow

## Verdicts against issue 4's targets.
verdict() { if awk "BEGIN { exit !($1) }"; then echo PASS; else echo FAIL; fi; }
values() { local -a v; read -r -a v <<< "$1"; "$2" "${v[@]}"; }
declare -a VERDICTS
check() {
    local result
    result="$(verdict "$2")"
    VERDICTS+=("$result  $1")
}
up_fg="$(values "${UP_MBPS[filegate]}" best)"; up_ng="$(values "${UP_MBPS[nginx]}" best)"
down_fg="$(values "${DOWN_MBPS[filegate]}" best)"; down_ng="$(values "${DOWN_MBPS[nginx]}" best)"
upcpu_fg="$(values "${UP_CPU[filegate]}" median)"; upcpu_ng="$(values "${UP_CPU[nginx]}" median)"
downcpu_fg="$(values "${DOWN_CPU[filegate]}" median)"; downcpu_ng="$(values "${DOWN_CPU[nginx]}" median)"
rps_fg="$(values "${RPS[filegate]}" median)"; rps_ng="$(values "${RPS[nginx]}" median)"
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", a / b }'; }
check "upload throughput, best of $ROUNDS: filegate $up_fg MB/s >= 1.0 x nginx $up_ng MB/s ($(ratio "$up_fg" "$up_ng")x)" \
    "$up_fg >= $up_ng"
check "download throughput, best of $ROUNDS: filegate $down_fg MB/s >= 1.0 x nginx $down_ng MB/s ($(ratio "$down_fg" "$down_ng")x)" \
    "$down_fg >= $down_ng"
check "upload CPU per GiB, median: filegate $upcpu_fg s <= nginx $upcpu_ng s" "$upcpu_fg <= $upcpu_ng"
check "download CPU per GiB, median: filegate $downcpu_fg s <= nginx $downcpu_ng s" "$downcpu_fg <= $downcpu_ng"
check "small GETs flat out, median: filegate $rps_fg req/s >= 0.8 x nginx $rps_ng req/s ($(ratio "$rps_fg" "$rps_ng")x)" \
    "$rps_fg >= 0.8 * $rps_ng"
for name in upload-2GiB download-2GiB download-2GiB-slow; do
    check "peak RSS, $name: filegate $((RSS[$name] / 1024)) MiB (${RSS[$name]} KiB) < 64 MiB" \
        "${RSS[$name]} < $RSS_LIMIT_KIB"
done

row() { printf '  %-9s %-22s %-22s %s\n' "$@"; }
{
    echo "filegate against nginx as a reverse proxy, one fast upstream (issue 4)"
    echo "date:      $(date -u '+%Y-%m-%d %H:%M:%S UTC')"
    echo "commit:    $(commit_measured)"
    echo "machine:   $(nproc) CPUs, $(awk -F': ' '/^model name/ { print $2; exit }' /proc/cpuinfo)," \
        "$(awk '/^MemTotal:/ { printf "%.0f GiB", $2 / 1048576 }' /proc/meminfo), $(uname -sr); shared with" \
        "other builds, so figures are noisy"
    echo "tools:     $(swift --version 2>&1 | head -1); $(nginx -v 2>&1 | sed 's/^nginx version: //');" \
        "$(curl --version | head -1 | cut -d' ' -f1-2); $(wrk -v 2>&1 | head -1 | cut -d' ' -f1-2)"
    echo "binary:    swift build -c release --scratch-path .build-release -> $BIN"
    echo "pinning:   proxy under test (nginx proxy worker, filegate) on CPU $PROXY_CPU;" \
        "upstream nginx, curl and wrk on CPU $CLIENT_CPU (taskset -c)"
    echo "upstream:  nginx 1 worker on 127.0.0.1, sendfile; GET /v1/files/file-bench (JSON file object, return 200)," \
        "/v1/files/file-bench/content ($SOURCE_1G, alias), POST /v1/files: echo module," \
        "echo_read_request_body (whole body read into memory) then a file object"
    echo "targets:   direct = the upstream; nginx = nginx 1 worker, proxy_pass to a keepalive 64 pool," \
        "proxy_http_version 1.1, proxy_request_buffering off, proxy_buffers 8 256k, proxy_buffer_size 64k," \
        "proxy_max_temp_file_size 0 (no spooling of downloads to disk), client key checked and swapped with" \
        "proxy_set_header Authorization; filegate = one openai backend on the upstream (api_key_env), one client key"
    echo "rounds:    $ROUNDS, interleaved (every round visits all three targets, order rotated);" \
        "MB = 10^6 bytes over curl's time_total; CPU = utime+stime from /proc/PID/stat of the proxy process" \
        "(nginx: its worker; filegate: all threads) around each transfer, ${CLK_TCK} ticks/s"
    echo
    echo "commands (TARGET = http://127.0.0.1:PORT of each target, KEY = its client key):"
    echo "  upload:    taskset -c $CLIENT_CPU curl -sS -o created.json -w '%{http_code} %{time_total}' -H 'Authorization: Bearer KEY' -F purpose=fine-tune -F file=@$WORK/1GiB.bin TARGET/v1/files"
    echo "  download:  taskset -c $CLIENT_CPU curl -sS -o /dev/null -w '%{http_code} %{size_download} %{time_total}' -H 'Authorization: Bearer KEY' TARGET/v1/files/file-bench/content"
    echo "  flat out:  taskset -c $CLIENT_CPU wrk -t1 -c$WRK_CONNECTIONS -d${WRK_SECONDS}s -s report.lua -H 'Authorization: Bearer KEY' TARGET/v1/files/file-bench"
    echo "  paced:     the same with paced.lua: function delay() return $PACE_MS end (each connection waits ${PACE_MS} ms" \
        "between requests: at most $OFFERED req/s offered, half the slowest target's flat-out median);" \
        "latency from wrk's histogram, counted from each request's send"
    echo "  peak RSS:  a fresh filegate per case, VmHWM after: the upload above with $WORK/2GiB.bin; the download of" \
        "TARGET/v1/files/file-bench-2g/content; the same with curl --limit-rate $SLOW_RATE"
    echo "  servers:   taskset -c $CLIENT_CPU nginx -c upstream.conf -g 'daemon off;'; taskset -c $PROXY_CPU nginx -c nginx-proxy.conf" \
        "-g 'daemon off;'; FILEGATE_BENCH_UPSTREAM_KEY=... taskset -c $PROXY_CPU $BIN serve --config filegate.json"
    echo
    echo "1 GiB upload and download: MB/s best, then median (min-max); proxy CPU s/GiB median (min-max)"
    row target "upload MB/s" "download MB/s" "CPU s/GiB up | down"
    for target in "${TARGETS[@]}"; do
        cpu="-"
        [[ "$target" == direct ]] || cpu="$(summary "${UP_CPU[$target]}") | $(summary "${DOWN_CPU[$target]}")"
        row "$target" "$(values "${UP_MBPS[$target]}" best), $(summary "${UP_MBPS[$target]}")" \
            "$(values "${DOWN_MBPS[$target]}" best), $(summary "${DOWN_MBPS[$target]}")" "$cpu"
    done
    for target in "${TARGETS[@]}"; do
        echo "  rounds $target: up ${UP_MBPS[$target]% }; down ${DOWN_MBPS[$target]% }${UP_CPU[$target]:+; cpu up ${UP_CPU[$target]% }; cpu down ${DOWN_CPU[$target]% }}"
    done
    echo
    echo "GET /v1/files/file-bench, $WRK_CONNECTIONS keep-alive connections, ${WRK_SECONDS} s per round"
    row target "flat out req/s" "paced p50 | p99 us" "paced added over direct, p50 | p99 us"
    for target in "${TARGETS[@]}"; do
        added="-"
        [[ "$target" == direct ]] || added="$(summary "${ADD50[$target]}") | $(summary "${ADD99[$target]}")"
        row "$target" "$(summary "${RPS[$target]}")" "$(values "${P50[$target]}" median) | $(values "${P99[$target]}" median)" "$added"
    done
    for target in "${TARGETS[@]}"; do
        echo "  rounds $target: req/s ${RPS[$target]% }; paced p50 ${P50[$target]% }; paced p99 ${P99[$target]% }"
    done
    echo "  floors, each half of filegate's small GET alone on CPU $PROXY_CPU (0.8 x nginx's median would be" \
        "$(awk -v n="$rps_ng" 'BEGIN { printf "%.0f", 0.8 * n }') req/s, $(awk -v n="$rps_ng" 'BEGIN { printf "%.1f", 1e6 / (0.8 * n) }') us per request):"
    echo "    libcurl, bench/curl_floor.c: the same GET straight to the upstream, 64 transfers in flight," \
        "$FLOOR_REQUESTS requests per round, no client side"
    for mode in reuse fresh; do
        echo "      $mode easy handles, curl_multi_perform: $(summary "${FLOOR_RPS[$mode]}") req/s," \
            "$(summary "${FLOOR_CPU[$mode]}") us CPU per request"
    done
    echo "      reuse easy handles, socket and timer callbacks through epoll as filegate's curl thread:" \
        "$(summary "${FLOOR_RPS[socket]}") req/s, $(summary "${FLOOR_CPU[socket]}") us CPU per request"
    echo "    SwiftNIO, bench/nio-floor server: wrk as above against a server that reads a head and writes a fixed file" \
        "object, no parsing, no upstream: $(summary "${FLOOR_RPS[nio]}") req/s, $(summary "${FLOOR_CPU[nio]}") us CPU per request"
    echo "    for comparison, the upstream half on NIOHTTP1 instead of libcurl, bench/nio-floor client: the same GET," \
        "64 keep-alive connections: $(summary "${FLOOR_RPS[nio-client]}") req/s, $(summary "${FLOOR_CPU[nio-client]}") us CPU per request"
    echo
    echo "filegate peak RSS (VmHWM): upload 2 GiB ${RSS[upload-2GiB]} KiB; download 2 GiB ${RSS[download-2GiB]} KiB;" \
        "download 2 GiB at $SLOW_RATE/s ${RSS[download-2GiB-slow]} KiB"
    echo
    echo "targets (issue 4):"
    printf '  %s\n' "${VERDICTS[@]}"
    echo
    echo "upstream.conf:"
    sed "s|$RUN_DIR|RUN|g; s|$UPSTREAM_KEY|UPSTREAM_KEY|g; s|$CLIENT_KEY|CLIENT_KEY|g; s/^/  /" "$RUN_DIR/upstream.conf"
    echo "nginx-proxy.conf:"
    sed "s|$RUN_DIR|RUN|g; s|$UPSTREAM_KEY|UPSTREAM_KEY|g; s|$CLIENT_KEY|CLIENT_KEY|g; s/^/  /" "$RUN_DIR/nginx-proxy.conf"
    echo "filegate.json:"
    sed "s|$RUN_DIR|RUN|g; s/^/  /" "$RUN_DIR/filegate.json"
} | tee "$RESULTS"

! printf '%s\n' "${VERDICTS[@]}" | grep -q '^FAIL'
