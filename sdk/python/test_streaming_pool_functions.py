"""Functions the streaming package's tests run on workers (importable by name, as the fleet requires)."""


def shout(line):
    if line in ("boom", b"boom"):
        raise ValueError("no good: boom")
    return line.upper()


def reverse(line):
    """str or bytes, reversed: a result that shows which line it came from."""
    return line[::-1]


def fail_poison(line):
    if "poison" in (line if isinstance(line, str) else line.decode("utf-8", "replace")):
        raise RuntimeError(f"cannot digest {line!r}")
    return line


def paced(line):
    """The line, after 2 ms of sleep: a job stays in flight long enough for a fault to land in it."""
    import time
    time.sleep(0.002)
    return line.upper()


def tag_a(line):
    return "A:" + line


def tag_b(line):
    return "B:" + line
