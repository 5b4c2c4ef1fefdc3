# Sourced by the bench scripts: filegate started, awaited and stopped the same way everywhere.

# The commit measured, marked when files other than bench/results/ differ from it: a results file is rewritten while
# its report is written (tee truncates it first), so it must not count as a local change.
commit_measured() {
    printf '%s' "$(git rev-parse --short HEAD 2>/dev/null || echo unknown)"
    git diff --quiet HEAD -- . ':(exclude)bench/results' 2>/dev/null || printf ' (with local changes)'
}

# install_missing LABEL PACKAGE...: installs the Debian packages not installed yet, as the Makefile's `deps` does.
install_missing() {
    local label="$1" package status sudo=""
    local -a missing=()
    shift
    for package in "$@"; do
        status="$(dpkg -s "$package" 2>/dev/null || true)"
        [[ "$status" == *"Status: install ok installed"* ]] || missing+=("$package")
    done
    (( ${#missing[@]} > 0 )) || return 0
    (( $(id -u) == 0 )) || sudo=sudo
    echo "$label: installing ${missing[*]}"
    $sudo apt-get update
    $sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends "${missing[@]}"
}

CLK_TCK="$(getconf CLK_TCK)"
# cpu_ticks PID: utime + stime of a process (every thread), in clock ticks: fields 14 and 15 of /proc/PID/stat.
cpu_ticks() {
    local stat
    stat="$(< "/proc/$1/stat")"
    stat="${stat##*) }"
    awk '{ print $12 + $13 }' <<< "$stat"
}

# cpu_us_per_request TICKS REQUESTS_PER_SECOND SECONDS: CPU microseconds per request of a run that used TICKS.
cpu_us_per_request() {
    awk -v t="$1" -v hz="$CLK_TCK" -v r="$2" -v s="$3" 'BEGIN { printf "%.1f", t / hz * 1e6 / (r * s) }'
}

# median VALUE... and best VALUE...: of numbers, decimals included.
median() { printf '%s\n' "$@" | sort -g | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
best() { printf '%s\n' "$@" | sort -g | tail -1; }

# await_ready PID CHECK...: runs CHECK (a command and its arguments) every 0.1 s until it succeeds (0), or until
# PID has exited or 20 s have passed (1): the one wait for a server the scripts start.
await_ready() {
    local pid="$1"
    shift
    for _ in $(seq 200); do
        "$@" && return 0
        kill -0 "$pid" 2>/dev/null || return 1
        sleep 0.1
    done
    return 1
}

# launch_filegate LABEL CONFIG LOG [WRAPPER...]: starts BIN on CONFIG as a background job of the calling shell, with
# the proxy variables removed and run through WRAPPER (env assignments, then a command such as `taskset -c 0`), and
# waits for its "listening on" line; sets FILEGATE_PID and BASE, or prints the log under LABEL and exits 1.
launch_filegate() {
    local label="$1" config="$2" log="$3" line
    shift 3
    env -u http_proxy -u https_proxy -u HTTP_PROXY -u HTTPS_PROXY -u all_proxy -u ALL_PROXY \
        "$@" "$BIN" serve --config "$config" > "$log" 2>&1 &
    FILEGATE_PID=$!
    LAUNCHED_PIDS+=("$FILEGATE_PID")
    if await_ready "$FILEGATE_PID" grep -q 'listening on http://' "$log"; then
        line="$(grep -m1 -o 'listening on http://[^[:space:]]*' "$log")"
        BASE="http://${line#listening on http://}"
        return
    fi
    echo "$label: filegate did not start; its log:" >&2
    cat "$log" >&2
    exit 1
}

# key_sha256 KEY: the lowercase hex SHA-256 a config's key_sha256 holds for KEY.
key_sha256() {
    printf '%s' "$1" | sha256sum | cut -d' ' -f1
}

# start_local_filegate NAME KEY MAX_UPLOAD_BYTES: launch_filegate on RUN_DIR/config.json, written here: the local
# backend under RUN_DIR/data and one client NAME with KEY.
start_local_filegate() {
    local name="$1" key="$2" max_upload_bytes="$3" hash
    hash="$(key_sha256 "$key")"
    cat > "$RUN_DIR/config.json" <<JSON
{
  "listen": "127.0.0.1:0",
  "max_upload_bytes": $max_upload_bytes,
  "backends": [{"name": "local", "kind": "local", "directory": "data"}],
  "clients": [{"name": "$name", "key_sha256": "$hash", "backends": ["local"], "default_backend": "local"}]
}
JSON
    launch_filegate "$name" "$RUN_DIR/config.json" "$RUN_DIR/filegate.log"
}

# For an EXIT trap: stops every filegate launch_filegate started, the last first, and removes RUN_DIR.
LAUNCHED_PIDS=()
stop_filegate_and_clean() {
    local index pid
    for ((index = ${#LAUNCHED_PIDS[@]} - 1; index >= 0; index--)); do
        pid="${LAUNCHED_PIDS[index]}"
        if kill -0 "$pid" 2>/dev/null; then
            kill -TERM "$pid"
            wait "$pid" || true
        fi
    done
    rm -rf "$RUN_DIR"
}
