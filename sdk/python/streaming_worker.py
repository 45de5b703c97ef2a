"""Run a Python function as a Streaming ``exec:`` worker (standard library only, Python >= 3.9).

    # worker.py
    from streaming_worker import run

    def process(line: bytes) -> bytes | str:
        return line.upper()

    run(process)

and start consumers with ``Consumer --processor 'exec:python3 worker.py'``. The consumer runs the script as
long-lived worker processes, sends them lines on stdin and reads one answer per line on stdout, many lines in flight.

``process`` gets each line's raw bytes (no terminator) and returns the output line as ``bytes`` or ``str`` (encoded
as UTF-8); ``None`` is an empty line. An exception fails that line alone: its message becomes the line's entry in
``<name>.errors.jsonl`` and its output line is empty. Output must not contain a newline (the line then fails).

Protocol (for workers in other languages): the worker first writes the line ``\\0streaming-worker framed 1`` (a NUL
byte, then that text); then, for every input line, in order, ``+<output>\\n`` for a result or ``-<reason>\\n`` for a
failure (UTF-8, one line). The hello counts only before the worker is sent any line. A program that does not write
that first line is a plain worker: each output line is the answer, and it cannot fail a line. Nothing may be written to
stdout but answers: the consumer replaces a worker that writes anything else and runs its lines again.

What ``process`` prints cannot reach the protocol: ``run`` keeps the protocol on a private copy of stdout and points
descriptor 1 (so ``print()``, C extensions and child processes) at stderr, which the consumer logs.
"""
import os
import sys
from time import monotonic

__all__ = ["run", "HELLO"]

HELLO = b"\x00streaming-worker framed 1\n"
_READ_BYTES = 1 << 16
_NEWLINE = b"\n"
# Answers held at most this long: the consumer counts a line as hung when no answer comes for its line timeout.
_HOLD_SECONDS = 0.05


def _reason(error: BaseException) -> bytes:
    text = str(error) or type(error).__name__
    return b"-" + " ".join(text.split()).encode("utf-8", "replace") + _NEWLINE


def _write_all(fd: int, data) -> None:
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view):]


def _encode(result) -> bytes:
    """The output line for anything but plain bytes without a newline (the fast path in _answer_chunk)."""
    if result is None:
        return b""
    if isinstance(result, str):
        result = result.encode("utf-8")
    elif isinstance(result, (bytearray, memoryview)):
        result = bytes(result)
    elif not isinstance(result, bytes):
        raise TypeError(f"process returned {type(result).__name__}, not bytes or str")
    if _NEWLINE in result:
        raise ValueError("the output contains a newline")
    return result


def _answer_chunk(process, lines: list, fd_out: int) -> None:
    """Writes the framed answers to a chunk of lines, in order: all at once, or every _HOLD_SECONDS when slow."""
    out = []
    append = out.append
    written_at = monotonic()
    for line in lines:
        try:
            result = process(line)
            if type(result) is not bytes or _NEWLINE in result:
                result = _encode(result)
            append(b"+" + result + _NEWLINE)
        except Exception as error:  # noqa: BLE001 - any exception fails its line, by design
            append(_reason(error))
        now = monotonic()
        if now - written_at > _HOLD_SECONDS:
            _write_all(fd_out, b"".join(out))
            out.clear()
            written_at = now
    if out:
        _write_all(fd_out, b"".join(out))


def run(process, stdin_fd: int = None, stdout_fd: int = None) -> None:
    """Answers every line of stdin with ``process(line)`` on stdout until stdin ends, then returns.

    Input is read in chunks of up to 64 KiB as it comes, and each chunk's answers are written together (every 50 ms
    while a slow chunk is still being worked on): a worker never holds an answer back waiting for more input, and
    pays one system call per chunk rather than per line."""
    fd_in = sys.stdin.fileno() if stdin_fd is None else stdin_fd
    fd_out, restore = _private_protocol(stdout_fd)
    try:
        _write_all(fd_out, HELLO)
        partial = []
        while True:
            chunk = os.read(fd_in, _READ_BYTES)
            if not chunk:
                break
            end = chunk.rfind(_NEWLINE)
            if end < 0:
                partial.append(chunk)
                continue
            if partial:
                partial.append(chunk[:end])
                lines = b"".join(partial).split(_NEWLINE)
                partial = []
            else:
                lines = chunk[:end].split(_NEWLINE)
            if end + 1 < len(chunk):
                partial.append(chunk[end + 1:])
            _answer_chunk(process, lines, fd_out)
        if partial:
            _answer_chunk(process, [b"".join(partial)], fd_out)
    except BrokenPipeError:
        pass  # the consumer went away: nobody is left to answer
    except KeyboardInterrupt:
        pass
    finally:
        restore()


def _private_protocol(stdout_fd):
    """The descriptor answers go to, and how to undo what this did.

    On the process's own stdout, the protocol moves to a private duplicate (not inherited by child processes) and
    descriptor 1 becomes a copy of stderr: whatever else writes to "stdout" lands in the consumer's log. With a
    descriptor given by the caller, ``sys.stdout`` alone is pointed at stderr."""
    saved_stdout = sys.stdout
    if stdout_fd is not None:
        sys.stdout = sys.stderr
        return stdout_fd, lambda: setattr(sys, "stdout", saved_stdout)
    sys.stdout.flush()
    protocol_fd = os.dup(1)
    os.dup2(2, 1)
    sys.stdout = sys.stderr

    def restore():
        sys.stdout = saved_stdout
        os.dup2(protocol_fd, 1)
        os.close(protocol_fd)

    return protocol_fd, restore
