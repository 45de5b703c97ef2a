"""The work, written once: what each line of the file becomes. Plain Python, nothing Streaming-specific."""
import hashlib
import re

_WORD = re.compile(r"[A-Za-z0-9']+")


def process_data(line: bytes) -> bytes:
    """A line of text -> its word count, its most frequent word (ties: the first in order) and a fingerprint of its
    words, lower-cased and sorted: `<count>\t<word>\t<16 hex digits>`."""
    words = [w.lower() for w in _WORD.findall(line.decode("utf-8", "replace"))]
    counts: dict[str, int] = {}
    for word in words:
        counts[word] = counts.get(word, 0) + 1
    top = max(counts, key=counts.__getitem__) if counts else ""
    fingerprint = hashlib.sha256(" ".join(sorted(words)).encode()).hexdigest()[:16]
    return f"{len(words)}\t{top}\t{fingerprint}".encode()
