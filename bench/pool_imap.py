#!/usr/bin/env python3
"""The idiom Streaming replaces: multiprocessing.Pool.imap over a line generator.

    python3 bench/pool_imap.py PROCESSOR INPUT OUTPUT [--workers N] [--chunksize N]
    python3 bench/pool_imap.py PROCESSOR INPUT_DIR OUTPUT_DIR     # every file of INPUT_DIR to OUTPUT_DIR/<name>.out

PROCESSOR is identity, wordcount or sha256[:R], with the same semantics as the Streaming processors, so the output
must be byte-identical to Streaming's <name>.out; or py:FUNCTION, a function of bench/python_functions.py (the py-*
rows, where Streaming runs the same function through exec:). With a folder (the files-* rows), one pool takes the
files in name order, one file per task (Pool.imap over the files), and each file's lines go in order to its own output.
"""
import argparse
import hashlib
import multiprocessing
import os
import re

import python_functions

_WORD_SEPARATORS = re.compile(rb"[ \t\x0b\x0c\r]+")
_ROUNDS = 1


def _strip(line: bytes) -> bytes:
    if line.endswith(b"\n"):
        line = line[:-1]
    if line.endswith(b"\r"):
        line = line[:-1]
    return line


def identity(line: bytes) -> bytes:
    return line


def wordcount(line: bytes) -> bytes:
    return str(sum(1 for w in _WORD_SEPARATORS.split(line) if w)).encode()


def sha256(line: bytes) -> bytes:
    digest = line
    for _ in range(_ROUNDS):
        digest = hashlib.sha256(digest).digest()
    return digest.hex().encode()


def _init(rounds: int, function) -> None:
    global _ROUNDS, _FUNCTION
    _ROUNDS = rounds
    _FUNCTION = function


def _file(path: str) -> bytes:
    """One file's outputs, in order (the files-* rows: a task per file)."""
    return b"".join(_FUNCTION(line) + b"\n" for line in lines(path))


def lines(path: str):
    with open(path, "rb") as f:
        for line in f:
            yield _strip(line)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("processor")
    parser.add_argument("input")
    parser.add_argument("output")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--chunksize", type=int, default=1000)
    args = parser.parse_args()
    name, _, argument = args.processor.partition(":")
    if name == "py":
        function, rounds = getattr(python_functions, argument), 1
    else:
        function = {"identity": identity, "wordcount": wordcount, "sha256": sha256}[name]
        rounds = int(argument) if argument else 1
    if os.path.isdir(args.input):
        names = sorted(os.listdir(args.input))
        with multiprocessing.Pool(args.workers, initializer=_init, initargs=(rounds, function)) as pool:
            paths = (os.path.join(args.input, name) for name in names)
            for name, output in zip(names, pool.imap(_file, paths)):
                with open(os.path.join(args.output, name + ".out"), "wb") as out:
                    out.write(output)
        return
    with multiprocessing.Pool(args.workers, initializer=_init, initargs=(rounds, function)) as pool, open(args.output, "wb") as out:
        for result in pool.imap(function, lines(args.input), chunksize=args.chunksize):
            out.write(result)
            out.write(b"\n")


if __name__ == "__main__":
    main()
