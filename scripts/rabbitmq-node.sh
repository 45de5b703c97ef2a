#!/usr/bin/env bash
# A private RabbitMQ node for local runs and benchmarks, without Docker and without touching a system node.
#   scripts/rabbitmq-node.sh start DIR [PORT]   start a node whose files all live in DIR (default port 5672)
#   scripts/rabbitmq-node.sh stop DIR           stop it by the PID in DIR/pid (never by process name)
#   scripts/rabbitmq-node.sh ctl DIR ARGS...    run rabbitmqctl against it
# Installs rabbitmq-server with apt when it is missing. The node runs /usr/lib/rabbitmq/bin/rabbitmq-server
# directly (the /usr/sbin wrapper switches user) with its own HOME, Erlang cookie, data and log folders.
set -euo pipefail

RABBIT_BIN=/usr/lib/rabbitmq/bin

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
  if [ "$port" -le 45535 ]; then export RABBITMQ_DIST_PORT=$((port + 20000)); else export RABBITMQ_DIST_PORT=$((port - 20000)); fi
  export ERL_CRASH_DUMP="$dir/log/erl_crash.dump"
  export RABBITMQ_MNESIA_BASE="$dir/mnesia"
  export RABBITMQ_LOG_BASE="$dir/log"
  export RABBITMQ_PID_FILE="$dir/pid"
  export RABBITMQ_CONFIG_FILE="$dir/rabbitmq"
  export RABBITMQ_ENABLED_PLUGINS_FILE="$dir/enabled_plugins"
}

start() {
  local dir=$1 port=${2:-5672}
  ensure_installed
  mkdir -p "$dir/home" "$dir/mnesia" "$dir/log"
  dir=$(cd "$dir" && pwd)
  if [ -f "$dir/pid" ] && kill -0 "$(cat "$dir/pid")" 2>/dev/null; then
    echo "node already running (pid $(cat "$dir/pid"), port $(cat "$dir/port"))" >&2
    return 0
  fi
  if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
    echo "port $port is already in use; pass another port" >&2
    return 1
  fi
  [ -f "$dir/home/.erlang.cookie" ] || { head -c 24 /dev/urandom | base64 | tr -dc 'A-Za-z0-9' > "$dir/home/.erlang.cookie"; chmod 400 "$dir/home/.erlang.cookie"; }
  printf 'loopback_users = none\nlisteners.tcp.default = %s\n' "$port" > "$dir/rabbitmq.conf"
  echo '[].' > "$dir/enabled_plugins"
  echo "$port" > "$dir/port"
  node_env "$dir" "$port"
  setsid "$RABBIT_BIN/rabbitmq-server" > "$dir/log/console.log" 2>&1 < /dev/null &
  for _ in $(seq 1 120); do
    if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
      echo "RabbitMQ node ready on port $port (pid $(cat "$dir/pid" 2>/dev/null || echo '?'), files in $dir)" >&2
      return 0
    fi
    sleep 0.5
  done
  echo "RabbitMQ node did not start; last log lines:" >&2
  tail -20 "$dir/log/console.log" >&2
  return 1
}

stop() {
  local dir=$1
  [ -f "$dir/pid" ] || { echo "no node in $dir" >&2; return 0; }
  local pid
  pid=$(cat "$dir/pid")
  kill -TERM "$pid" 2>/dev/null || true
  for _ in $(seq 1 40); do
    kill -0 "$pid" 2>/dev/null || { rm -f "$dir/pid"; echo "RabbitMQ node stopped" >&2; return 0; }
    sleep 0.25
  done
  kill -KILL "$pid" 2>/dev/null || true
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
  stop) shift; stop "$@" ;;
  ctl) shift; ctl "$@" ;;
  *) echo "usage: $0 start DIR [PORT] | stop DIR | ctl DIR ARGS..." >&2; exit 2 ;;
esac
