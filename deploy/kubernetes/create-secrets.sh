#!/usr/bin/env bash
# Creates the three Secrets the base reads, with generated passwords, in the namespace given (or kubectl's current):
#   deploy/kubernetes/create-secrets.sh [NAMESPACE]
#   streaming-producer-rabbitmq   username, password          the watch service (Producer)
#   streaming-consumer-rabbitmq   username, password          the consumers
#   streaming-monitor-rabbitmq    username, password, host    KEDA's RabbitMQ scaler (management API, monitoring only)
# An existing Secret is left as it is (its users keep their passwords). The Job streaming-broker-setup creates the
# users from them. --dry-run prints the Secrets instead of creating them.
set -euo pipefail

dry_run=false
if [ "${1:-}" = --dry-run ]; then dry_run=true; shift; fi
namespace=${1:-$(kubectl config view --minify -o jsonpath='{..namespace}' 2>/dev/null || true)}
namespace=${namespace:-default}

secret() {   # NAME USER [host]
  local name=$1 user=$2 password args
  if [ "$dry_run" = false ] && kubectl -n "$namespace" get secret "$name" >/dev/null 2>&1; then
    echo "secret $name exists; left as it is" >&2
    return 0
  fi
  password=$(openssl rand -hex 24)
  args=(--from-literal=username="$user" --from-literal=password="$password")
  if [ "${3:-}" = host ]; then
    args+=(--from-literal=host="http://$user:$password@streaming-rabbitmq.$namespace.svc:15672/")
  fi
  if [ "$dry_run" = true ]; then
    kubectl -n "$namespace" create secret generic "$name" "${args[@]}" --dry-run=client -o yaml
    echo ---
  else
    kubectl -n "$namespace" create secret generic "$name" "${args[@]}"
  fi
}
secret streaming-producer-rabbitmq streaming-producer
secret streaming-consumer-rabbitmq streaming-consumer
secret streaming-monitor-rabbitmq streaming-monitor host
