"""The Python functions the py-* bench rows run the same way through Pool.imap, Celery and Streaming exec:."""
import hashlib

_FNV_OFFSET = 0xCBF29CE484222325
_FNV_PRIME = 0x100000001B3
_MASK = (1 << 64) - 1


def identity(line: bytes) -> bytes:
    return line


def sha256x100(line: bytes) -> bytes:
    """Lowercase hex of SHA-256 applied 100 times (hashlib: the work is in C)."""
    digest = line
    for _ in range(100):
        digest = hashlib.sha256(digest).digest()
    return digest.hex().encode()


def fnv1a(line: bytes) -> bytes:
    """64-bit FNV-1a of the line, 8 rounds, each over the line and the previous hash: pure-Python CPU work."""
    value = _FNV_OFFSET
    for _ in range(8):
        for byte in line:
            value = ((value ^ byte) * _FNV_PRIME) & _MASK
        line = value.to_bytes(8, "little")
    return b"%016x" % value
