#!/usr/bin/env bash
# A private RabbitMQ node for local runs and benchmarks, without Docker and without touching a system node.
#   scripts/rabbitmq-node.sh start DIR [PORT] [SECRETS]  start a node whose files all live in DIR (default port 5672)
#   scripts/rabbitmq-node.sh join DIR SEED_DIR           make the node in DIR join the cluster of the node in SEED_DIR
#   scripts/rabbitmq-node.sh uri DIR producer|consumer|admin   print the AMQP URI of that user on this node
#   scripts/rabbitmq-node.sh login DIR producer|consumer|admin FILE   write that user's password into FILE (mode 600)
#                                                        and print its URI without the password, for --rabbitmq with
#                                                        RabbitMq__PasswordFile=FILE: no command line shows the password
#   scripts/rabbitmq-node.sh stop DIR                    stop it by the PID in DIR/pid (never by process name)
#   scripts/rabbitmq-node.sh ctl DIR ARGS...             run rabbitmqctl against it
# Secure by default: the node listens on 127.0.0.1 only (AMQP and Erlang distribution; epmd too when this node
# starts it), and has no guest user. Its users are streaming-producer and streaming-consumer, with the least
# privilege of deploy/kubernetes/broker/permissions.env (docs/trust-model.md), and streaming-admin (administrator,
# every permission: tools, benchmarks). With MANAGEMENT_PORT set in the environment, the management plugin (UI and
# HTTP API) is on too, on 127.0.0.1:MANAGEMENT_PORT. Their passwords are generated once into SECRETS/credentials (mode 600;
# SECRETS defaults to DIR, and nodes of one cluster share it with the Erlang cookie) and reused on later starts.
# Installs rabbitmq-server with apt when it is missing. The node runs /usr/lib/rabbitmq/bin/rabbitmq-server
# directly (the /usr/sbin wrapper switches user) with its own HOME, Erlang cookie, data and log folders.
set -euo pipefail

RABBIT_BIN=/usr/lib/rabbitmq/bin
root=$(cd "$(dirname "$0")/.." && pwd)
# shellcheck source=lib/ports.sh
. "$root/scripts/lib/ports.sh"

ensure_installed() {
  if [ ! -x "$RABBIT_BIN/rabbitmq-server" ]; then
    echo "rabbitmq-server is not installed; installing it with apt" >&2
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq --no-install-recommends rabbitmq-server >/dev/null
    # The package may start a system node on 5672; this script runs its own.
    (service rabbitmq-server stop || /usr/sbin/rabbitmqctl stop) >/dev/null 2>&1 || true
  fi
}

node_env() {
  local dir=$1 port=$2
  export HOME="$dir/home"
  export RABBITMQ_NODENAME="streaming-$port@localhost"
  export RABBITMQ_NODE_PORT="$port"
  # The Erlang distribution port must be free and below 65536: 20000 above the AMQP port, or below it.
  RABBITMQ_DIST_PORT=$(dist_port "$port")
  export RABBITMQ_DIST_PORT
  # Distribution on the loopback interface only; so is epmd when this node is the one that starts it.
  export RABBITMQ_SERVER_ADDITIONAL_ERL_ARGS="-kernel inet_dist_use_interface {127,0,0,1}"
  export ERL_EPMD_ADDRESS=127.0.0.1
  export ERL_CRASH_DUMP="$dir/log/erl_crash.dump"
  export RABBITMQ_MNESIA_BASE="$dir/mnesia"
  export RABBITMQ_LOG_BASE="$dir/log"
  export RABBITMQ_PID_FILE="$dir/pid"
  export RABBITMQ_CONFIG_FILE="$dir/rabbitmq"
  export RABBITMQ_ENABLED_PLUGINS_FILE="$dir/enabled_plugins"
}

random_secret() { head -c 48 /dev/urandom | base64 | tr -dc 'A-Za-z0-9' | head -c "$1"; }

# SECRETS/credentials: one line per user, "<role> <password>"; SECRETS/.erlang.cookie: the cluster's cookie.
ensure_secrets() {
  local secrets=$1 role
  mkdir -p "$secrets"
  chmod 700 "$secrets"
  if [ ! -s "$secrets/credentials" ]; then
    (umask 077; for role in admin producer consumer; do echo "$role $(random_secret 32)"; done > "$secrets/credentials.tmp")
    mv "$secrets/credentials.tmp" "$secrets/credentials"
  fi
  chmod 600 "$secrets/credentials"
  [ -s "$secrets/.erlang.cookie" ] || (umask 077; random_secret 32 > "$secrets/.erlang.cookie")
  chmod 400 "$secrets/.erlang.cookie"
}

password_of() { awk -v role="$2" '$1 == role { print $2 }' "$1/credentials"; }

# RabbitMQ's rabbit_password_hashing_sha256: base64(salt ++ sha256(salt ++ password)), with a 4-byte salt.
password_hash() {
  local salt
  salt=$(od -An -N4 -tx1 /dev/urandom | tr -d ' \n' | sed 's/../\\x&/g')
  { printf "$salt"; { printf "$salt"; printf '%s' "$1"; } | openssl dgst -sha256 -binary; } | base64 -w0
}

json_string() { printf '"%s"' "$(printf '%s' "$1" | sed 's/\\/\\\\/g; s/"/\\"/g')"; }

# Imported at every boot (load_definitions): the vhost, the three users and their permissions. A node whose
# configuration imports definitions never creates the guest user.
write_definitions() {
  local secrets=$1 file=$2
  # shellcheck source=../deploy/kubernetes/broker/permissions.env
  . "$root/deploy/kubernetes/broker/permissions.env"
  user() { printf '{"name":"streaming-%s","password_hash":"%s","hashing_algorithm":"rabbit_password_hashing_sha256","tags":%s}' \
    "$1" "$(password_hash "$(password_of "$secrets" "$1")")" "$(json_string "$2")"; }
  permission() { printf '{"user":"streaming-%s","vhost":"/","configure":%s,"write":%s,"read":%s}' \
    "$1" "$(json_string "$2")" "$(json_string "$3")" "$(json_string "$4")"; }
  (umask 077; cat > "$file.tmp" <<JSON
{"vhosts":[{"name":"/"}],
 "users":[$(user admin administrator),$(user producer ""),$(user consumer "")],
 "permissions":[$(permission admin '.*' '.*' '.*'),
  $(permission producer "$PRODUCER_CONFIGURE" "$PRODUCER_WRITE" "$PRODUCER_READ"),
  $(permission consumer "$CONSUMER_CONFIGURE" "$CONSUMER_WRITE" "$CONSUMER_READ")]}
JSON
  )
  mv "$file.tmp" "$file"
}

start() {
  local dir=$1 port=${2:-5672} secrets=${3:-$1}
  ensure_installed
  mkdir -p "$dir/home" "$dir/mnesia" "$dir/log"
  chmod 700 "$dir"
  dir=$(cd "$dir" && pwd)
  mkdir -p "$secrets"
  secrets=$(cd "$secrets" && pwd)
  if running_pid "$dir" >/dev/null; then
    echo "node already running (pid $(cat "$dir/pid"), port $(cat "$dir/port"))" >&2
    return 0
  fi
  if port_in_use "$port"; then
    echo "port $port is already in use; pass another port" >&2
    return 1
  fi
  ensure_secrets "$secrets"
  echo "$secrets" > "$dir/secrets"
  install -m 400 "$secrets/.erlang.cookie" "$dir/home/.erlang.cookie.tmp" && mv -f "$dir/home/.erlang.cookie.tmp" "$dir/home/.erlang.cookie"
  write_definitions "$secrets" "$dir/definitions.json"
  # A node whose data predates these settings still has guest: delete it once it is up.
  local legacy=false
  if [ ! -f "$dir/secured" ] && [ -n "$(ls -A "$dir/mnesia")" ]; then legacy=true; fi
  printf 'listeners.tcp.1 = 127.0.0.1:%s\nload_definitions = %s\n' "$port" "$dir/definitions.json" > "$dir/rabbitmq.conf"
  if [ -n "${MANAGEMENT_PORT:-}" ]; then
    printf 'management.tcp.ip = 127.0.0.1\nmanagement.tcp.port = %s\n' "$MANAGEMENT_PORT" >> "$dir/rabbitmq.conf"
    echo '[rabbitmq_management].' > "$dir/enabled_plugins"
  else
    echo '[].' > "$dir/enabled_plugins"
  fi
  echo "$port" > "$dir/port"
  node_env "$dir" "$port"
  setsid "$RABBIT_BIN/rabbitmq-server" > "$dir/log/console.log" 2>&1 < /dev/null &
  for _ in $(seq 1 240); do
    if port_in_use "$port"; then
      if [ "$legacy" = true ]; then
        "$RABBIT_BIN/rabbitmqctl" -q -n "$RABBITMQ_NODENAME" delete_user guest >/dev/null 2>&1 || true
      fi
      touch "$dir/secured"
      echo "RabbitMQ node ready on 127.0.0.1:$port (pid $(cat "$dir/pid" 2>/dev/null || echo '?'), files in $dir)" >&2
      return 0
    fi
    sleep 0.5
  done
  echo "RabbitMQ node did not start; last log lines:" >&2
  tail -20 "$dir/log/console.log" >&2
  return 1
}

node_name() { echo "streaming-$(cat "$1/port")@localhost"; }

join() {
  local dir seed
  dir=$(cd "$1" && pwd)
  seed=$(cd "$2" && pwd)
  node_env "$dir" "$(cat "$dir/port")"
  "$RABBIT_BIN/rabbitmqctl" -q -n "$RABBITMQ_NODENAME" stop_app
  "$RABBIT_BIN/rabbitmqctl" -q -n "$RABBITMQ_NODENAME" join_cluster "$(node_name "$seed")"
  "$RABBIT_BIN/rabbitmqctl" -q -n "$RABBITMQ_NODENAME" start_app
  "$RABBIT_BIN/rabbitmqctl" -q -n "$RABBITMQ_NODENAME" await_startup --timeout 120
  echo "$RABBITMQ_NODENAME joined the cluster of $(node_name "$seed")" >&2
}

uri() {
  local dir=$1 role=${2:-}
  case "$role" in producer|consumer|admin) ;; *) echo "usage: $0 uri DIR producer|consumer|admin" >&2; return 2 ;; esac
  [ -f "$dir/secrets" ] || { echo "no node was started in $dir" >&2; return 1; }
  echo "amqp://streaming-$role:$(password_of "$(cat "$dir/secrets")" "$role")@127.0.0.1:$(cat "$dir/port")/"
}

login() {
  local dir=$1 role=${2:-} file=${3:-}
  case "$role" in producer|consumer|admin) ;; *) echo "usage: $0 login DIR producer|consumer|admin FILE" >&2; return 2 ;; esac
  [ -n "$file" ] || { echo "usage: $0 login DIR producer|consumer|admin FILE" >&2; return 2; }
  [ -f "$dir/secrets" ] || { echo "no node was started in $dir" >&2; return 1; }
  (umask 077; password_of "$(cat "$dir/secrets")" "$role" > "$file.tmp")
  chmod 600 "$file.tmp"
  mv -f "$file.tmp" "$file"
  echo "amqp://streaming-$role@127.0.0.1:$(cat "$dir/port")/"
}

# The node's pid, when the process its pid file names is this node (its command line names the folder): a node killed
# with kill -9 leaves its pid file behind, and by the time anyone reads it the number may be another process's.
running_pid() {
  local dir pid
  dir=$(cd "$1" 2>/dev/null && pwd) || return 1
  [ -f "$dir/pid" ] || return 1
  pid=$(cat "$dir/pid" 2>/dev/null) || return 1     # the node removes it as it stops
  [ -n "$pid" ] && is_node_process "$pid" "$dir" || return 1
  echo "$pid"
}

# is_node_process PID DIR: the process lives and is the node of DIR (a zombie's command line is empty).
# The redirection's own error (the process just ended) is the shell's: silenced before it is made.
is_node_process() { tr '\0' '\n' 2>/dev/null < "/proc/$1/cmdline" | grep -qF -- "$2/"; }

# Returns once the node's process is gone, not its pid file: the node removes that file while it is still stopping,
# with its listener open, and a start on the same port right after found the port in use (CI, 2026-12-07).
stop() {
  local dir pid
  dir=$(cd "$1" 2>/dev/null && pwd) || { echo "no node in $1" >&2; return 0; }
  [ -f "$dir/pid" ] || { echo "no node in $dir" >&2; return 0; }
  pid=$(running_pid "$dir") || { rm -f "$dir/pid"; echo "RabbitMQ node was not running" >&2; return 0; }
  kill -TERM "$pid" 2>/dev/null || true
  for _ in $(seq 1 40); do
    is_node_process "$pid" "$dir" || { rm -f "$dir/pid"; echo "RabbitMQ node stopped" >&2; return 0; }
    sleep 0.25
  done
  kill -KILL "$pid" 2>/dev/null || true
  for _ in $(seq 1 40); do
    is_node_process "$pid" "$dir" || break
    sleep 0.25
  done
  rm -f "$dir/pid"
  echo "RabbitMQ node killed after 10 s" >&2
}

ctl() {
  local dir=$1; shift
  dir=$(cd "$dir" && pwd)
  node_env "$dir" "$(cat "$dir/port")"
  "$RABBIT_BIN/rabbitmqctl" -n "$RABBITMQ_NODENAME" "$@"
}

case "${1:-}" in
  start) shift; start "$@" ;;
  join) shift; [ $# -eq 2 ] || { echo "usage: $0 join DIR SEED_DIR" >&2; exit 2; }; join "$@" ;;
  uri) shift; uri "$@" ;;
  login) shift; login "$@" ;;
  stop) shift; stop "$@" ;;
  ctl) shift; ctl "$@" ;;
  *) echo "usage: $0 start DIR [PORT] [SECRETS] | join DIR SEED_DIR | uri DIR producer|consumer|admin | login DIR producer|consumer|admin FILE | stop DIR | ctl DIR ARGS..." >&2; exit 2 ;;
esac
