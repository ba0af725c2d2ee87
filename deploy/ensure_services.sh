#!/usr/bin/env bash
# Makes sure the PostgreSQL and Redis that the tests use are reachable: those named by
# DATABASE_URL / REDIS_URL (default: the local servers on 127.0.0.1). A local server that is
# installed but stopped is started; a missing one is installed with apt-get when the machine
# allows it. Prints what it did; exits non-zero with the reason when a service cannot be had.
set -uo pipefail

DATABASE_URL=${DATABASE_URL:-postgres://postgres@127.0.0.1:5432/arena}
REDIS_URL=${REDIS_URL:-redis://127.0.0.1:6379/0}

# host and port of a URL such as scheme://user:pass@host:port/path
url_host() { local rest=${1#*://}; rest=${rest##*@}; rest=${rest%%/*}; echo "${rest%%:*}"; }
url_port() { local rest=${1#*://}; rest=${rest##*@}; rest=${rest%%/*}; [[ $rest == *:* ]] && echo "${rest##*:}" || echo "$2"; }
is_local() { [[ $1 == 127.0.0.1 || $1 == localhost || $1 == "::1" ]]; }
port_open() { (exec 3<>"/dev/tcp/$1/$2") 2>/dev/null; }
wait_port() { for _ in $(seq 1 60); do port_open "$1" "$2" && return 0; sleep 0.5; done; return 1; }
as_root() { if [ "$(id -u)" = 0 ]; then "$@"; elif command -v sudo >/dev/null; then sudo -n "$@"; else return 1; fi; }
apt_install() {
  command -v apt-get >/dev/null || return 1
  as_root apt-get update -qq >/dev/null && DEBIAN_FRONTEND=noninteractive as_root apt-get install -y -qq "$@" >/dev/null
}
fail() { echo "services: $*" >&2; exit 1; }

start_postgres() {
  if ! command -v pg_ctlcluster >/dev/null; then
    echo "services: PostgreSQL is not installed; installing it with apt-get"
    apt_install postgresql || fail "cannot install PostgreSQL here; set DATABASE_URL to a reachable server"
  fi
  local version conf
  version=$(ls /etc/postgresql 2>/dev/null | sort -V | tail -1)
  [ -n "$version" ] || fail "no PostgreSQL cluster in /etc/postgresql; set DATABASE_URL"
  conf=/etc/postgresql/$version/main
  # The suite connects as user postgres over TCP without a password, as on the CI machines.
  if [ -f "$conf/pg_hba.conf" ] && ! grep -qE '^host\s+all\s+all\s+127.0.0.1/32\s+trust' "$conf/pg_hba.conf"; then
    as_root sed -i '1i host all all 127.0.0.1/32 trust' "$conf/pg_hba.conf"
  fi
  echo "services: starting PostgreSQL $version"
  as_root pg_ctlcluster --skip-systemctl-redirect "$version" main start || true
}

start_redis() {
  if ! command -v redis-server >/dev/null; then
    echo "services: Redis is not installed; installing it with apt-get"
    apt_install redis-server || fail "cannot install Redis here; set REDIS_URL to a reachable server"
  fi
  echo "services: starting Redis"
  redis-server --daemonize yes --bind 127.0.0.1 --port "$1" --save "" --appendonly no >/dev/null
}

check() {  # name url default-port start-function
  local host port
  host=$(url_host "$2"); port=$(url_port "$2" "$3")
  if port_open "$host" "$port"; then
    echo "services: $1 is up on $host:$port"; return
  fi
  is_local "$host" || fail "$1 at $host:$port does not answer (from its URL); start it or fix the URL"
  "$4" "$port"
  wait_port "$host" "$port" || fail "$1 did not come up on $host:$port"
  echo "services: $1 is up on $host:$port"
}

check PostgreSQL "$DATABASE_URL" 5432 start_postgres
check Redis "$REDIS_URL" 6379 start_redis
