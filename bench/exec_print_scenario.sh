#!/usr/bin/env bash
# Issue 21's scenario, against any build of this repository: a Python worker through sdk/python/streaming_worker.py
# that returns sha256 of each line and print()s every tenth line, 3,000 lines, 2 slots, `publish --wait`; then
# 1,000,000 lines through the SDK identity worker for the throughput. Prints how many output lines are right, failed,
# or wrong while presented as success, and the lines/s.
#   bench/exec_print_scenario.sh [REPO]     REPO: a checkout built with `dotnet build -c Release` (default: this one)
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
repo=$(cd "${1:-$here}" && pwd)
work=$(mktemp -d /tmp/exec-print-scenario.XXXXXX)
node=$work/node
port=${PORT:-5799}
trap '"$here/scripts/rabbitmq-node.sh" stop "$node" >/dev/null 2>&1 || true; rm -rf "$work"' EXIT
"$here/scripts/rabbitmq-node.sh" start "$node" "$port" >/dev/null
producer_uri=$("$here/scripts/rabbitmq-node.sh" uri "$node" producer)
consumer_uri=$("$here/scripts/rabbitmq-node.sh" uri "$node" consumer)
bin() { echo "$repo/src/$1/bin/Release/net10.0/$1.dll"; }

run() {   # run WORKER INPUT: consumers on WORKER, publish INPUT, print the seconds it took
  RabbitMq__Uri=$consumer_uri dotnet "$(bin Consumer)" --processor "exec:python3 $1" --concurrency 2 > "$work/consumer.log" 2>&1 &
  local consumer=$!
  sleep 6
  local start end
  start=$(date +%s.%N)
  RabbitMq__Uri=$producer_uri dotnet "$(bin Producer)" publish "$2" --wait > "$work/producer.log" 2>&1 || true
  end=$(date +%s.%N)
  kill "$consumer"; wait "$consumer" 2>/dev/null || true
  python3 -c "print($end - $start)"
}

cat > "$work/printing.py" <<PY
import hashlib, sys
sys.path.insert(0, "$repo/sdk/python")
from streaming_worker import run
n = 0
def process(line):
    global n
    n += 1
    if n % 10 == 0:
        print("debug: seen", n)
    return hashlib.sha256(line).hexdigest()
run(process)
PY
python3 -c "
with open('$work/printing.txt', 'w') as f:
    f.writelines(f'line {i} of the scenario\n' for i in range(1, 3001))"
run "$work/printing.py" "$work/printing.txt" > /dev/null
python3 - "$work/printing.txt" <<'PY'
import hashlib, json, os, sys
path = sys.argv[1]
lines = open(path, "rb").read().split(b"\n")[:-1]
out = open(path + ".out", "rb").read().split(b"\n")[:-1]
errors = {}
if os.path.exists(path + ".errors.jsonl"):
    errors = {json.loads(l)["line"]: json.loads(l)["error"] for l in open(path + ".errors.jsonl")}
right = sum(o == hashlib.sha256(l).hexdigest().encode() for l, o in zip(lines, out))
wrong = sum(o != hashlib.sha256(l).hexdigest().encode() and n + 1 not in errors for n, (l, o) in enumerate(zip(lines, out)))
print(f"print() scenario: {len(lines)} lines, {right} right, {len(errors)} failed, {wrong} wrong presented as success")
PY

printf 'import sys\nsys.path.insert(0, "%s/sdk/python")\nfrom streaming_worker import run\nrun(lambda line: line)\n' "$repo" > "$work/identity.py"
python3 -c "
with open('$work/million.txt', 'w') as f:
    f.writelines(f'{i:08d} a line of the million through python\n' for i in range(1000000))"
seconds=$(run "$work/identity.py" "$work/million.txt")
cmp -s "$work/million.txt" "$work/million.txt.out" && exact=byte-exact || exact=DIFFERENT
python3 -c "print(f'identity: 1,000,000 lines in {$seconds:.2f} s, {1e6 / $seconds:,.0f} lines/s, output $exact')"
