#!/usr/bin/env python3
"""streaming.Pool.imap against multiprocessing.Pool.imap, the same Python function, the same local workers (issue 24).

    python3 bench/pool_vs_streaming.py [--lines 200000] [--processes 2] [--functions sha256x100,fnv1a] [--kill] [--repeat N]

For each function of bench/python_functions.py (sha256x100: hashlib, the work in C; fnv1a: pure Python), over the same
seeded lines: multiprocessing.Pool(P).imap, streaming.Pool(P).imap with its local consumers only, and the same with
one remote consumer process beside them (python3 -m streaming consumer, --concurrency P); with --kill, also the local
form with its consumer process killed (SIGKILL) at 30 % of the results (what a kill costs). chunksize 1000 everywhere;
each pool is made and warmed (a 100-line job with the same chunksize: the consumers started and connected, and for
streaming.Pool the standby Producer for that command line ready, as it is for every imap after a pool's first) before
the clock, which runs over the imap loop alone. Every output is compared with multiprocessing's. A private RabbitMQ node (scripts/rabbitmq-node.sh)
on a free port; the executables from STREAMING_PRODUCER/STREAMING_CONSUMER, else this repository's Release build.

With --repeat N, the local rows are N alternations of one kept multiprocessing pool and one kept streaming pool (mp,
streaming, mp, streaming, ...): on a machine whose speed drifts within minutes (this VM's multiprocessing time for the
same work ranged 4.7-7.0 s within an hour), a ratio of neighbours is steadier than one of two single runs. The rows
give the median seconds, and the ratio is the median of the N neighbour ratios, with their range.
"""
import argparse
import multiprocessing
import os
import random
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
NODE = os.path.join(ROOT, "scripts", "rabbitmq-node.sh")
sys.path[:0] = [HERE, os.path.join(ROOT, "sdk", "python")]

import python_functions  # noqa: E402
import streaming  # noqa: E402

CHUNKSIZE = 1000


def lines(count: int, seed: int = 24) -> list:
    rng = random.Random(seed)
    words = [bytes(rng.choice(b"abcdefghijklmnopqrstuvwxyz") for _ in range(rng.randrange(2, 10))) for _ in range(2000)]
    return [b" ".join(rng.choice(words) for _ in range(16))[:105] for _ in range(count)]


def free_port() -> int:
    while True:
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            port = s.getsockname()[1]
        if port <= 45535:
            return port


def timed(pool_imap, func, items) -> tuple:
    started = time.perf_counter()
    results = list(pool_imap(func, items, CHUNKSIZE))
    return time.perf_counter() - started, results


def run_multiprocessing(func, items, processes):
    with multiprocessing.Pool(processes) as pool:
        list(pool.imap(func, items[:100], CHUNKSIZE))
        return timed(pool.imap, func, items)


def alternate(func, items, processes, broker, repeat: int, baseline) -> tuple:
    """N alternations of one warm multiprocessing pool and one warm streaming pool (local consumers only): the seconds
    of each, and whether every streaming output equalled multiprocessing's."""
    mp_seconds, streaming_seconds, identical = [], [], True
    with multiprocessing.Pool(processes) as mp_pool, streaming.Pool(processes, broker=broker) as streaming_pool:
        list(mp_pool.imap(func, items[:100], CHUNKSIZE))
        list(streaming_pool.imap(func, items[:100], CHUNKSIZE))
        for _ in range(repeat):
            seconds, results = timed(mp_pool.imap, func, items)
            mp_seconds.append(seconds)
            identical &= results == baseline
            seconds, results = timed(streaming_pool.imap, func, items)
            streaming_seconds.append(seconds)
            identical &= results == baseline
    return mp_seconds, streaming_seconds, identical


def median(values: list) -> float:
    ordered = sorted(values)
    middle = len(ordered) // 2
    return ordered[middle] if len(ordered) % 2 else (ordered[middle - 1] + ordered[middle]) / 2


def run_streaming_killed(func, items, processes, broker):
    """streaming.Pool.imap, local consumers only, with its consumer process killed (SIGKILL) once 30 % of the results
    are in: the pool starts another, the killed one's batches come back from the broker, and the loop goes on."""
    with streaming.Pool(processes, broker=broker) as pool:
        list(pool.imap(func, items[:100], CHUNKSIZE))
        started = time.perf_counter()
        results = []
        for result in pool.imap(func, items, CHUNKSIZE):
            results.append(result)
            if len(results) == len(items) * 3 // 10:
                for _, fleet in pool._fleets.values():
                    os.kill(fleet.processes[0].pid, signal.SIGKILL)
        return time.perf_counter() - started, results


def run_streaming(func, items, processes, broker, remote: bool):
    with streaming.Pool(processes, broker=broker) as pool:
        list(pool.imap(func, items[:100], CHUNKSIZE))
        consumer = None
        if remote:
            env = dict(os.environ, PYTHONPATH=os.pathsep.join([HERE, os.path.join(ROOT, "sdk", "python")]),
                       STREAMING_RABBITMQ=broker)
            consumer = subprocess.Popen(
                [sys.executable, "-m", "streaming", "consumer", f"python_functions:{func.__name__}",
                 "--concurrency", str(processes)], cwd=HERE, env=env, stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL, start_new_session=True)
            time.sleep(3)  # connected before the clock (a consumer starts in about a second)
        try:
            return timed(pool.imap, func, items)
        finally:
            if consumer is not None:
                consumer.send_signal(signal.SIGTERM)
                consumer.wait(60)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--lines", type=int, default=200_000)
    parser.add_argument("--processes", type=int, default=2)
    parser.add_argument("--functions", default="sha256x100,fnv1a")
    parser.add_argument("--kill", action="store_true", help="also a row with the local consumer killed at 30 %%")
    parser.add_argument("--repeat", type=int, default=1,
                        help="alternate the local rows N times over kept pools; medians (see above)")
    args = parser.parse_args()
    for name in ("Producer", "Consumer"):
        variable = f"STREAMING_{name.upper()}"
        os.environ.setdefault(variable, os.path.join(ROOT, "src", name, "bin", "Release", "net10.0", f"{name}.dll"))
    items = lines(args.lines)
    directory = tempfile.mkdtemp(prefix="pool-vs-streaming-")
    port = free_port()
    subprocess.run(["bash", NODE, "start", directory, str(port)], check=True, stderr=subprocess.DEVNULL)
    broker = subprocess.run(["bash", NODE, "uri", directory, "admin"], check=True, capture_output=True,
                            text=True).stdout.strip()
    if args.repeat < 1:
        parser.error("--repeat must be at least 1")
    rows = []
    alternations = {}
    try:
        for function_name in args.functions.split(","):
            func = getattr(python_functions, function_name)
            baseline_seconds, baseline = run_multiprocessing(func, items, args.processes)
            if args.repeat > 1:
                mp_seconds, streaming_seconds, identical = alternate(
                    func, items, args.processes, broker, args.repeat, baseline)
                alternations[function_name] = [m / s for m, s in zip(mp_seconds, streaming_seconds)]
                baseline_seconds = median(mp_seconds)
                rows.append((function_name, "multiprocessing.Pool.imap", baseline_seconds, True))
                rows.append((function_name, "streaming.Pool.imap, local", median(streaming_seconds), identical))
                if not identical:
                    print(f"{function_name}: a streaming output differs from multiprocessing's", file=sys.stderr)
            else:
                rows.append((function_name, "multiprocessing.Pool.imap", baseline_seconds, True))
                seconds, results = run_streaming(func, items, args.processes, broker, remote=False)
                rows.append((function_name, "streaming.Pool.imap, local", seconds, results == baseline))
                if results != baseline:
                    print(f"{function_name} local: results differ from multiprocessing's", file=sys.stderr)
            seconds, results = run_streaming(func, items, args.processes, broker, remote=True)
            rows.append((function_name, "streaming.Pool.imap, local + 1 remote", seconds, results == baseline))
            if results != baseline:
                print(f"{function_name} local + 1 remote: results differ from multiprocessing's", file=sys.stderr)
            if args.kill:
                seconds, results = run_streaming_killed(func, items, args.processes, broker)
                rows.append((function_name, "streaming.Pool.imap, local, consumer kill -9 at 30 %", seconds, results == baseline))
    finally:
        subprocess.run(["bash", NODE, "stop", directory], stderr=subprocess.DEVNULL)
        shutil.rmtree(directory, ignore_errors=True)
    print(f"{args.lines:,} lines, {args.processes} local workers, chunksize {CHUNKSIZE}, {os.cpu_count()} cores, "
          f"load average {os.getloadavg()[0]:.1f}"
          + (f"; local rows: medians of {args.repeat} alternations" if args.repeat > 1 else ""))
    print("| function | system | seconds | lines/s | × multiprocessing | identical |")
    print("| --- | --- | ---: | ---: | ---: | --- |")
    base = {}
    for function_name, label, seconds, identical in rows:
        base.setdefault(function_name, seconds)
        print(f"| {function_name} | {label} | {seconds:.2f} | {args.lines / seconds:,.0f} | "
              f"{base[function_name] / seconds:.2f} | {'yes' if identical else 'NO'} |")
    for function_name, ratios in alternations.items():
        print(f"{function_name}: local ratio, median of {len(ratios)} neighbours {median(ratios):.2f} "
              f"(range {min(ratios):.2f}-{max(ratios):.2f})")
    local_ratio = {f: median(r) for f, r in alternations.items()}
    misses = [(f, s) for f, label, s, _ in rows
              if label == "streaming.Pool.imap, local" and local_ratio.get(f, base[f] / s) < 0.9]
    print("target streaming.Pool.imap (local) >= 0.9x multiprocessing.Pool.imap: " + ("MET" if not misses else "MISS"))
    return 0 if all(identical for *_, identical in rows) else 1


if __name__ == "__main__":
    sys.exit(main())
