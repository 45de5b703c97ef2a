#!/usr/bin/env bash
# A Docker engine for the stand-in images, the compose scenario and the Testcontainers broker, on a machine without an
# init system (CI, a bare Debian host):
#   scripts/docker-engine.sh start   # a no-op when an engine answers; else installs docker.io when dockerd is missing,
#                                    # starts dockerd and waits (60 s at most) until `docker info` answers
#   scripts/docker-engine.sh stop    # stops the dockerd that `start` started, and gives the host back its forwarding
#                                    # (FORWARD policy ACCEPT, bridge-nf-call-iptables 0) for the bridged namespaces
#                                    # of the cluster tests; leaves an engine it did not start alone
# While the engine runs, its FORWARD policy is DROP: `start` opens the cluster tests' own bridges (stbr*) in
# DOCKER-USER, so that a checkout whose fixture does not open its bridge itself (Cluster/ClusterNetwork.cs) still works.
set -euo pipefail

readonly pid_file=${STREAMING_DOCKERD_PID_FILE:-/run/streaming-dockerd.pid}   # a test names its own
readonly log_file=/var/log/streaming-dockerd.log
readonly start_timeout_seconds=60

die() { echo "docker-engine.sh: $*" >&2; exit "${2:-1}"; }

engine_answers() { timeout 10 docker info >/dev/null 2>&1; }

open_cluster_bridges() {
    command -v iptables >/dev/null || return 0
    iptables -C DOCKER-USER -i stbr+ -o stbr+ -j ACCEPT 2>/dev/null ||
        iptables -I DOCKER-USER -i stbr+ -o stbr+ -j ACCEPT 2>/dev/null || true
}

start() {
    if engine_answers; then
        open_cluster_bridges
        return 0
    fi
    if ! command -v dockerd >/dev/null; then
        echo "docker-engine.sh: no dockerd; installing docker.io with apt" >&2
        export DEBIAN_FRONTEND=noninteractive
        apt-get update -qq
        apt-get install -y -qq --no-install-recommends docker.io iptables >/dev/null
    fi
    [[ $(id -u) == 0 ]] || die "starting dockerd needs root"
    # Started in its own session, so it outlives this script and its caller's process group.
    setsid dockerd --pidfile "$pid_file.dockerd" >"$log_file" 2>&1 </dev/null &
    echo $! >"$pid_file"
    local deadline=$((SECONDS + start_timeout_seconds))
    until engine_answers; do
        if ! kill -0 "$(cat "$pid_file")" 2>/dev/null; then
            tail -n 20 "$log_file" >&2
            rm -f "$pid_file"
            die "dockerd exited at start (log: $log_file)"
        fi
        ((SECONDS < deadline)) || die "dockerd did not answer within ${start_timeout_seconds} s (log: $log_file)"
        sleep 1
    done
    open_cluster_bridges
    echo "docker-engine.sh: dockerd $(docker version --format '{{.Server.Version}}' 2>/dev/null) started (pid $(cat "$pid_file"), log $log_file)" >&2
}

# is_dockerd PID: the process lives and runs dockerd (setsid execs it in place, under the pid start recorded).
is_dockerd() {
    [[ $1 =~ ^[0-9]+$ ]] && [[ $(cat "/proc/$1/comm" 2>/dev/null) == dockerd ]] &&
        ! grep -q '^State:[[:space:]]*Z' "/proc/$1/status" 2>/dev/null
}

restore_host() {
    if command -v iptables >/dev/null; then
        iptables -P FORWARD ACCEPT 2>/dev/null || true
    fi
    if [[ -e /proc/sys/net/bridge/bridge-nf-call-iptables ]]; then
        sysctl -q -w net.bridge.bridge-nf-call-iptables=0 >/dev/null 2>&1 || true
    fi
}

stop() {
    if [[ ! -f $pid_file ]]; then
        engine_answers && echo "docker-engine.sh: the running engine was not started by this script; left running" >&2
        return 0
    fi
    local pid
    pid=$(cat "$pid_file" 2>/dev/null) || pid=
    # Only the dockerd that start recorded: one that ended by itself leaves its number to be reused (CI goes through
    # pid_max's 32,768 in minutes), and another process holding it must not be signalled.
    if is_dockerd "$pid"; then
        kill -TERM "$pid"
        # dockerd stops its containers (10 s each at most, in parallel) before it exits.
        for _ in $(seq 60); do is_dockerd "$pid" || break; sleep 1; done
        is_dockerd "$pid" && kill -KILL "$pid"
    fi
    rm -f "$pid_file"
    restore_host
    echo "docker-engine.sh: dockerd stopped; FORWARD policy ACCEPT, bridge-nf-call-iptables 0" >&2
}

case "${1:-}" in
    start) start ;;
    stop) stop ;;
    *) die "usage: scripts/docker-engine.sh start|stop" 2 ;;
esac
