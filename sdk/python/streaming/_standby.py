"""The pool's warm standby: the next ``imap``'s Producer, started ahead of time for the same command line.

``publish -`` connects, declares the pipeline's queues and its results queue and subscribes before it reads its first
line, so a standby that waits on its standard input has all of its start-up behind it: the next ``imap`` with the same
pipeline and chunksize hands it its lines at once. At most one per pool; one that is not used is stopped with SIGTERM
(``publish -`` then exits without a job and removes its results queue), and one that died by itself is discarded."""
import signal
import subprocess
import threading

from ._consumers import parent_death_signal

__all__ = ["StartedProducer", "Standby", "start_producer"]

_STOP_GRACE_SECONDS = 30  # how long a stopped standby gets to close its connection and remove its queue


class StartedProducer:
    """A ``publish -`` process and the file its standard error goes to."""

    def __init__(self, argv: list, process: subprocess.Popen, log_path: str):
        self.argv = argv
        self.process = process
        self.log_path = log_path


def start_producer(argv: list, env: dict, cwd: str, log_path: str) -> StartedProducer:
    """Starts ``argv`` in its own session, its input and output pipes to this process, SIGTERM if this thread ends."""
    with open(log_path, "ab") as log:
        process = subprocess.Popen(
            argv, env=env, cwd=cwd, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=log,
            start_new_session=True, preexec_fn=parent_death_signal())
    return StartedProducer(argv, process, log_path)


class Standby:
    """At most one Producer started ahead of time, for the command line it was started with."""

    def __init__(self):
        self._lock = threading.Lock()
        self._waiting = None  # StartedProducer or None
        self._stopped = []  # standbys signalled and not yet seen exit

    def take(self, argv: list):
        """The standby for ``argv`` if one is alive, else None; a standby for another command line, or one that has
        exited (a crash, the broker gone for good), is stopped and forgotten."""
        with self._lock:
            waiting, self._waiting = self._waiting, None
        if waiting is None:
            return None
        if waiting.argv == argv and waiting.process.poll() is None:
            return waiting
        self._stop(waiting)
        return None

    def prepare(self, start) -> None:
        """Replaces the standby by ``start()``'s (called in this thread: the parent-death signal follows the thread that
        starts a process, and the caller's thread is the one that lives as long as the pool is used)."""
        started = start()
        with self._lock:
            previous, self._waiting = self._waiting, started
        if previous is not None:
            self._stop(previous)

    def discard(self, wait: bool, grace: float = _STOP_GRACE_SECONDS) -> None:
        """Stops the standby (SIGTERM); with ``wait``, waits for every stopped one to exit (SIGKILL after ``grace``)."""
        with self._lock:
            waiting, self._waiting = self._waiting, None
        if waiting is not None:
            self._stop(waiting)
        if wait:
            with self._lock:
                stopped, self._stopped = self._stopped, []
            for producer in stopped:
                try:
                    producer.process.wait(grace)
                except subprocess.TimeoutExpired:
                    producer.process.kill()
                    producer.process.wait()

    @property
    def pid(self):
        """The waiting standby's process id, or None (for tests and diagnostics)."""
        waiting = self._waiting
        return None if waiting is None else waiting.process.pid

    @property
    def log_path(self):
        """The waiting standby's log (its standard error), or None."""
        waiting = self._waiting
        return None if waiting is None else waiting.log_path

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
        with self._lock:
            self._stopped = [p for p in self._stopped if p.process.poll() is None] + [producer]
