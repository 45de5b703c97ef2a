"""Consumers running a function: the command line that starts one, and the pool's own local fleet, kept running."""
import ctypes
import os
import shlex
import signal
import subprocess
import sys
import threading
import time

from ._executables import command_of

__all__ = ["consumer_argv", "consumer_env", "LocalFleet", "parent_death_signal"]

SDK_DIRECTORY = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
_STOP_GRACE_SECONDS = 30  # a Consumer drains and exits within 30 s of SIGTERM (its contract)
_RESTARTS_PER_MINUTE = 10


def consumer_argv(reference: str, pipeline: str, concurrency: int, python: str = None) -> list:
    """``Consumer --pipeline NAME --concurrency N --processor "exec:python3 -m streaming.worker REF"``."""
    worker = [python or sys.executable, "-m", "streaming.worker", reference]
    return command_of("Consumer") + ["--pipeline", pipeline, "--concurrency", str(concurrency),
                                     "--processor", "exec:" + " ".join(shlex.quote(word) for word in worker)]


def consumer_env(broker, search_path) -> dict:
    """The Consumer's environment: the broker (by variable, so no command line shows a password) and a PYTHONPATH with
    this SDK and ``search_path`` (the caller's ``sys.path``: the workers find modules where the caller did, as spawn's
    children do). The Consumer passes PYTHONPATH on to its workers and keeps the broker's settings from them."""
    env = dict(os.environ)
    if broker:
        env["RabbitMq__Uri"] = broker
    entries = [SDK_DIRECTORY] + [entry for entry in search_path if entry and entry != SDK_DIRECTORY]
    env["PYTHONPATH"] = os.pathsep.join(dict.fromkeys(entries))
    return env


def parent_death_signal():
    """A ``preexec_fn`` that has Linux send the child SIGTERM when the thread that started it ends (a pool killed
    with -9 leaves no consumer or producer behind); nothing elsewhere."""
    if not sys.platform.startswith("linux"):
        return None
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        prctl = libc.prctl
    except (OSError, AttributeError):
        return None
    pr_set_pdeathsig = 1

    def set_signal():
        prctl(pr_set_pdeathsig, signal.SIGTERM, 0, 0, 0)

    return set_signal


class LocalFleet:
    """``count`` Consumer processes for one pipeline, each running ``concurrency`` workers; one that dies is started
    again (a consumer killed mid-job: its batches go back to the queue and the job goes on), one that cannot start
    (exit 2) fails the pipeline's jobs with its reason."""

    def __init__(self, argv: list, env: dict, cwd: str, log_directory: str, count: int, on_failure):
        self._argv = argv
        self._env = env
        self._cwd = cwd
        self._logs = log_directory
        self._on_failure = on_failure
        self._lock = threading.Lock()
        self._stopping = threading.Event()
        self._restarts = []
        self.failure = None
        self.processes = [None] * count
        for slot in range(count):
            self._start(slot)
        self._watcher = threading.Thread(target=self._watch, name="streaming-consumers", daemon=True)
        self._watcher.start()

    def _start(self, slot: int) -> None:
        log_path = os.path.join(self._logs, f"consumer-{slot}.log")
        with open(log_path, "ab") as log:
            self.processes[slot] = subprocess.Popen(
                self._argv, env=self._env, cwd=self._cwd, stdin=subprocess.DEVNULL, stdout=log, stderr=log,
                start_new_session=True, preexec_fn=parent_death_signal())

    def _watch(self) -> None:
        while not self._stopping.wait(0.2):
            with self._lock:
                if self._stopping.is_set():
                    return
                for slot, process in enumerate(self.processes):
                    code = process.poll()
                    if code is None:
                        continue
                    if code == 2 or not self._may_restart():
                        self._fail(slot, code)
                        return
                    self._start(slot)

    def _may_restart(self) -> bool:
        now = time.monotonic()
        self._restarts = [at for at in self._restarts if now - at < 60] + [now]
        return len(self._restarts) <= _RESTARTS_PER_MINUTE

    def _fail(self, slot: int, code: int) -> None:
        reason = _last_line(os.path.join(self._logs, f"consumer-{slot}.log"))
        self.failure = f"a local consumer exited with code {code}" + (f": {reason}" if reason else "")
        self._on_failure(self.failure)

    def stop(self, grace: float = _STOP_GRACE_SECONDS) -> None:
        """SIGTERM to every consumer (they hand back what they hold and exit), SIGKILL after ``grace`` seconds."""
        with self._lock:
            self._stopping.set()
        for process in self.processes:
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)
        deadline = time.monotonic() + grace
        for process in self.processes:
            try:
                process.wait(max(0.0, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        if threading.current_thread() is not self._watcher:
            self._watcher.join()


def _last_line(path: str) -> str:
    """The last non-empty line of a log (its last 64 KiB), for an error message."""
    try:
        with open(path, "rb") as log:
            log.seek(0, os.SEEK_END)
            log.seek(max(0, log.tell() - 65536))
            lines = [line.strip() for line in log.read().decode("utf-8", "replace").splitlines()]
    except OSError:
        return ""
    lines = [line for line in lines if line]
    return lines[-1] if lines else ""
