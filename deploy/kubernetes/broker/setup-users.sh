#!/bin/sh
# Creates (or updates) Streaming's own RabbitMQ users through the management HTTP API, each with the permissions in
# permissions.env beside this script: the producer, the consumers, and optionally a monitoring user for KEDA.
# Used by docker-compose.yml (service rabbitmq-setup) and deploy/kubernetes (Job streaming-broker-setup).
#
# Environment: RABBITMQ_API (e.g. http://rabbitmq:15672), RABBITMQ_ADMIN_USER, RABBITMQ_ADMIN_PASSWORD (an
# administrator), PRODUCER_USER, PRODUCER_PASSWORD, CONSUMER_USER, CONSUMER_PASSWORD, optionally MONITOR_USER and
# MONITOR_PASSWORD, and RABBITMQ_VHOST (default /). With CONSUMER_PIPELINE=NAME, the consumer user reads only that
# pipeline's queues (CONSUMER_PIPELINE_READ): one consumer user per fleet, this script run once per fleet. The
# services' names and passwords go into amqp:// URIs unescaped, so
# they may only hold letters, digits and . _ ~ - (generate passwords with `openssl rand -hex 24`).
# Waits up to SETUP_TIMEOUT_SECONDS (default 300) for the API. Exit 0 when done, 1 when the broker said no,
# 2 for a missing or malformed setting.
set -eu

here=$(cd "$(dirname "$0")" && pwd)
. "$here/permissions.env"

fail_usage() { echo "setup-users: $*" >&2; exit 2; }
need() {
  eval "value=\${$1:-}"
  [ -n "$value" ] || fail_usage "$1 is not set"
  case "$value" in *[!A-Za-z0-9._~-]*) fail_usage "$1 may only hold letters, digits and . _ ~ -" ;; esac
}
for name in RABBITMQ_API RABBITMQ_ADMIN_USER RABBITMQ_ADMIN_PASSWORD; do
  eval "value=\${$name:-}"
  [ -n "$value" ] || fail_usage "$name is not set"
done
for name in PRODUCER_USER PRODUCER_PASSWORD CONSUMER_USER CONSUMER_PASSWORD; do
  need "$name"
done
if [ -n "${MONITOR_USER:-}" ]; then need MONITOR_USER; need MONITOR_PASSWORD; fi
if [ -n "${CONSUMER_PIPELINE:-}" ]; then
  case "$CONSUMER_PIPELINE" in *[!A-Za-z0-9._-]*) fail_usage "CONSUMER_PIPELINE may only hold letters, digits and . _ -" ;; esac
  [ "${#CONSUMER_PIPELINE}" -le 64 ] || fail_usage "CONSUMER_PIPELINE is longer than 64 characters"
  CONSUMER_READ=$(printf '%s' "$CONSUMER_PIPELINE_READ" | sed "s/PIPELINE/$(printf '%s' "$CONSUMER_PIPELINE" | sed 's/\./\\\\./g')/")
fi
vhost=$(printf '%s' "${RABBITMQ_VHOST:-/}" | sed 's:/:%2F:g')

api() {   # METHOD PATH [JSON]
  method=$1 path=$2
  shift 2
  if [ $# -gt 0 ]; then set -- --data "$1"; fi
  curl --fail-with-body -sS --max-time 15 -u "$RABBITMQ_ADMIN_USER:$RABBITMQ_ADMIN_PASSWORD" \
    -H 'content-type: application/json' -X "$method" "$@" "${RABBITMQ_API%/}/api/$path" >/dev/null
}
json_string() { printf '"%s"' "$(printf '%s' "$1" | sed 's/\\/\\\\/g; s/"/\\"/g')"; }

deadline=$(( $(date +%s) + ${SETUP_TIMEOUT_SECONDS:-300} ))
until api GET overview 2>/dev/null; do
  [ "$(date +%s)" -lt "$deadline" ] || { echo "setup-users: the management API at $RABBITMQ_API did not answer" >&2; exit 1; }
  sleep 3
done

user() {   # NAME PASSWORD TAGS CONFIGURE WRITE READ
  api PUT "users/$1" "{\"password\":$(json_string "$2"),\"tags\":$(json_string "$3")}"
  api PUT "permissions/$vhost/$1" \
    "{\"configure\":$(json_string "$4"),\"write\":$(json_string "$5"),\"read\":$(json_string "$6")}"
  echo "setup-users: $1 ready (tags '$3', configure '$4', write '$5', read '$6')"
}
user "$PRODUCER_USER" "$PRODUCER_PASSWORD" "" "$PRODUCER_CONFIGURE" "$PRODUCER_WRITE" "$PRODUCER_READ"
user "$CONSUMER_USER" "$CONSUMER_PASSWORD" "" "$CONSUMER_CONFIGURE" "$CONSUMER_WRITE" "$CONSUMER_READ"
if [ -n "${MONITOR_USER:-}" ]; then
  user "$MONITOR_USER" "$MONITOR_PASSWORD" monitoring "$MONITOR_CONFIGURE" "$MONITOR_WRITE" "$MONITOR_READ"
fi
