#!/usr/bin/env bash
# The whole product on one machine without Docker: a private RabbitMQ node (rabbitmq-server is installed with apt
# when missing) or a cluster of them, the watch service on a data folder, N consumers, and the .NET Aspire dashboard
# to watch it live.
#
#   scripts/run-local.sh [--consumers N] [--processor SPEC] [--data DIR] [--port PORT] [--cluster N] [--no-dashboard] [--native] [FILE...]
#       Builds (Release), starts everything, copies each FILE into DIR/inbox, prints where to drop files and runs
#       until Ctrl-C (or SIGTERM), which stops everything it started, by PID. Defaults: 2 consumers, identity,
#       ./data, AMQP port 5672 or the next free one (the node's distribution port is 20000 above it). The broker
#       listens on 127.0.0.1 only and has no guest user: the watch service and the consumers log in as users of their
#       own, with least privilege, whose generated passwords are kept in .local/ (scripts/rabbitmq-node.sh). No command
#       line holds a password (any local user reads those with ps): --rabbitmq names the user, and each service reads
#       its password from a file of mode 600 in .local/run (RabbitMq__PasswordFile).
#       --cluster N starts N nodes (on N consecutive ports) joined as one cluster, created afresh on each start (its
#       queues start empty; files in processing/ resume from their checkpoints), and gives every service the list of
#       their URIs, so each fails over to another node when its own goes. The services export traces, metrics and
#       logs over OTLP to the Aspire dashboard (from NuGet, restored by the build) on http://127.0.0.1:18888 or the
#       next free port; --no-dashboard runs without it. --native runs the services as
#       the Native AOT executables the Docker images ship (scripts/publish-native.sh: about a minute more to build,
#       clang installed with apt when missing; faster start-up and less CPU, bench/NOTEBOOK.md).
#   scripts/run-local.sh scale N|+K|-K
#       From another terminal: sets how many consumers the running instance keeps. New ones start at once; the
#       ones removed get SIGTERM, finish or hand back their work (up to 20 s) and exit.
#   scripts/run-local.sh status
#       What the running instance runs: the services, the broker's nodes and each queue's leader.
#
# State, logs and the broker's files live in .local/ at the repository root; a crashed consumer is restarted.
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
# shellcheck source=lib/ports.sh
. "$root/scripts/lib/ports.sh"
state="$root/.local"
run="$state/run"
logs="$state/logs"
instance_pid_file="$run/instance.pid"
desired_file="$run/desired-consumers"

log() { printf '%s %s\n' "$(date +%H:%M:%S)" "$*" >&2; }
die() { echo "run-local: $*" >&2; exit 2; }

instance_running() { [ -f "$instance_pid_file" ] && kill -0 "$(cat "$instance_pid_file")" 2>/dev/null; }

count_arg() {
  [[ $1 =~ ^[0-9]+$ ]] && [ "$1" -le 64 ] || die "$2 takes a whole number from 0 to 64, got '$1'"
}

# ---- scale / status: talk to the running instance through its state folder --------------------------------------

running_consumers() {
  local n=0 f
  for f in "$run"/consumers/*.pid; do
    [ -e "$f" ] || continue
    kill -0 "$(cat "$f")" 2>/dev/null && n=$((n + 1))
  done
  echo "$n"
}

cmd_status() {
  instance_running || { echo "no instance is running (start one with scripts/run-local.sh)"; return 1; }
  echo "instance pid $(cat "$instance_pid_file"), data folder $(cat "$run/data")"
  echo "consumers: $(running_consumers) running, $(cat "$desired_file") wanted; $(ls "$run"/stopping/*.pid 2>/dev/null | wc -l) draining"
  echo "logs in $logs"
  local dir asked=
  echo "broker nodes:"
  while read -r dir; do
    if [ -f "$dir/pid" ] && kill -0 "$(cat "$dir/pid")" 2>/dev/null; then
      echo "  streaming-$(cat "$dir/port")@localhost  running (pid $(cat "$dir/pid")), AMQP on 127.0.0.1:$(cat "$dir/port")"
      [ -n "$asked" ] || asked=$dir
    else
      echo "  streaming-$(cat "$dir/port" 2>/dev/null)@localhost  not running"
    fi
  done < "$run/nodes"
  [ -n "$asked" ] || return 0
  # One node answers for the cluster; while it is partitioned away, ask another with scripts/rabbitmq-node.sh ctl.
  echo "queues (asked streaming-$(cat "$asked/port")@localhost):"
  timeout 60 "$root/scripts/rabbitmq-node.sh" ctl "$asked" list_queues -q name type messages leader members 2>&1 | sed 's/^/  /'
}

cmd_scale() {
  [ $# -eq 1 ] || die "usage: scripts/run-local.sh scale N|+K|-K"
  instance_running || die "no instance is running (start one with scripts/run-local.sh)"
  local current wanted
  current=$(cat "$desired_file")
  case "$1" in
    +*) count_arg "${1#+}" scale; wanted=$((current + ${1#+})) ;;
    -*) count_arg "${1#-}" scale; wanted=$((current - ${1#-})); [ "$wanted" -ge 0 ] || wanted=0 ;;
    *) count_arg "$1" scale; wanted=$1 ;;
  esac
  count_arg "$wanted" scale
  echo "$wanted" > "$desired_file.tmp" && mv "$desired_file.tmp" "$desired_file"
  for _ in $(seq 1 60); do
    [ "$(running_consumers)" -eq "$wanted" ] && break
    sleep 0.5
  done
  echo "consumers: $(running_consumers) running (wanted $wanted); removed ones drain and exit by themselves"
}

case "${1:-}" in
  scale) shift; cmd_scale "$@"; exit ;;
  status) cmd_status; exit ;;
esac

# ---- the instance ------------------------------------------------------------------------------------------------

consumers=2
processor=identity
data="$root/data"
dashboard=true
native=false
port=${STREAMING_RABBITMQ_PORT:-}
cluster=0
files=()
while [ $# -gt 0 ]; do
  case "$1" in
    --consumers) [ $# -ge 2 ] || die "--consumers needs a value"; count_arg "$2" --consumers; consumers=$2; shift 2 ;;
    --processor) [ $# -ge 2 ] || die "--processor needs a value"; processor=$2; shift 2 ;;
    --data) [ $# -ge 2 ] || die "--data needs a value"; data=$2; shift 2 ;;
    --port) [ $# -ge 2 ] || die "--port needs a value"; [[ $2 =~ ^[0-9]+$ ]] && [ "$2" -ge 1 ] && [ "$2" -le 65535 ] || die "--port takes a port number"; port=$2; shift 2 ;;
    --cluster) [ $# -ge 2 ] || die "--cluster needs a value"; [[ $2 =~ ^[0-9]+$ ]] && [ "$2" -ge 2 ] && [ "$2" -le 9 ] || die "--cluster takes a number of nodes from 2 to 9, got '$2'"; cluster=$2; shift 2 ;;
    --no-dashboard) dashboard=false; shift ;;
    --native) native=true; shift ;;
    -h|--help) sed -n '2,27p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    -*) die "unknown option $1 (see --help)" ;;
    *) [ -f "$1" ] || die "'$1' is not a file"; files+=("$(cd "$(dirname "$1")" && pwd)/$(basename "$1")"); shift ;;
  esac
done
instance_running && die "an instance is already running (pid $(cat "$instance_pid_file")); stop it first, or use scale/status"

free_port_from() { local p; for p in $(seq "$1" $(($1 + 49))); do port_in_use "$p" || { echo "$p"; return 0; }; done; return 1; }
nodes=$((cluster > 0 ? cluster : 1))
ports_free() {   # the AMQP and distribution ports of $nodes nodes from $1 on
  local p
  for p in $(seq "$1" $(($1 + nodes - 1))); do
    [ "$p" -le 65535 ] && ! port_in_use "$p" && ! port_in_use "$(dist_port "$p")" || return 1
  done
}
if [ -z "$port" ]; then
  # 5672 unless it (or the node's distribution port beside it) is taken, e.g. by a system RabbitMQ.
  for candidate in $(seq 5672 5721); do
    if ports_free "$candidate"; then port=$candidate; break; fi
  done
  [ -n "$port" ] || die "ports 5672-5721 are all in use; pass --port"
elif ! ports_free "$port"; then
  die "port $port (or one of the $nodes from it, or its distribution port 20000 away) is in use; pass another --port"
fi
mkdir -p "$data"
data=$(cd "$data" && pwd)
# The broker's node folders: one node in .local/rabbitmq, or a cluster's in .local/cluster/n1..nN (sharing the
# passwords and the Erlang cookie in .local/cluster).
node_dirs=()
if [ "$cluster" -gt 0 ]; then
  for i in $(seq 1 "$cluster"); do node_dirs+=("$state/cluster/n$i"); done
else
  node_dirs=("$state/rabbitmq")
fi
# How each service is started: `dotnet X.dll` after the build, or the Native AOT executable with --native. The
# `dotnet` form reads the GC's first-generation size only from the environment (Native AOT has it built in:
# Directory.Build.props); without it a VM that reports a large L3 cache lets each service's heap pass 100 MB.
producer=(env "DOTNET_GCgen0size=${DOTNET_GCgen0size:-400000}" dotnet "$root/src/Producer/bin/Release/net10.0/Producer.dll")
consumer=(env "DOTNET_GCgen0size=${DOTNET_GCgen0size:-400000}" dotnet "$root/src/Consumer/bin/Release/net10.0/Consumer.dll")
if [ "$native" = true ]; then
  producer=("$state/native/Producer/Producer")
  consumer=("$state/native/Consumer/Consumer")
fi

rm -rf "$run"
mkdir -p "$run/consumers" "$run/stopping" "$logs"
echo $$ > "$instance_pid_file"
echo "$data" > "$run/data"
echo "$consumers" > "$desired_file"
printf '%s\n' "${node_dirs[@]}" > "$run/nodes"

started=()          # every PID this script started (besides the broker, which rabbitmq-node.sh stops by its pid file)
watch_pid=
next_consumer=1

stop_pid() {        # SIGTERM, then SIGKILL after $2 seconds
  local pid=$1 grace=$2
  kill -TERM "$pid" 2>/dev/null || return 0
  for _ in $(seq 1 $((grace * 4))); do
    kill -0 "$pid" 2>/dev/null || { wait "$pid" 2>/dev/null || true; return 0; }
    sleep 0.25
  done
  log "pid $pid did not stop within $grace s; killing it"
  kill -KILL "$pid" 2>/dev/null || true
  wait "$pid" 2>/dev/null || true
}

cleanup() {
  # Nothing may cut the cleanup short, not even a failed write (the reader of our output may be gone already).
  trap '' INT TERM
  set +e
  log "stopping everything this script started"
  local f pids=()
  for f in "$run"/consumers/*.pid "$run"/stopping/*.pid; do [ -e "$f" ] && pids+=("$(cat "$f")"); done
  [ -n "$watch_pid" ] && pids+=("$watch_pid")
  for pid in "${pids[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
  for pid in "${pids[@]}"; do stop_pid "$pid" 40; done
  for pid in "${started[@]}"; do kill -0 "$pid" 2>/dev/null && stop_pid "$pid" 5; done
  for dir in "${node_dirs[@]}"; do "$root/scripts/rabbitmq-node.sh" stop "$dir" || true; done
  rm -f "$instance_pid_file"
  log "stopped; files still in $data/processing resume on the next start"
}
trap cleanup EXIT
trap 'exit 130' INT TERM
# With Ctrl-C the reader of our output (`| tee`, a closed terminal) may go first: a write must then fail (and end
# the script through the cleanup above), not kill it outright with SIGPIPE.
trap '' PIPE

start_consumer() {
  local id=$next_consumer
  next_consumer=$((next_consumer + 1))
  RabbitMq__PasswordFile="$run/consumer.password" \
    setsid "${consumer[@]}" --processor "$processor" --rabbitmq "$consumer_uri" >> "$logs/consumer-$id.log" 2>&1 < /dev/null &
  started+=($!)
  echo $! > "$run/consumers/$id.pid"
  log "consumer $id started (pid $!, log $logs/consumer-$id.log)"
}

# The newest consumer leaves first; it drains in the background and is reaped by reconcile.
retire_consumer() {
  local newest
  newest=$(ls "$run"/consumers/*.pid 2>/dev/null | sed 's/.*\/\([0-9]*\)\.pid$/\1/' | sort -n | tail -1)
  [ -n "$newest" ] || return 0
  mv "$run/consumers/$newest.pid" "$run/stopping/$newest.pid"
  kill -TERM "$(cat "$run/stopping/$newest.pid")" 2>/dev/null || true
  log "consumer $newest asked to stop (SIGTERM): it finishes or hands back its work, then exits"
}

reconcile() {
  local f id pid code
  for f in "$run"/stopping/*.pid; do
    [ -e "$f" ] || continue
    pid=$(cat "$f"); id=$(basename "$f" .pid)
    if ! kill -0 "$pid" 2>/dev/null; then
      code=0; wait "$pid" 2>/dev/null || code=$?
      log "consumer $id stopped (exit code $code)"
      rm -f "$f"
    fi
  done
  for f in "$run"/consumers/*.pid; do
    [ -e "$f" ] || continue
    pid=$(cat "$f"); id=$(basename "$f" .pid)
    if ! kill -0 "$pid" 2>/dev/null; then
      code=0; wait "$pid" 2>/dev/null || code=$?
      log "consumer $id exited unexpectedly (exit code $code, log $logs/consumer-$id.log); starting another"
      rm -f "$f"
    fi
  done
  local wanted running
  wanted=$(cat "$desired_file" 2>/dev/null || echo "$consumers")
  running=$(running_consumers)
  while [ "$running" -lt "$wanted" ]; do start_consumer; running=$((running + 1)); done
  while [ "$running" -gt "$wanted" ]; do retire_consumer; running=$((running - 1)); done
}

# The .NET Aspire dashboard: a self-contained executable in the Aspire.Dashboard.Sdk.linux-x64 package, which the
# build restores (the integration tests download it); it takes OTLP and shows traces, metrics and logs. Unsecured,
# so it listens on 127.0.0.1 only.
start_dashboard() {
  local version packages executable ui otlp
  version=$(sed -n 's:.*<AspireDashboardVersion>\(.*\)</AspireDashboardVersion>.*:\1:p' "$root/Directory.Packages.props")
  packages=$(dotnet nuget locals global-packages --list | sed 's/^global-packages: //')
  executable="${packages%/}/aspire.dashboard.sdk.linux-x64/$version/tools/Aspire.Dashboard"
  if [ ! -x "$executable" ]; then
    log "the Aspire dashboard $version is not in the NuGet packages folder ($executable); running without it"
    return 0
  fi
  ui=$(free_port_from 18888) && otlp=$(free_port_from $((ui + 1))) || { log "no free port for the dashboard; running without it"; return 0; }
  ASPNETCORE_URLS="http://127.0.0.1:$ui" ASPIRE_DASHBOARD_OTLP_ENDPOINT_URL="http://127.0.0.1:$otlp" \
    ASPIRE_DASHBOARD_UNSECURED_ALLOW_ANONYMOUS=true DOTNET_NOLOGO=1 \
    setsid "$executable" >> "$logs/dashboard.log" 2>&1 < /dev/null &
  started+=($!)
  for _ in $(seq 1 120); do port_in_use "$otlp" && break; sleep 0.5; done
  # Everything started from here on (the watch service, consumers, scaled ones too) exports to it.
  export OTEL_EXPORTER_OTLP_ENDPOINT="http://127.0.0.1:$otlp" OTEL_METRIC_EXPORT_INTERVAL=5000
  dashboard_url="http://127.0.0.1:$ui"
  log "Aspire dashboard started (pid $!, $dashboard_url, OTLP on port $otlp, log $logs/dashboard.log)"
}

log "building (Release)"
dotnet build "$root/Streaming.sln" -c Release -v quiet -nologo > "$logs/build.log" 2>&1 \
  || { tail -30 "$logs/build.log" >&2; die "the build failed (log: $logs/build.log)"; }
if [ "$native" = true ]; then
  log "publishing the Native AOT executables"
  "$root/scripts/publish-native.sh" "$state/native" >> "$logs/build.log" 2>&1 \
    || { tail -30 "$logs/build.log" >&2; die "the Native AOT publish failed (log: $logs/build.log)"; }
fi
start_broker() {
  local node=$root/scripts/rabbitmq-node.sh i pids=() failed=0
  if [ "$cluster" -eq 0 ]; then
    "$node" start "$state/rabbitmq" "$port"
    return
  fi
  log "starting a cluster of $cluster RabbitMQ nodes on ports $port-$((port + cluster - 1))"
  # A fresh cluster each time: node names carry their ports, which may differ from the last run's.
  for dir in "${node_dirs[@]}"; do rm -rf "$dir/mnesia" "$dir/log"; done
  "$node" start "${node_dirs[0]}" "$port" "$state/cluster"
  for i in $(seq 2 "$cluster"); do
    "$node" start "${node_dirs[$((i - 1))]}" $((port + i - 1)) "$state/cluster" &
    pids+=($!)
  done
  for pid in "${pids[@]}"; do wait "$pid" || failed=1; done
  [ "$failed" -eq 0 ] || die "a RabbitMQ node did not start (logs in $state/cluster/n*/log)"
  for i in $(seq 2 "$cluster"); do
    "$node" join "${node_dirs[$((i - 1))]}" "${node_dirs[0]}" || die "node $i could not join the cluster"
  done
}

# Every service gets its own user on every node: one URI, or the comma-separated list of the cluster's nodes, without
# the password, which goes into $run/<role>.password (mode 600; the nodes of a cluster share their passwords).
service_uri() {
  local dir list=()
  for dir in "${node_dirs[@]}"; do list+=("$("$root/scripts/rabbitmq-node.sh" login "$dir" "$1" "$run/$1.password")"); done
  (IFS=,; echo "${list[*]}")
}

start_broker
producer_uri=$(service_uri producer)
consumer_uri=$(service_uri consumer)
dashboard_url=
if [ "$dashboard" = true ]; then start_dashboard; fi

RabbitMq__PasswordFile="$run/producer.password" \
  setsid "${producer[@]}" watch --data "$data" --rabbitmq "$producer_uri" >> "$logs/watch.log" 2>&1 < /dev/null &
watch_pid=$!
started+=("$watch_pid")
# The watch service's own lines (taken, progress, done, failed) on this terminal as well, with control characters
# (the escape sequences a dropped file's name may carry) shown as '?'; tabs and UTF-8 text stay.
tail -n 0 -F "$logs/watch.log" 2>/dev/null > >(LC_ALL=C stdbuf -oL tr '\000-\010\013-\037\177' '?') &
started+=($!)
reconcile

mkdir -p "$data/inbox"
for file in "${files[@]}"; do
  name=$(basename "$file")
  cp "$file" "$data/inbox/.$name.copying" && mv "$data/inbox/.$name.copying" "$data/inbox/$name"
  log "copied $file into the inbox"
done

cat >&2 <<EOF

  Streaming is running: $nodes broker node(s) on 127.0.0.1:$port$([ "$nodes" -gt 1 ] && echo "-$((port + nodes - 1))"), watch service pid $watch_pid, $consumers consumer(s) with $processor.
  Drop files into   $data/inbox/
  Results appear in $data/outbox/  (inputs move to done/, unreadable entries to failed/ with a .reason)
  Add or remove consumers from another terminal:  scripts/run-local.sh scale N   (or +1 / -1; status)
  Ctrl-C stops everything.

EOF
if [ -n "$dashboard_url" ]; then
  cat >&2 <<EOF
  Watch it live:    $dashboard_url  (Aspire dashboard: one trace per file, the Streaming metrics, logs)
  A file's trace:   $dashboard_url/traces/detail/<traceId from its .summary.json>

EOF
fi

while true; do
  if ! kill -0 "$watch_pid" 2>/dev/null; then
    code=0; wait "$watch_pid" 2>/dev/null || code=$?
    log "the watch service exited (exit code $code); see $logs/watch.log"
    exit 1
  fi
  reconcile
  sleep 1
done
