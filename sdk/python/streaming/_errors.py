"""The exceptions the pool raises."""

__all__ = ["LineFailed", "StreamingError", "BrokerUnreachable"]


class LineFailed(Exception):
    """A line the fleet could not process: ``line`` is its 1-based number in the input, ``reason`` the worker's reason
    (the exception's message, or why the consumer failed it)."""

    def __init__(self, line: int, reason: str):
        super().__init__(f"line {line}: {reason}")
        self.line = line
        self.reason = reason

    def __reduce__(self):
        return type(self), (self.line, self.reason)


class StreamingError(RuntimeError):
    """The job could not run to its end: its Producer or the pool's consumers failed, or it was cancelled."""


class BrokerUnreachable(StreamingError, ConnectionError):
    """The broker could not be reached (the Producer's exit 3, after its retries)."""
