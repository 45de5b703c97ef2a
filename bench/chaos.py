#!/usr/bin/env python3
"""The chaos run: one file through Streaming while everything is killed at seeded random moments.

    python3 bench/chaos.py                  # 300,000 lines, sha256:30, 2 consumers, the full set of faults
    python3 bench/chaos.py --quick          # 60,000 lines, one broker kill and one producer kill (CI runs this)
    python3 bench/chaos.py --seed 7 --lines 500000 --consumers 3
    python3 bench/chaos.py --native artifacts/native   # the Native AOT executables (scripts/publish-native.sh)

While `Producer publish FILE --wait` runs against a private RabbitMQ node, consumers are SIGKILLed every few seconds
and restarted, the broker is SIGKILLed and restarted (twice), and the producer is SIGKILLed and the same command run
again (twice). Then the output is compared byte for byte with a reference computed here with Python's hashlib, the
broker's queues must be empty, and the figures are printed (and written to bench/work/chaos/<stamp>/chaos.json).
Exit status 0 only when nothing was lost or duplicated and every queue drained. Needs a Release build (made unless
--no-build) and rabbitmq-server (scripts/rabbitmq-node.sh installs it when missing).
"""
import argparse
import collections
import concurrent.futures
import datetime
import hashlib
import json
import os
import random
import re
import signal
import socket
import subprocess
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
NODE = os.path.join(ROOT, "scripts/rabbitmq-node.sh")
WORK = os.path.join(ROOT, "bench/work/chaos")
ROUNDS = 30
TIMEOUT_S = 900
QUICK_TIMEOUT_S = 240  # below the 5 minutes the ChaosQuick test waits, so a stuck run ends here, cleanly


def log(message: str) -> None:
    print(f"[chaos {time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


def generate(path: str, lines: int, seed: int) -> None:
    rng = random.Random(seed)
    alphabet = b"abcdefghijklmnopqrstuvwxyz ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
    table = bytes(alphabet[i % len(alphabet)] for i in range(256))
    with open(path, "wb") as f:
        for start in range(0, lines, 10_000):
            count = min(10_000, lines - start)
            lengths = [rng.randint(80, 110) for _ in range(count)]
            text = rng.randbytes(sum(lengths)).translate(table)
            chunk, offset = [], 0
            for i, length in enumerate(lengths):
                chunk.append(b"%08d " % (start + i) + text[offset:offset + length] + b"\n")
                offset += length
            f.write(b"".join(chunk))


def sha256_rounds(line: bytes) -> bytes:
    digest = line
    for _ in range(ROUNDS):
        digest = hashlib.sha256(digest).digest()
    return digest.hex().encode() + b"\n"


def reference(input_path: str, output_path: str) -> None:
    """The expected output, independently of the C# code: hashlib, ROUNDS times per line."""
    with open(input_path, "rb") as f:
        lines = [line[:-1] if line.endswith(b"\n") else line for line in f]
    lines = [line[:-1] if line.endswith(b"\r") else line for line in lines]
    # Not multiprocessing.Pool: its imap waits forever for the chunk of a worker that died (cpython #96062); this pool
    # raises BrokenProcessPool instead.
    with concurrent.futures.ProcessPoolExecutor(2) as pool, open(output_path, "wb") as out:
        for result in pool.map(sha256_rounds, lines, chunksize=2000):
            out.write(result)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Broker:
    def __init__(self, directory: str):
        self.directory = directory
        self.port = free_port()
        self.uri = ""

    def start(self) -> None:
        subprocess.run(["bash", NODE, "start", self.directory, str(self.port)], check=True, stderr=subprocess.DEVNULL)
        # The node has no guest user (scripts/rabbitmq-node.sh): chaos connects as its administrator.
        self.uri = subprocess.run(["bash", NODE, "uri", self.directory, "admin"], check=True, capture_output=True,
                                  text=True).stdout.strip()

    def kill(self) -> None:
        """kill -9 of the Erlang VM, by the pid in its pid file."""
        with open(os.path.join(self.directory, "pid")) as f:
            pid = int(f.read().strip())
        os.kill(pid, signal.SIGKILL)
        for _ in range(200):
            try:
                os.kill(pid, 0)
            except ProcessLookupError:
                return
            time.sleep(0.05)

    def stop(self) -> None:
        subprocess.run(["bash", NODE, "stop", self.directory], stderr=subprocess.DEVNULL)

    def queues(self) -> dict[str, int]:
        out = subprocess.run(["bash", NODE, "ctl", self.directory, "list_queues", "-q", "--no-table-headers", "name", "messages"],
                             capture_output=True, text=True, timeout=60).stdout
        counts = {}
        for row in out.splitlines():
            fields = row.split("\t")
            if len(fields) == 2 and fields[1].strip().isdigit():
                counts[fields[0].strip()] = int(fields[1])
        return counts


class Service:
    """One slot of a service: restarting it appends to the same log file."""

    def __init__(self, name: str, command: list[str], env: dict, logs: str):
        self.name, self.command, self.env = name, command, env
        self.log_path = os.path.join(logs, f"{name}.log")
        self.proc: subprocess.Popen | None = None
        self.starts = 0

    def start(self) -> None:
        self.starts += 1
        log_file = open(self.log_path, "ab")
        log_file.write(f"\n===== start {self.starts} at {time.strftime('%H:%M:%S')} =====\n".encode())
        log_file.flush()
        self.proc = subprocess.Popen(self.command, stdout=log_file, stderr=subprocess.STDOUT, env=self.env, stdin=subprocess.DEVNULL)
        log_file.close()

    def alive(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def kill(self) -> None:
        if self.alive():
            self.proc.send_signal(signal.SIGKILL)
            self.proc.wait()


def plan(rng: random.Random, quick: bool) -> list[tuple[float, str]]:
    """(output fraction, fault) in order: the big faults happen at seeded points of the file's progress."""
    if quick:
        events = [(rng.uniform(0.15, 0.30), "producer"), (rng.uniform(0.45, 0.65), "broker")]
    else:
        events = [(rng.uniform(0.08, 0.18), "producer"), (rng.uniform(0.25, 0.38), "broker"),
                  (rng.uniform(0.45, 0.58), "producer"), (rng.uniform(0.65, 0.80), "broker")]
    return sorted(events)


def compare(output_path: str, reference_path: str) -> tuple[bool, int, int, int]:
    """(identical, lines checked, lost, duplicated)."""
    with open(output_path, "rb") as f:
        output = f.read()
    with open(reference_path, "rb") as f:
        expected = f.read()
    expected_lines = expected.split(b"\n")[:-1]
    if output == expected:
        return True, len(expected_lines), 0, 0
    output_lines = output.split(b"\n")[:-1]
    have, want = collections.Counter(output_lines), collections.Counter(expected_lines)
    lost = sum(max(0, n - have[line]) for line, n in want.items())
    duplicated = sum(max(0, n - want[line]) for line, n in have.items())
    return False, len(expected_lines), lost, duplicated


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="60,000 lines, one broker kill, one producer kill")
    parser.add_argument("--lines", type=int)
    parser.add_argument("--consumers", type=int, default=2)
    parser.add_argument("--seed", type=int, default=int(time.time()) % 100_000)
    parser.add_argument("--batch-lines", type=int, default=1000)
    parser.add_argument("--no-build", action="store_true", help="use the binaries already built")
    parser.add_argument("--configuration", default="Release", help="which build to run (default Release)")
    parser.add_argument("--native", metavar="DIR",
                        help="run the Native AOT executables in DIR (scripts/publish-native.sh DIR) instead of the build")
    args = parser.parse_args()
    lines = args.lines or (60_000 if args.quick else 300_000)
    timeout_s = QUICK_TIMEOUT_S if args.quick else TIMEOUT_S
    rng = random.Random(args.seed)
    # SIGTERM (a test that gives up, Ctrl-C's sibling) ends the run through the cleanup below, which kills the services
    # and stops the broker node; a plain SIGTERM death would leave the node running.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(f"stopped by SIGTERM (seed {args.seed})"))

    if not args.no_build:
        log(f"dotnet build -c {args.configuration}")
        subprocess.run(["dotnet", "build", os.path.join(ROOT, "Streaming.sln"), "-c", args.configuration, "-v", "q", "-nologo"],
                       check=True, stdout=subprocess.DEVNULL)
    if args.native:
        producer_cmd = [os.path.join(os.path.abspath(args.native), "Producer/Producer")]
        consumer_cmd = [os.path.join(os.path.abspath(args.native), "Consumer/Consumer")]
    else:
        producer_cmd = ["dotnet", os.path.join(ROOT, f"src/Producer/bin/{args.configuration}/net10.0/Producer.dll")]
        consumer_cmd = ["dotnet", os.path.join(ROOT, f"src/Consumer/bin/{args.configuration}/net10.0/Consumer.dll")]
    stamp = datetime.datetime.now(datetime.timezone.utc).strftime("%Y%m%dT%H%M%SZ")
    work = os.path.join(WORK, f"{stamp}-seed{args.seed}")
    logs = os.path.join(work, "logs")
    os.makedirs(logs)
    inputs = os.path.join(WORK, "inputs")
    os.makedirs(inputs, exist_ok=True)
    source = os.path.join(inputs, f"lines-{lines}-{args.seed}.txt")
    expected = source + f".sha256-{ROUNDS}.expected"
    if not os.path.exists(expected):
        log(f"generating {lines:,} lines and their reference output (hashlib, sha256 x {ROUNDS})")
        generate(source + ".tmp", lines, args.seed)
        os.replace(source + ".tmp", source)
        reference(source, expected + ".tmp")
        os.replace(expected + ".tmp", expected)
    data = os.path.join(work, "data.txt")
    subprocess.run(["cp", source, data], check=True)
    total_bytes = os.path.getsize(expected)

    broker = Broker(os.path.join(work, "node"))
    log(f"seed {args.seed}: {lines:,} lines, sha256:{ROUNDS}, {args.consumers} consumers, broker on port {broker.port}")
    broker.start()
    env = dict(os.environ, RabbitMq__PublishTimeoutSeconds="10", RabbitMq__HeartbeatSeconds="5",
               Logging__LogLevel__Default="Information")
    env.pop("RabbitMq__Uri", None)
    producer_env = dict(env, **{"Logging__LogLevel__Streaming.Producer": "Debug"})
    # The short run is paced (one batch and one line at a time per consumer): unpaced, the pipeline can finish the
    # file between two looks at its progress, before the broker's moment comes.
    pacing = ["--prefetch", "1", "--concurrency", "1"] if args.quick else []
    consumers = [Service(f"consumer{i}", [*consumer_cmd, "--processor", f"sha256:{ROUNDS}", *pacing, "--rabbitmq", broker.uri],
                         env, logs)
                 for i in range(args.consumers)]
    producer = Service("producer", [*producer_cmd, "publish", data, "--wait", "--batch-lines", str(args.batch_lines),
                                    "--rabbitmq", broker.uri], producer_env, logs)
    figures = collections.Counter()
    events = plan(rng, args.quick)
    partial = data + ".out.partial"
    restart_at: dict[int, float] = {}
    next_consumer_kill = time.monotonic() + rng.uniform(2, 4)
    started = time.monotonic()
    try:
        for c in consumers:
            c.start()
        producer.start()
        while True:
            now = time.monotonic()
            if now - started > timeout_s:
                raise SystemExit(f"chaos run did not finish within {timeout_s} s (seed {args.seed}); logs in {logs}")
            code = producer.proc.poll()
            if code is not None:
                if code == 0:
                    break
                raise SystemExit(f"the producer exited with {code} on its own (seed {args.seed}); see {producer.log_path}")
            progress = os.path.getsize(partial) / total_bytes if os.path.exists(partial) else 0.0
            if events and progress >= events[0][0]:
                fraction, fault = events.pop(0)
                if fault == "producer":
                    log(f"kill -9 producer at {progress:.0%} of the output; running it again")
                    producer.kill()
                    figures["producer kills"] += 1
                    time.sleep(rng.uniform(0.2, 1.0))
                    producer.start()
                else:
                    log(f"kill -9 broker at {progress:.0%} of the output")
                    broker.kill()
                    figures["broker kills"] += 1
                    time.sleep(rng.uniform(0.5, 2.0))
                    broker.start()
                    figures["broker restarts"] += 1
                    log("broker back")
            if now >= next_consumer_kill:
                alive = [i for i, c in enumerate(consumers) if c.alive()]
                if alive:
                    victim = rng.choice(alive)
                    consumers[victim].kill()
                    figures["consumer kills"] += 1
                    restart_at[victim] = now + rng.uniform(0.3, 1.5)
                next_consumer_kill = now + rng.uniform(2, 4)
            for i, when in list(restart_at.items()):
                if now >= when:
                    consumers[i].start()
                    figures["consumer restarts"] += 1
                    del restart_at[i]
            for i, c in enumerate(consumers):
                if not c.alive() and i not in restart_at:
                    raise SystemExit(f"{c.name} exited on its own with {c.proc.returncode} (seed {args.seed}); see {c.log_path}")
            time.sleep(0.01)
        wall = time.monotonic() - started
        log(f"producer finished in {wall:.1f} s; checking the queues")
        for i in list(restart_at):
            consumers[i].start()
            figures["consumer restarts"] += 1
        queues: dict[str, int] = {}
        for _ in range(120):
            queues = broker.queues()
            if queues and all(n == 0 for n in queues.values()):
                break
            time.sleep(0.5)
        for c in consumers:
            if c.alive():
                c.proc.send_signal(signal.SIGTERM)
        for c in consumers:
            if c.proc is not None:
                c.proc.wait(timeout=40)
    finally:
        for c in consumers + [producer]:
            c.kill()
        broker.stop()

    identical, checked, lost, duplicated = compare(data + ".out", expected)
    producer_log = open(producer.log_path, encoding="utf-8", errors="replace").read()
    published = sum(int(b) - int(a) + 1 for a, b in re.findall(r"Publishing batch \d+: lines (\d+)\.\.(\d+)", producer_log))
    consumer_logs = "".join(open(c.log_path, encoding="utf-8", errors="replace").read() for c in consumers)
    with open(data + ".summary.json") as f:
        summary = json.load(f)
    drained = bool(queues) and all(n == 0 for n in queues.values())
    if events:
        log(f"the file finished before {len(events)} planned fault(s) could happen: {events}")
    result = {
        "seed": args.seed, "lines": lines, "processor": f"sha256:{ROUNDS}", "consumers": args.consumers,
        "batch_lines": args.batch_lines, "consumer_kills": figures["consumer kills"],
        "consumer_restarts": figures["consumer restarts"], "broker_kills": figures["broker kills"],
        "broker_restarts": figures["broker restarts"], "producer_kills": figures["producer kills"],
        "producer_runs": producer.starts, "lines_checked": checked, "lost": lost, "duplicated": duplicated,
        "byte_identical": identical, "republished_lines": summary.get("linesRepublished"),
        "publish_attempts_beyond_one_per_line": published - lines,
        "producer_resumes": producer_log.count("resumes at line"),
        "batches_quarantined": consumer_logs.count("quarantined"),
        "duplicate_results_dropped": summary.get("duplicatesDropped"), "queues": queues, "queues_empty": drained,
        "wall_s": round(wall, 1),
    }
    with open(os.path.join(work, "chaos.json"), "w") as f:
        json.dump(result, f, indent=2)
    print(f"chaos run, seed {args.seed}: {lines:,} lines, sha256:{ROUNDS}, {args.consumers} consumers, "
          f"batches of {args.batch_lines:,} lines")
    print(f"  consumer kills (kill -9):  {result['consumer_kills']} (restarted {result['consumer_restarts']})")
    print(f"  broker kills (kill -9):    {result['broker_kills']} (restarted {result['broker_restarts']})")
    print(f"  producer kills (kill -9):  {result['producer_kills']} (run again {result['producer_runs'] - 1}, "
          f"resumed from a checkpoint {result['producer_resumes']})")
    print(f"  lines checked:             {checked:,}")
    print(f"  lost:                      {lost}")
    print(f"  duplicated:                {duplicated}")
    print(f"  output byte-identical to the hashlib reference: {'yes' if identical else 'NO'}")
    print(f"  re-published lines:        {result['republished_lines']:,} (summary's linesRepublished: after resumes and "
          f"retransmissions); publish attempts beyond one per line, retries included: "
          f"{result['publish_attempts_beyond_one_per_line']:,}")
    print(f"  batches quarantined:       {result['batches_quarantined']}; duplicate results dropped: "
          f"{result['duplicate_results_dropped']}")
    print(f"  queues empty:              {'yes' if drained else 'NO'} "
          f"({', '.join(f'{name} {n}' for name, n in sorted(queues.items()))})")
    print(f"  wall time:                 {wall:.1f} s")
    print(f"  logs and figures:          {work}")
    if events:
        print(f"  faults not injected:       {len(events)} (the file finished first; use more --lines)")
    return 0 if identical and lost == 0 and duplicated == 0 and drained and not events else 1


if __name__ == "__main__":
    sys.exit(main())
