"""Tests of the streaming package's parts that need no broker: references and pipeline names, items as lines, the
worker, the command line, and the client's side of the Producer's tagged standard output (against a stand-in Producer
that answers as the tagged format says; the broker end to end is test_streaming_pool_broker.py).

    python3 -m unittest discover -s sdk/python -v
"""
import array
import os
import random
import signal
import subprocess
import sys
import tempfile
import textwrap
import threading
import time
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

import streaming  # noqa: E402
from streaming import _lines, _reference  # noqa: E402
from streaming._proc import pid_running as process_alive  # noqa: E402
from streaming.worker import processor_for  # noqa: E402

HELLO = b"\x00streaming-worker framed 1\n"


def exits_within_task(native_id: int, seconds: float) -> bool:
    """True once this process's thread ``native_id`` is gone from /proc."""
    deadline = time.monotonic() + seconds
    while os.path.exists(f"/proc/self/task/{native_id}"):
        if time.monotonic() > deadline:
            return False
        time.sleep(0.05)
    return True


def exits_within(pid: int, seconds: float) -> bool:
    deadline = time.monotonic() + seconds
    while process_alive(pid):
        if time.monotonic() > deadline:
            return False
        time.sleep(0.05)
    return True


def module_level_function(line):
    return line


class Holder:
    @staticmethod
    def method(line):
        return line


class ReferenceTests(unittest.TestCase):
    def test_a_module_function_is_its_module_and_qualified_name(self):
        self.assertEqual(_reference.reference_of(module_level_function), f"{__name__}:module_level_function")
        self.assertEqual(_reference.reference_of(Holder.method), f"{__name__}:Holder.method")

    def test_lambdas_and_local_functions_are_refused_with_the_spawn_rule(self):
        def local(line):
            return line

        for func in (lambda line: line, local):
            with self.assertRaises(ValueError) as caught:
                _reference.reference_of(func)
            self.assertIn("top level of a module", str(caught.exception))

    def test_a_function_that_its_name_does_not_lead_back_to_is_refused(self):
        def impostor(line):
            return line

        impostor.__qualname__ = "module_level_function"
        with self.assertRaises(ValueError):
            _reference.reference_of(impostor)

    def test_pipeline_names_fit_the_pipeline_alphabet(self):
        self.assertEqual(_reference.pipeline_of("mymod.sub:process_data"), "mymod.sub.process_data")
        self.assertEqual(_reference.pipeline_of("/home/me/seed.py:process_data"), "seed.process_data")
        odd = _reference.pipeline_of("/x/my script.py:Klasse.räume")
        self.assertRegex(odd, r"^my_script\.Klasse\.r_ume-[0-9a-f]{10}$")
        long = _reference.pipeline_of("a" * 80 + ":f")
        self.assertLessEqual(len(long), 64)
        self.assertRegex(long, r"^[A-Za-z0-9._-]+$")
        self.assertNotEqual(long, _reference.pipeline_of("a" * 81 + ":f"))

    def test_load_imports_a_script_without_running_its_main_block(self):
        with tempfile.TemporaryDirectory() as directory:
            script = os.path.join(directory, "seedscript.py")
            with open(script, "w") as f:
                f.write(textwrap.dedent("""
                    def shout(line):
                        return line.upper()
                    if __name__ == "__main__":
                        raise SystemExit("the main block ran")
                """))
            code = ("import sys; sys.path.insert(0, %r)\nfrom streaming._reference import load\n"
                    "print(load(%r)('abc'), sys.modules['__main__'].__name__)" % (HERE, script + ":shout"))
            result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
            self.assertEqual(result.returncode, 0, result.stderr)
            self.assertEqual(result.stdout.split(), ["ABC", "__mp_main__"])


class LineTests(unittest.TestCase):
    def test_items_become_tagged_lines(self):
        self.assertEqual(_lines.encode("café", _lines.STR, 1), b"scaf\xc3\xa9\n")
        self.assertEqual(_lines.encode(b"\x00\xff", _lines.BYTES, 1), b"b\x00\xff\n")
        self.assertEqual(_lines.encode(bytearray(b"x"), _lines.BYTES, 1), b"bx\n")

    def test_a_newline_or_a_trailing_carriage_return_is_a_clear_error_naming_the_item(self):
        for item, kind in (("a\nb", _lines.STR), (b"a\n", _lines.BYTES), ("a\r", _lines.STR)):
            with self.assertRaises(ValueError) as caught:
                _lines.encode(item, kind, 7)
            self.assertIn("item 7", str(caught.exception))
        self.assertEqual(_lines.encode("a\rb", _lines.STR, 1), b"sa\rb\n")

    def test_items_encoded_together_are_the_lines_each_gives_alone(self):
        rng = random.Random(24)
        alphabet = ["a", "é", "\r", " ", "\x00", "€", "\U0001f600"]
        for _ in range(200):
            strs = ["".join(rng.choice(alphabet) for _ in range(rng.randrange(0, 6))).rstrip("\r")
                    for _ in range(rng.randrange(1, 30))]
            for items, kind in ((strs, _lines.STR), ([item.encode() for item in strs], _lines.BYTES)):
                expected = b"".join(_lines.encode(item, kind, 1) for item in items)
                self.assertEqual(_lines.encode_all(items, kind, 1), (expected, len(items), None))
        self.assertEqual(_lines.encode_all([bytearray(b"x"), memoryview(b"y")], _lines.BYTES, 1), (b"bx\nby\n", 2, None))

    def test_items_encoded_together_stop_at_the_first_that_is_not_a_line_naming_it(self):
        for bad, kind, error in (("c\nd", _lines.STR, ValueError), ("c\r", _lines.STR, ValueError),
                                 ("\ud800", _lines.STR, ValueError), (b"c", _lines.STR, TypeError),
                                 (b"c\n", _lines.BYTES, ValueError), (b"c\r", _lines.BYTES, ValueError),
                                 ("c", _lines.BYTES, TypeError), (array.array("b", b"c"), _lines.BYTES, TypeError)):
            good = ["a", "b"] if kind is _lines.STR else [b"a", b"b"]
            data, count, caught = _lines.encode_all(good + [bad] + good, kind, 10)
            self.assertEqual((data, count), (b"".join(_lines.encode(item, kind, 1) for item in good), 2), repr(bad))
            self.assertIsInstance(caught, error, repr(bad))
            self.assertIn("item 12", str(caught))

    def test_mixed_item_types_are_refused(self):
        with self.assertRaises(TypeError):
            _lines.encode(b"x", _lines.STR, 2)
        with self.assertRaises(TypeError):
            _lines.encode("x", _lines.BYTES, 2)
        with self.assertRaises(TypeError):
            _lines.kind_of(5)


class WorkerTests(unittest.TestCase):
    def test_the_function_gets_the_item_type_and_answers_in_it(self):
        seen = []

        def func(item):
            seen.append(type(item))
            return item[::-1]

        process = processor_for(func)
        self.assertEqual(process(b"sabc\xc3\xa9"), "écba")
        self.assertEqual(process(b"b\xff\x00"), b"\x00\xff")
        self.assertEqual(seen, [str, bytes])

    def test_a_str_item_whose_result_is_not_utf8_fails_and_an_untagged_line_fails(self):
        process = processor_for(lambda item: b"\xff")
        with self.assertRaises(UnicodeDecodeError):
            process(b"sx")
        with self.assertRaises(ValueError):
            process(b"x")

    def test_the_worker_module_speaks_the_framed_protocol(self):
        env = dict(os.environ, PYTHONPATH=HERE)
        result = subprocess.run(
            [sys.executable, "-m", "streaming.worker", "test_streaming_pool_functions:shout"],
            input=b"sabc\nbxyz\nsboom\n", capture_output=True, env=env, cwd=HERE, timeout=60)
        self.assertEqual(result.returncode, 0, result.stderr)
        self.assertEqual(result.stdout, HELLO + b"+ABC\n+XYZ\n-no good: boom\n")

    def test_a_worker_that_cannot_load_its_function_exits_2_with_one_line(self):
        env = dict(os.environ, PYTHONPATH=HERE)
        result = subprocess.run([sys.executable, "-m", "streaming.worker", "no_such_module_here:f"],
                                capture_output=True, env=env, timeout=60)
        self.assertEqual(result.returncode, 2)
        self.assertEqual(len(result.stderr.splitlines()), 1, result.stderr)
        self.assertIn(b"no_such_module_here", result.stderr)


class CommandLineTests(unittest.TestCase):
    def run_cli(self, *args, env=None):
        environment = dict(os.environ, PYTHONPATH=HERE, **(env or {}))
        return subprocess.run([sys.executable, "-m", "streaming", *args], capture_output=True, text=True,
                              env=environment, cwd=HERE, timeout=60)

    def test_pipeline_prints_the_name_the_pool_gives(self):
        result = self.run_cli("pipeline", "test_streaming_pool_functions:shout")
        self.assertEqual(result.stdout.strip(), "test_streaming_pool_functions.shout")

    def test_mistakes_are_one_line_and_exit_2(self):
        for args in (["consumer"], ["consumer", "nocolon"], ["consumer", "m:f", "--concurrency", "0"],
                     ["consumer", "missing.py:f"], ["frobnicate"]):
            result = self.run_cli(*args)
            self.assertEqual(result.returncode, 2, args)
            self.assertEqual(len(result.stderr.strip().splitlines()), 1, (args, result.stderr))

    def test_a_consumer_without_an_executable_says_how_to_get_one(self):
        result = self.run_cli("consumer", "m:f", env={"STREAMING_CONSUMER": "/nonexistent/Consumer"})
        self.assertEqual(result.returncode, 2)
        self.assertIn("STREAMING_CONSUMER", result.stderr)
        self.assertEqual(len(result.stderr.strip().splitlines()), 1)


STAND_IN_PRODUCER = r'''#!/usr/bin/env python3
"""Answers as `Producer publish - --wait --stdout-format tagged` does: one `+`/`!` line per input line, in order;
a line holding "fail" fails; SIGTERM ends it at once with 130. Appends each line it reads to $STAND_IN_SEEN."""
import os, signal, sys
signal.signal(signal.SIGTERM, lambda *_: os._exit(130))
seen = open(os.environ["STAND_IN_SEEN"], "ab", buffering=0)
failed = False
for line in sys.stdin.buffer:
    seen.write(line)
    data = line[1:-1]
    if b"fail" in data:
        sys.stdout.buffer.write(b"!the worker said: " + data + b"\n")
        failed = True
    else:
        sys.stdout.buffer.write(b"+" + data.upper() + b"\n")
    sys.stdout.buffer.flush()
sys.exit(1 if failed else 0)
'''


class ClientProtocolTests(unittest.TestCase):
    """The pool's reading of the tagged format, its lazy feeding and its cancelling, with processes=0 and a stand-in."""

    def setUp(self):
        self.directory = tempfile.TemporaryDirectory()
        self.addCleanup(self.directory.cleanup)
        producer = os.path.join(self.directory.name, "Producer")
        with open(producer, "w") as f:
            f.write(STAND_IN_PRODUCER.replace("/usr/bin/env python3", sys.executable, 1))
        os.chmod(producer, 0o755)
        self.seen = os.path.join(self.directory.name, "seen")
        environ = {"STREAMING_PRODUCER": producer, "STAND_IN_SEEN": self.seen}
        self.saved = {name: os.environ.get(name) for name in environ}
        os.environ.update(environ)
        self.addCleanup(self.restore_environment)

    def restore_environment(self):
        for name, value in self.saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value

    def seen_lines(self):
        with open(self.seen, "rb") as f:
            return f.read().splitlines()

    def test_results_come_in_order_in_the_item_type(self):
        with streaming.Pool(processes=0) as pool:
            self.assertEqual(list(pool.imap(module_level_function, ["a", "é", ""])), ["A", "é", ""])  # bytes.upper: ASCII
            self.assertEqual(pool.map(module_level_function, [b"x\xff", b"y"]), [b"X\xff", b"Y"])

    def test_a_failed_line_raises_at_its_position_or_is_returned_in_place(self):
        with streaming.Pool(processes=0) as pool:
            results = []
            with self.assertRaises(streaming.LineFailed) as caught:
                for result in pool.imap(module_level_function, ["a", "b", "fail me", "d"]):
                    results.append(result)
            self.assertEqual(results, ["A", "B"])
            self.assertEqual((caught.exception.line, caught.exception.reason), (3, "the worker said: fail me"))
            returned = list(pool.imap(module_level_function, ["fail", "b"], on_error="return"))
            self.assertIsInstance(returned[0], streaming.LineFailed)
            self.assertEqual(returned[0].line, 1)
            self.assertEqual(returned[1], "B")

    def test_a_bad_item_or_an_iterable_error_raises_after_the_results_before_it(self):
        def items():
            yield "a"
            yield "b"
            raise KeyError("from the generator")

        with streaming.Pool(processes=0) as pool:
            results = []
            with self.assertRaises(KeyError):
                for result in pool.imap(module_level_function, items()):
                    results.append(result)
            self.assertEqual(results, ["A", "B"])
            results = []
            with self.assertRaises(ValueError) as caught:
                for result in pool.imap(module_level_function, ["a", "b\nc", "d"]):
                    results.append(result)
            self.assertEqual(results, ["A"])
            self.assertIn("item 2", str(caught.exception))
            # Past the first write to the Producer (64 KiB of lines): the results before it, then the error.
            results = []
            with self.assertRaises(ValueError) as caught:
                for result in pool.imap(module_level_function, ["é%d" % i for i in range(20_000)] + ["b\rc\r", "d"]):
                    results.append(result)
            self.assertEqual(results, ["é%d" % i for i in range(20_000)])
            self.assertIn("item 20001", str(caught.exception))

    def test_an_endless_generator_is_read_lazily_and_break_stops_the_producer(self):
        pulled = []

        def endless():
            number = 0
            while True:
                number += 1
                pulled.append(number)
                yield f"line {number}"

        with streaming.Pool(processes=0) as pool:
            for count, result in enumerate(pool.imap(module_level_function, endless(), chunksize=10), 1):
                if count == 1000:
                    break
            pulled_at_break = len(pulled)
            job = next(iter(pool._jobs), None)
            self.assertTrue(job is None or not job.running, "the producer is still running after break")
            time.sleep(0.5)
            # Only what the pipes hold was read ahead: a bounded window, not the whole generator.
            self.assertLess(len(pulled), 1000 + 200_000)
            self.assertLessEqual(len(pulled), pulled_at_break + 1)

    def test_a_slow_generator_gets_its_results_without_waiting_for_more_input(self):
        gate = threading.Event()

        def slow():
            yield "first"
            gate.wait(60)
            yield "second"

        with streaming.Pool(processes=0) as pool:
            results = pool.imap(module_level_function, slow())
            self.assertEqual(next(results), "FIRST")  # the first line was flushed while the generator waited
            gate.set()
            self.assertEqual(list(results), ["SECOND"])

    def test_progress_gets_the_count_of_results(self):
        class Bar:
            total = 0

            def update(self, n):
                self.total += n

        bar = Bar()
        counted = []
        with streaming.Pool(processes=0) as pool:
            list(pool.imap(module_level_function, map(str, range(5000)), chunksize=100, progress=bar))
            list(pool.imap(module_level_function, ["a", "b"], progress=counted.append))
        self.assertEqual(bar.total, 5000)
        self.assertEqual(sum(counted), 2)

    def test_a_closed_pool_refuses_jobs_and_arguments_are_checked(self):
        pool = streaming.Pool(processes=0)
        for bad in (dict(chunksize=0), dict(on_error="ignore")):
            with self.assertRaises(ValueError):
                pool.imap(module_level_function, ["a"], **bad)
        pool.close()
        with self.assertRaises(ValueError):
            pool.imap(module_level_function, ["a"])
        pool.join()
        with self.assertRaises(ValueError):
            streaming.Pool(processes=-1)

    def test_terminate_cancels_a_running_loop(self):
        pool = streaming.Pool(processes=0)
        results = pool.imap(module_level_function, iter(lambda: "x", None))
        next(results)
        pool.terminate()
        with self.assertRaises(streaming.StreamingError) as caught:
            for _ in results:
                pass
        self.assertIn("terminated", str(caught.exception))

    def test_the_next_imap_takes_the_standby_started_for_its_command_line(self):
        with streaming.Pool(processes=0) as pool:
            self.assertIsNone(pool._standby.pid)  # nothing before the first use: the command line is not known yet
            self.assertEqual(list(pool.imap(module_level_function, ["a"])), ["A"])
            standby = pool._standby.pid
            self.assertIsNotNone(standby)
            results = pool.imap(module_level_function, ["b"])  # holds its job
            self.assertEqual(next(iter(pool._jobs)).producer_pid, standby)
            self.assertEqual(list(results), ["B"])
            replaced = pool._standby.pid
            self.assertNotIn(replaced, (None, standby))
            # Another chunksize is another command line: that standby is stopped, the job starts its own.
            results = pool.imap(module_level_function, ["c"], chunksize=7)
            self.assertNotEqual(next(iter(pool._jobs)).producer_pid, replaced)
            self.assertEqual(list(results), ["C"])
            self.assertTrue(exits_within(replaced, 30), "the standby of another command line is still running")
            # Another environment (the caller changed os.environ, which the Producer reads) is another Producer too.
            other_environment = pool._standby.pid
            os.environ["STREAMING_STANDBY_TEST"] = "changed"
            self.addCleanup(os.environ.pop, "STREAMING_STANDBY_TEST")
            results = pool.imap(module_level_function, ["d"], chunksize=7)
            self.assertNotEqual(next(iter(pool._jobs)).producer_pid, other_environment)
            self.assertEqual(list(results), ["D"])
            last = pool._standby.pid
        self.assertFalse(process_alive(last), "the standby outlived the pool")  # terminate waited for it
        self.assertEqual(self.seen_lines(), [b"sa", b"sb", b"sc", b"sd"])  # no standby got a line

    def test_a_standby_that_died_is_replaced_and_close_join_stops_the_last_one(self):
        pool = streaming.Pool(processes=0)
        list(pool.imap(module_level_function, ["a"]))
        dead = pool._standby.pid
        os.kill(dead, signal.SIGKILL)
        self.assertTrue(exits_within(dead, 30))
        results = pool.imap(module_level_function, ["b", "c"])
        self.assertNotEqual(next(iter(pool._jobs)).producer_pid, dead)
        self.assertEqual(list(results), ["B", "C"])
        last = pool._standby.pid
        pool.close()
        pool.join()
        self.assertFalse(process_alive(last), "the standby outlived close and join")

    def test_a_standby_prepared_by_a_thread_that_ended_serves_the_next_imap(self):
        with streaming.Pool(processes=0) as pool:
            worker = threading.Thread(target=lambda: list(pool.imap(module_level_function, ["a"])))
            worker.start()
            worker.join()
            standby = pool._standby.pid
            # Once the thread is gone, the parent-death signal of whatever it started has been sent.
            self.assertTrue(exits_within_task(worker.native_id, 30))
            results = pool.imap(module_level_function, ["b"])
            self.assertEqual(next(iter(pool._jobs)).producer_pid, standby)
            self.assertEqual(list(results), ["B"])

    def test_a_script_killed_with_a_standby_waiting_leaves_no_standby(self):
        script = textwrap.dedent(f"""
            import sys, time
            sys.path.insert(0, {HERE!r})
            import streaming, test_streaming_pool
            pool = streaming.Pool(processes=0)
            list(pool.imap(test_streaming_pool.module_level_function, ["a"]))
            print(pool._standby.pid, flush=True)
            time.sleep(600)
            """)
        script_process = subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE)
        self.addCleanup(script_process.wait)
        self.addCleanup(script_process.kill)
        standby = int(script_process.stdout.readline())
        script_process.stdout.close()
        self.assertTrue(process_alive(standby))
        script_process.kill()
        # It gets the parent-death signal, and its standard input ends (held by the script alone): either ends it.
        self.assertTrue(exits_within(standby, 30), "the standby outlived the script killed with SIGKILL")

    def test_a_producer_that_dies_is_an_error_with_its_exit_code(self):
        with open(os.environ["STREAMING_PRODUCER"], "w") as f:
            f.write(f"#!{sys.executable}\nimport sys\nprint('broker gone', file=sys.stderr)\nsys.exit(3)\n")
        with streaming.Pool(processes=0) as pool:
            with self.assertRaises(streaming.BrokerUnreachable) as caught:
                list(pool.imap(module_level_function, ["a"]))
        self.assertIn("broker gone", str(caught.exception))


if __name__ == "__main__":
    unittest.main()
