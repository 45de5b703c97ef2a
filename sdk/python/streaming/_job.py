"""One ``imap`` call: a Producer in standard-input mode, fed by a thread that pulls the items as the window frees, and
its tagged standard output read back as results in input order."""
import os
import signal
import subprocess
import threading

from ._errors import BrokerUnreachable, LineFailed, StreamingError
from ._lines import STR, decode, encode_all, kind_of

__all__ = ["Job"]

_WRITE_BYTES = 1 << 16  # lines are handed to the Producer in writes of up to this many bytes
_FLUSH_SECONDS = 0.02  # and no line waits longer than this for more to come (a slow generator)
_READ_BYTES = 1 << 16
_EXIT_GRACE_SECONDS = 30  # how long a Producer gets to finish after its input ended or it was cancelled


class Job:
    def __init__(self, producer, iterable, on_error: str, progress):
        """``producer``: a started ``publish -`` (``_standby.StartedProducer``) that nothing was written to yet."""
        self._on_error = on_error
        self._progress = progress
        self._log_path = producer.log_path
        self._iterator = iter(iterable)
        self._kind = None
        self._fed = 0  # lines handed to the Producer
        self._input_error = None  # what the iterable raised, or why an item is not a line: raised after `_fed` results
        self._bad_item = False  # an item was not a line: nothing after it is written
        self._abort_reason = None
        self._cancelled = threading.Event()
        self._feeding_done = threading.Event()
        self._buffer_lock = threading.Lock()
        self._write_lock = threading.Lock()
        self._pending = []
        self._pending_bytes = 0
        self._stdin_open = True
        self._process = producer.process
        self._stdin_fd = self._process.stdin.fileno()
        for target, name in ((self._feed, "streaming-feeder"), (self._flush_now_and_then, "streaming-flusher")):
            threading.Thread(target=target, name=name, daemon=True).start()

    # ---- the input side (threads) -------------------------------------------------------------------------------------

    def _feed(self) -> None:
        cancelled = self._cancelled.is_set
        try:
            for item in self._iterator:
                if cancelled():
                    return
                if self._kind is None:
                    self._kind = kind_of(item)
                # Items become lines at the flush, all together (encode_all): per item, only this.
                with self._buffer_lock:
                    self._pending.append(item)
                    self._pending_bytes += len(item)
                    full = self._pending_bytes >= _WRITE_BYTES
                if full:
                    self._flush()
                    if self._bad_item:
                        return
        except BaseException as error:  # noqa: BLE001 - raised to the caller at its position, as multiprocessing does
            self._input_error = error
        finally:
            self._flush()
            with self._write_lock:
                self._stdin_open = False
                try:
                    self._process.stdin.close()
                except OSError:
                    pass
            self._feeding_done.set()

    def _flush(self) -> None:
        with self._write_lock:
            with self._buffer_lock:
                items = self._pending
                self._pending = []
                self._pending_bytes = 0
            if not items or not self._stdin_open or self._bad_item:
                return
            data, count, error = encode_all(items, self._kind, self._fed + 1)
            if error is not None:
                # An item that is not a line ends the input there: it is raised after the results before it, ahead
                # of anything the iterable raised later.
                self._bad_item = True
                self._input_error = error
            try:
                view = memoryview(data)
                while view:
                    view = view[os.write(self._stdin_fd, view):]
            except OSError:
                self._cancelled.set()  # the Producer is gone: nothing more can be read
                return
            self._fed += count

    def _flush_now_and_then(self) -> None:
        while not self._feeding_done.wait(_FLUSH_SECONDS):
            self._flush()

    # ---- the output side (the caller's thread) ------------------------------------------------------------------------

    def results(self):
        """Yields each line's result in input order; ends (or raises) once the Producer has answered every line."""
        answered = 0
        finished = False
        stdout_fd = self._process.stdout.fileno()
        partial = b""
        try:
            while True:
                chunk = os.read(stdout_fd, _READ_BYTES)
                if not chunk:
                    break
                block = partial + chunk
                cut = block.rfind(b"\n")
                if cut < 0:
                    partial = block
                    continue
                complete, partial = block[:cut], block[cut + 1:]
                count = complete.count(b"\n") + 1
                if complete[:1] == b"+" and complete.count(b"\n+") == count - 1:
                    # Every answer a result (the usual case): one split, no work per line.
                    answered += count
                    if self._kind is STR:
                        yield from complete[1:].decode("utf-8", "surrogateescape").split("\n+")
                    else:
                        yield from complete[1:].split(b"\n+")
                else:
                    for line in complete.split(b"\n"):
                        answered += 1
                        tag = line[:1]
                        if tag == b"+":
                            yield decode(line[1:], self._kind)
                        elif tag == b"!":
                            failure = LineFailed(answered, line[1:].decode("utf-8", "replace"))
                            if self._on_error == "raise":
                                raise failure
                            yield failure
                        else:
                            raise StreamingError(f"the Producer wrote an answer the tagged format does not allow: {line[:80]!r}")
                if self._progress is not None:
                    self._report(count)
            code = self._wait_for_exit()
            # A Producer that finished had its input closed, so the feeder is about done; one that died may leave the
            # feeder waiting on a slow iterable, which it then leaves at its next item.
            if not self._feeding_done.wait(5 if code in (0, 1) else 0):
                self._cancelled.set()
            if answered < self._fed or code not in (0, 1):
                raise self._failure(code, answered)
            if self._input_error is not None:
                raise self._input_error
            finished = True
        finally:
            if not finished:
                self.cancel()
            self._process.stdout.close()

    def _report(self, count: int) -> None:
        update = getattr(self._progress, "update", None)
        (update or self._progress)(count)

    def _wait_for_exit(self) -> int:
        try:
            return self._process.wait(_EXIT_GRACE_SECONDS)
        except subprocess.TimeoutExpired:
            self._process.kill()
            return self._process.wait()

    def _failure(self, code: int, answered: int) -> Exception:
        if self._abort_reason is not None:
            return StreamingError(f"the job was cancelled after {answered} results: {self._abort_reason}")
        tail = _tail(self._log_path)
        where = f"after {answered} of {self._fed} results"
        if code == 3:
            return BrokerUnreachable(f"the Producer could not reach the broker ({where}): {tail}")
        return StreamingError(f"the Producer exited with code {code} {where}: {tail}")

    # ---- stopping ---------------------------------------------------------------------------------------------------

    def abort(self, reason: str) -> None:
        """Cancels the job from outside the caller's loop (the pool terminated, its consumers failed): the loop raises
        ``StreamingError`` with ``reason`` once the Producer is gone."""
        if self._abort_reason is None:
            self._abort_reason = reason
        self._signal()

    def cancel(self) -> None:
        """The caller left the loop: the Producer cancels the job (consumers skip its queued batches, its queue goes)
        and exits; waits for that, SIGKILL after a grace period."""
        self._cancelled.set()
        self._signal()
        self._wait_for_exit()

    def _signal(self) -> None:
        self._cancelled.set()
        if self._process.poll() is None:
            try:
                self._process.send_signal(signal.SIGTERM)
            except ProcessLookupError:
                pass

    def wait(self) -> int:
        """Waits for the Producer to exit (SIGKILL after a grace period); its exit code."""
        return self._wait_for_exit()

    @property
    def running(self) -> bool:
        return self._process.poll() is None


def _tail(path: str, lines: int = 3) -> str:
    try:
        with open(path, "rb") as log:
            log.seek(0, os.SEEK_END)
            log.seek(max(0, log.tell() - 16384))
            text = [line.strip() for line in log.read().decode("utf-8", "replace").splitlines() if line.strip()]
    except OSError:
        return "(no log)"
    return " | ".join(text[-lines:]) or "(nothing on its stderr)"
