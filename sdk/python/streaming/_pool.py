"""``streaming.Pool``: the ``multiprocessing.Pool`` calls a line-processing script makes, run through the fleet."""
import atexit
import itertools
import os
import shutil
import sys
import tempfile
import threading
import weakref

from ._consumers import LocalFleet, consumer_argv, consumer_env
from ._errors import StreamingError
from ._executables import command_of
from ._job import Job
from ._reference import pipeline_of, reference_of
from ._standby import Standby, start_producer

__all__ = ["Pool"]

_ON_ERROR = ("raise", "return")
_live_pools = weakref.WeakSet()


class Pool:
    """A pool whose tasks are lines, processed by a fleet of consumers through RabbitMQ.

    ``processes``: the local consumers' workers running ``func`` on this machine (default: the core count; 0: none,
    remote consumers only). ``broker``: the broker's AMQP URI, or a list (or comma-separated string) of the nodes of one
    cluster (default: ``$STREAMING_RABBITMQ``, else the Producer's own default). ``pipeline``: the name of the pipeline
    (default: ``func``'s module and qualified name)."""

    def __init__(self, processes=None, broker=None, pipeline=None):
        if processes is None:
            processes = os.cpu_count() or 1
        if isinstance(processes, bool) or not isinstance(processes, int) or processes < 0:
            raise ValueError(f"processes must be a whole number >= 0 (0: remote consumers only), not {processes!r}")
        if broker is None:
            broker = os.environ.get("STREAMING_RABBITMQ") or None
        if isinstance(broker, (list, tuple)):
            broker = ",".join(broker)
        if broker is not None and not isinstance(broker, str):
            raise TypeError("broker must be an AMQP URI, a comma-separated list of them, or a list of them")
        self._processes = processes
        self._broker = broker
        self._pipeline = pipeline
        self._producer = command_of("Producer")
        if processes:
            command_of("Consumer")  # a missing executable is an error now, not at the first imap
        self._cwd = os.getcwd()
        self._search_path = [entry or self._cwd for entry in sys.path]
        self._directory = tempfile.mkdtemp(prefix="streaming-pool-")
        self._lock = threading.Lock()
        self._fleets = {}  # pipeline -> (reference, LocalFleet or None)
        self._jobs = weakref.WeakSet()
        self._producer_count = itertools.count(1)  # numbers the Producers' logs (standbys are started in another thread)
        self._standby = Standby()  # the next imap's Producer, started ahead of time
        self._state = "running"
        _live_pools.add(self)

    # ---- multiprocessing.Pool's calls -------------------------------------------------------------------------------

    def imap(self, func, iterable, chunksize=1, on_error="raise", progress=None):
        """The results of ``func`` over the lines of ``iterable``, in order, as they come.

        ``chunksize``: lines per message (the Producer's ``--batch-lines``). ``on_error="raise"`` raises
        ``streaming.LineFailed`` at a failed line's position; ``"return"`` yields it in the line's place. ``progress``:
        an object with ``update(n)`` (a ``tqdm``) or a callable, given the number of new results as they come."""
        if isinstance(chunksize, bool) or not isinstance(chunksize, int) or chunksize < 1:
            raise ValueError(f"chunksize must be a whole number >= 1, not {chunksize!r}")
        if on_error not in _ON_ERROR:
            raise ValueError(f"on_error must be 'raise' or 'return', not {on_error!r}")
        job = self._start_job(func, iterable, chunksize, on_error, progress)
        return job.results()

    def imap_unordered(self, func, iterable, chunksize=1, on_error="raise", progress=None):
        """As ``imap``: the results come in input order, which is one of the orders ``imap_unordered`` may give."""
        return self.imap(func, iterable, chunksize, on_error, progress)

    def map(self, func, iterable, chunksize=None, on_error="raise", progress=None):
        """The results as a list (the iterable is still read lazily, as the window frees)."""
        return list(self.imap(func, iterable, chunksize or 1000, on_error, progress))

    def consumer_command(self, func) -> str:
        """The command that starts a remote consumer for ``func``'s pipeline (run it where ``func``'s module is)."""
        reference = reference_of(func)
        words = ["python3", "-m", "streaming", "consumer", _remote_reference(reference)]
        if self._pipeline:
            words += ["--pipeline", self._pipeline]
        return " ".join(words)

    def close(self) -> None:
        """No new jobs; the local consumers stay until ``join`` or ``terminate``."""
        with self._lock:
            if self._state == "running":
                self._state = "closed"
        self._standby.close(wait=False)

    def join(self) -> None:
        """After ``close``: waits for the running jobs' Producers, then stops the local consumers gracefully."""
        with self._lock:
            if self._state == "running":
                raise ValueError("Pool is still running: call close() or terminate() first")
            jobs = list(self._jobs)
        for job in jobs:
            job.wait()
        self._stop(grace=30)

    def terminate(self) -> None:
        """Cancels the running jobs (their loops raise ``StreamingError``) and stops the local consumers."""
        with self._lock:
            if self._state == "terminated":
                return
            self._state = "terminating"
            jobs = list(self._jobs)
        for job in jobs:
            job.abort("the pool was terminated")
        for job in jobs:
            job.wait()
        self._stop(grace=10)

    def __enter__(self):
        if self._state != "running":
            raise ValueError("Pool not running")
        return self

    def __exit__(self, *exc_info):
        self.terminate()

    def __repr__(self) -> str:
        return f"<streaming.Pool state={self._state} processes={self._processes} pipelines={sorted(self._fleets)}>"

    # ---- internals --------------------------------------------------------------------------------------------------

    def _start_job(self, func, iterable, chunksize, on_error, progress) -> Job:
        reference = reference_of(func)
        pipeline = self._pipeline or pipeline_of(reference)
        with self._lock:
            if self._state != "running":
                raise ValueError("Pool not running")
            fleet = self._fleet_for(pipeline, reference)
            if fleet is not None and fleet.failure:
                raise StreamingError(fleet.failure)
            argv = self._producer + ["publish", "-", "--wait", "--stdout-format", "tagged", "--pipeline", pipeline,
                                     "--batch-lines", str(chunksize)]
            env = self._env()
            producer = self._standby.take(argv, env) or self._start_producer(argv, env)
            job = Job(producer, iterable, on_error, progress)
            job.pipeline = pipeline
            job.producer_pid = producer.process.pid
            self._jobs.add(job)
            # The next imap with the same command line finds its Producer started and connected (its start-up, about a
            # second of CPU, overlaps this job instead of delaying the next one).
            self._standby.prepare(lambda: self._start_producer(argv, env))
        return job

    def _start_producer(self, argv: list, env: dict):
        log_path = os.path.join(self._directory, f"producer-{next(self._producer_count)}.log")
        return start_producer(argv, env, self._directory, log_path)

    def _fleet_for(self, pipeline: str, reference: str):
        known = self._fleets.get(pipeline)
        if known is not None:
            if known[0] != reference:
                raise ValueError(f"pipeline {pipeline!r} already runs {known[0]}, not {reference}: one pipeline runs "
                                 "one function (give each function its own pipeline)")
            return known[1]
        fleet = None
        if self._processes:
            fleet = LocalFleet(consumer_argv(reference, pipeline, self._processes),
                               consumer_env(self._broker, self._search_path), self._cwd, self._directory, 1,
                               lambda reason, name=pipeline: self._fleet_failed(name, reason))
        self._fleets[pipeline] = (reference, fleet)
        return fleet

    def _fleet_failed(self, pipeline: str, reason: str) -> None:
        for job in list(self._jobs):
            if job.pipeline == pipeline:
                job.abort(reason)

    def _env(self) -> dict:
        env = dict(os.environ)
        if self._broker:
            env["RabbitMq__Uri"] = self._broker
        return env

    def _stop(self, grace: float) -> None:
        with self._lock:
            fleets = [fleet for _, fleet in self._fleets.values() if fleet is not None]
            self._state = "terminated"
        self._standby.close(wait=True)
        for fleet in fleets:
            fleet.stop(grace)
        shutil.rmtree(self._directory, ignore_errors=True)


def _remote_reference(reference: str) -> str:
    """A main script is named by its file name: the remote machine has it under its own path."""
    where, _, qualname = reference.rpartition(":")
    return f"{os.path.basename(where)}:{qualname}" if where.endswith(".py") else reference


@atexit.register
def _terminate_live_pools() -> None:
    for pool in list(_live_pools):
        pool.terminate()
