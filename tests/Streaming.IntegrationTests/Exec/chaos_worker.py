"""A misbehaving exec: worker for ExecChaosTests. Every line's right answer is b"ok:" + line; a directive in the line
makes the worker misbehave on it in the way its kind allows:

    chaos_worker.py plain    answers plain lines; #EXTRA, #SKIP, #DIE, #STALL, #SLOW act, other directives are text
    chaos_worker.py framed   speaks the framed protocol by hand; also #PARTIAL, #HELLO and #PRINT write to stdout
    chaos_worker.py sdk      the Python SDK; #PRINT prints (it must not matter), #DIE, #STALL and #SLOW act

#EXTRA: one more output line before the answer; #SKIP: no answer; #DIE: exits before answering; #STALL: answers only
after STALL_SECONDS (longer than the consumer's line timeout); #SLOW: answers after SLOW_SECONDS (longer than the
check after a run's last answer waits by the clock, shorter than the line timeout); #PARTIAL: half a line, then the answer on the same line;
#HELLO: the framed hello before the answer; #PRINT: a debugging line before the answer.
"""
import os
import subprocess
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "..", "sdk", "python"))

HELLO = b"\x00streaming-worker framed 1\n"
STALL_SECONDS = 8
SLOW_SECONDS = 0.3


def misbehave(line: bytes, out) -> bool:
    """Acts on #DIE and #STALL; returns False when the line must not be answered (#SKIP)."""
    if b"#DIE" in line:
        os._exit(3)
    if b"#STALL" in line:
        time.sleep(STALL_SECONDS)
    if b"#SLOW" in line:
        time.sleep(SLOW_SECONDS)
    return b"#SKIP" not in line


def plain() -> None:
    out = sys.stdout.buffer
    for raw in sys.stdin.buffer:
        line = raw.rstrip(b"\n")
        if not misbehave(line, out):
            continue
        extra = b"one line too many\n" if b"#EXTRA" in line else b""
        out.write(extra + b"ok:" + line + b"\n")
        out.flush()


def framed() -> None:
    out = sys.stdout.buffer
    out.write(HELLO)
    out.flush()
    for raw in sys.stdin.buffer:
        line = raw.rstrip(b"\n")
        if not misbehave(line, out):
            continue
        before = b""
        if b"#EXTRA" in line:
            before = b"+one answer too many\n"
        elif b"#PARTIAL" in line:
            before = b"par"
        elif b"#HELLO" in line:
            before = HELLO
        elif b"#PRINT" in line:
            before = b"debug: seen a line\n"
        out.write(before + b"+ok:" + line + b"\n")
        out.flush()


def sdk() -> None:
    from streaming_worker import run

    def process(line: bytes) -> bytes:
        misbehave(line, None)
        if b"#PRINT" in line:
            print("debug:", line)
            os.write(1, b"+forged answer\n")
            subprocess.run(["echo", "a child's output"], check=True)
        return b"ok:" + line

    run(process)


{"plain": plain, "framed": framed, "sdk": sdk}[sys.argv[1]]()
