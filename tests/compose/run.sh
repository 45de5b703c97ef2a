#!/usr/bin/env bash
# The compose scenario, end to end with real containers: the repository's docker-compose.yml, plus
# docker-compose.standins.yml for the images that cannot be pulled here (scripts/build-standin-images.sh), with the
# collector, Jaeger, Prometheus and Grafana left out (the services are started by name).
#
#   tests/compose/run.sh            # CI runs it (.ci/run); needs root, starts dockerd when no engine answers
#
# 1. The preflight refuses an unedited .env.example, a producer running as root, and a data folder its user cannot write.
# 2. `up --build` with 3 consumers on a data folder owned by a non-root user (uid 2000) with STREAMING_UID/GID set to it,
#    as docs/deployment.md says; every container turns healthy by its HEALTHCHECK.
# 3. One large file (300,000 lines) and 50 small ones dropped into the inbox; while the large one is in flight: scale to
#    1 then 5, `docker kill` a consumer, restart the broker container, stop and start the producer container.
#    No consumer logged ObjectDisposedException.
# 4. Still mid-file, `stop` then `down` (the volume kept) and `up` again: every service container exits 0 within its
#    stop_grace_period, the broker after the services that depend on it; the producer resumes large.txt from its
#    checkpoint, which the broker's own count shows: the batches published to streaming.lines after `up` (the
#    management API's counter, which starts at 0 with the new broker container) must be no more than those from the
#    checkpoint on, not the whole file again (an earlier walk saw 121,350 lines published again from line 1).
# 5. Every output byte-exact (the processor is delay:2, so output = input), every input in done/, nothing in failed/;
#    the output files owned by uid 2000; every container healthy again.
# Prints the timings (build, `up` cold and after `down`, the files' run) and ends with `compose scenario: passed` or exit 1.
# Environment: COMPOSE_SCENARIO_RABBITMQ_IMAGE (default: the 4.0.5 stand-in), COMPOSE_SCENARIO_KEEP=1 keeps the folder,
# COMPOSE_SCENARIO_PROJECT (default streaming-ci-<pid>) names the compose project, STREAMING_TAG the images' tag.
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/../.."
repo=$PWD

readonly large_lines=300000
readonly small_files=50
readonly data_uid=2000
readonly project="${COMPOSE_SCENARIO_PROJECT:-streaming-ci-$$}"
[[ $project =~ ^[a-z0-9][a-z0-9_-]*$ ]] || { echo "COMPOSE_SCENARIO_PROJECT: '$project' is not a compose project name ([a-z0-9_-])" >&2; exit 2; }
readonly healthy_timeout=180
readonly files_timeout=900

log() { printf '==> compose scenario: %s\n' "$*"; }
fail() { printf '==> compose scenario: FAILED: %s\n' "$*" >&2; exit 1; }

scripts/build-standin-images.sh

work=$(mktemp -d /tmp/compose-scenario.XXXXXX)
chmod 755 "$work"
data="$work/data"
env_file="$work/.env"

compose_files=(-f "$repo/docker-compose.yml" -f "$repo/docker-compose.standins.yml")
compose() { docker-compose --project-name "$project" --env-file "$env_file" "${compose_files[@]}" "$@"; }

cleanup() {
    local status=$?
    if [[ $status != 0 ]]; then
        log "containers and the last lines of their logs"
        compose ps || true
        for c in $(compose ps -q 2>/dev/null); do
            echo "---- $(docker inspect -f '{{.Name}} {{.State.Status}} exit {{.State.ExitCode}}' "$c")"
            docker logs --tail 30 "$c" 2>&1 | sed 's/^/    /' || true
        done
    fi
    compose down -v --remove-orphans -t 5 >/dev/null 2>&1 || true
    if [[ ${COMPOSE_SCENARIO_KEEP:-0} == 1 ]]; then
        log "kept $work"
    else
        rm -rf "$work"
    fi
}
trap cleanup EXIT

# write_env FILE UID GID [PASSWORD]: an .env as a user would write it from .env.example.
write_env() {
    local file=$1 uid=$2 gid=$3 password=${4:-}
    sed -e "s|^STREAMING_UID=.*|STREAMING_UID=$uid|" -e "s|^STREAMING_GID=.*|STREAMING_GID=$gid|" \
        -e "s|^STREAMING_DATA=.*|STREAMING_DATA=$data|" \
        -e "s|^CONSUMER_PROCESSOR=.*|CONSUMER_PROCESSOR=delay:2|" \
        -e "s|^RABBITMQ_AMQP_PORT=.*|RABBITMQ_AMQP_PORT=0|" \
        -e "s|^RABBITMQ_MANAGEMENT_PORT=.*|RABBITMQ_MANAGEMENT_PORT=0|" \
        -e "s|^RABBITMQ_PROMETHEUS_PORT=.*|RABBITMQ_PROMETHEUS_PORT=0|" \
        .env.example > "$file"
    [[ -z $password ]] || sed -i "s|change-me-before-use|$password|" "$file"
    echo "STANDIN_RABBITMQ_IMAGE=${COMPOSE_SCENARIO_RABBITMQ_IMAGE:-streaming-standin/rabbitmq:4.0-management}" >> "$file"
}

# The data folder of a non-root user, made as a user makes it.
mkdir -p "$data"
chown "$data_uid:$data_uid" "$data"

# ---- build ----------------------------------------------------------------------------------------------------------
write_env "$env_file" "$data_uid" "$data_uid" "$(head -c 24 /dev/urandom | od -An -tx1 | tr -d ' \n')"
t=$SECONDS
nice -n 10 docker-compose --project-name "$project" --env-file "$env_file" "${compose_files[@]}" build -q preflight producer consumer
log "images built in $((SECONDS - t)) s (producer, consumer; the preflight runs the producer's image)"

# ---- 1. the preflight's refusals --------------------------------------------------------------------------------------
# expect_refusal WHAT PATTERN ENV_FILE: `run preflight` exits 2 with PATTERN in its one line.
expect_refusal() {
    local what=$1 pattern=$2 file=$3 output status=0
    output=$(docker-compose --project-name "$project" --env-file "$file" "${compose_files[@]}" run --rm -T preflight 2>&1) ||
        status=$?
    [[ $status == 2 ]] || fail "$what: preflight exited $status, not 2: $output"
    grep -q -- "$pattern" <<<"$output" || fail "$what: preflight said: $output"
    log "refused as it should be: $what ($(grep -- "$pattern" <<<"$output" | head -n 1 | cut -c1-120))"
}
write_env "$work/unedited.env" "$data_uid" "$data_uid"
expect_refusal "an unedited copy of .env.example" "known password" "$work/unedited.env"
write_env "$work/root.env" 0 0 "0123456789abcdef01234567"
expect_refusal "the producer as root" "STREAMING_UID is 0" "$work/root.env"
write_env "$work/other-user.env" 1654 1654 "0123456789abcdef01234567"
expect_refusal "a data folder the producer's user cannot write" "cannot create or write" "$work/other-user.env"
[[ -z $(ls -A "$data") ]] || fail "the refused preflights left something in the data folder: $(ls -A "$data")"

# ---- 2. up ------------------------------------------------------------------------------------------------------------
wait_healthy() {
    local deadline=$((SECONDS + healthy_timeout)) unhealthy
    while :; do
        unhealthy=""
        for c in $(compose ps -q rabbitmq producer consumer); do
            local state
            state=$(docker inspect -f '{{.Name}}={{.State.Status}}/{{if .State.Health}}{{.State.Health.Status}}{{else}}none{{end}}' "$c")
            [[ $state == *=running/healthy ]] || unhealthy+=" $state"
        done
        [[ -n $unhealthy ]] || return 0
        ((SECONDS < deadline)) || fail "not healthy within ${healthy_timeout} s:$unhealthy"
        sleep 2
    done
}
consumers() {
    local c
    for c in $(compose ps -q consumer); do
        if [[ $(docker inspect -f '{{.State.Running}}' "$c") == true ]]; then echo "$c"; fi
    done
}

t=$SECONDS
compose up -d --scale consumer=3 producer consumer
up_cold=$((SECONDS - t))
wait_healthy
healthy_cold=$((SECONDS - t))
log "up from nothing (images built): ${up_cold} s to return, ${healthy_cold} s until every container is healthy"
[[ $(consumers | wc -l) == 3 ]] || fail "expected 3 consumers, got $(consumers | wc -l)"

# ---- 3. the files ----------------------------------------------------------------------------------------------------
inputs="$work/inputs"
mkdir -p "$inputs"
python3 - "$inputs" "$large_lines" "$small_files" <<'PY'
import os, random, sys
folder, large, small = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
rng = random.Random(22)
alphabet = "abcdefghijklmnopqrstuvwxyz ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789.,;:-_ äöüßé€\t"
def line(n):
    return f"{n:07d} " + "".join(rng.choice(alphabet) for _ in range(rng.randrange(0, 60)))
with open(os.path.join(folder, "large.txt"), "w", encoding="utf-8", newline="\n") as f:
    for n in range(1, large + 1):
        f.write(line(n) + "\n")
for i in range(small):
    with open(os.path.join(folder, f"small-{i:02d}.txt"), "w", encoding="utf-8", newline="\n") as f:
        for n in range(1, rng.randrange(1, 400) + 1):
            f.write(line(n) + "\n")
PY
# A file is taken once it has stopped changing, and *.part is left alone: copy, then rename.
drop() { cp "$1" "$data/inbox/$(basename "$1").part" && chown "$data_uid:$data_uid" "$data/inbox/$(basename "$1").part" && mv "$data/inbox/$(basename "$1").part" "$data/inbox/$(basename "$1")"; }
run_started=$SECONDS
drop "$inputs/large.txt"
for f in "$inputs"/small-*.txt; do drop "$f"; done
log "dropped large.txt ($large_lines lines) and $small_files small files"

large_in_flight() { [[ ! -e $data/done/large.txt ]]; }
wait_for() {   # wait_for SECONDS DESCRIPTION COMMAND...
    local timeout=$1 what=$2 deadline=$(($1 + SECONDS))
    shift 2
    until "$@"; do
        ((SECONDS < deadline)) || fail "$what: not within ${timeout} s"
        sleep 1
    done
}
wait_for 60 "large.txt taken into processing/" test -e "$data/processing/large.txt"
sleep 5
large_in_flight || fail "large.txt finished before the faults: make it larger"

compose up -d --no-recreate --scale consumer=1 producer consumer
[[ $(consumers | wc -l) == 1 ]] || fail "expected 1 consumer after scaling in, got $(consumers | wc -l)"
log "scaled to 1 consumer"
sleep 5
compose up -d --no-recreate --scale consumer=5 producer consumer
[[ $(consumers | wc -l) == 5 ]] || fail "expected 5 consumers after scaling out, got $(consumers | wc -l)"
log "scaled to 5 consumers"
sleep 5
large_in_flight || fail "large.txt finished before the kill"
victim=$(consumers | sed -n 1p)
docker kill -s KILL "$victim" >/dev/null
log "killed consumer $(docker inspect -f '{{.Name}}' "$victim")"
sleep 5
large_in_flight || fail "large.txt finished before the broker restart"
t=$SECONDS
compose restart rabbitmq
broker_restart_seconds=$((SECONDS - t))
log "broker container restarted in ${broker_restart_seconds} s"
sleep 5
large_in_flight || fail "large.txt finished before the producer's stop"
t=$SECONDS
compose stop producer
producer_exit=$(docker inspect -f '{{.State.ExitCode}}' "$(compose ps -q producer)")
[[ $producer_exit == 0 ]] || fail "the producer exited $producer_exit on stop"
log "producer stopped in $((SECONDS - t)) s (exit 0) with large.txt in flight; starting it again"
compose start producer
# The killed consumer: restarted by its policy, or by asking for 5 again.
compose up -d --no-recreate --scale consumer=5 producer consumer
# Before `down` removes the containers and their logs: the broker restart left no consumer with a disposed channel.
for c in $(compose ps -q consumer); do
    if docker logs "$c" 2>&1 | grep -q ObjectDisposedException; then
        fail "$(docker inspect -f '{{.Name}}' "$c") logged ObjectDisposedException: $(docker logs "$c" 2>&1 | grep -m 1 ObjectDisposedException)"
    fi
done

# ---- 4. stop and down mid-file, up again: exit 0, the broker last, and the file resumes from its checkpoint ---------------
# Only large.txt may publish after `up`: the small files first, then a checkpoint far enough in that publishing the
# whole file again cannot pass for resuming it.
small_done() { [[ $(find "$data/done" -maxdepth 1 -type f -name 'small-*.txt' | wc -l) == "$small_files" ]]; }
wait_for 120 "the $small_files small files in done/" small_done
checkpoint="$data/outbox/large.txt.checkpoint.json"
# checkpoint_field NAME: a number from large.txt's checkpoint (0 while there is none).
checkpoint_field() { python3 -c 'import json,sys
try: print(int(json.load(open(sys.argv[1]))[sys.argv[2]]))
except (OSError, ValueError, KeyError): print(0)' "$checkpoint" "$1"; }
readonly min_checkpoint_batches=5
checkpoint_far_enough() { (($(checkpoint_field nextSequence) >= min_checkpoint_batches)); }
wait_for 300 "large.txt checkpointed past batch $min_checkpoint_batches" checkpoint_far_enough
large_in_flight || fail "large.txt finished before the stop"

t=$SECONDS
compose stop
log "compose stop mid-file took $((SECONDS - t)) s"
grace_of() { case $1 in rabbitmq) echo 60 ;; *) echo 40 ;; esac; }
broker_finished=""
latest_service_finish=""
for c in $(compose ps -q rabbitmq producer consumer); do
    read -r name service code finished < <(docker inspect -f \
        '{{.Name}} {{index .Config.Labels "com.docker.compose.service"}} {{.State.ExitCode}} {{.State.FinishedAt}}' "$c")
    [[ $code == 0 ]] || fail "$name exited $code on stop (not 0 within its stop_grace_period of $(grace_of "$service") s)"
    if [[ $service == rabbitmq ]]; then
        broker_finished=$finished
    elif [[ $finished > $latest_service_finish ]]; then
        latest_service_finish=$finished
    fi
done
[[ $broker_finished > $latest_service_finish ]] ||
    fail "the broker stopped ($broker_finished) before a service that depends on it ($latest_service_finish)"
log "every container exited 0 on stop, the broker last"
large_in_flight || fail "large.txt finished during the stop"
resume_line=$(checkpoint_field nextLine)
resume_sequence=$(checkpoint_field nextSequence)
batch_lines=$(checkpoint_field batchLines)
((resume_line > 1 && batch_lines > 0)) || fail "no usable checkpoint for large.txt after the stop: $(cat "$checkpoint" 2>&1)"
log "large.txt checkpointed at line $resume_line (batch $resume_sequence) of $large_lines"

compose down --remove-orphans
t=$SECONDS
compose up -d --scale consumer=3 producer consumer
up_warm=$((SECONDS - t))
wait_healthy
healthy_warm=$((SECONDS - t))
log "up after down (images and the broker's volume kept): ${up_warm} s to return, ${healthy_warm} s until every container is healthy"

expected_outputs=$((small_files + 1))
all_done() { [[ $(find "$data/done" -maxdepth 1 -type f -name '*.txt' | wc -l) == "$expected_outputs" ]]; }
wait_for "$files_timeout" "every file in done/" all_done
run_seconds=$((SECONDS - run_started))
log "all $expected_outputs files done in ${run_seconds} s from the drop"

# What the broker counted: batches published to the work queue since this broker container started (only large.txt's).
management="http://$(compose port rabbitmq 15672)"
admin_user=$(sed -n 's/^RABBITMQ_USER=//p' "$env_file")
admin_password=$(sed -n 's/^RABBITMQ_PASSWORD=//p' "$env_file")
published_batches() {
    curl -fsS --max-time 10 -u "$admin_user:$admin_password" "$management/api/queues/%2F/streaming.lines" |
        python3 -c 'import json,sys; print(json.load(sys.stdin).get("message_stats", {}).get("publish", 0))'
}
# The counter is refreshed every 5 s: read until two readings 6 s apart agree (at most 60 s).
published=$(published_batches)
deadline=$((SECONDS + 60))
while :; do
    sleep 6
    again=$(published_batches)
    [[ $again != "$published" ]] || break
    published=$again
    ((SECONDS < deadline)) || fail "the broker's publish count of streaming.lines did not settle within 60 s"
done
whole_file_batches=$(((large_lines + batch_lines - 1) / batch_lines))
# From the checkpoint on: the batches after it, and 2 retransmissions at most.
allowed=$((whole_file_batches - resume_sequence + 2))
log "after up the broker took $published batches into streaming.lines: from the checkpoint $((whole_file_batches - resume_sequence)), the whole file $whole_file_batches"
((published > 0)) || fail "the broker counted no publish into streaming.lines after up: its counter cannot tell resume from restart"
((published <= allowed)) ||
    fail "large.txt was published again from before its checkpoint: $published batches after up, at most $allowed from batch $resume_sequence on (the whole file is $whole_file_batches)"
producer_log=$(docker logs "$(compose ps -q producer)" 2>&1)
grep -q "resuming large.txt" <<<"$producer_log" || fail "the producer did not resume large.txt: $(grep -m 3 large.txt <<<"$producer_log")"
if grep -E "large.txt.*(starting it over|Ignoring the checkpoint)|Ignoring the checkpoint of large.txt" <<<"$producer_log"; then
    fail "the producer did not resume large.txt from its checkpoint"
fi
log "large.txt resumed from its checkpoint: $(grep -m 1 'Done: large.txt' <<<"$producer_log" | sed 's/.*Done: //' | cut -c1-120)"

# ---- 5. the outputs --------------------------------------------------------------------------------------------------
for f in "$inputs"/*.txt; do
    name=$(basename "$f")
    out="$data/outbox/$name.out"
    [[ -f $out ]] || fail "no output for $name"
    cmp -s "$f" "$out" || fail "$name.out is not byte-exact ($(wc -l < "$out") lines, input $(wc -l < "$f"))"
    [[ ! -e $data/outbox/$name.errors.jsonl ]] || fail "$name has failed lines: $(head -n 3 "$data/outbox/$name.errors.jsonl")"
    cmp -s "$f" "$data/done/$name" || fail "done/$name is not the input"
done
[[ -z $(ls -A "$data/failed") ]] || fail "failed/ is not empty: $(ls -A "$data/failed")"
[[ -z $(ls -A "$data/processing") ]] || fail "processing/ is not empty: $(ls -A "$data/processing")"
foreign=$(find "$data" ! -uid "$data_uid" | head -n 3)
[[ -z $foreign ]] || fail "files not owned by uid $data_uid: $foreign"
log "every output byte-exact ($expected_outputs files), every file owned by uid $data_uid"
wait_healthy
log "every container healthy: $(compose ps -q rabbitmq producer consumer | wc -l) containers"

printf '==> compose scenario: timings: up cold %s s (healthy %s s), up after down %s s (healthy %s s), broker restart %s s, files %s s\n' \
    "$up_cold" "$healthy_cold" "$up_warm" "$healthy_warm" "$broker_restart_seconds" "$run_seconds"
log "passed"
