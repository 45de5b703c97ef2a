"""No head-of-line blocking: small jobs finish in about the time they take alone while a big file streams.

Two measurements with the same consumers (bench.py starts them, sha256:100):
  watch    one `Producer watch`; the big file is renamed into its inbox, and STEADY_S after it is taken, the small
           files one by one, `interval_s` apart. Per small file: rename to summary written (its mtime), minus the quiet period.
  publish  one `Producer publish BIG --wait`; STEADY_S after it starts, the small files one after another, each its own
           `publish --wait`. Per small file: publish to written (summary.json's durationMs), and the process's wall time.
Only the small jobs that ended while the big one still streamed count ("beside"), and every small output must have its
input's line count.
"""
import json
import os
import shutil
import statistics
import subprocess
import time

# The small jobs start once the big one has streamed this long: in its steady state, the first 40 batches behind it
# (a job's lead limit, Producer:LeadMilliseconds, is measured on them; its whole window is out until then).
STEADY_S = 3.0


def cut_small_files(source: str, count: int, lines: int, folder: str) -> list[str]:
    """`count` files of the first `count * lines` lines of `source`, in `folder`; their paths."""
    os.makedirs(folder, exist_ok=True)
    paths = []
    with open(source, "rb") as f:
        for i in range(count):
            path = os.path.join(folder, f"small-{i:02d}.txt")
            with open(path, "wb") as out:
                for _ in range(lines):
                    out.write(f.readline())
            paths.append(path)
    return paths


def _percentiles(values: list[float]) -> dict:
    if not values:
        return {"p50_ms": None, "p95_ms": None, "max_ms": None}
    ordered = sorted(values)
    return {"p50_ms": round(statistics.median(ordered)), "p95_ms": round(ordered[int(0.95 * (len(ordered) - 1))]),
            "max_ms": round(ordered[-1])}


def _line_count(path: str) -> int:
    with open(path, "rb") as f:
        return sum(1 for _ in f)


def _wait_for(condition, timeout_s: float, what: str, proc: subprocess.Popen | None = None) -> None:
    deadline = time.monotonic() + timeout_s
    while not condition():
        if time.monotonic() > deadline:
            raise SystemExit(f"head-of-line: timed out after {timeout_s:.0f} s waiting for {what}")
        if proc is not None and proc.poll() is not None:
            raise SystemExit(f"head-of-line: the producer exited {proc.returncode} while waiting for {what}")
        time.sleep(0.01)


def through_watch(producer: list[str], uri: str, big: str, smalls: list[str], work: str, quiet_s: float,
                  interval_s: float) -> dict:
    data = os.path.join(work, "head-of-line-watch")
    stage, inbox, outbox = (os.path.join(data, name) for name in ("stage", "inbox", "outbox"))
    os.makedirs(stage)
    big_name = os.path.basename(big)
    shutil.copy(big, os.path.join(stage, big_name))
    for path in smalls:
        shutil.copy(path, stage)
    log_path = os.path.join(work, "watch-head-of-line.log")
    watcher = subprocess.Popen([*producer, "watch", "--data", data, "--rabbitmq", uri],
                               stdout=subprocess.DEVNULL, stderr=open(log_path, "wb"))
    try:
        _wait_for(lambda: b"Watching " in open(log_path, "rb").read(), 60, "the watch service to start", watcher)
        big_started = time.monotonic()
        os.rename(os.path.join(stage, big_name), os.path.join(inbox, big_name))
        # Taken: gone from the inbox; then streaming as it will until its end.
        _wait_for(lambda: not os.path.exists(os.path.join(inbox, big_name)), 60, "the big file to be taken", watcher)
        time.sleep(STEADY_S)
        renamed = {}
        for path in smalls:
            name = os.path.basename(path)
            renamed[name] = time.time()
            os.rename(os.path.join(stage, name), os.path.join(inbox, name))
            time.sleep(interval_s)
        summaries = {name: os.path.join(outbox, name + ".summary.json") for name in renamed}
        _wait_for(lambda: all(os.path.exists(s) for s in summaries.values()), 120, "the small files' results", watcher)
        big_summary = os.path.join(outbox, big_name + ".summary.json")
        _wait_for(lambda: os.path.exists(big_summary), 600, "the big file's results", watcher)
        big_s = time.monotonic() - big_started
    finally:
        watcher.terminate()
        watcher.wait(60)
    big_written = os.stat(big_summary).st_mtime
    beside = [name for name in renamed if os.stat(summaries[name]).st_mtime < big_written]
    latencies = [(os.stat(summaries[name]).st_mtime - renamed[name] - quiet_s) * 1000 for name in beside]
    complete = all(_line_count(os.path.join(outbox, name + ".out")) == _line_count(path)
                   for name, path in zip(renamed, smalls))
    return {"small_files": len(smalls), "beside": len(beside), "interval_ms": round(interval_s * 1000),
            "outputs_complete": complete, "big_s": round(big_s, 1), **_percentiles(latencies)}


def through_publish(producer: list[str], uri: str, big: str, smalls: list[str], work: str) -> dict:
    out = os.path.join(work, "head-of-line-publish")
    os.makedirs(out)
    big_started = time.monotonic()
    big_run = subprocess.Popen([*producer, "publish", big, "--wait", "--out", out, "--rabbitmq", uri],
                               stdout=subprocess.DEVNULL, stderr=open(os.path.join(work, "publish-big.log"), "wb"))
    durations, walls = [], []  # of the small runs that ended while the big one still ran
    try:
        time.sleep(STEADY_S)
        if big_run.poll() is not None:
            raise SystemExit(f"head-of-line: the big publish exited {big_run.returncode}; see {work}/publish-big.log")
        for path in smalls:
            started = time.perf_counter()
            subprocess.run([*producer, "publish", path, "--wait", "--out", out, "--rabbitmq", uri], check=True,
                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, timeout=120)
            wall = (time.perf_counter() - started) * 1000
            if big_run.poll() is None:
                walls.append(wall)
                with open(os.path.join(out, os.path.basename(path) + ".summary.json")) as f:
                    durations.append(json.load(f)["durationMs"])
        if big_run.wait(600) != 0:
            raise SystemExit(f"head-of-line: the big publish exited {big_run.returncode}; see {work}/publish-big.log")
        big_s = time.monotonic() - big_started
    finally:
        if big_run.poll() is None:
            big_run.kill()
    complete = all(_line_count(os.path.join(out, os.path.basename(p) + ".out")) == _line_count(p) for p in smalls)
    return {"small_runs": len(smalls), "beside": len(durations), "outputs_complete": complete, "big_s": round(big_s, 1),
            **_percentiles(durations),
            "process_wall_p50_ms": round(statistics.median(walls)) if walls else None,
            "process_wall_p95_ms": round(sorted(walls)[int(0.95 * (len(walls) - 1))]) if walls else None}
