"""streaming.Pool end to end: a private RabbitMQ node (scripts/rabbitmq-node.sh), the real Producer and Consumer.

Runs when STREAMING_PRODUCER and STREAMING_CONSUMER name the executables (or .dll files); skipped otherwise (the plain
`python3 -m unittest discover -s sdk/python` of .ci/run). The integration suite's PythonPoolTests runs this module with
both set and fails when anything in it is skipped.

    STREAMING_PRODUCER=src/Producer/bin/Release/net10.0/Producer.dll \
    STREAMING_CONSUMER=src/Consumer/bin/Release/net10.0/Consumer.dll python3 -m unittest -v test_streaming_pool_broker
"""
import faulthandler
import hashlib
import os
import random
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
NODE = os.path.join(ROOT, "scripts", "rabbitmq-node.sh")
sys.path.insert(0, HERE)

import streaming  # noqa: E402
import test_streaming_pool_functions as functions  # noqa: E402
from streaming._proc import pid_running as process_alive  # noqa: E402

CONFIGURED = bool(os.environ.get("STREAMING_PRODUCER") and os.environ.get("STREAMING_CONSUMER"))
REASON = "STREAMING_PRODUCER and STREAMING_CONSUMER are not set (tests/…/Python/PythonPoolTests runs these)"
_node = None
_watchdog = None


def setUpModule():
    global _node
    if CONFIGURED:
        # The Producers log where their results come back (connected and subscribed): how a test sees a standby ready.
        os.environ["Logging__LogLevel__Streaming.Producer"] = "Information"
        _node = Node(tempfile.mkdtemp(prefix="streaming-pool-node-"))
        _node.start()
        # SIGTERM (a test runner's timeout) stops the node first; a watchdog stops it and removes its folder when this
        # process dies in any other way. The pools' children get SIGTERM when this process ends (parent-death signal).
        signal.signal(signal.SIGTERM, _stop_node_and_exit)
        faulthandler.register(signal.SIGUSR1, all_threads=True)  # kill -USR1: every thread's stack, for a hang
        global _watchdog
        _watchdog = subprocess.Popen(["bash", "-c", 'while kill -0 "$0" 2>/dev/null; do sleep 1; done; bash "$1" stop "$2"; rm -rf "$2"',
                          str(os.getpid()), NODE, _node.directory],
                         stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                         start_new_session=True)


def _stop_node_and_exit(*_):
    tearDownModule()
    os._exit(143)


def tearDownModule():
    if _node is not None:
        _node.stop()
        shutil.rmtree(_node.directory, ignore_errors=True)


def wait_until(condition, timeout: float, what: str):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(0.1)
    raise AssertionError(f"not within {timeout} s: {what}")


class Node:
    def __init__(self, directory: str):
        self.directory = directory
        self.port = self._free_port()
        self.uri = ""

    @staticmethod
    def _free_port() -> int:
        while True:
            with socket.socket() as s:
                s.bind(("127.0.0.1", 0))
                port = s.getsockname()[1]
            if port <= 45535:  # its distribution port is 20000 above (scripts/lib/ports.sh)
                return port

    def run(self, *args, timeout: float = 120) -> str:
        done = subprocess.run(["bash", NODE, *args], capture_output=True, text=True, timeout=timeout)
        if done.returncode != 0:
            # The script says why on its standard error (port in use, no start in time): a failure must quote it.
            raise AssertionError(f"rabbitmq-node.sh {' '.join(args)} exited {done.returncode}: "
                                 + " | ".join(done.stderr.strip().splitlines()[-5:]))
        return done.stdout

    def start(self) -> None:
        self.run("start", self.directory, str(self.port), timeout=180)
        self.uri = self.run("uri", self.directory, "admin").strip()

    def stop(self) -> None:
        self.run("stop", self.directory)

    def queues(self) -> dict:
        out = self.run("ctl", self.directory, "list_queues", "-q", "--no-table-headers", "name", "messages")
        counts = {}
        for row in out.splitlines():
            fields = row.split("\t")
            if len(fields) == 2 and fields[1].strip().isdigit():
                counts[fields[0].strip()] = int(fields[1])
        return counts


def connected_standby(pool) -> tuple:
    """The pool's standby Producer once it is connected and subscribed to its results queue: (pid, queue name)."""
    pid, log_path = pool._standby.pid, pool._standby.log_path
    assert pid is not None, "the pool has no standby"

    def subscribed():
        with open(log_path, encoding="utf-8", errors="replace") as log:
            found = re.search(r"come back to (streaming\.results\.\w+)", log.read())
        return found and found.group(1)
    return pid, wait_until(subscribed, 60, f"the standby {pid} subscribed to its results queue")


def expected(func, items):
    return [func(item) for item in items]


def random_lines(count: int, seed: int, as_bytes: bool):
    rng = random.Random(seed)
    if as_bytes:
        alphabet = [bytes([b]) for b in range(256) if b not in (10, 13)]
        return [b"".join(rng.choice(alphabet) for _ in range(rng.randrange(0, 40))) for _ in range(count)]
    alphabet = "abc xyz\t\r0123 éßü€😀\x00"
    lines = ["".join(rng.choice(alphabet) for _ in range(rng.randrange(0, 30))) for _ in range(count)]
    return [line[:-1] + "." if line.endswith("\r") else line for line in lines]


@unittest.skipUnless(CONFIGURED, REASON)
class PoolOnABrokerTests(unittest.TestCase):
    def pool(self, **options):
        pool = streaming.Pool(broker=_node.uri, **options)
        self.addCleanup(pool.terminate)
        return pool

    def assert_queues_empty(self, timeout: float = 30, but=()):
        """Nothing left in any queue, and no results queue (its Producer removed it) but those named in ``but``."""
        def empty():
            queues = _node.queues()
            return all(count == 0 for count in queues.values()) and not any(
                name.startswith("streaming.results.") and name not in but for name in queues) and queues
        wait_until(empty, timeout, f"every queue empty and no results queue: {_node.queues()}")

    def test_imap_is_byte_exact_for_str_and_bytes_lines(self):
        text = random_lines(3000, 1, as_bytes=False)
        data = random_lines(3000, 2, as_bytes=True)
        with self.pool(processes=2) as pool:
            self.assertEqual(list(pool.imap(functions.reverse, text, chunksize=100)), expected(functions.reverse, text))
            self.assertEqual(pool.map(functions.reverse, data, chunksize=250), expected(functions.reverse, data))
        self.assert_queues_empty()

    def test_a_failing_line_raises_at_its_position_with_the_workers_reason(self):
        items = [f"line {n}" for n in range(1, 501)]
        items[336] = "poison pill"
        got = []
        with self.pool(processes=2) as pool:
            with self.assertRaises(streaming.LineFailed) as caught:
                for result in pool.imap(functions.fail_poison, items, chunksize=50):
                    got.append(result)
        self.assertEqual(got, items[:336])
        self.assertEqual(caught.exception.line, 337)
        self.assertIn("cannot digest 'poison pill'", caught.exception.reason)
        self.assert_queues_empty()

    def test_on_error_return_yields_the_failure_in_place(self):
        items = [b"ok 1", b"poison 2", b"ok 3", b"poison 4"]
        with self.pool(processes=1) as pool:
            results = list(pool.imap(functions.fail_poison, items, on_error="return"))
        self.assertEqual([results[0], results[2]], [b"ok 1", b"ok 3"])
        self.assertEqual([(type(r), r.line) for r in (results[1], results[3])],
                         [(streaming.LineFailed, 2), (streaming.LineFailed, 4)])
        self.assertIn("cannot digest b'poison 4'", results[3].reason)

    def test_a_generator_that_waits_for_its_first_results_gets_them_before_its_chunk_fills(self):
        answered = threading.Event()

        def conversation():
            yield "first"
            yield "second"
            # Goes on only once the first result is in: the chunk of 1,000 must go out without the lines after these.
            if not answered.wait(60):
                raise AssertionError("no result within 60 s of two lines while the generator paused")
            yield "third"

        results = []
        with self.pool(processes=1) as pool:
            for result in pool.imap(functions.shout, conversation(), chunksize=1000):
                results.append(result)
                answered.set()
        self.assertEqual(results, ["FIRST", "SECOND", "THIRD"])

    def test_break_out_of_an_endless_generator_leaves_no_queue_and_no_process(self):
        def endless():
            number = 0
            while True:
                number += 1
                yield f"line {number}"

        pool = self.pool(processes=2)
        for count, result in enumerate(pool.imap(functions.paced, endless(), chunksize=20), 1):
            self.assertEqual(result, f"LINE {count}")
            if count == 300:
                break
        job = next(iter(pool._jobs), None)
        self.assertTrue(job is None or not job.running, "the Producer outlived the break")
        _, standby_queue = connected_standby(pool)  # the next imap's, waiting: not the job's
        self.assert_queues_empty(timeout=20, but=[standby_queue])  # within seconds, nothing of the job is left
        children = [process for _, fleet in pool._fleets.values() for process in fleet.processes]
        pool.terminate()
        self.assertTrue(all(process.poll() is not None for process in children), "a consumer outlived terminate")

    def test_a_local_consumer_killed_mid_imap_the_loop_goes_on_exact(self):
        items = [f"line {n}" for n in range(3000)]
        with self.pool(processes=2) as pool:
            results = []
            for result in pool.imap(functions.paced, items, chunksize=50):
                results.append(result)
                if len(results) == 300:
                    _, fleet = pool._fleets["test_streaming_pool_functions.paced"]
                    os.kill(fleet.processes[0].pid, signal.SIGKILL)
        self.assertEqual(results, expected(functions.paced, items))
        self.assert_queues_empty()

    def test_a_broker_restart_mid_imap_the_loop_goes_on_exact(self):
        items = [f"line {n}" for n in range(3000)]
        with self.pool(processes=2) as pool:
            results = []
            for result in pool.imap(functions.paced, items, chunksize=50):
                results.append(result)
                if len(results) == 300:
                    _node.stop()
                    _node.start()
        self.assertEqual(results, expected(functions.paced, items))
        self.assert_queues_empty()

    def test_a_remote_consumer_started_by_hand_joins_the_pipeline_and_gets_the_work(self):
        items = [f"remote {n}" for n in range(2000)]
        with self.pool(processes=0) as pool:
            command = pool.consumer_command(functions.tag_a)
            self.assertEqual(command, "python3 -m streaming consumer test_streaming_pool_functions:tag_a")
            env = dict(os.environ, PYTHONPATH=HERE, STREAMING_RABBITMQ=_node.uri)
            remote = subprocess.Popen([sys.executable, *command.split()[1:], "--concurrency", "2"], cwd=HERE, env=env,
                                      stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, start_new_session=True)
            try:
                self.assertEqual(list(pool.imap(functions.tag_a, items, chunksize=100)),
                                 expected(functions.tag_a, items))
            finally:
                remote.send_signal(signal.SIGTERM)
                code = remote.wait(60)
        self.assertEqual(code, 0, remote.stderr.read()[-2000:])

    def test_two_pipelines_on_one_broker_at_once_each_served_by_its_own_fleet(self):
        items = [f"line {n}" for n in range(3000)]
        with self.pool(processes=1) as first, self.pool(processes=1) as second:
            a = first.imap(functions.tag_a, items, chunksize=100)
            b = second.imap(functions.tag_b, items, chunksize=100)
            got_a, got_b = [], []
            for result_a, result_b in zip(a, b):  # both jobs in flight, read in turns
                got_a.append(result_a)
                got_b.append(result_b)
            self.assertEqual(list(a), [])
            self.assertEqual(list(b), [])
        self.assertEqual(got_a, expected(functions.tag_a, items))
        self.assertEqual(got_b, expected(functions.tag_b, items))
        self.assert_queues_empty()

    def test_the_second_imap_takes_the_connected_standby_and_is_exact(self):
        first = random_lines(2000, 3, as_bytes=False)
        second = random_lines(2000, 4, as_bytes=False)
        with self.pool(processes=2) as pool:
            self.assertEqual(list(pool.imap(functions.reverse, first, chunksize=100)), expected(functions.reverse, first))
            standby, _ = connected_standby(pool)
            results = pool.imap(functions.reverse, second, chunksize=100)  # holds its job
            self.assertEqual(next(iter(pool._jobs)).producer_pid, standby)
            self.assertEqual(list(results), expected(functions.reverse, second))
        self.assert_queues_empty()

    def test_close_join_or_terminate_with_a_standby_waiting_leave_no_producer_and_no_results_queue(self):
        items = [f"line {n}" for n in range(500)]
        for ending in ("close and join", "terminate"):
            with self.subTest(ending):
                pool = self.pool(processes=1)
                self.assertEqual(pool.map(functions.tag_a, items, chunksize=50), expected(functions.tag_a, items))
                standby, queue = connected_standby(pool)
                self.assertIn(queue, _node.queues())
                if ending == "terminate":
                    pool.terminate()
                else:
                    pool.close()
                    pool.join()
                self.assertFalse(process_alive(standby), f"the standby outlived {ending}")
                self.assert_queues_empty()

    def test_a_standby_killed_before_the_next_imap_is_replaced_and_the_imap_is_exact(self):
        items = [f"line {n}" for n in range(2000)]
        # A process killed with SIGKILL cannot remove its results queue: the broker does once it has been unused this long.
        os.environ["Producer__StdinResultsQueueExpirySeconds"] = "10"
        self.addCleanup(os.environ.pop, "Producer__StdinResultsQueueExpirySeconds")
        with self.pool(processes=2) as pool:
            self.assertEqual(list(pool.imap(functions.tag_b, items[:100], chunksize=50)), expected(functions.tag_b, items[:100]))
            killed, _ = connected_standby(pool)
            os.kill(killed, signal.SIGKILL)
            wait_until(lambda: not process_alive(killed), 30, "the standby died")
            results = pool.imap(functions.tag_b, items, chunksize=50)
            self.assertNotEqual(next(iter(pool._jobs)).producer_pid, killed)
            self.assertEqual(list(results), expected(functions.tag_b, items))
        self.assert_queues_empty(timeout=60)  # the killed standby's queue too, expired


@unittest.skipUnless(CONFIGURED, REASON)
class SeedSideBySideTests(unittest.TestCase):
    def test_the_seed_with_multiprocessing_and_with_streaming_writes_the_same_bytes(self):
        samples = os.path.join(ROOT, "samples", "python")
        with tempfile.TemporaryDirectory() as directory:
            data = os.path.join(directory, "data.txt")
            with open(data, "w", encoding="utf-8") as f:
                for n in range(5000):
                    f.write(f"record {n}: {hashlib.md5(str(n).encode()).hexdigest()} naïve café\n")
            outputs = {}
            for variant in ("multiprocessing", "streaming"):
                env = dict(os.environ, PYTHONPATH=HERE, STREAMING_RABBITMQ=_node.uri)
                result = subprocess.run([sys.executable, os.path.join(samples, f"seed_{variant}.py"), data],
                                        capture_output=True, env=env, cwd=directory, timeout=300)
                self.assertEqual(result.returncode, 0, result.stderr[-2000:])
                outputs[variant] = result.stdout
        self.assertEqual(len(outputs["streaming"].splitlines()), 5000)
        self.assertEqual(outputs["streaming"], outputs["multiprocessing"])

    def test_the_two_seeds_differ_only_in_the_import_and_the_constructor(self):
        samples = os.path.join(ROOT, "samples", "python")
        with open(os.path.join(samples, "seed_multiprocessing.py")) as f:
            left = f.read().splitlines()
        with open(os.path.join(samples, "seed_streaming.py")) as f:
            right = f.read().splitlines()
        differing = [(a, b) for a, b in zip(left, right) if a != b]
        self.assertEqual(len(left), len(right))
        self.assertEqual(differing, [("import multiprocessing", "import streaming"),
                                     ("    with multiprocessing.Pool() as pool:", "    with streaming.Pool() as pool:")])


if __name__ == "__main__":
    unittest.main()
