"""Tests of streaming_worker.py: each runs a real worker process and speaks the protocol to it.

    python3 -m unittest discover -s sdk/python -v
"""
import os
import subprocess
import sys
import textwrap
import time
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
HELLO = b"\x00streaming-worker framed 1\n"


def run_worker(body: str, stdin: bytes, timeout: float = 60) -> subprocess.CompletedProcess:
    """Runs `from streaming_worker import run` + body as a worker with stdin as its input."""
    script = "import sys\nsys.path.insert(0, %r)\nfrom streaming_worker import run\n" % HERE + textwrap.dedent(body)
    return subprocess.run([sys.executable, "-c", script], input=stdin, capture_output=True, timeout=timeout)


def answers(result: subprocess.CompletedProcess) -> list:
    assert result.stdout.startswith(HELLO), result.stdout[:100]
    return result.stdout[len(HELLO):].split(b"\n")[:-1]


class FramingTests(unittest.TestCase):
    def test_identity_answers_every_line_in_order_framed(self):
        lines = [b"plain", b"", b"\r", b"+plus", b"-minus", b"\x00\xff\xfe bytes", b"caf\xc3\xa9"]
        result = run_worker("run(lambda line: line)", b"\n".join(lines) + b"\n")
        self.assertEqual(result.returncode, 0, result.stderr)
        self.assertEqual(answers(result), [b"+" + line for line in lines])

    def test_str_results_are_utf8_and_none_is_an_empty_line(self):
        result = run_worker("run(lambda line: None if line == b'none' else line.decode().upper() + '\u00e9')",
                            b"a\nnone\nb\n")
        self.assertEqual(answers(result), [b"+A\xc3\xa9", b"+", b"+B\xc3\xa9"])

    def test_exception_fails_that_line_alone_with_its_message_on_one_line(self):
        body = """
            def process(line):
                if line.startswith(b"bad"):
                    raise ValueError("no good:\\n" + line.decode())
                if line == b"empty":
                    raise RuntimeError()
                return line
            run(process)
        """
        result = run_worker(body, b"one\nbad two\nthree\nempty\n")
        self.assertEqual(result.returncode, 0, result.stderr)
        self.assertEqual(answers(result), [b"+one", b"-no good: bad two", b"+three", b"-RuntimeError"])

    def test_output_with_a_newline_or_of_a_wrong_type_fails_the_line(self):
        body = """
            def process(line):
                return {b"nl": b"a\\nb", b"int": 5, b"ba": bytearray(b"ok")}[line]
            run(process)
        """
        result = run_worker(body, b"nl\nint\nba\n")
        self.assertEqual(answers(result), [b"-the output contains a newline", b"-process returned int, not bytes or str",
                                           b"+ok"])

    def test_last_line_without_a_terminator_is_answered(self):
        result = run_worker("run(lambda line: line[::-1])", b"abc\ndef")
        self.assertEqual(answers(result), [b"+cba", b"+fed"])

    def test_lines_longer_than_a_read_arrive_whole(self):
        long_line = bytes(range(32, 127)) * 10_000  # 950,000 bytes: many reads
        result = run_worker("run(lambda line: b'%d' % len(line))", long_line + b"\nshort\n" + long_line)
        self.assertEqual(answers(result), [b"+950000", b"+5", b"+950000"])

    def test_empty_input_writes_only_the_hello(self):
        result = run_worker("run(lambda line: line)", b"")
        self.assertEqual(result.stdout, HELLO)


class PrintingTests(unittest.TestCase):
    def test_what_process_prints_goes_to_stderr_never_to_the_protocol(self):
        """print(), a write to descriptor 1 and a child process's output all land on stderr; stdout holds only the
        hello and one framed answer per line (issue 21: a print() every tenth line shifted 90 % of an output)."""
        body = """
            import os, subprocess, sys
            def process(line):
                print("debug: seen", line.decode())
                sys.stdout.write("partial without newline")
                os.write(1, b"+forged answer\\n")
                subprocess.run(["echo", "child says hi"], check=True)
                return line.upper()
            run(process)
        """
        result = run_worker(body, b"a\nb\nc\n")
        self.assertEqual(result.returncode, 0, result.stderr)
        self.assertEqual(result.stdout, HELLO + b"+A\n+B\n+C\n")
        for text in (b"debug: seen a", b"debug: seen c", b"+forged answer", b"child says hi", b"partial without newline"):
            self.assertIn(text, result.stderr)

    def test_stdout_is_restored_when_run_returns(self):
        body = """
            run(lambda line: line)
            print("after run")
        """
        result = run_worker(body, b"x\n")
        self.assertEqual(result.stdout, HELLO + b"+x\nafter run\n")


class PipeliningTests(unittest.TestCase):
    def test_answers_come_before_stdin_ends(self):
        """The consumer keeps the worker's stdin open: answers must not wait for more input (or the end of it)."""
        script = "import sys\nsys.path.insert(0, %r)\nfrom streaming_worker import run\nrun(lambda line: line)\n" % HERE
        with subprocess.Popen([sys.executable, "-c", script], stdin=subprocess.PIPE, stdout=subprocess.PIPE) as worker:
            self.assertEqual(worker.stdout.readline(), HELLO)
            for i in range(3):
                worker.stdin.write(b"line %d\n" % i)
                worker.stdin.flush()
                self.assertEqual(worker.stdout.readline(), b"+line %d\n" % i)
            worker.stdin.close()
            self.assertEqual(worker.wait(timeout=30), 0)

    def test_a_slow_chunk_writes_its_answers_as_it_goes(self):
        """A chunk of slow lines answers every ~50 ms, not once at its end (the consumer's line timeout)."""
        body = """
            import time
            def process(line):
                if line == b"slow":
                    time.sleep(0.1)
                return line
            run(process)
        """
        script = "import sys\nsys.path.insert(0, %r)\nfrom streaming_worker import run\n" % HERE + textwrap.dedent(body)
        with subprocess.Popen([sys.executable, "-c", script], stdin=subprocess.PIPE, stdout=subprocess.PIPE) as worker:
            try:
                self.assertEqual(worker.stdout.readline(), HELLO)
                worker.stdin.write(b"slow\n" * 50 + b"last\n")  # one chunk, 5 s of work
                worker.stdin.flush()
                started = time.monotonic()
                self.assertEqual(worker.stdout.readline(), b"+slow\n")
                waited = time.monotonic() - started
                self.assertLess(waited, 2.5, "the first answer came only when the whole chunk was done")
            finally:
                worker.kill()

    def test_broken_pipe_ends_the_worker_quietly(self):
        script = ("import sys\nsys.path.insert(0, %r)\nfrom streaming_worker import run\nrun(lambda line: line * 1000)\n"
                  % HERE)
        with subprocess.Popen([sys.executable, "-c", script], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE) as worker:
            worker.stdout.close()
            try:
                worker.stdin.write(b"x" * 100 + b"\n")
                worker.stdin.close()
            except BrokenPipeError:
                pass
            self.assertEqual(worker.wait(timeout=30), 0)
            self.assertEqual(worker.stderr.read(), b"")


if __name__ == "__main__":
    unittest.main()
