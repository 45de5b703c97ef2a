"""Workers for the exec: integration tests, through sdk/python/streaming_worker.py.

    exec_test_worker.py identity | sha256 | sha256-print | fail-on MARK | exit-on MARK | hang-on MARK | slow MILLISECONDS
    exec_test_worker.py slow-on MARK MILLISECONDS   # only the lines with MARK take that long
    exec_test_worker.py stall-once MARK FILE   # the first worker to meet MARK writes its pid to FILE and waits there
    exec_test_worker.py hang-on MARK FOLDER   # as hang-on, and each worker that hangs first writes FOLDER/<its pid>
"""
import hashlib
import os
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "..", "sdk", "python"))
from streaming_worker import run  # noqa: E402

mode = sys.argv[1]
argument = sys.argv[2] if len(sys.argv) > 2 else ""
marker = argument.encode()


def identity(line: bytes) -> bytes:
    return line


def sha256(line: bytes) -> str:
    return hashlib.sha256(line).hexdigest()


seen = 0


def sha256_print(line: bytes) -> str:
    """sha256, and a debugging print() every tenth line, as code under development does."""
    global seen
    seen += 1
    if seen % 10 == 0:
        print("debug: seen", seen)
    return hashlib.sha256(line).hexdigest()


def fail_on(line: bytes) -> bytes:
    if marker in line:
        raise ValueError("refused a line with " + argument)
    return line


def exit_on(line: bytes) -> bytes:
    if marker in line:
        os._exit(1)
    return line


def hang_on(line: bytes) -> bytes:
    if marker in line:
        if len(sys.argv) > 3:
            with open(os.path.join(sys.argv[3], str(os.getpid())), "x"):
                pass
        time.sleep(3600)
    return line


def stall_once(line: bytes) -> bytes:
    if marker in line:
        try:
            with open(sys.argv[3], "x") as f:
                f.write(str(os.getpid()))
        except FileExistsError:
            return line
        time.sleep(3600)
    return line


def slow_on(line: bytes) -> bytes:
    if marker in line:
        time.sleep(float(sys.argv[3]) / 1000)
    return line


def slow(line: bytes) -> bytes:
    time.sleep(float(argument) / 1000)
    return line


run({"identity": identity, "sha256": sha256, "sha256-print": sha256_print, "fail-on": fail_on, "exit-on": exit_on, "hang-on": hang_on,
     "stall-once": stall_once, "slow": slow, "slow-on": slow_on}[mode])
