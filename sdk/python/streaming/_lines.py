"""Items as the lines the Producer reads, and answers back as results of the item's type.

Each line on the wire starts with one byte naming its item's type (``s``: ``str``, sent as UTF-8; ``b``: ``bytes``), so
one consumer fleet serves both kinds and a worker hands ``func`` what the caller gave."""

__all__ = ["ItemKind", "kind_of", "encode", "encode_all", "STR", "BYTES"]


class ItemKind:
    """How items of one type become lines and how their answers become results."""

    def __init__(self, type_, tag: bytes):
        self.type = type_
        self.tag = tag

    def __repr__(self) -> str:
        return self.type.__name__


STR = ItemKind(str, b"s")
BYTES = ItemKind(bytes, b"b")


def kind_of(item) -> ItemKind:
    if isinstance(item, str):
        return STR
    if isinstance(item, (bytes, bytearray, memoryview)):
        return BYTES
    raise TypeError(f"items are lines, str or bytes, not {type(item).__name__}")


def encode(item, kind: ItemKind, position: int) -> bytes:
    """The line for an item (its tag, its bytes, a newline); ``TypeError``/``ValueError`` name its position (1-based)."""
    if kind is STR:
        if not isinstance(item, str):
            raise TypeError(f"item {position} is {type(item).__name__}, but the first item was str: items of one call "
                            "are all str or all bytes")
        try:
            data = item.encode("utf-8")
        except UnicodeEncodeError as error:
            raise ValueError(f"item {position} cannot be encoded as UTF-8: {error.reason}") from None
    else:
        if isinstance(item, str) or not isinstance(item, (bytes, bytearray, memoryview)):
            raise TypeError(f"item {position} is {type(item).__name__}, but the first item was bytes: items of one "
                            "call are all str or all bytes")
        data = bytes(item)
    if b"\n" in data:
        raise ValueError(f"item {position} contains a newline: items are lines, without \\n")
    if data.endswith(b"\r"):
        # The Producer removes one trailing \r from every line (the line rules): it would not come back.
        raise ValueError(f"item {position} ends with \\r: items are lines, without a line terminator")
    return kind.tag + data + b"\n"


_BYTES_TYPES = frozenset((bytes, bytearray, memoryview))


def encode_all(items: list, kind: ItemKind, first_position: int) -> tuple:
    """The lines for ``items`` (the first at ``first_position``), as ``encode`` gives them, built in one join:
    ``(data, count, None)``; or, at the first item that is not a line, the lines before it, their count and the error."""
    try:
        if kind is STR:
            data = ("s" + "\ns".join(items) + "\n").encode("utf-8")  # join refuses what is not str
        elif _BYTES_TYPES.issuperset(map(type, items)):
            data = b"b" + b"\nb".join(items) + b"\n"
        else:
            raise TypeError("not every item is bytes")
        # A newline inside an item adds one; an item ending with \r is the only way to get \r\n.
        if data.count(b"\n") == len(items) and b"\r\n" not in data:
            return data, len(items), None
    except (TypeError, UnicodeEncodeError):
        pass
    lines = []
    for offset, item in enumerate(items):
        try:
            lines.append(encode(item, kind, first_position + offset))
        except (TypeError, ValueError) as error:
            return b"".join(lines), len(lines), error
    return b"".join(lines), len(lines), None


def decode(answer: bytes, kind: ItemKind):
    """A successful answer's bytes as a result of the item's type (the worker made sure str answers are UTF-8)."""
    return answer.decode("utf-8", "surrogateescape") if kind is STR else answer
