#!/usr/bin/env python3
"""End-to-end benchmark: Streaming (publish --wait, N consumers, private RabbitMQ node) side by side with
Python's multiprocessing.Pool.imap on the same seeded files, outputs checked byte for byte.

    python3 bench/bench.py [--quick] [--consumers 2] [--rows identity,sha256]

Prints a table and writes bench/results/<timestamp>.json. Needs a Release build (it runs one) and
rabbitmq-server (scripts/rabbitmq-node.sh installs it when missing).
"""
import argparse
import datetime
import filecmp
import json
import os
import platform
import random
import resource
import signal
import socket
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
PRODUCER = os.path.join(ROOT, "src/Producer/bin/Release/net10.0/Producer.dll")
CONSUMER = os.path.join(ROOT, "src/Consumer/bin/Release/net10.0/Consumer.dll")
NODE = os.path.join(ROOT, "scripts/rabbitmq-node.sh")
POOL = os.path.join(ROOT, "bench/pool_imap.py")

ROWS = {
    # name: (processor, lines)
    "identity": ("identity", 1_000_000),
    "sha256": ("sha256:100", 200_000),
}


def generate(path: str, lines: int, seed: int) -> None:
    """~97-byte lines of printable text, like the Python measurement the issue quotes."""
    rng = random.Random(seed)
    alphabet = b"abcdefghijklmnopqrstuvwxyz ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
    with open(path, "wb") as f:
        for i in range(lines):
            body = bytes(rng.choice(alphabet) for _ in range(rng.randint(80, 110)))
            f.write(b"%08d " % i + body + b"\n")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_rusage(proc: subprocess.Popen) -> tuple[int, float]:
    """Waits for a child and returns (exit code, peak RSS in MB) from wait4."""
    _, status, usage = os.wait4(proc.pid, 0)
    proc.returncode = os.waitstatus_to_exitcode(status)
    return proc.returncode, usage.ru_maxrss / 1024


def run_streaming(processor: str, path: str, consumers: int, uri: str, work: str) -> dict:
    env = dict(os.environ, Logging__LogLevel__Default="Warning")
    started = [subprocess.Popen(["dotnet", CONSUMER, "--processor", processor, "--rabbitmq", uri],
                                stdout=subprocess.DEVNULL, stderr=open(os.path.join(work, f"consumer{i}.log"), "wb"), env=env)
               for i in range(consumers)]
    time.sleep(1.5)  # let them connect: the measurement is the pipeline, not process start-up
    t0 = time.perf_counter()
    producer = subprocess.Popen(["dotnet", PRODUCER, "publish", path, "--wait", "--rabbitmq", uri],
                                stdout=subprocess.DEVNULL, stderr=open(os.path.join(work, "producer.log"), "wb"), env=env)
    code, producer_rss = wait_rusage(producer)
    seconds = time.perf_counter() - t0
    for c in started:
        c.send_signal(signal.SIGTERM)
    consumer_rss = max(wait_rusage(c)[1] for c in started)
    if code != 0:
        raise SystemExit(f"producer exited {code}; see {work}/producer.log")
    return {"seconds": seconds, "producer_rss_mb": producer_rss, "consumer_rss_mb": consumer_rss}


def run_pool(processor: str, path: str, out: str) -> dict:
    t0 = time.perf_counter()
    proc = subprocess.Popen([sys.executable, POOL, processor, path, out])
    code, rss = wait_rusage(proc)
    seconds = time.perf_counter() - t0
    if code != 0:
        raise SystemExit(f"pool_imap.py exited {code}")
    return {"seconds": seconds, "parent_rss_mb": rss}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--quick", action="store_true", help="a tenth of the lines (a smoke run)")
    parser.add_argument("--consumers", type=int, default=2)
    parser.add_argument("--rows", default="identity,sha256")
    args = parser.parse_args()

    subprocess.run(["dotnet", "build", os.path.join(ROOT, "Streaming.sln"), "-c", "Release", "-v", "quiet", "-nologo"],
                   check=True, stdout=subprocess.DEVNULL)
    work = tempfile.mkdtemp(prefix="streaming-bench-")
    port = free_port()
    subprocess.run([NODE, "start", os.path.join(work, "rabbitmq"), str(port)], check=True)
    uri = f"amqp://guest:guest@localhost:{port}/"
    results = []
    try:
        for row in args.rows.split(","):
            processor, lines = ROWS[row]
            if args.quick:
                lines //= 10
            path = os.path.join(work, f"{row}.txt")
            generate(path, lines, seed=20261125)
            size_mb = os.path.getsize(path) / 1e6
            streaming = run_streaming(processor, path, args.consumers, uri, work)
            pool_out = os.path.join(work, f"{row}.pool.out")
            pool = run_pool(processor, path, pool_out)
            identical = filecmp.cmp(path + ".out", pool_out, shallow=False)
            results.append({
                "row": row, "processor": processor, "lines": lines, "input_mb": round(size_mb, 1),
                "streaming_lines_per_s": round(lines / streaming["seconds"]),
                "pool_lines_per_s": round(lines / pool["seconds"]),
                "ratio_to_pool": round(pool["seconds"] / streaming["seconds"], 2),
                "streaming_mb_per_s": round(size_mb / streaming["seconds"], 1),
                "producer_peak_rss_mb": round(streaming["producer_rss_mb"], 1),
                "consumer_peak_rss_mb": round(streaming["consumer_rss_mb"], 1),
                "pool_parent_peak_rss_mb": round(pool["parent_rss_mb"], 1),
                "outputs_identical": identical,
            })
    finally:
        subprocess.run([NODE, "stop", os.path.join(work, "rabbitmq")], check=False)

    header = f"{'row':<10}{'processor':<12}{'lines':>10}{'Streaming l/s':>15}{'Pool.imap l/s':>15}{'ratio':>7}" \
             f"{'MB/s':>7}{'prod RSS':>10}{'cons RSS':>10}{'pool RSS':>10}  identical"
    print(header)
    for r in results:
        print(f"{r['row']:<10}{r['processor']:<12}{r['lines']:>10,}{r['streaming_lines_per_s']:>15,}{r['pool_lines_per_s']:>15,}"
              f"{r['ratio_to_pool']:>7}{r['streaming_mb_per_s']:>7}{r['producer_peak_rss_mb']:>9.0f}M"
              f"{r['consumer_peak_rss_mb']:>9.0f}M{r['pool_parent_peak_rss_mb']:>9.0f}M  {r['outputs_identical']}")
    machine = {"cores": os.cpu_count(), "platform": platform.platform(), "python": platform.python_version(),
               "consumers": args.consumers, "quick": args.quick}
    stamp = datetime.datetime.now(datetime.timezone.utc).strftime("%Y%m%dT%H%M%SZ")
    os.makedirs(os.path.join(ROOT, "bench/results"), exist_ok=True)
    with open(os.path.join(ROOT, "bench/results", f"{stamp}.json"), "w") as f:
        json.dump({"machine": machine, "results": results}, f, indent=2)
    if not all(r["outputs_identical"] for r in results):
        raise SystemExit("outputs differ from Pool.imap")


if __name__ == "__main__":
    main()
