"""The exec: worker of a ``streaming.Pool`` pipeline: ``python3 -m streaming.worker MODULE:FUNCTION``.

Runs through ``streaming_worker.run`` (the SDK's framed protocol). Every line carries its item's type in its first
byte (``s`` or ``b``, see ``streaming._lines``): ``func`` gets a ``str`` (decoded as UTF-8) or ``bytes`` accordingly,
and may return ``str`` or ``bytes`` (``None``: an empty result); the answer goes back as the item's type, so for a
``str`` item it must be UTF-8. An exception fails that line alone, with its message as the reason."""
import sys

from streaming._reference import load
from streaming_worker import run

__all__ = ["processor_for", "main"]


def processor_for(func):
    """``process(line: bytes) -> bytes`` for the SDK's ``run``: the line's type tag decides what ``func`` gets."""

    def process(line: bytes):
        tag, data = line[:1], line[1:]
        if tag == b"b":
            result = func(data)
            if isinstance(result, str):
                return result.encode("utf-8")
            return result
        if tag == b"s":
            result = func(data.decode("utf-8"))
            if isinstance(result, (bytes, bytearray)):
                bytes(result).decode("utf-8")  # a str item's result comes back as str: refuse what is not UTF-8
            return result
        raise ValueError("not a line sent by streaming.Pool (no type tag): is another producer on this pipeline?")

    return process


def main(argv=None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if len(args) != 1:
        print("usage: python3 -m streaming.worker MODULE:FUNCTION | SCRIPT.py:FUNCTION", file=sys.stderr)
        return 2
    try:
        func = load(args[0])
    except Exception as error:  # noqa: BLE001 - the consumer shows this last stderr line when the worker cannot start
        print(f"streaming.worker: cannot load {args[0]}: {type(error).__name__}: {error}", file=sys.stderr)
        return 2
    run(processor_for(func))
    return 0


if __name__ == "__main__":
    sys.exit(main())
