#!/usr/bin/env python3
"""Standard input (issue 24): the same lines through `Producer publish - --wait` (read from a pipe, results on standard
output) and `Producer publish FILE --wait` (results in FILE.out), identity with 2 consumers, on one private node.

    python3 bench/stdin.py                  # 2M lines (about 210 MB), 2 rounds of each, Native AOT
    python3 bench/stdin.py --lines 1000000 --rounds 3 --build jit

`publish -` reads `cat FILE |` and writes to a file (`> out`), as a Unix filter would be used; its time is the
producer's wall time, start-up included, as for `publish FILE`. The two alternate (file, stdin, stdin, file, ...) so
that a busy neighbour costs both alike; the median of each is compared. Every output is compared byte for byte with
the file's. Prints one table and the target (publish - >= 0.9x publish FILE's lines/s).
"""
import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import bench  # noqa: E402

CONSUMERS = 2


def run_stdin(path: str, out: str, broker, work: str) -> dict:
    """`cat FILE | Producer publish - --wait > out` with the consumers already connected."""
    fleet = bench.Fleet(broker, "identity", CONSUMERS, None, work)
    broker.wait_idle()
    started = time.perf_counter()
    with open(out, "wb") as stdout, open(os.path.join(work, "producer.log"), "wb") as stderr:
        cat = subprocess.Popen(["cat", path], stdout=subprocess.PIPE)
        producer = subprocess.Popen([*bench.PRODUCER, "publish", "-", "--wait", "--rabbitmq", broker.uri],
                                    stdin=cat.stdout, stdout=stdout, stderr=stderr)
        cat.stdout.close()
        usage = bench.wait_usage(producer)
        cat.wait()
    seconds = time.perf_counter() - started
    fleet.stop()
    if usage.code != 0:
        raise SystemExit(f"publish - exited {usage.code}; see {work}/producer.log")
    return {"seconds": seconds, "peak_rss_mb": usage.peak_rss_mb, "cpu_s": usage.cpu_s, "output": out}


def identical(a: str, b: str) -> bool:
    return subprocess.run(["cmp", "-s", a, b]).returncode == 0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--lines", type=int, default=2_000_000)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--build", choices=("native", "jit"), default="native")
    args = parser.parse_args()
    bench.build(args.build)
    path = bench.generate(args.lines, bench.SEED)
    megabytes = os.path.getsize(path) / 1e6
    work = tempfile.mkdtemp(prefix="streaming-bench-stdin-")
    runs = {"publish FILE": [], "publish -": []}
    reference = None
    with bench.Broker(work) as broker:
        for round_ in range(args.rounds):
            order = ["publish FILE", "publish -"] if round_ % 2 == 0 else ["publish -", "publish FILE"]
            for system in order:
                bench.log(f"round {round_ + 1}: {system}")
                out_dir = os.path.join(work, f"{round_}-{'stdin' if system == 'publish -' else 'file'}")
                os.makedirs(out_dir)
                if system == "publish -":
                    m = run_stdin(path, os.path.join(out_dir, "stdout"), broker, work)
                else:
                    m = bench.run_streaming(bench.Row("identity", "identity", args.lines, ("streaming",)), path, out_dir,
                                            broker, CONSUMERS, work)
                reference = reference or m["output"]
                m["identical"] = identical(reference, m["output"])
                if m["output"] != reference:
                    os.remove(m["output"])
                runs[system].append(m)
    shutil.rmtree(work, ignore_errors=True)

    print(f"\n{args.lines:,} lines, {megabytes:.0f} MB, identity, {CONSUMERS} consumers; {os.cpu_count()} cores, "
          f"build {args.build}, {args.rounds} rounds (median)\n")
    print("| system | seconds (each round) | median s | lines/s | x publish FILE | producer RSS MB | identical |")
    print("| --- | --- | ---: | ---: | ---: | ---: | --- |")
    medians = {s: statistics.median(m["seconds"] for m in ms) for s, ms in runs.items()}
    for system, ms in runs.items():
        print(f"| {system} | {', '.join(format(m['seconds'], '.2f') for m in ms)} | {medians[system]:.2f} | "
              f"{args.lines / medians[system]:,.0f} | {medians['publish FILE'] / medians[system]:.2f} | "
              f"{max(m['peak_rss_mb'] for m in ms):.0f} | {all(m['identical'] for m in ms)} |")
    ratio = medians["publish FILE"] / medians["publish -"]
    print(f"\n  {'MET ' if ratio >= 0.9 else 'MISS'} publish - >= 0.9x publish FILE's lines/s: {ratio:.2f}x")
    if not all(m["identical"] for ms in runs.values() for m in ms):
        raise SystemExit("an output differs from publish FILE's")


if __name__ == "__main__":
    main()
