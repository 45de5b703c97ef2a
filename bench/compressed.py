#!/usr/bin/env python3
"""Compressed inputs (issue 25): the same 1 GB log as a plain file, a .gz and a .zst through Streaming (2 consumers,
identity and sha256:1), against `zcat FILE.gz | python3 bench/pool_imap.py` over the same lines; then what a resume
costs on the .gz (the producer killed with SIGKILL halfway, run again: the resumed run decompresses the input again up
to its checkpoint).

    python3 bench/compressed.py            # 1 GB (about 10 minutes on a quiet 2-core machine)
    python3 bench/compressed.py --quick    # 100 MB
    python3 bench/compressed.py --build jit

The input is a seeded web-server log (timestamp, level, worker, method, path, status, bytes, duration: ~100-byte lines
that compress about as real logs do), compressed once with `gzip -6` and `zstd -3`, all cached in bench/work/inputs/. Every output is compared byte for byte with the plain file's. Prints one table and the target
(.gz input >= 0.8x the plain file's lines/s).
"""
import argparse
import json
import os
import random
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import bench  # noqa: E402

PROCESSORS = ("identity", "sha256:1")


def generate_log(lines: int, seed: int) -> str:
    """Seeded log lines (cached): what a .gz in an inbox usually holds."""
    os.makedirs(bench.INPUTS, exist_ok=True)
    path = os.path.join(bench.INPUTS, f"log-{lines}-{seed}.txt")
    if os.path.exists(path):
        return path
    bench.log(f"generating a log of {lines:,} lines")
    rng = random.Random(seed)
    levels = ["INFO"] * 20 + ["DEBUG"] * 8 + ["WARN"] * 2 + ["ERROR"]
    methods = ["GET"] * 8 + ["POST"] * 2 + ["PUT", "DELETE"]
    paths = ["/api/v1/items/", "/api/v1/users/", "/api/v2/orders/", "/static/img/", "/health", "/api/v1/search?q="]
    statuses = ["200"] * 30 + ["201", "204", "301", "304", "400", "401", "404", "404", "500", "503"]
    with open(path + ".tmp", "w") as f:
        start = 1_796_000_000.0
        for block in range(0, lines, 10_000):
            chunk = []
            for i in range(block, min(block + 10_000, lines)):
                t = start + i * 0.0037
                chunk.append(
                    f"{time.strftime('%Y-%m-%dT%H:%M:%S', time.gmtime(t))}.{int(t * 1000) % 1000:03d}Z "
                    f"{rng.choice(levels):<5} [worker-{rng.randint(1, 16)}] {rng.choice(methods)} "
                    f"{rng.choice(paths)}{rng.randint(1, 99999)} status={rng.choice(statuses)} "
                    f"bytes={rng.randint(0, 65536)} ms={rng.randint(1, 900)} req={rng.getrandbits(48):012x}\n")
            f.write("".join(chunk))
    os.replace(path + ".tmp", path)
    return path


def compressed(path: str, tool: list[str], suffix: str) -> str:
    target = path + suffix
    if not os.path.exists(target):
        if shutil.which(tool[0]) is None:
            raise SystemExit(f"{tool[0]} is not installed (apt-get install {tool[0]})")
        bench.log(f"compressing with {' '.join(tool)}")
        with open(path, "rb") as source, open(target + ".tmp", "wb") as out:
            subprocess.run(tool, stdin=source, stdout=out, check=True)
        os.replace(target + ".tmp", target)
    return target


def identical(a: str, b: str) -> bool:
    return subprocess.run(["cmp", "-s", a, b]).returncode == 0


def resume_cost(gz: str, lines: int, fresh_s: float, broker, work: str) -> dict:
    """SIGKILL halfway (by the checkpoint), then the same command again: its time against the share left at the
    fresh run's pace."""
    out_dir = os.path.join(work, "resume")
    os.makedirs(out_dir, exist_ok=True)
    fleet = bench.Fleet(broker, "identity", 2, None, work)
    try:
        command = [*bench.PRODUCER, "publish", gz, "--wait", "--out", out_dir, "--rabbitmq", broker.uri]
        first = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        checkpoint = os.path.join(out_dir, os.path.basename(gz) + ".checkpoint.json")
        deadline = time.monotonic() + 600
        next_line = 0
        while next_line < lines // 2:
            if time.monotonic() > deadline or first.poll() is not None:
                raise SystemExit("the first run ended or stalled before its checkpoint passed half the file")
            try:
                with open(checkpoint) as f:
                    next_line = json.load(f)["nextLine"]
            except (OSError, ValueError, KeyError):
                pass
            time.sleep(0.05)
        first.send_signal(signal.SIGKILL)
        first.wait(timeout=30)
        with open(checkpoint) as f:
            resumed_at = json.load(f)["nextLine"]
        started = time.perf_counter()
        log_path = os.path.join(work, "resumed-producer.log")
        with open(log_path, "wb") as log_file:
            second = subprocess.run(command, stdout=subprocess.DEVNULL, stderr=log_file, timeout=1800,
                                    env=dict(os.environ, Logging__LogLevel__Default="Information"))
        seconds = time.perf_counter() - started
        if second.returncode != 0:
            raise SystemExit(f"the resumed run exited {second.returncode}; see {log_path}")
        with open(log_path, errors="replace") as f:
            found = re.search(r"decompressed the input again up to its checkpoint \(([0-9,]+) bytes\) in ([0-9.]+) s", f.read())
    finally:
        fleet.stop()
    left = (lines - resumed_at + 1) / lines
    return {"resumed_at_line": resumed_at, "seconds": round(seconds, 2), "share_left": round(left, 3),
            "skip_bytes": int(found.group(1).replace(",", "")) if found else None,
            "skip_s": float(found.group(2)) if found else None,
            "expected_s_at_fresh_pace": round(fresh_s * left, 2), "cost_s": round(seconds - fresh_s * left, 2),
            "output": os.path.join(out_dir, os.path.basename(gz) + ".out")}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="1M lines (about 110 MB) instead of 10M (about 1.1 GB)")
    parser.add_argument("--build", choices=("native", "jit"), default="native")
    args = parser.parse_args()
    bench.build(args.build)
    plain = generate_log((1_000_000 if args.quick else 10_000_000), bench.SEED)
    with open(plain, "rb") as f:
        lines = sum(chunk.count(b"\n") for chunk in iter(lambda: f.read(1 << 24), b""))
    inputs = {"plain": plain, "gz": compressed(plain, ["gzip", "-6", "-c"], ".gz"),
              "zst": compressed(plain, ["zstd", "-3", "-q", "-c"], ".zst")}
    sizes = {k: os.path.getsize(v) / 1e6 for k, v in inputs.items()}
    work = tempfile.mkdtemp(prefix="streaming-bench-compressed-")
    rows = []
    with bench.Broker(work) as broker:
        for processor in PROCESSORS:
            reference = None
            for kind, path in inputs.items():
                out_dir = os.path.join(work, f"{processor}-{kind}".replace(":", ""))
                os.makedirs(out_dir, exist_ok=True)
                bench.log(f"{processor}: streaming on the {kind} input ({sizes[kind]:.0f} MB)")
                row = bench.Row(f"{processor}-{kind}", processor, lines, ("streaming",))
                m = bench.run_streaming(row, path, out_dir, broker, 2, work)
                reference = reference or m["output"]
                rows.append({"processor": processor, "system": "streaming", "input": kind, "input_mb": round(sizes[kind]),
                             "seconds": round(m["seconds"], 2), "lines_per_s": round(lines / m["seconds"]),
                             "producer_cpu_s": round(m["cpu_s"], 1), "producer_peak_rss_mb": round(m["peak_rss_mb"]),
                             "identical": identical(reference, m["output"])})
                if m["output"] != reference:
                    os.remove(m["output"])
            bench.log(f"{processor}: zcat | Pool.imap")
            out = os.path.join(work, "pool.out")
            m = bench.run_command(["sh", "-c", f'zcat "$0" | "$1" "$2" "$3" /dev/stdin "$4"', inputs["gz"], sys.executable,
                                   bench.POOL, processor, out], out)
            rows.append({"processor": processor, "system": "zcat | Pool.imap", "input": "gz", "input_mb": round(sizes["gz"]),
                         "seconds": round(m["seconds"], 2), "lines_per_s": round(lines / m["seconds"]),
                         "producer_cpu_s": None, "producer_peak_rss_mb": None, "identical": identical(reference, out)})
            os.remove(out)
            os.remove(reference)
        fresh_gz = next(r["seconds"] for r in rows if r["processor"] == "identity" and r["input"] == "gz")
        bench.log("identity: the .gz killed halfway and resumed")
        resume = resume_cost(inputs["gz"], lines, fresh_gz, broker, work)
        # The log's lines have no \r: identity's output is the plain file itself.
        resume["identical"] = identical(plain, resume.pop("output"))
    shutil.rmtree(work, ignore_errors=True)

    print(f"\n{lines:,} lines, {sizes['plain']:.0f} MB plain, {sizes['gz']:.0f} MB .gz, {sizes['zst']:.0f} MB .zst; "
          f"{os.cpu_count()} cores, build {args.build}\n")
    print("| processor | system | input | seconds | lines/s | x plain | producer CPU s | producer RSS MB | identical |")
    print("| --- | --- | --- | ---: | ---: | ---: | ---: | ---: | --- |")
    for r in rows:
        plain_rate = next(p["lines_per_s"] for p in rows if p["processor"] == r["processor"] and p["input"] == "plain")
        print(f"| {r['processor']} | {r['system']} | {r['input']} | {r['seconds']} | {r['lines_per_s']:,} | "
              f"{r['lines_per_s'] / plain_rate:.2f} | {r['producer_cpu_s'] if r['producer_cpu_s'] is not None else ''} | "
              f"{r['producer_peak_rss_mb'] if r['producer_peak_rss_mb'] is not None else ''} | {r['identical']} |")
    print(f"\nresume on the .gz: killed at line {resume['resumed_at_line']:,} ({1 - resume['share_left']:.0%} done); "
          f"the rest took {resume['seconds']} s against {resume['expected_s_at_fresh_pace']} s at the fresh run's pace: "
          f"{resume['cost_s']} s for decompressing to the checkpoint again and starting up; the producer's log: "
          f"{resume['skip_bytes'] or 0:,} bytes decompressed again in {resume['skip_s']} s; identical: {resume['identical']}")
    for processor in PROCESSORS:
        plain_rate = next(p["lines_per_s"] for p in rows if p["processor"] == processor and p["input"] == "plain")
        gz_rate = next(p["lines_per_s"] for p in rows if p["processor"] == processor and p["input"] == "gz" and p["system"] == "streaming")
        print(f"  {'MET ' if gz_rate >= 0.8 * plain_rate else 'MISS'} {processor}: .gz input >= 0.8x plain: {gz_rate / plain_rate:.2f}x")
    if not all(r["identical"] for r in rows) or not resume["identical"]:
        raise SystemExit("an output differs from the plain file's")


if __name__ == "__main__":
    main()
