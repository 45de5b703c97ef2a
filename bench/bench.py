#!/usr/bin/env python3
"""Streaming side by side with the tools it replaces, on the same seeded files, in one run.

    python3 bench/bench.py                   # every row (about 12 minutes on 2 cores)
    python3 bench/bench.py --quick           # a tenth of the lines, 100 MB instead of 1 GB (a smoke run)
    python3 bench/bench.py --rows identity,sha256x100 --consumers 3
    python3 bench/bench.py --build jit       # `dotnet Producer.dll` (the `dotnet run` form) instead of Native AOT
    python3 bench/bench.py --rows python     # the py-* rows alone (Python code: Pool.imap, Celery, Streaming exec:)
    python3 bench/bench.py --rows identity,sha256x100 --systems streaming,cluster   # one node vs a 3-node cluster
    python3 bench/bench.py --rows identity,identity-1GB --repeat 3   # systems alternated 3 times, medians kept
    python3 bench/bench.py --rows files-1k,files-10k                     # many small files through `watch`
    python3 bench/bench.py --rows identity-300MB,identity-1GB,identity-3GB --systems streaming,streaming-jit  # memory
    bench/compose-bench.sh                   # identity, sha256x100 and files-1k on the host and through compose

Each row runs, where it applies:
  streaming  `Producer publish FILE --wait` with N consumers already connected (defaults unless the row says otherwise);
             files-* rows: `Producer watch` with its defaults, every file renamed into its inbox at once
  streaming-jit  the same in the `dotnet Producer.dll` form, beside the Native AOT form in the same run (memory rows)
  cluster    the same through a 3-node RabbitMQ cluster on this machine: every process gets the list of nodes
  pool       bench/pool_imap.py: multiprocessing.Pool(2).imap(f, lines(), chunksize=1000)
  parallel   GNU `parallel --pipe -k` with the processor's shell equivalent (identity: cat; files-* rows: `cat` of each
             file to its own output, whatever the row's processor); installed with apt when missing
  limit      bench/InProcessLimit: the same processor code over the same file on every core, no broker
  ceiling    identity rows: bench/BrokerLimit, the broker's own round trip for Streaming's shape on the same node (1 MiB
             batches, persistent and confirmed, 32 in flight, to a quorum queue; N consumer processes republish each
             body, confirmed, to a second quorum queue, then ack, prefetch 4 as Streaming's default; the producer
             writes each body back at its offset: no ordering, dedup or checkpoints); "of ceiling" is Streaming's share
  ceiling-zstd, ceiling-lz4  identity and identity-1GB: the same probe with every body compressed on the wire (zstd
             level 1, LZ4 fast): the producer compresses, a consumer decompresses and compresses again, the producer
             decompresses. Whether fewer bytes through the broker pay for the codec on these cores ("x ceiling")
  compose    identity, sha256x100, files-1k: the same through the Docker Compose stack bench/compose-bench.sh starts
             (`Producer publish` by `docker exec` in the producer container, the consumers scaled to N with the
             row's processor; files-1k: the producer container's watch service)
  celery     py-* rows: Celery 5.2 (Debian's python3-celery, installed with apt when missing) on the same broker, a
             worker with 2 processes, tasks over chunks of 1,000 lines, results gathered in order (celery_run.py)
head-of-line  bench/head_of_line.py, Streaming alone: 20 files of 200 lines (sha256:100) beside one of 5M lines, through
             `watch` (dropped 0.5 s apart) and as `publish --wait` runs beside a big `publish`; p50/p95 per small job
The py-* rows run one Python function of bench/python_functions.py in every system: Streaming through
`exec:/usr/bin/python3 bench/python_worker.py FUNCTION` (sdk/python/streaming_worker.py), pool through py:FUNCTION.
Every output is checked byte for byte against Streaming's. It prints a table and the targets of the performance
issue, writes bench/results/<UTC stamp>.json and .svg, and copies them to bench/results/latest.{json,svg} (a --quick
or partial run writes under bench/work/results instead).
"""
import argparse
import contextlib
import dataclasses
import datetime
import filecmp
import itertools
import json
import os
import platform
import random
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time

import head_of_line
from chart import write_chart

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BIN = "bin/Release/net10.0"
NATIVE = os.path.join(ROOT, "bench/work/native")
# The commands that start each program, for the build chosen with --build (set by build()).
PRODUCER: list[str] = []
CONSUMER: list[str] = []
LIMIT: list[str] = []
CEILING: list[str] = []
# The `dotnet X.dll` form, for the streaming-jit system (set by build() whatever --build says).
JIT_PRODUCER: list[str] = []
JIT_CONSUMER: list[str] = []
BUILD = "native"
NODE = os.path.join(ROOT, "scripts/rabbitmq-node.sh")
POOL = os.path.join(ROOT, "bench/pool_imap.py")
# The py-* rows run every system's Python under Debian's interpreter: python3-celery is installed for it.
PYTHON = "/usr/bin/python3" if os.path.exists("/usr/bin/python3") else sys.executable
PY_WORKER = os.path.join(ROOT, "bench/python_worker.py")
CELERY = os.path.join(ROOT, "bench/celery_run.py")
INPUTS = os.path.join(ROOT, "bench/work/inputs")
RESULTS = os.path.join(ROOT, "bench/results")
SEED = 20261125
LINE_BYTES = 104  # the generator's mean line length, terminator included
WATCH_QUIET_S = 2.0  # Watch:QuietPeriodMilliseconds' default: the files-* rows' latencies are given beyond it


@dataclasses.dataclass(frozen=True)
class Row:
    name: str
    processor: str
    lines: int
    systems: tuple[str, ...]
    concurrency: int | None = None  # per consumer; None = the consumer's default (core count)
    ideal_lines_per_s: float | None = None
    optional: bool = False  # runs only when --rows names it
    python: str | None = None  # py-* rows: the bench/python_functions.py function every system runs
    files: int = 0  # files-* rows: this many files of `lines` lines each, through `watch`


def py_row(name: str, function: str, lines: int, systems: tuple[str, ...]) -> Row:
    # One worker per consumer: 2 consumers run 2 Python processes, as many as Pool(2) and the Celery worker.
    return Row(name, f"exec:{PYTHON} {PY_WORKER} {function}", lines, systems, concurrency=1, python=function)


ALL = ("streaming", "cluster", "pool", "parallel", "limit", "celery", "ceiling")
# The probe with compressed bodies (bench/BrokerLimit --codec), on the two identity rows the ceiling targets name.
CODEC_CEILINGS = ("ceiling-zstd", "ceiling-lz4")
# Celery runs Python functions only (the py-* rows): the file rows get every other system.
FILE_SYSTEMS = tuple(s for s in ALL if s != "celery")
# compose runs only when asked for (bench/compose-bench.sh starts the stack it needs and asks for it).
SYSTEMS = ALL + ("streaming-jit",) + CODEC_CEILINGS
ROWS = [
    Row("identity", "identity", 1_000_000, FILE_SYSTEMS + ("streaming-jit", "compose") + CODEC_CEILINGS),
    Row("sha256", "sha256:1", 1_000_000, ("streaming", "pool", "limit")),
    Row("sha256x100", "sha256:100", 200_000, ("streaming", "cluster", "pool", "limit", "compose")),
    # 2 consumers x 100 lines in work, 10 ms each: at most 20,000 lines/s.
    Row("delay10", "delay:10", 400_000, ("streaming",), concurrency=100, ideal_lines_per_s=20_000),
    Row("identity-10MB", "identity", 10_000_000 // LINE_BYTES, FILE_SYSTEMS + ("streaming-jit",)),
    # The `dotnet Producer.dll` form beside the native one: its steady state on a file where start-up does not count.
    Row("identity-1GB", "identity", 1_000_000_000 // LINE_BYTES, FILE_SYSTEMS + ("streaming-jit",) + CODEC_CEILINGS),
    # Memory a container limit can count on: 300 MB against 3 GB, both forms (3 GB of input and of output each).
    Row("identity-300MB", "identity", 300_000_000 // LINE_BYTES, ("streaming", "streaming-jit"), optional=True),
    Row("identity-3GB", "identity", 3_000_000_000 // LINE_BYTES, ("streaming", "streaming-jit"), optional=True),
    # Many small files through `watch`: 1,000 x 200 lines and 10,000 x 20 lines, all renamed into the inbox at once.
    Row("files-1k", "sha256:1", 200, ("streaming", "pool", "parallel", "compose"), files=1_000),
    Row("files-10k", "sha256:1", 20, ("streaming", "pool"), files=10_000),
    # Python code on the fleet (exec:): the same function through Pool.imap, Celery and Streaming.
    py_row("py-identity", "identity", 1_000_000, ("streaming", "pool")),
    py_row("py-sha256x100", "sha256x100", 200_000, ("streaming", "pool", "celery")),
    py_row("py-fnv1a", "fnv1a", 200_000, ("streaming", "pool", "celery")),
]
PYTHON_ROWS = [r.name for r in ROWS if r.python]
FILES_RUN_ROWS = ["files-1k", "files-10k", "identity-300MB", "identity-1GB", "identity-3GB"]
LATENCY_RUNS = 50
# head-of-line: small files of HOL_SMALL_LINES lines beside one of HOL_BIG_LINES, through sha256:100 (issue 26).
HOL_BIG_LINES = 5_000_000
HOL_SMALL_FILES = 20
HOL_SMALL_LINES = 200
HOL_INTERVAL_S = 0.5
# Rows that are not a file through each system: the 10-line latency and head-of-line blocking.
EXTRA_ROWS = ["latency", "head-of-line"]


def log(message: str) -> None:
    print(f"[bench] {message}", file=sys.stderr, flush=True)


def generate(lines: int, seed: int) -> str:
    """Seeded ~104-byte lines of printable text (cached in bench/work/inputs)."""
    os.makedirs(INPUTS, exist_ok=True)
    path = os.path.join(INPUTS, f"lines-{lines}-{seed}.txt")
    if os.path.exists(path):
        return path
    log(f"generating {lines:,} lines")
    rng = random.Random(seed)
    alphabet = b"abcdefghijklmnopqrstuvwxyz ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
    table = bytes(alphabet[i % len(alphabet)] for i in range(256))
    with open(path + ".tmp", "wb") as f:
        for start in range(0, lines, 10_000):
            count = min(10_000, lines - start)
            lengths = [rng.randint(80, 110) for _ in range(count)]
            text = rng.randbytes(sum(lengths)).translate(table)
            chunk, offset = [], 0
            for i, length in enumerate(lengths):
                chunk.append(b"%08d " % (start + i) + text[offset:offset + length] + b"\n")
                offset += length
            f.write(b"".join(chunk))
    os.replace(path + ".tmp", path)
    return path


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclasses.dataclass
class Usage:
    code: int
    peak_rss_mb: float
    cpu_s: float


def wait_usage(proc: subprocess.Popen) -> Usage:
    """Waits for a child; peak RSS and CPU from wait4 (they include the child's own waited-for children)."""
    _, status, usage = os.wait4(proc.pid, 0)
    proc.returncode = os.waitstatus_to_exitcode(status)
    return Usage(proc.returncode, usage.ru_maxrss / 1024, usage.ru_utime + usage.ru_stime)


def stop_usage(proc: subprocess.Popen, grace_s: float = 30) -> Usage:
    """SIGTERM, SIGKILL after grace_s, then wait_usage's figures (none for a child already reaped)."""
    if proc.poll() is not None:
        return Usage(proc.returncode, 0, 0)
    proc.send_signal(signal.SIGTERM)
    deadline = time.monotonic() + grace_s
    while True:
        pid, status, usage = os.wait4(proc.pid, os.WNOHANG)
        if pid:
            proc.returncode = os.waitstatus_to_exitcode(status)
            return Usage(proc.returncode, usage.ru_maxrss / 1024, usage.ru_utime + usage.ru_stime)
        if time.monotonic() > deadline:
            proc.kill()
            deadline = float("inf")
        time.sleep(0.05)


def process_cpu_s(pid: int) -> float:
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def tree_cpu_s(pid: int) -> float:
    """A process's CPU plus its live children's (a consumer's exec: workers; the dead ones are in its own figure)."""
    total = process_cpu_s(pid)
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat") as f:
                    fields = f.read().rsplit(")", 1)[1].split()
                if int(fields[1]) == pid:
                    total += (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
            except (OSError, IndexError, ValueError):
                pass
    return total


class Broker:
    def __init__(self, work: str):
        self.dir = os.path.join(work, "rabbitmq")
        self.port = free_port()
        self.uri = ""

    def uri_for(self, _consumer: int) -> str:
        return self.uri

    def __enter__(self):
        subprocess.run([NODE, "start", self.dir, str(self.port)], check=True)
        # The node has no guest user (scripts/rabbitmq-node.sh): the benchmark connects as its administrator.
        self.uri = subprocess.run([NODE, "uri", self.dir, "admin"], check=True, capture_output=True, text=True).stdout.strip()
        with open(os.path.join(self.dir, "pid")) as f:
            self.pid = int(f.read().strip())
        return self

    def cpu_s(self) -> float:
        return process_cpu_s(self.pid)

    def wait_idle(self, busy_share: float = 0.03, window_s: float = 0.5, limit_s: float = 20.0) -> float:
        """Waits until the node uses less than busy_share of a core over window_s (at most limit_s); returns the wait.

        A quorum queue writes its log to segment files some time after the messages were confirmed and consumed, so
        without this wait one row's deferred broker work lands in the next row's time."""
        started = time.monotonic()
        while time.monotonic() - started < limit_s:
            before = self.cpu_s()
            time.sleep(window_s)
            if self.cpu_s() - before < busy_share * window_s:
                break
        return time.monotonic() - started

    def __exit__(self, *_):
        subprocess.run([NODE, "stop", self.dir], check=False)


class Cluster:
    """Three nodes on 127.0.0.1 (scripts/rabbitmq-node.sh, each its own port and folder, one Erlang cookie), joined
    to the first with join_cluster. Quorum queues get a replica on each node. The broker CPU is the three nodes'."""

    SIZE = 3

    def __init__(self, work: str):
        self.dirs = [os.path.join(work, f"cluster{i}") for i in range(self.SIZE)]
        self.ports = []
        while len(self.ports) < self.SIZE:
            # rabbitmq-node.sh puts the distribution port 20000 above the AMQP port: both must be free.
            port = free_port()
            if port <= 45535 and port not in self.ports and port_free(port + 20000):
                self.ports.append(port)
        self.uris: list[str] = []
        self.uri = ""

    def uri_for(self, consumer: int) -> str:
        """Every node, starting from a different one for each consumer, so that the consumers spread."""
        first = consumer % self.SIZE
        return ",".join(self.uris[first:] + self.uris[:first])

    def __enter__(self):
        # One folder of secrets for the three nodes: the Erlang cookie and the users' passwords (scripts/rabbitmq-node.sh).
        secrets = os.path.join(os.path.dirname(self.dirs[0]), "cluster-secrets")
        try:
            # The first makes the secrets; the others then start side by side.
            subprocess.run([NODE, "start", self.dirs[0], str(self.ports[0]), secrets], check=True)
            starts = [subprocess.Popen([NODE, "start", d, str(p), secrets]) for d, p in zip(self.dirs[1:], self.ports[1:])]
            if any(s.wait() != 0 for s in starts):
                raise SystemExit("a cluster node did not start")
            for folder in self.dirs[1:]:
                subprocess.run([NODE, "join", folder, self.dirs[0]], check=True, stdout=subprocess.DEVNULL)
            self.pids = []
            for folder in self.dirs:
                with open(os.path.join(folder, "pid")) as f:
                    self.pids.append(int(f.read().strip()))
        except BaseException:
            self.__exit__()
            raise
        # No guest user: the benchmark connects as the administrator the nodes share.
        self.uris = [subprocess.run([NODE, "uri", d, "admin"], check=True, capture_output=True, text=True).stdout.strip()
                     for d in self.dirs]
        self.uri = ",".join(self.uris)
        log(f"cluster of {self.SIZE} nodes on ports {', '.join(map(str, self.ports))}")
        return self

    def cpu_s(self) -> float:
        return sum(process_cpu_s(pid) for pid in self.pids)

    wait_idle = Broker.wait_idle

    def __exit__(self, *_):
        for folder in self.dirs:
            subprocess.run([NODE, "stop", folder], check=False)


def port_free(port: int) -> bool:
    with socket.socket() as s:
        try:
            s.bind(("127.0.0.1", port))
            return True
        except OSError:
            return False


class Fleet:
    """N consumers, started and connected before any clock starts."""

    def __init__(self, broker: Broker, processor: str, count: int, concurrency: int | None, work: str,
                 consumer: list[str] | None = None):
        self.procs, self.logs = [], []
        env = dict(os.environ, Logging__LogLevel__Default="Information")
        extra = ["--concurrency", str(concurrency)] if concurrency else []
        for i in range(count):
            log_path = os.path.join(work, f"consumer{i}.log")
            self.logs.append(log_path)
            self.procs.append(subprocess.Popen(
                [*(consumer or CONSUMER), "--processor", processor, "--rabbitmq", broker.uri_for(i), *extra],
                stdout=subprocess.DEVNULL, stderr=open(log_path, "wb"), env=env))
        deadline = time.monotonic() + 60
        while not all(self._consuming(p) for p in self.logs):
            if time.monotonic() > deadline or any(p.poll() is not None for p in self.procs):
                raise SystemExit(f"consumers did not start; see {work}/consumer*.log")
            time.sleep(0.1)

    @staticmethod
    def _consuming(log_path: str) -> bool:
        with open(log_path, "rb") as f:
            return b"Consuming streaming.lines" in f.read()

    def stop(self) -> list[Usage]:
        for p in self.procs:
            p.send_signal(signal.SIGTERM)
        return [wait_usage(p) for p in self.procs]


class ComposeStack:
    """The Docker Compose stack bench/compose-bench.sh started (its project, env file, compose files and the host folder
    mounted at /data, from BENCH_COMPOSE_*): the producer container's watch service, consumers scaled to the row's count
    with the row's processor (CONSUMER_PROCESSOR, so a new processor recreates them), the broker container."""

    ENV = ("BENCH_COMPOSE_PROJECT", "BENCH_COMPOSE_ENV_FILE", "BENCH_COMPOSE_FILES", "BENCH_COMPOSE_DATA", "BENCH_COMPOSE_UID")
    HEALTHY_TIMEOUT_S = 180

    def __init__(self):
        self.command = ["docker-compose", "--project-name", os.environ["BENCH_COMPOSE_PROJECT"],
                        "--env-file", os.environ["BENCH_COMPOSE_ENV_FILE"]]
        for file in os.environ["BENCH_COMPOSE_FILES"].split(":"):
            self.command += ["-f", file]
        self.data = os.environ["BENCH_COMPOSE_DATA"]
        self.uid = int(os.environ["BENCH_COMPOSE_UID"])
        self.processor = None

    def compose(self, *args: str, env: dict | None = None) -> str:
        return subprocess.run([*self.command, *args], check=True, capture_output=True, text=True,
                              env=dict(os.environ, **(env or {}))).stdout

    def containers(self, service: str) -> list[str]:
        return self.compose("ps", "-q", service).split()

    def pid(self, container: str) -> int:
        return int(subprocess.run(["docker", "inspect", "-f", "{{.State.Pid}}", container], check=True,
                                  capture_output=True, text=True).stdout)

    def consumers(self, processor: str, count: int) -> list[str]:
        """Consumers with this processor, as many as asked, every one healthy (connected and consuming)."""
        if processor != self.processor:
            log(f"compose: {count} consumers with {processor}")
            self.compose("up", "-d", "--scale", f"consumer={count}", "consumer", env={"CONSUMER_PROCESSOR": processor})
            self.processor = processor
        deadline = time.monotonic() + self.HEALTHY_TIMEOUT_S
        while True:
            ids = self.containers("consumer")
            states = [subprocess.run(["docker", "inspect", "-f", "{{.State.Status}}/{{.State.Health.Status}}", c],
                                     capture_output=True, text=True).stdout.strip() for c in ids]
            if len(ids) == count and all(s == "running/healthy" for s in states):
                return ids
            if time.monotonic() > deadline:
                raise SystemExit(f"compose: {count} healthy consumers not within {self.HEALTHY_TIMEOUT_S} s: {states}")
            time.sleep(1)

    def broker_cpu_s(self) -> float:
        return tree_cpu_s(self.pid(self.containers("rabbitmq")[0]))

    def wait_idle(self, busy_share: float = 0.03, window_s: float = 0.5, limit_s: float = 20.0) -> float:
        started = time.monotonic()
        while time.monotonic() - started < limit_s:
            before = self.broker_cpu_s()
            time.sleep(window_s)
            if self.broker_cpu_s() - before < busy_share * window_s:
                break
        return time.monotonic() - started

    def folder(self, *parts: str) -> str:
        """A fresh folder under the data folder, the containers' user its owner; its path on the host."""
        path = os.path.join(self.data, *parts)
        shutil.rmtree(path, ignore_errors=True)
        os.makedirs(path)
        os.chown(path, self.uid, self.uid)
        return path

    def in_container(self, path: str) -> str:
        return "/data/" + os.path.relpath(path, self.data)


def run_compose(row: Row, path: str, stack: ComposeStack, consumers: int) -> dict:
    """`Producer publish FILE --wait` by `docker exec` in the producer container, with N consumers of the row's processor
    already healthy; the time is the exec's wall time (the container's start-up is not in it, as a host process's is)."""
    fleet = stack.consumers(row.processor, consumers)
    inputs = stack.folder("bench-in")
    out_dir = stack.folder("bench-out", row.name)
    local = os.path.join(inputs, os.path.basename(path))
    shutil.copyfile(path, local)
    os.chmod(local, 0o644)
    waited = stack.wait_idle()
    if waited > 1:
        log(f"{row.name}: waited {waited:.1f} s for the broker container to finish earlier work")
    producer = stack.containers("producer")[0]
    consumers_started = [tree_cpu_s(stack.pid(c)) for c in fleet]
    broker_cpu = stack.broker_cpu_s()
    started = time.perf_counter()
    done = subprocess.run(["docker", "exec", producer, "/app/Producer", "publish", stack.in_container(local), "--wait",
                           "--out", stack.in_container(out_dir)], capture_output=True, text=True)
    seconds = time.perf_counter() - started
    broker_cpu = stack.broker_cpu_s() - broker_cpu
    consumers_cpu = sum(tree_cpu_s(stack.pid(c)) - c0 for c, c0 in zip(fleet, consumers_started))
    if done.returncode != 0:
        raise SystemExit(f"compose: the producer exited {done.returncode}: {done.stderr.strip()[-500:]}")
    os.remove(local)
    # The producer's own CPU and RSS are not measured (an exec'd process is no child of this one): 0 in the record.
    return {"seconds": seconds, "peak_rss_mb": 0.0, "cpu_s": 0.0, "consumers_cpu_s": consumers_cpu,
            "broker_cpu_s": broker_cpu, "output": os.path.join(out_dir, os.path.basename(path) + ".out")}


def run_compose_watch(row: Row, folder: str, stack: ComposeStack, consumers: int) -> dict:
    """files-* rows through the producer container's watch service: as run_watch, every file renamed into the inbox
    from a folder beside it; per file from its rename to its summary written, minus the quiet period."""
    fleet = stack.consumers(row.processor, consumers)
    stage = stack.folder("bench-stage")
    names = sorted(os.listdir(folder))
    for name in names:
        shutil.copyfile(os.path.join(folder, name), os.path.join(stage, name))
        os.chmod(os.path.join(stage, name), 0o644)
    inbox, done, outbox = (os.path.join(stack.data, d) for d in ("inbox", "done", "outbox"))
    if not os.path.isdir(inbox) or os.listdir(done) or os.listdir(outbox):
        raise SystemExit(f"compose: the watch service's data folder {stack.data} is not ready or not empty")
    stack.wait_idle()
    consumers_started = [tree_cpu_s(stack.pid(c)) for c in fleet]
    broker_cpu = stack.broker_cpu_s()
    renamed = {}
    for name in names:
        renamed[name] = time.time()
        os.rename(os.path.join(stage, name), os.path.join(inbox, name))
    deadline = time.monotonic() + 120 + len(names)
    while len(os.listdir(done)) < len(names):
        if time.monotonic() > deadline:
            raise SystemExit(f"compose: {len(os.listdir(done))} of {len(names)} files done; see `docker logs` of the producer")
        time.sleep(0.02)
    broker_cpu = stack.broker_cpu_s() - broker_cpu
    consumers_cpu = sum(tree_cpu_s(stack.pid(c)) - c0 for c, c0 in zip(fleet, consumers_started))
    written = {name: os.stat(os.path.join(outbox, name + ".summary.json")).st_mtime for name in names}
    latencies = sorted((written[name] - renamed[name] - WATCH_QUIET_S) * 1000 for name in names)
    span = max(written.values()) - min(renamed.values())
    return {
        "seconds": span, "peak_rss_mb": 0.0, "cpu_s": 0.0, "consumers_cpu_s": consumers_cpu, "broker_cpu_s": broker_cpu,
        "files_per_s": len(names) / max(span - WATCH_QUIET_S, 1e-3),
        "p50_ms": latencies[len(latencies) // 2], "p95_ms": latencies[int(0.95 * (len(latencies) - 1))],
        "max_ms": latencies[-1],
        "outputs": {name: os.path.join(outbox, name + ".out") for name in names},
        "cleanup": [done, outbox],
    }


def run_streaming(row: Row, path: str, out_dir: str, broker: Broker, consumers: int, work: str,
                  jit: bool = False) -> dict:
    producer_command, consumer_command = (JIT_PRODUCER, JIT_CONSUMER) if jit else (PRODUCER, CONSUMER)
    fleet = Fleet(broker, row.processor, consumers, row.concurrency, work, consumer_command)
    waited = broker.wait_idle()
    if waited > 1:
        log(f"{row.name}: waited {waited:.1f} s for the broker to finish earlier work")
    consumers_started = [tree_cpu_s(p.pid) for p in fleet.procs]
    broker_cpu = broker.cpu_s()
    started = time.perf_counter()
    producer = subprocess.Popen([*producer_command, "publish", path, "--wait", "--out", out_dir, "--rabbitmq", broker.uri],
                                stdout=subprocess.DEVNULL, stderr=open(os.path.join(work, "producer.log"), "wb"))
    usage = wait_usage(producer)
    seconds = time.perf_counter() - started
    broker_cpu = broker.cpu_s() - broker_cpu
    consumers_cpu = sum(tree_cpu_s(p.pid) - c for p, c in zip(fleet.procs, consumers_started))
    fleet_usage = fleet.stop()
    if usage.code != 0:
        raise SystemExit(f"producer exited {usage.code}; see {work}/producer.log")
    return {
        "seconds": seconds, "peak_rss_mb": usage.peak_rss_mb, "cpu_s": usage.cpu_s,
        "consumer_peak_rss_mb": max(u.peak_rss_mb for u in fleet_usage),
        # CPU while the producer ran; the consumers' start-up (before the clock) is reported apart.
        "consumers_cpu_s": consumers_cpu,
        "consumers_startup_cpu_s": sum(consumers_started),
        "broker_cpu_s": broker_cpu,
        "output": os.path.join(out_dir, os.path.basename(path) + ".out"),
    }


def run_ceiling(row: Row, path: str, out: str, broker: Broker, consumers: int, work: str, codec: str = "none") -> dict:
    """bench/BrokerLimit: its consumers started and ready before the clock, as Streaming's are; the clock runs while
    the probe's producer publishes the file and writes it back. CPU: the producer, plus the consumers while it ran."""
    run = f"{row.name}-{codec}-{os.getpid()}"
    codec_args = ["--codec", codec]
    logs = [os.path.join(work, f"ceiling-consumer{i}.log") for i in range(consumers)]
    procs = [subprocess.Popen([*CEILING, "consume", broker.uri_for(i), run, "4", *codec_args], stdout=open(log_path, "wb"), stderr=subprocess.STDOUT)
             for i, log_path in enumerate(logs)]
    try:
        deadline = time.monotonic() + 60
        while not all(b"ready" in open(log_path, "rb").read() for log_path in logs):
            if time.monotonic() > deadline or any(p.poll() is not None for p in procs):
                raise SystemExit(f"a BrokerLimit consumer did not start; see {work}/ceiling-consumer*.log")
            time.sleep(0.05)
        broker.wait_idle()
        consumers_started = [process_cpu_s(p.pid) for p in procs]
        broker_cpu = broker.cpu_s()
        measured = run_command([*CEILING, "produce", broker.uri, run, path, out, *codec_args], out)
        measured["broker_cpu_s"] = broker.cpu_s() - broker_cpu
        measured["consumers_cpu_s"] = sum(process_cpu_s(p.pid) - c for p, c in zip(procs, consumers_started))
    finally:
        usages = [stop_usage(p) for p in procs]
    measured["consumer_peak_rss_mb"] = max(u.peak_rss_mb for u in usages)
    return measured


def run_command(command: list[str], out: str, stdin: str | None = None) -> dict:
    started = time.perf_counter()
    proc = subprocess.Popen(command, stdin=open(stdin, "rb") if stdin else subprocess.DEVNULL,
                            stdout=open(out, "wb") if stdin else subprocess.DEVNULL)
    usage = wait_usage(proc)
    seconds = time.perf_counter() - started
    if usage.code != 0:
        raise SystemExit(f"{command[0]} exited {usage.code}")
    return {"seconds": seconds, "peak_rss_mb": usage.peak_rss_mb, "cpu_s": usage.cpu_s, "output": out}


def ensure_celery() -> None:
    """Debian's python3-celery and python3-pika, installed with apt when missing."""
    if subprocess.run([PYTHON, "-c", "import celery, pika"], capture_output=True).returncode == 0:
        return
    log("installing python3-celery and python3-pika with apt")
    env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
    subprocess.run(["apt-get", "update", "-q"], check=True, stdout=subprocess.DEVNULL, env=env)
    subprocess.run(["apt-get", "install", "-y", "-q", "--no-install-recommends", "python3-celery", "python3-pika"],
                   check=True, stdout=subprocess.DEVNULL, env=env)


def run_celery(row: Row, path: str, out: str, broker: Broker, work: str) -> dict:
    """A Celery worker (2 processes) started and ready before the clock; the clock runs while chunks are sent and
    their results gathered in order. CPU: the sender, plus the worker's whole life (its start-up included)."""
    queue = f"streaming-bench-{row.name}"
    worker_log = os.path.join(work, f"celery-{row.name}.log")
    worker = subprocess.Popen([PYTHON, CELERY, "serve", broker.uri, queue], stdout=subprocess.DEVNULL,
                              stderr=open(worker_log, "wb"))
    try:
        deadline = time.monotonic() + 90
        while b"streaming-bench: worker ready" not in open(worker_log, "rb").read():
            if time.monotonic() > deadline or worker.poll() is not None:
                raise SystemExit(f"the celery worker did not start; see {worker_log}")
            time.sleep(0.1)
        broker.wait_idle()
        measured = run_command([PYTHON, CELERY, "send", broker.uri, queue, row.python, path, out], out)
    finally:
        usage = stop_usage(worker)
    measured["cpu_s"] += usage.cpu_s
    measured["peak_rss_mb"] = max(measured["peak_rss_mb"], usage.peak_rss_mb)
    return measured


def settle(brokers: dict) -> float:
    """Before each measurement: the page cache's dirty pages written back (os.sync waits for them) and every broker idle,
    so that what one run left behind (its outputs' writeback, a 3-node cluster's deferred segment writes, gigabytes
    after a 1 GB row) does not land in the next one's time. Returns the wait."""
    started = time.monotonic()
    os.sync()
    for broker in brokers.values():
        broker.wait_idle()
    return time.monotonic() - started


def run_system(system: str, row: Row, path: str, out_dir: str, brokers: dict, consumers: int, work: str) -> dict:
    out = os.path.join(out_dir, f"{row.name}.{system}.out")
    waited = settle(brokers)
    if waited > 2:
        log(f"{row.name}: waited {waited:.1f} s for the disk and the brokers to finish earlier work")
    if system in ("streaming", "cluster", "streaming-jit"):
        # Each its own folder: the outputs are named after the input.
        folder = os.path.join(out_dir, system)
        os.makedirs(folder, exist_ok=True)
        broker = brokers["streaming" if system == "streaming-jit" else system]
        return run_streaming(row, path, folder, broker, consumers, work, jit=system == "streaming-jit")
    if system == "pool" and row.python:
        return run_command([PYTHON, POOL, f"py:{row.python}", path, out], out)
    if system == "pool":
        return run_command([sys.executable, POOL, row.processor, path, out], out)
    if system == "celery":
        return run_celery(row, path, out, brokers["streaming"], work)
    if system == "parallel":
        # --pipe hands blocks of whole lines to `cat` on every core, -k keeps them in input order.
        return run_command(["parallel", "--pipe", "-k", "--block", "1M", "-j", str(os.cpu_count()), "cat"], out, stdin=path)
    if system == "limit":
        return run_command([*LIMIT, row.processor, path, out], out)
    if system == "ceiling" or system in CODEC_CEILINGS:
        codec = system.removeprefix("ceiling-") if system in CODEC_CEILINGS else "none"
        return run_ceiling(row, path, out, brokers["streaming"], consumers, work, codec)
    if system == "compose":
        return run_compose(row, path, brokers["compose"], consumers)
    raise ValueError(system)


def run_row(row: Row, lines: int, brokers: dict, consumers: int, work: str, systems: set[str], repeat: int = 1) -> list[dict]:
    path = generate(lines, SEED)
    size_mb = os.path.getsize(path) / 1e6
    out_dir = os.path.join(work, row.name)
    os.makedirs(out_dir, exist_ok=True)
    chosen = [s for s in row.systems if (s in systems or s == "streaming") and not (s == "streaming-jit" and BUILD == "jit")]
    # --repeat N: the systems alternated N times (a slow minute of the machine falls on all of them), the median kept.
    runs: dict[str, list[dict]] = {system: [] for system in chosen}
    for round_number in range(repeat):
        for system in chosen:
            suffix = f" (round {round_number + 1} of {repeat})" if repeat > 1 else ""
            log(f"{row.name}: {system} on {lines:,} lines ({size_mb:.0f} MB){suffix}")
            m = run_system(system, row, path, out_dir, brokers, consumers, work)
            kept = f"{m['output']}.{round_number}"
            os.replace(m["output"], kept)
            runs[system].append(dict(m, output=kept))
    measured = {}
    for system, done in runs.items():
        ordered = sorted(done, key=lambda m: m["seconds"])
        median = ordered[len(ordered) // 2]
        measured[system] = dict(median, runs_s=[round(m["seconds"], 3) for m in done])
        for m in done:
            if m is not median:
                if not filecmp.cmp(median["output"], m["output"], shallow=False):
                    raise SystemExit(f"{row.name}: {system}'s outputs differ between rounds ({m['output']})")
                os.remove(m["output"])
    reference = measured["streaming"]["output"]
    records = []
    for system, m in measured.items():
        record = {
            "row": row.name, "processor": row.processor.replace(ROOT + os.sep, ""), "system": system, "lines": lines, "input_mb": round(size_mb, 1),
            "seconds": round(m["seconds"], 3),
            "lines_per_s": round(lines / m["seconds"]),
            "mb_per_s": round(size_mb / m["seconds"], 1),
            "peak_rss_mb": round(m["peak_rss_mb"], 1),
            "cpu_s": round(m["cpu_s"], 2),
            "identical": system == "streaming" or filecmp.cmp(reference, m["output"], shallow=False),
        }
        if len(m["runs_s"]) > 1:
            record["runs_s"] = m["runs_s"]
        for key in ("consumer_peak_rss_mb", "consumers_cpu_s", "consumers_startup_cpu_s", "broker_cpu_s"):
            if key in m:
                record[key] = round(m[key], 2)
        if row.concurrency:
            record["concurrency"] = row.concurrency
        if row.ideal_lines_per_s:
            record["ideal_lines_per_s"] = row.ideal_lines_per_s
        records.append(record)
    for m in measured.values():
        os.remove(m["output"])
    pool = next((r for r in records if r["system"] == "pool"), None)
    limit = next((r for r in records if r["system"] == "limit"), None)
    ceiling = next((r for r in records if r["system"] == "ceiling"), None)
    celery = next((r for r in records if r["system"] == "celery"), None)
    single = next((r for r in records if r["system"] == "streaming"), None)
    for r in records:
        if r["system"] == "cluster":
            r["ratio_to_single_node"] = round(r["lines_per_s"] / single["lines_per_s"], 2)
        if r["system"] == "streaming-jit":
            r["ratio_to_native"] = round(r["lines_per_s"] / single["lines_per_s"], 2)
        if r["system"] == "compose":
            r["ratio_to_host"] = round(r["lines_per_s"] / single["lines_per_s"], 2)
        if pool:
            r["ratio_to_pool"] = round(r["lines_per_s"] / pool["lines_per_s"], 2)
        if celery:
            r["ratio_to_celery"] = round(r["lines_per_s"] / celery["lines_per_s"], 2)
        if limit:
            r["share_of_limit"] = round(r["lines_per_s"] / limit["lines_per_s"], 2)
        if ceiling and r["system"] in ("streaming", "streaming-jit"):
            r["share_of_ceiling"] = round(r["lines_per_s"] / ceiling["lines_per_s"], 2)
        if ceiling and r["system"] in CODEC_CEILINGS:
            r["ratio_to_ceiling"] = round(r["lines_per_s"] / ceiling["lines_per_s"], 2)
    return records


def generate_files(count: int, lines: int) -> str:
    """A folder of `count` seeded files of `lines` lines each (the generator's lines, cut in order; cached)."""
    folder = os.path.join(INPUTS, f"files-{count}x{lines}-{SEED}")
    if os.path.isdir(folder):
        return folder
    source = generate(count * lines, SEED)
    log(f"cutting {count:,} files of {lines} lines")
    partial = folder + ".partial"
    shutil.rmtree(partial, ignore_errors=True)
    os.makedirs(partial)
    with open(source, "rb") as f:
        for i in range(count):
            with open(os.path.join(partial, f"part-{i:05d}.txt"), "wb") as out:
                out.writelines(itertools.islice(f, lines))
    os.replace(partial, folder)
    return folder


def run_watch(row: Row, folder: str, out_dir: str, broker: Broker, consumers: int, work: str) -> dict:
    """`Producer watch` with its defaults and N consumers, all started first; then every file is renamed into the
    inbox from a folder beside it, as fast as Python can. Per file: from its rename to its summary written (the
    summary's mtime), minus the quiet period. Done when every input is in done/; the watch service's peak RSS."""
    fleet = Fleet(broker, row.processor, consumers, row.concurrency, work)
    data = os.path.join(out_dir, "data")
    stage = os.path.join(data, "stage")
    shutil.copytree(folder, stage)
    watch_log = os.path.join(work, f"watch-{row.name}.log")
    watcher = subprocess.Popen([*PRODUCER, "watch", "--data", data, "--rabbitmq", broker.uri],
                               stdout=subprocess.DEVNULL, stderr=open(watch_log, "wb"))
    deadline = time.monotonic() + 60
    while b"Watching " not in open(watch_log, "rb").read():
        if time.monotonic() > deadline or watcher.poll() is not None:
            fleet.stop()
            stop_usage(watcher)
            raise SystemExit(f"the watch service did not start; see {watch_log}")
        time.sleep(0.05)
    broker.wait_idle()
    names = sorted(os.listdir(stage))
    inbox, done = os.path.join(data, "inbox"), os.path.join(data, "done")
    consumers_started = [tree_cpu_s(p.pid) for p in fleet.procs]
    broker_cpu, watch_cpu = broker.cpu_s(), process_cpu_s(watcher.pid)
    renamed = {}
    for name in names:
        renamed[name] = time.time()
        os.rename(os.path.join(stage, name), os.path.join(inbox, name))
    deadline = time.monotonic() + 120 + len(names)
    while len(os.listdir(done)) < len(names):
        if time.monotonic() > deadline or watcher.poll() is not None:
            fleet.stop()
            stop_usage(watcher)
            raise SystemExit(f"{len(os.listdir(done))} of {len(names)} files done; see {watch_log}")
        time.sleep(0.02)
    broker_cpu = broker.cpu_s() - broker_cpu
    watch_cpu = process_cpu_s(watcher.pid) - watch_cpu
    consumers_cpu = sum(tree_cpu_s(p.pid) - c for p, c in zip(fleet.procs, consumers_started))
    usage = stop_usage(watcher)
    fleet_usage = fleet.stop()
    outbox = os.path.join(data, "outbox")
    written = {name: os.stat(os.path.join(outbox, name + ".summary.json")).st_mtime for name in names}
    latencies = sorted((written[name] - renamed[name] - WATCH_QUIET_S) * 1000 for name in names)
    span = max(written.values()) - min(renamed.values())
    return {
        "seconds": span, "peak_rss_mb": usage.peak_rss_mb, "cpu_s": watch_cpu,
        "consumer_peak_rss_mb": max(u.peak_rss_mb for u in fleet_usage),
        "consumers_cpu_s": consumers_cpu, "broker_cpu_s": broker_cpu,
        # The quiet period is a fixed delay before the first file can be taken, not a cost per file.
        "files_per_s": len(names) / max(span - WATCH_QUIET_S, 1e-3),
        "p50_ms": latencies[len(latencies) // 2], "p95_ms": latencies[int(0.95 * (len(latencies) - 1))],
        "max_ms": latencies[-1],
        "outputs": {name: os.path.join(outbox, name + ".out") for name in names},
    }


def run_files_command(command: list[str], names: list[str], out_dir: str) -> dict:
    os.makedirs(out_dir, exist_ok=True)
    measured = run_command(command, os.devnull)
    measured["files_per_s"] = len(names) / measured["seconds"]
    measured["outputs"] = {name: os.path.join(out_dir, name + ".out") for name in names}
    return measured


def run_files_row(row: Row, count: int, brokers: dict, consumers: int, work: str, systems: set[str]) -> list[dict]:
    folder = generate_files(count, row.lines)
    names = sorted(os.listdir(folder))
    size_mb = sum(os.path.getsize(os.path.join(folder, n)) for n in names) / 1e6
    lines = count * row.lines
    out_dir = os.path.join(work, row.name)
    os.makedirs(out_dir, exist_ok=True)
    measured = {}
    for system in (s for s in row.systems if s in systems or s == "streaming"):
        log(f"{row.name}: {system} on {count:,} files of {row.lines} lines")
        settle(brokers)
        target = os.path.join(out_dir, system)
        if system == "streaming":
            measured[system] = run_watch(row, folder, target, brokers["streaming"], consumers, work)
        elif system == "pool":
            measured[system] = run_files_command([sys.executable, POOL, row.processor, folder, target], names, target)
        elif system == "parallel":
            # `cat` of each file to its own output: what the shell does with a folder of files, -k as in the other rows.
            listing = os.path.join(out_dir, "parallel-files.txt")
            with open(listing, "w") as f:
                f.writelines(os.path.join(folder, n) + "\n" for n in names)
            measured[system] = run_files_command(
                ["parallel", "-k", "-j", str(os.cpu_count()), "-a", listing, f"cat {{}} > {target}/{{/}}.out"], names, target)
        elif system == "compose":
            measured[system] = run_compose_watch(row, folder, brokers["compose"], consumers)
    reference = measured["streaming"]["outputs"]
    records = []
    for system, m in measured.items():
        # parallel runs `cat`: its outputs are the inputs; the others must match Streaming's byte for byte.
        expected = {n: os.path.join(folder, n) for n in names} if system == "parallel" else reference
        record = {
            "row": row.name, "processor": "cat" if system == "parallel" else row.processor, "system": system,
            "files": count, "lines": lines, "input_mb": round(size_mb, 1), "seconds": round(m["seconds"], 3),
            "files_per_s": round(m["files_per_s"], 1), "lines_per_s": round(lines / m["seconds"]),
            "mb_per_s": round(size_mb / m["seconds"], 1), "peak_rss_mb": round(m["peak_rss_mb"], 1),
            "cpu_s": round(m["cpu_s"], 2),
            "identical": all(filecmp.cmp(expected[n], m["outputs"][n], shallow=False) for n in names),
        }
        for key in ("consumer_peak_rss_mb", "consumers_cpu_s", "broker_cpu_s", "p50_ms", "p95_ms", "max_ms"):
            if key in m:
                record[key] = round(m[key], 2)
        records.append(record)
    pool = next((r for r in records if r["system"] == "pool"), None)
    for r in records:
        if pool:
            r["ratio_to_pool"] = round(r["files_per_s"] / pool["files_per_s"], 2)
    host = next((r for r in records if r["system"] == "streaming"), None)
    for r in records:
        if r["system"] == "compose" and host:
            r["ratio_to_host"] = round(r["files_per_s"] / host["files_per_s"], 2)
    shutil.rmtree(out_dir, ignore_errors=True)
    for m in measured.values():
        for cleaned in m.get("cleanup", []):
            for entry in os.listdir(cleaned):
                os.remove(os.path.join(cleaned, entry))
    return records


def ensure_parallel() -> None:
    """GNU parallel, installed with apt when missing (as the Celery rows install python3-celery)."""
    if shutil.which("parallel") is not None:
        return
    log("installing parallel with apt")
    env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
    subprocess.run(["apt-get", "update", "-q"], check=True, stdout=subprocess.DEVNULL, env=env)
    subprocess.run(["apt-get", "install", "-y", "-q", "--no-install-recommends", "parallel"],
                   check=True, stdout=subprocess.DEVNULL, env=env)


def run_latency(broker: Broker, runs: int, work: str) -> dict:
    """A 10-line file through a running fleet: publish to result on disk (summary.json's durationMs)."""
    log(f"latency: {runs} runs of a 10-line file")
    fleet = Fleet(broker, "identity", 2, None, work)
    folder = os.path.join(work, "latency")
    os.makedirs(folder, exist_ok=True)
    durations, walls = [], []
    try:
        for i in range(runs):
            path = os.path.join(folder, f"ten-{i}.txt")
            with open(path, "wb") as f:
                f.writelines(b"line %d of a small file\n" % n for n in range(10))
            started = time.perf_counter()
            subprocess.run([*PRODUCER, "publish", path, "--wait", "--rabbitmq", broker.uri],
                           check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            walls.append((time.perf_counter() - started) * 1000)
            with open(path + ".summary.json") as f:
                durations.append(json.load(f)["durationMs"])
    finally:
        fleet.stop()
    return {
        "row": "latency-10-lines", "runs": runs,
        "p50_ms": statistics.median(durations), "p95_ms": sorted(durations)[int(0.95 * (runs - 1))],
        "max_ms": max(durations), "process_wall_p50_ms": round(statistics.median(walls)),
    }


def run_head_of_line(broker: Broker, work: str, divide: int) -> dict:
    """Small jobs beside a big one, through watch and through publish --wait (bench/head_of_line.py)."""
    big = generate(max(HOL_BIG_LINES // divide, 1), SEED)
    smalls = head_of_line.cut_small_files(generate(HOL_SMALL_FILES * HOL_SMALL_LINES, SEED + 1), HOL_SMALL_FILES,
                                          HOL_SMALL_LINES, os.path.join(work, "head-of-line-small"))
    log(f"head-of-line: {HOL_SMALL_FILES} files of {HOL_SMALL_LINES} lines beside one of {HOL_BIG_LINES // divide:,}")
    fleet = Fleet(broker, "sha256:100", 2, None, work)
    try:
        settle({"streaming": broker})
        watch = head_of_line.through_watch(PRODUCER, broker.uri, big, smalls, work, WATCH_QUIET_S, HOL_INTERVAL_S)
        settle({"streaming": broker})
        publish = head_of_line.through_publish(PRODUCER, broker.uri, big, smalls, work)
    finally:
        fleet.stop()
    return {"big_lines": HOL_BIG_LINES // divide, "small_lines": HOL_SMALL_LINES, "processor": "sha256:100",
            "watch": watch, "publish": publish}


def print_table(records: list[dict], latency: dict | None, hol: dict | None) -> None:
    print(f"{'row':<15}{'system':<11}{'lines':>11}{'lines/s':>11}{'MB/s':>8}{'x Pool':>8}{'x Celery':>9}{'of limit':>9}"
          f"{'peak RSS':>10}{'cons RSS':>10}{'CPU s':>8}{'broker':>8}  same")
    for r in records:
        ratio = f"{r['ratio_to_pool']:.2f}" if "ratio_to_pool" in r else "-"
        celery = f"{r['ratio_to_celery']:.2f}" if "ratio_to_celery" in r else "-"
        share = f"{r['share_of_limit']:.0%}" if "share_of_limit" in r else "-"
        if "ideal_lines_per_s" in r:
            share = f"{r['lines_per_s'] / r['ideal_lines_per_s']:.0%}*"
        consumer = f"{r['consumer_peak_rss_mb']:.0f}M" if "consumer_peak_rss_mb" in r else "-"
        broker = f"{r['broker_cpu_s']:.1f}" if "broker_cpu_s" in r else "-"
        cpu = r["cpu_s"] + r.get("consumers_cpu_s", 0)
        # compose: the producer runs by `docker exec`, no child of this process: its RSS and CPU are not measured.
        peak = "-" if r["system"] == "compose" else f"{r['peak_rss_mb']:.0f}M"
        print(f"{r['row']:<15}{r['system']:<11}{r['lines']:>11,}{r['lines_per_s']:>11,}{r['mb_per_s']:>8}{ratio:>8}{celery:>9}{share:>9}"
              f"{peak:>10}{consumer:>10}{cpu:>8.1f}{broker:>8}  {'yes' if r['identical'] else 'NO'}")
    print("peak RSS: the producer for streaming (cons RSS: the larger consumer), else the process (with its children);"
          " CPU s: every process of the system while it ran, the broker apart (streaming: the producer, start-up"
          " included, plus the consumers while the producer ran); * share of the ideal rate")
    for r in records:
        if "files_per_s" in r:
            per_file = (f"; rename to summary p50 {r['p50_ms']:.0f} ms, p95 {r['p95_ms']:.0f} ms beyond the"
                        f" {WATCH_QUIET_S:.0f} s quiet period" if "p50_ms" in r else "")
            rss = "" if r["system"] == "compose" else f", peak RSS {r['peak_rss_mb']:.0f} MB"
            print(f"{r['row']} {r['system']}: {r['files']:,} files, {r['files_per_s']:,.1f} files/s{per_file}{rss}")
        if "share_of_ceiling" in r:
            print(f"{r['row']} {r['system']}: {r['share_of_ceiling']:.0%} of the broker's ceiling (bench/BrokerLimit)")
        if "ratio_to_ceiling" in r:
            print(f"{r['row']} {r['system']}: {r['ratio_to_ceiling']:.2f}x the uncompressed ceiling's lines/s, broker "
                  f"{r['broker_cpu_s']:.1f} CPU-s, clients {r['cpu_s'] + r['consumers_cpu_s']:.1f} CPU-s")
        if "ratio_to_native" in r:
            print(f"{r['row']}: the `dotnet Producer.dll` form does {r['ratio_to_native']:.2f}x the native form's lines/s")
        if "ratio_to_single_node" in r:
            print(f"{r['row']}: the 3-node cluster does {r['ratio_to_single_node']:.2f}x the single node's lines/s")
    if latency:
        print(f"latency, 10-line file through a running fleet ({latency['runs']} runs): p50 {latency['p50_ms']} ms,"
              f" p95 {latency['p95_ms']} ms, max {latency['max_ms']} ms (publish to written);"
              f" whole `publish --wait` process p50 {latency['process_wall_p50_ms']} ms")
    if hol:
        w, p = hol["watch"], hol["publish"]
        print(f"head-of-line, {hol['processor']}, beside a file of {hol['big_lines']:,} lines ({w['big_s']} s through watch,"
              f" {p['big_s']} s by publish): {w['beside']} of {w['small_files']} files of {hol['small_lines']} lines"
              f" dropped {w['interval_ms']} ms apart: p50 {w['p50_ms']} ms, p95 {w['p95_ms']} ms, max {w['max_ms']} ms beyond"
              f" the {WATCH_QUIET_S:.0f} s quiet period; {p['beside']} of {p['small_runs']} `publish --wait` runs: p50"
              f" {p['p50_ms']} ms, p95 {p['p95_ms']} ms, max {p['max_ms']} ms publish to written, the whole process p50"
              f" {p['process_wall_p50_ms']} ms, p95 {p['process_wall_p95_ms']} ms")


def targets(records: list[dict], latency: dict | None, hol: dict | None) -> list[tuple[str, bool | None, str]]:
    """The performance issue's targets, as (target, met or None when not measured, figure)."""
    def find(row, system):
        return next((r for r in records if r["row"] == row and r["system"] == system), None)

    checks = []
    for row in ("identity", "identity-1GB"):
        for form in ("streaming", "streaming-jit"):
            s = find(row, form)
            if s and "ratio_to_pool" in s:
                checks.append((f"{row} {form} >= 2x Pool.imap", s["ratio_to_pool"] >= 2, f"{s['ratio_to_pool']:.2f}x"))
    for row, share in (("identity", 0.9), ("identity-1GB", 1.0)):
        for form in ("streaming", "streaming-jit"):
            s = find(row, form)
            if s and "share_of_ceiling" in s:
                checks.append((f"{row} {form} >= {share:.0%} of the broker's ceiling", s["share_of_ceiling"] >= share,
                               f"{s['share_of_ceiling']:.0%}"))
    s = find("sha256x100", "streaming")
    if s and "ratio_to_pool" in s:
        checks.append(("sha256:100 >= 2x Pool.imap", s["ratio_to_pool"] >= 2, f"{s['ratio_to_pool']:.2f}x"))
    if s and "share_of_limit" in s:
        checks.append(("sha256:100 >= 70% of the in-process limit", s["share_of_limit"] >= 0.7, f"{s['share_of_limit']:.0%}"))
    s = find("delay10", "streaming")
    if s:
        share = s["lines_per_s"] / s["ideal_lines_per_s"]
        checks.append(("delay:10, 2 x 100: >= 90% of 20,000 lines/s", share >= 0.9, f"{s['lines_per_s']:,} lines/s ({share:.0%})"))
    for form in ("streaming", "streaming-jit"):
        measured = [r for r in records if r["system"] == form and "consumer_peak_rss_mb" in r]
        if measured:
            peak = max(max(r["peak_rss_mb"], r["consumer_peak_rss_mb"]) for r in measured)
            checks.append((f"{form}: producer and consumer peak RSS <= 100 MB (every row)", peak <= 100, f"largest {peak:.0f} MB"))
    def growth(form, small_row, large_row, limit, label):
        small, large = find(small_row, form), find(large_row, form)
        if small and large:
            for key, who in (("peak_rss_mb", "producer"), ("consumer_peak_rss_mb", "consumer")):
                grown = large[key] / small[key] - 1
                checks.append((f"{form} {who}: {label}", grown <= limit,
                               f"{small[key]:.0f} -> {large[key]:.0f} MB ({grown:+.0%})"))

    for form in ("streaming", "streaming-jit"):
        growth(form, "identity-10MB", "identity-1GB", 0.2, "1 GB file within 20% of a 10 MB file")
    s = find("files-1k", "streaming")
    if s:
        checks.append(("files-1k through watch >= 1,000 files/s", s["files_per_s"] >= 1000, f"{s['files_per_s']:,.1f} files/s"))
    s = find("files-10k", "streaming")
    if s:
        checks.append(("files-10k through watch >= 2,000 files/s", s["files_per_s"] >= 2000, f"{s['files_per_s']:,.1f} files/s"))
    for form in ("streaming", "streaming-jit"):
        sized = [r for r in (find(n, form) for n in ("identity-300MB", "identity-1GB", "identity-3GB")) if r]
        if sized:
            peak = max(max(r["peak_rss_mb"], r["consumer_peak_rss_mb"]) for r in sized)
            checks.append((f"{form}: producer and consumer peak RSS <= 100 MB (300 MB to 3 GB)", peak <= 100,
                           f"largest {peak:.0f} MB"))
        growth(form, "identity-300MB", "identity-3GB", 0.1, "3 GB file within 10% of a 300 MB file")
    s = find("identity-1GB", "streaming-jit")
    if s:
        checks.append(("identity-1GB: `dotnet Producer.dll` >= 80% of the native form's lines/s", s["ratio_to_native"] >= 0.8,
                       f"{s['lines_per_s']:,} vs {find('identity-1GB', 'streaming')['lines_per_s']:,} lines/s ({s['ratio_to_native']:.2f}x)"))
    if latency:
        checks.append(("10-line file: p50 publish-to-disk <= 100 ms", latency["p50_ms"] <= 100, f"{latency['p50_ms']} ms"))
    if hol:
        for way, label in (("watch", "small files through watch"), ("publish", "small `publish --wait` runs")):
            m = hol[way]
            # At least half of the small jobs must have ended while the big one streamed, each with all its lines.
            valid = m["outputs_complete"] and m["beside"] * 2 >= HOL_SMALL_FILES
            checks.append((f"head-of-line: {label} beside a big file, p95 <= 1 s", valid and m["p95_ms"] <= 1000,
                           f"p95 {m['p95_ms']} ms, {m['beside']} of {HOL_SMALL_FILES} beside it"
                           + ("" if m["outputs_complete"] else "; an output is incomplete")))
    s = find("py-identity", "streaming")
    if s:
        checks.append(("py-identity through exec: >= 300,000 lines/s", s["lines_per_s"] >= 300_000, f"{s['lines_per_s']:,} lines/s"))
    for row in ("py-sha256x100", "py-fnv1a"):
        s = find(row, "streaming")
        if s and "ratio_to_pool" in s:
            checks.append((f"{row}: exec: >= 0.9x Pool.imap", s["ratio_to_pool"] >= 0.9, f"{s['ratio_to_pool']:.2f}x"))
        if s and "ratio_to_celery" in s:
            checks.append((f"{row}: exec: >= 3x Celery", s["ratio_to_celery"] >= 3, f"{s['ratio_to_celery']:.2f}x"))
    return checks


def build(kind: str) -> None:
    """Builds the programs the run starts and points PRODUCER, CONSUMER and LIMIT at them."""
    log("building Release")
    subprocess.run(["dotnet", "build", os.path.join(ROOT, "Streaming.sln"), "-c", "Release", "-v", "quiet", "-nologo"],
                   check=True, stdout=subprocess.DEVNULL)
    global BUILD
    BUILD = kind
    JIT_PRODUCER[:] = ["dotnet", os.path.join(ROOT, "src/Producer", BIN, "Producer.dll")]
    JIT_CONSUMER[:] = ["dotnet", os.path.join(ROOT, "src/Consumer", BIN, "Consumer.dll")]
    if kind == "jit":
        PRODUCER[:] = JIT_PRODUCER
        CONSUMER[:] = JIT_CONSUMER
        LIMIT[:] = ["dotnet", os.path.join(ROOT, "bench/InProcessLimit", BIN, "InProcessLimit.dll")]
        CEILING[:] = ["dotnet", os.path.join(ROOT, "bench/BrokerLimit", BIN, "BrokerLimit.dll")]
        return
    log("publishing the Native AOT executables (about 2 minutes)")
    subprocess.run([os.path.join(ROOT, "scripts/publish-native.sh"), NATIVE], check=True, stdout=subprocess.DEVNULL)
    subprocess.run(["dotnet", "publish", os.path.join(ROOT, "bench/InProcessLimit/InProcessLimit.csproj"), "-c", "Release",
                    "-p:Native=true", "--artifacts-path", os.path.join(ROOT, "artifacts/native-build"),
                    "-o", os.path.join(NATIVE, "InProcessLimit"), "-v", "quiet", "-nologo"], check=True, stdout=subprocess.DEVNULL)
    subprocess.run(["dotnet", "publish", os.path.join(ROOT, "bench/BrokerLimit/BrokerLimit.csproj"), "-c", "Release",
                    "-p:Native=true", "--artifacts-path", os.path.join(ROOT, "artifacts/native-build"),
                    "-o", os.path.join(NATIVE, "BrokerLimit"), "-v", "quiet", "-nologo"], check=True, stdout=subprocess.DEVNULL)
    CEILING[:] = [os.path.join(NATIVE, "BrokerLimit/BrokerLimit")]
    PRODUCER[:] = [os.path.join(NATIVE, "Producer/Producer")]
    CONSUMER[:] = [os.path.join(NATIVE, "Consumer/Consumer")]
    LIMIT[:] = [os.path.join(NATIVE, "InProcessLimit/InProcessLimit")]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="a tenth of the lines and 100 MB instead of 1 GB")
    parser.add_argument("--divide", type=int, default=None, metavar="N",
                        help="every row's lines (files-* rows: files) divided by N (--quick is --divide 10)")
    parser.add_argument("--json", metavar="PATH", help="also write the results' JSON document to PATH")
    parser.add_argument("--consumers", type=int, default=2)
    parser.add_argument("--repeat", type=int, default=1, metavar="N",
                        help="each line-file row's systems alternated N times, the median run kept (its seconds and "
                             "the others' in runs_s); files-*, latency and head-of-line rows run once")
    parser.add_argument("--systems", default=",".join(SYSTEMS),
                        help="comma-separated subset of " + ", ".join(SYSTEMS) + " (streaming always runs: it is the reference)")
    parser.add_argument("--build", choices=("native", "jit"), default="native",
                        help="native: the Native AOT executables the Docker images ship (default); "
                             "jit: `dotnet X.dll` after `dotnet build`, the `dotnet run` form")
    parser.add_argument("--rows", default=",".join([r.name for r in ROWS if not r.optional] + EXTRA_ROWS),
                        help="comma-separated: " + ", ".join([r.name for r in ROWS] + EXTRA_ROWS) + "; python = every py-* row")
    args = parser.parse_args()
    if args.divide is not None and (args.divide < 1 or args.quick):
        parser.error("--divide takes a whole number from 1, and not with --quick")
    if args.repeat < 1:
        parser.error("--repeat takes a whole number from 1")
    divide = args.divide or (10 if args.quick else 1)
    # A reduced run is a smoke run: its results never replace the kept figures (as --quick).
    args.quick = divide != 1
    if "compose" in args.systems.split(",") and not all(os.environ.get(name) for name in ComposeStack.ENV):
        parser.error("the compose system needs the stack bench/compose-bench.sh starts (" + ", ".join(ComposeStack.ENV) + ")")
    wanted = [name for w in args.rows.split(",") for name in (PYTHON_ROWS if w == "python" else [w])]
    unknown = set(wanted) - {r.name for r in ROWS} - set(EXTRA_ROWS)
    if unknown:
        parser.error(f"unknown rows: {', '.join(sorted(unknown))}")
    needs_parallel = "parallel" in args.systems.split(",") and any(r.name in wanted and "parallel" in r.systems for r in ROWS)
    if needs_parallel:
        ensure_parallel()

    if "celery" in args.systems.split(",") and any(r.name in wanted and "celery" in r.systems for r in ROWS):
        ensure_celery()
    build(args.build)
    work = tempfile.mkdtemp(prefix="streaming-bench-")
    records, latency, hol = [], None, None
    systems = set(args.systems.split(","))
    with contextlib.ExitStack() as stack:
        broker = stack.enter_context(Broker(work))
        brokers = {"streaming": broker}
        if "compose" in systems:
            brokers["compose"] = ComposeStack()
        if "cluster" in systems and any(r.name in wanted and "cluster" in r.systems for r in ROWS):
            brokers["cluster"] = stack.enter_context(Cluster(work))
        for row in ROWS:
            if row.name in wanted and row.files:
                records += run_files_row(row, max(row.files // divide, 1), brokers, args.consumers, work, systems)
            elif row.name in wanted:
                lines = max(row.lines // divide, 1)
                records += run_row(row, lines, brokers, args.consumers, work, systems, args.repeat)
        if "latency" in wanted:
            latency = run_latency(broker, 10 if args.quick else LATENCY_RUNS, work)
        if "head-of-line" in wanted:
            hol = run_head_of_line(broker, work, divide)
    shutil.rmtree(work, ignore_errors=True)

    print_table(records, latency, hol)
    checks = targets(records, latency, hol)
    for name, met, figure in checks:
        print(f"  {'MET ' if met else 'MISS'} {name}: {figure}")
    machine = {"cores": os.cpu_count(), "platform": platform.platform(), "python": platform.python_version(),
               "consumers": args.consumers, "quick": args.quick, "build": args.build, "memory_gb": round(os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30)}
    stamp = datetime.datetime.now(datetime.timezone.utc).strftime("%Y%m%dT%H%M%SZ")
    document = {"machine": machine, "results": records, "latency": latency, "head_of_line": hol,
                "targets": [{"target": n, "met": m, "figure": f} for n, m, f in checks]}
    # Smoke runs and partial runs must not replace the figures the README shows.
    full = not args.quick and set(wanted) >= {r.name for r in ROWS if not r.optional} | set(EXTRA_ROWS) and set(args.systems.split(",")) >= set(ALL)
    # The py-* rows on their own (--rows python) are kept too, beside the full runs (not as latest).
    python_run = not args.quick and set(wanted) == set(PYTHON_ROWS) and set(args.systems.split(",")) >= {"streaming", "pool", "celery"}
    # So is one node against the 3-node cluster (--rows identity,sha256x100 --systems streaming,cluster,...).
    cluster_run = not args.quick and set(wanted) == {"identity", "sha256x100"} and {"streaming", "cluster"} <= set(args.systems.split(","))
    # And the rows of many small files and of memory (--rows files-1k,files-10k,identity-300MB,identity-1GB,identity-3GB).
    files_run = not args.quick and set(wanted) >= set(FILES_RUN_ROWS) and {"streaming", "streaming-jit"} <= set(args.systems.split(","))
    folder = RESULTS if full or python_run or cluster_run or files_run else os.path.join(ROOT, "bench/work/results")
    os.makedirs(folder, exist_ok=True)
    if python_run:
        stamp += "-python"
    elif cluster_run:
        stamp += "-cluster"
    elif files_run and not full:
        stamp += "-files"
    for name in (stamp, "latest") if full else (stamp,):
        with open(os.path.join(folder, f"{name}.json"), "w") as f:
            json.dump(document, f, indent=2)
        write_chart(document, os.path.join(folder, f"{name}.svg"))
    log(f"results: {os.path.relpath(folder, ROOT)}/{stamp}.json and .svg" + (" (also latest.json, latest.svg)" if full else ""))
    if args.json:
        with open(args.json, "w") as f:
            json.dump(document, f, indent=2)
    if not all(r["identical"] for r in records):
        raise SystemExit("an output differs from Streaming's")


if __name__ == "__main__":
    main()
