#!/usr/bin/env bash
# The whole product on one machine without Docker: a private RabbitMQ node (installed with apt when missing),
# N consumers, and the producer processing the given files (or a generated sample) with --wait.
#   scripts/run-local.sh [--consumers N] [--processor SPEC] [--port PORT] [FILE...]
# Everything it starts is stopped by PID when it ends (or on Ctrl-C).
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
consumers=2
processor=identity
port=${STREAMING_RABBITMQ_PORT:-5672}
files=()
while [ $# -gt 0 ]; do
  case "$1" in
    --consumers) consumers=$2; shift 2 ;;
    --processor) processor=$2; shift 2 ;;
    --port) port=$2; shift 2 ;;
    -h|--help) sed -n '2,6p' "$0"; exit 0 ;;
    *) files+=("$1"); shift ;;
  esac
done

state="$root/.local"
mkdir -p "$state"
pids=()
cleanup() {
  for pid in "${pids[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
  for pid in "${pids[@]}"; do wait "$pid" 2>/dev/null || true; done
  "$root/scripts/rabbitmq-node.sh" stop "$state/rabbitmq" || true
}
trap cleanup EXIT
trap 'exit 130' INT TERM

echo "Building (Release)…" >&2
dotnet build "$root/Streaming.sln" -c Release -v quiet -nologo >/dev/null
"$root/scripts/rabbitmq-node.sh" start "$state/rabbitmq" "$port"
uri="amqp://guest:guest@localhost:$port/"

for i in $(seq 1 "$consumers"); do
  dotnet "$root/src/Consumer/bin/Release/net10.0/Consumer.dll" --processor "$processor" --rabbitmq "$uri" \
    > "$state/consumer-$i.log" 2>&1 &
  pids+=($!)
done
echo "Started $consumers consumer(s) with processor $processor (logs in $state/consumer-*.log)" >&2

if [ ${#files[@]} -eq 0 ]; then
  files=("$state/sample.txt")
  python3 - "$state/sample.txt" <<'PY'
import random, sys
random.seed(42)
words = ["alpha", "beta", "gamma", "delta", "straße", "ÉCOLE", "naïve", "\t", "x" * 40]
with open(sys.argv[1], "wb") as f:
    for i in range(100_000):
        f.write((" ".join(random.choice(words) for _ in range(random.randint(0, 12)))).encode() + b"\n")
    f.write(b"crlf line\r\n\n\xff invalid utf-8\nno final newline")
PY
  echo "No file given: processing a generated sample, $state/sample.txt" >&2
fi

dotnet "$root/src/Producer/bin/Release/net10.0/Producer.dll" publish "${files[@]}" --wait --rabbitmq "$uri"
