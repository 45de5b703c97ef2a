#!/usr/bin/env python3
"""The seed: a dataset's lines through a pool of processes, results in order (python3 seed_….py data.txt > out.txt).

seed_multiprocessing.py and seed_streaming.py differ only in the import and the pool's constructor."""
import hashlib
import sys
import streaming


def process_data(line):
    """The work on one line: SHA-256 applied 100 times, as lowercase hex."""
    digest = line.encode("utf-8")
    for _ in range(100):
        digest = hashlib.sha256(digest).digest()
    return digest.hex()


def line_generator(filename):
    with open(filename, encoding="utf-8") as f:
        for line in f:
            yield line.rstrip("\n")


def process_dataset(filename):
    with streaming.Pool() as pool:
        for result in pool.imap(process_data, line_generator(filename), chunksize=1000):
            print(result)


if __name__ == "__main__":
    process_dataset(sys.argv[1])
