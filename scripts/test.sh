#!/usr/bin/env bash
# The test command of the README: from a fresh clone on Debian with the .NET 10 SDK, installs what the tests need
# when it is missing (rabbitmq-server for the private broker nodes, prometheus for the dashboard test, python3 for the
# SDK's tests and the exec: tests; with sudo when not root), then runs the Python SDK's tests and
# `dotnet test Streaming.sln -c Release` on private RabbitMQ nodes, without Docker.
#
#   scripts/test.sh [FILTER]      FILTER narrows the run (dotnet test's syntax): scripts/test.sh "FullyQualifiedName~Pipeline"
#
# Left out, because they need Docker and images built here (bash .ci/run does both): the cluster scenarios on RabbitMQ
# 4.0.5 containers (Cluster/Khepri), the compose scenario and the Native AOT stage. Exit status: dotnet test's.
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."

filter="FullyQualifiedName!~.Cluster.Khepri."
if (($# > 1)); then
    echo "scripts/test.sh: one FILTER at most (quote it), got $#" >&2
    exit 2
elif (($# == 1)); then
    filter="($filter)&($1)"
fi

as_root() {
    if [[ $(id -u) == 0 ]]; then
        "$@"
    elif command -v sudo >/dev/null; then
        sudo "$@"
    else
        echo "scripts/test.sh: installing needs root: run it as root, or install sudo" >&2
        exit 2
    fi
}

missing=()
[[ -x /usr/lib/rabbitmq/bin/rabbitmq-server ]] || missing+=(rabbitmq-server)
[[ -x /usr/bin/prometheus ]] || missing+=(prometheus)
command -v python3 >/dev/null || missing+=(python3)
if ((${#missing[@]} > 0)); then
    echo "==> installing ${missing[*]}"
    as_root env DEBIAN_FRONTEND=noninteractive apt-get update -q
    as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${missing[@]}"
    # The packages may start a system node and a system Prometheus; the tests start their own on free ports.
    as_root service rabbitmq-server stop >/dev/null 2>&1 || true
    as_root service prometheus stop >/dev/null 2>&1 || true
fi

echo "==> python3 -m unittest discover -s sdk/python"
python3 -m unittest discover -s sdk/python </dev/null

echo "==> dotnet test Streaming.sln -c Release (private RabbitMQ nodes; the Docker-only cluster scenarios left out)"
export STREAMING_TEST_BROKER="${STREAMING_TEST_BROKER:-private-node}"
exec dotnet test Streaming.sln -c Release --filter "$filter"
