#!/usr/bin/env bash
# The hidden cost of running on Docker (issue 22), in one run: the same rows on the host and through the Docker
# Compose stack, side by side. Host: bench/bench.py's streaming system (the Native AOT executables, a private RabbitMQ
# node). Compose: docker-compose.yml with docker-compose.standins.yml (the images built from this repository's
# Dockerfile, the broker a stand-in of the same RabbitMQ as the host's node: 3.10.8 from Debian 12 by default), the
# consumers scaled to the same count with the row's processor through compose's CONSUMER_PROCESSOR, `Producer publish`
# run by `docker exec` in the producer container, files-1k through the producer container's watch service.
#
#   bench/compose-bench.sh                    # identity 1M lines, sha256:100 200k lines, files-1k (1,000 files)
#   bench/compose-bench.sh --divide 20        # every size divided by 20 (a smoke run; its figures are not results)
#
# Options: --divide N (default 1, or COMPOSE_BENCH_DIVIDE), --consumers N (default 2, as bench.py).
# Environment: COMPOSE_BENCH_RABBITMQ_IMAGE (default streaming-standin/rabbitmq:3.10-management, the host node's
# version; the 4.0 stand-in to see the newer broker), COMPOSE_BENCH_PROJECT (default streaming-bench-<pid>),
# STREAMING_TAG (the images' tag, default local), COMPOSE_BENCH_KEEP=1 keeps the work folder.
# Needs root (the data folder is handed to the containers' user, 1654), Docker (started when no engine answers) and
# Debian's docker-compose. Prints one table: row, size, host, compose, compose / host; exit 1 when an output differs.
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."
repo=$PWD

usage() { echo "compose-bench: $1 (usage: bench/compose-bench.sh [--divide N] [--consumers N])" >&2; exit 2; }
divide=${COMPOSE_BENCH_DIVIDE:-1}
consumers=2
while (($#)); do
    case $1 in
        --divide) (($# >= 2)) || usage "--divide needs a value"; divide=$2; shift 2 ;;
        --consumers) (($# >= 2)) || usage "--consumers needs a value"; consumers=$2; shift 2 ;;
        -h | --help) sed -n '2,17p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'; exit 0 ;;
        *) usage "unknown argument '$1'" ;;
    esac
done
[[ $divide =~ ^[1-9][0-9]*$ ]] || { echo "compose-bench: --divide takes a whole number from 1, got '$divide'" >&2; exit 2; }
[[ $consumers =~ ^[1-9][0-9]?$ ]] || { echo "compose-bench: --consumers takes a number from 1 to 99, got '$consumers'" >&2; exit 2; }
readonly project="${COMPOSE_BENCH_PROJECT:-streaming-bench-$$}"
[[ $project =~ ^[a-z0-9][a-z0-9_-]*$ ]] || { echo "compose-bench: COMPOSE_BENCH_PROJECT '$project' is not a compose project name" >&2; exit 2; }
[[ $(id -u) == 0 ]] || { echo "compose-bench: run as root (the data folder goes to the containers' user, uid 1654)" >&2; exit 2; }
command -v docker-compose >/dev/null || { echo "compose-bench: docker-compose is not installed (apt-get install docker-compose)" >&2; exit 2; }
readonly rabbitmq_image="${COMPOSE_BENCH_RABBITMQ_IMAGE:-streaming-standin/rabbitmq:3.10-management}"
readonly container_uid=1654
readonly healthy_timeout=180

log() { printf '==> compose-bench: %s\n' "$*" >&2; }

scripts/build-standin-images.sh

work=$(mktemp -d /tmp/compose-bench.XXXXXX)
chmod 755 "$work"
data="$work/data"
env_file="$work/.env"
compose_files=("$repo/docker-compose.yml" "$repo/docker-compose.standins.yml")
compose_args=(--project-name "$project" --env-file "$env_file" -f "${compose_files[0]}" -f "${compose_files[1]}")
compose() { docker-compose "${compose_args[@]}" "$@"; }

cleanup() {
    local status=$?
    compose down -v --remove-orphans -t 10 >/dev/null 2>&1 || true
    if [[ ${COMPOSE_BENCH_KEEP:-0} == 1 || $status != 0 ]]; then
        log "kept $work"
    else
        rm -rf "$work"
    fi
}
trap cleanup EXIT

mkdir -p "$data"
chown "$container_uid:$container_uid" "$data"
password() { head -c 24 /dev/urandom | od -An -tx1 | tr -d ' \n'; }
sed -e "s|^RABBITMQ_PASSWORD=.*|RABBITMQ_PASSWORD=$(password)|" \
    -e "s|^PRODUCER_PASSWORD=.*|PRODUCER_PASSWORD=$(password)|" \
    -e "s|^CONSUMER_PASSWORD=.*|CONSUMER_PASSWORD=$(password)|" \
    -e "s|^GRAFANA_ADMIN_PASSWORD=.*|GRAFANA_ADMIN_PASSWORD=$(password)|" \
    -e "s|^STREAMING_DATA=.*|STREAMING_DATA=$data|" \
    -e "s|^STREAMING_UID=.*|STREAMING_UID=$container_uid|" -e "s|^STREAMING_GID=.*|STREAMING_GID=$container_uid|" \
    -e "s|^RABBITMQ_AMQP_PORT=.*|RABBITMQ_AMQP_PORT=0|" \
    -e "s|^RABBITMQ_MANAGEMENT_PORT=.*|RABBITMQ_MANAGEMENT_PORT=0|" \
    -e "s|^RABBITMQ_PROMETHEUS_PORT=.*|RABBITMQ_PROMETHEUS_PORT=0|" \
    .env.example > "$env_file"
echo "STANDIN_RABBITMQ_IMAGE=$rabbitmq_image" >> "$env_file"

t=$SECONDS
nice -n 10 docker-compose "${compose_args[@]}" build -q producer consumer
log "images built in $((SECONDS - t)) s"
compose up -d --scale "consumer=$consumers" producer consumer
deadline=$((SECONDS + healthy_timeout))
until [[ $(compose ps -q rabbitmq producer consumer | xargs docker inspect -f '{{.State.Health.Status}}' | sort -u) == healthy ]]; do
    ((SECONDS < deadline)) || { log "the stack is not healthy within ${healthy_timeout} s"; compose ps >&2; exit 1; }
    sleep 2
done
log "stack up: broker $rabbitmq_image, $consumers consumers"

export BENCH_COMPOSE_PROJECT=$project BENCH_COMPOSE_ENV_FILE=$env_file BENCH_COMPOSE_DATA=$data \
    BENCH_COMPOSE_UID=$container_uid BENCH_COMPOSE_FILES="${compose_files[0]}:${compose_files[1]}"
results="$work/results.json"
python3 bench/bench.py --rows identity,sha256x100,files-1k --systems streaming,compose --consumers "$consumers" \
    --divide "$divide" --json "$results" >&2

python3 - "$results" "$rabbitmq_image" "$divide" <<'PY'
import json, sys
document = json.load(open(sys.argv[1]))
rows = {}
for r in document["results"]:
    rows.setdefault(r["row"], {})[r["system"]] = r
print(f"host vs Docker Compose ({document['machine']['cores']} cores, {document['machine']['consumers']} consumers,"
      f" compose broker {sys.argv[2]}, sizes / {sys.argv[3]})")
print(f"| {'row':<11}| {'size':<19}| {'unit':<8}| {'host':>10} | {'compose':>10} | {'compose / host':>14} | same |")
print(f"|{'-' * 12}|{'-' * 20}|{'-' * 9}|{'-' * 12}|{'-' * 12}|{'-' * 16}|------|")
for name, systems in rows.items():
    host, compose = systems.get("streaming"), systems.get("compose")
    if not host or not compose:
        continue
    files = "files_per_s" in host
    unit, key = ("files/s", "files_per_s") if files else ("lines/s", "lines_per_s")
    size = f"{host['files']:,} files" if files else f"{host['lines']:,} lines"
    same = "yes" if compose["identical"] else "NO"
    print(f"| {name:<11}| {size:<19}| {unit:<8}| {host[key]:>10,.0f} | {compose[key]:>10,.0f} | {compose[key] / host[key]:>14.2f} | {same:<4} |")
sys.exit(0 if all(r["identical"] for r in document["results"]) else 1)
PY
