# Sourced by bench/run.sh and bench/load.sh: one filegate on its local backend, started and stopped the same way.
#
# start_local_filegate NAME KEY MAX_UPLOAD_BYTES: writes RUN_DIR/config.json (the local backend under RUN_DIR/data,
# one client NAME with KEY), starts BIN on it with the proxy variables removed, and waits for its "listening on"
# line; sets FILEGATE_PID and BASE, or prints the log and exits 1. The EXIT trap stops filegate and removes RUN_DIR.

FILEGATE_PID=""
stop_filegate_and_clean() {
    if [[ -n "$FILEGATE_PID" ]] && kill -0 "$FILEGATE_PID" 2>/dev/null; then
        kill -TERM "$FILEGATE_PID"
        wait "$FILEGATE_PID" || true
    fi
    rm -rf "$RUN_DIR"
}
trap stop_filegate_and_clean EXIT

start_local_filegate() {
    local name="$1" key="$2" max_upload_bytes="$3" key_sha256 line
    key_sha256="$(printf '%s' "$key" | sha256sum | cut -d' ' -f1)"
    cat > "$RUN_DIR/config.json" <<JSON
{
  "listen": "127.0.0.1:0",
  "max_upload_bytes": $max_upload_bytes,
  "backends": [{"name": "local", "kind": "local", "directory": "data"}],
  "clients": [{"name": "$name", "key_sha256": "$key_sha256", "backends": ["local"], "default_backend": "local"}]
}
JSON
    env -u http_proxy -u https_proxy -u HTTP_PROXY -u HTTPS_PROXY -u all_proxy -u ALL_PROXY \
        "$BIN" serve --config "$RUN_DIR/config.json" > "$RUN_DIR/filegate.log" 2>&1 &
    FILEGATE_PID=$!
    BASE=""
    for _ in $(seq 200); do
        if line="$(grep -m1 -o 'listening on http://[^[:space:]]*' "$RUN_DIR/filegate.log")"; then
            BASE="http://${line#listening on http://}"
            return
        fi
        kill -0 "$FILEGATE_PID" 2>/dev/null || break
        sleep 0.1
    done
    echo "$name: filegate did not start; its log:" >&2
    cat "$RUN_DIR/filegate.log" >&2
    exit 1
}
