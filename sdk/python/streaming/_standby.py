"""The pool's warm standby: the next ``imap``'s Producer, started ahead of time for the same command line.

``publish -`` connects, declares the pipeline's queues and its results queue and subscribes before it reads its first
line, so a standby that waits on its standard input has all of its start-up behind it: the next ``imap`` with the same
pipeline and chunksize hands it its lines at once. At most one per pool; one that is not used is stopped with SIGTERM
(``publish -`` then exits without a job and removes its results queue), and one that died by itself is discarded."""
import signal
import subprocess
import threading

from ._consumers import parent_death_signal
from ._proc import pid_running

__all__ = ["StartedProducer", "Standby", "start_producer"]

_STOP_GRACE_SECONDS = 30  # how long a stopped standby gets to close its connection and remove its queue
_SETTLE_SECONDS = 10  # how long taking the standby waits for one being started


class StartedProducer:
    """A ``publish -`` process and the file its standard error goes to."""

    def __init__(self, argv: list, env: dict, process: subprocess.Popen, log_path: str):
        self.argv = argv
        self.env = env
        self.process = process
        self.log_path = log_path


def start_producer(argv: list, env: dict, cwd: str, log_path: str) -> StartedProducer:
    """Starts ``argv`` in its own session, its input and output pipes to this process, SIGTERM if this thread ends."""
    with open(log_path, "ab") as log:
        process = subprocess.Popen(
            argv, env=env, cwd=cwd, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=log,
            start_new_session=True, preexec_fn=parent_death_signal())
    return StartedProducer(argv, env, process, log_path)


class Standby:
    """At most one Producer started ahead of time, for the command line it was started with.

    Standbys are started by a thread of their own that lives until ``close``: the parent-death signal follows the thread
    that starts a process, so a standby started by a caller's short-lived thread would get SIGTERM when that thread
    ends, whichever thread takes it."""

    def __init__(self):
        self._condition = threading.Condition()
        self._request = None  # a start callable for the starter thread
        self._starting = False
        self._waiting = None  # StartedProducer or None
        self._stopped = []  # standbys signalled and not yet seen exit
        self._closed = False  # no more standbys
        self._ending = False  # the starter thread ends (the jobs are over)
        self._starter = None

    def take(self, argv: list, env: dict):
        """The standby for ``argv`` and ``env`` if one is alive, else None; a standby for another command line or
        environment, or one that has exited (a crash, the broker gone for good), is stopped and forgotten."""
        with self._condition:
            self._settle()
            waiting, self._waiting = self._waiting, None
        if waiting is None:
            return None
        if waiting.argv == argv and waiting.env == env and _running(waiting.process):
            return waiting
        self._stop(waiting)
        return None

    def prepare(self, start) -> None:
        """Has the starter thread replace the standby by ``start()``'s (a StartedProducer)."""
        with self._condition:
            if self._closed:
                return
            self._request = start
            if self._starter is None:
                self._starter = threading.Thread(target=self._start_requested, name="streaming-standby", daemon=True)
                self._starter.start()
            self._condition.notify_all()

    def close(self, wait: bool, grace: float = _STOP_GRACE_SECONDS) -> None:
        """No more standbys: stops the one waiting (SIGTERM); with ``wait``, waits for every stopped one to exit
        (SIGKILL after ``grace``) and for the starter thread to end (the Producers it started for jobs get SIGTERM
        then: call it once the jobs are over)."""
        with self._condition:
            self._closed = True
            self._ending = self._ending or wait
            self._request = None
            self._condition.notify_all()
            self._settle()
            waiting, self._waiting = self._waiting, None
            starter = self._starter
        if waiting is not None:
            self._stop(waiting)
        if not wait:
            return
        with self._condition:
            stopped, self._stopped = self._stopped, []
        for producer in stopped:
            try:
                producer.process.wait(grace)
            except subprocess.TimeoutExpired:
                producer.process.kill()
                producer.process.wait()
        if starter is not None and starter is not threading.current_thread():
            starter.join(grace)

    @property
    def pid(self):
        """The waiting standby's process id, or None (for tests and diagnostics)."""
        with self._condition:
            self._settle()
            return None if self._waiting is None else self._waiting.process.pid

    @property
    def log_path(self):
        """The waiting standby's log (its standard error), or None."""
        with self._condition:
            self._settle()
            return None if self._waiting is None else self._waiting.log_path

    def _settle(self) -> None:
        """Waits (holding the condition) until no start is requested or under way; a start takes milliseconds."""
        self._condition.wait_for(lambda: self._request is None and not self._starting, _SETTLE_SECONDS)

    def _start_requested(self) -> None:
        while True:
            with self._condition:
                self._condition.wait_for(lambda: self._request is not None or self._ending)
                if self._request is None:
                    return
                start, self._request, self._starting = self._request, None, True
            started = None
            try:
                started = start()
            except Exception:  # noqa: BLE001 - the next imap starts its own Producer, and says why if it cannot
                pass
            finally:
                with self._condition:
                    self._starting = False
                    previous, self._waiting = self._waiting, started
                    if self._closed:
                        previous, self._waiting = started, None
                    self._condition.notify_all()
            if previous is not None:
                self._stop(previous)

    def _stop(self, producer: StartedProducer) -> None:
        process = producer.process
        if process.poll() is None:
            try:
                process.send_signal(signal.SIGTERM)
            except ProcessLookupError:
                pass
        for stream in (process.stdin, process.stdout):
            try:
                stream.close()
            except OSError:
                pass
        with self._condition:
            self._stopped = [p for p in self._stopped if p.process.poll() is None] + [producer]


def _running(process: subprocess.Popen) -> bool:
    """Whether ``process`` still runs. ``poll()`` alone can answer None for a process already dead (it does while
    another thread holds the Popen's wait lock), so a zombie counts as dead too."""
    return process.poll() is None and pid_running(process.pid)
