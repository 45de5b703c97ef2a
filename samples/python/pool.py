#!/usr/bin/env python3
"""On one machine: multiprocessing.Pool.imap over the file's lines, results in order.

    python3 samples/python/pool.py INPUT OUTPUT [--processes N]
"""
import argparse
import multiprocessing

from process import process_data


def line_generator(path: str):
    with open(path, "rb") as f:
        for line in f:
            # The same lines Streaming sees: without "\n" and one trailing "\r".
            yield line.rstrip(b"\n").removesuffix(b"\r")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("input")
    parser.add_argument("output")
    parser.add_argument("--processes", type=int, default=None)
    args = parser.parse_args()
    with multiprocessing.Pool(args.processes) as pool, open(args.output, "wb") as out:
        for result in pool.imap(process_data, line_generator(args.input), chunksize=1000):
            out.write(result + b"\n")


if __name__ == "__main__":
    main()
