#!/usr/bin/env bash
# A throwaway PostgreSQL on 127.0.0.1 for tests and local use, in a directory of its own.
#
#   infra/postgres.sh start DIR   # installs the Debian package if missing, initdb, starts; prints the URL
#   infra/postgres.sh url DIR     # prints postgresql://plaintrail:...@127.0.0.1:PORT/plaintrail
#   infra/postgres.sh status DIR  # exit 0 when running
#   infra/postgres.sh stop DIR    # SIGTERM to the postmaster's PID (never by name), waits, exit 0
#
# initdb refuses to run as root, so the server runs as an unprivileged system user (PGUSER_OS,
# default `postgres` when it exists, else `plaintrail-pg`, created). Sockets stay inside DIR.
set -euo pipefail

cmd=${1:-}
dir=${2:-}
[[ -n "$cmd" && -n "$dir" ]] || { echo "usage: $0 start|stop|status|url DIR" >&2; exit 2; }
mkdir -p "$dir"
dir=$(cd "$dir" && pwd)
data="$dir/data"
password_file="$dir/password"

bindir() {
    local found
    found=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1 || true)
    if [[ -z "$found" || ! -x "$found/initdb" ]]; then
        echo "postgres.sh: installing PostgreSQL from Debian's packages" >&2
        if [[ $(id -u) -eq 0 ]]; then
            apt-get update -qq >&2 && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >&2
        else
            sudo apt-get update -qq >&2 && sudo DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >&2
        fi
        found=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -1)
    fi
    echo "$found"
}

os_user() {
    if [[ $(id -u) -ne 0 ]]; then id -un; return; fi
    local user=${PGUSER_OS:-}
    if [[ -z "$user" ]]; then
        if id postgres >/dev/null 2>&1; then user=postgres; else user=plaintrail-pg; fi
    fi
    id "$user" >/dev/null 2>&1 || useradd --system --no-create-home --shell /usr/sbin/nologin "$user"
    echo "$user"
}

as_user() {  # run a command as the server's OS user
    local user=$1; shift
    if [[ $(id -u) -eq 0 ]]; then runuser -u "$user" -- "$@"; else "$@"; fi
}

url() {
    echo "postgresql://plaintrail:$(cat "$password_file")@127.0.0.1:$(cat "$dir/port")/plaintrail"
}

running() {
    [[ -f "$data/postmaster.pid" ]] && kill -0 "$(head -1 "$data/postmaster.pid")" 2>/dev/null
}

free_port() {
    python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

start() {
    if running; then url; return; fi
    local bin user port
    bin=$(bindir)
    user=$(os_user)
    chown "$user" "$dir" 2>/dev/null || true
    if [[ ! -f "$data/PG_VERSION" ]]; then
        [[ -f "$password_file" ]] || python3 -c 'import secrets; print(secrets.token_hex(16))' > "$password_file"
        cp "$password_file" "$dir/.pwfile" && chown "$user" "$dir/.pwfile" 2>/dev/null || true
        as_user "$user" "$bin/initdb" -D "$data" -U plaintrail --pwfile="$dir/.pwfile" -A scram-sha-256 \
            -E UTF8 --locale=C.UTF-8 >"$dir/initdb.log" 2>&1 || { cat "$dir/initdb.log" >&2; exit 1; }
        rm -f "$dir/.pwfile"
    fi
    port=$(free_port)
    echo "$port" > "$dir/port"
    as_user "$user" "$bin/pg_ctl" -D "$data" -l "$dir/server.log" -w -t 60 start \
        -o "-c listen_addresses=127.0.0.1 -p $port -k $data -c fsync=off -c synchronous_commit=off \
            -c full_page_writes=off -c max_connections=200" >/dev/null \
        || { cat "$dir/server.log" >&2; exit 1; }
    PGPASSWORD=$(cat "$password_file") psql -q -h 127.0.0.1 -p "$port" -U plaintrail -d postgres \
        -c "CREATE DATABASE plaintrail" >/dev/null 2>&1 || true
    url
}

stop() {
    running || return 0
    local pid
    pid=$(head -1 "$data/postmaster.pid")
    kill -TERM "$pid"
    for _ in $(seq 1 100); do kill -0 "$pid" 2>/dev/null || return 0; sleep 0.1; done
    kill -INT "$pid" 2>/dev/null || true  # fast shutdown
    for _ in $(seq 1 100); do kill -0 "$pid" 2>/dev/null || return 0; sleep 0.1; done
    echo "postgres.sh: server $pid did not stop" >&2
    return 1
}

case "$cmd" in
    start) start ;;
    stop) stop ;;
    status) running ;;
    url) url ;;
    *) echo "usage: $0 start|stop|status|url DIR" >&2; exit 2 ;;
esac
