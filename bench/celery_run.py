#!/usr/bin/env python3
"""Celery's side of the py-* bench rows: a worker with 2 processes, tasks over chunks of 1,000 lines, results
gathered in input order into OUTPUT. Runs under Debian's /usr/bin/python3 with python3-celery (5.2).

    /usr/bin/python3 bench/celery_run.py serve AMQP_URI QUEUE         # the worker (started before the clock)
    /usr/bin/python3 bench/celery_run.py send AMQP_URI QUEUE FUNCTION INPUT OUTPUT [--chunk 1000]
"""
import argparse
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))


def lines(path: str):
    with open(path, "rb") as f:
        for line in f:
            yield line.rstrip(b"\n").removesuffix(b"\r")


def chunks(path: str, size: int):
    chunk = []
    for line in lines(path):
        chunk.append(line)
        if len(chunk) == size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("mode", choices=("serve", "send"))
    parser.add_argument("uri")
    parser.add_argument("queue")
    parser.add_argument("function", nargs="?")
    parser.add_argument("input", nargs="?")
    parser.add_argument("output", nargs="?")
    parser.add_argument("--chunk", type=int, default=1000)
    parser.add_argument("--processes", type=int, default=2)
    args = parser.parse_args()
    os.environ["STREAMING_BENCH_CELERY_BROKER"] = args.uri
    os.environ["STREAMING_BENCH_CELERY_QUEUE"] = args.queue
    sys.path.insert(0, HERE)
    if args.mode == "serve":
        os.chdir(HERE)
        if os.geteuid() == 0:
            # Celery refuses to run a pickle-accepting worker as root unless told; the bench's broker is private.
            os.environ["C_FORCE_ROOT"] = "1"
        os.execv(sys.executable, [sys.executable, "-m", "celery", "-A", "celery_tasks", "worker", "--concurrency",
                                  str(args.processes), "--pool", "prefork", "--loglevel", "warning", "-Q", args.queue,
                                  "--without-gossip", "--without-mingle", "--without-heartbeat"])
    from celery_tasks import process_chunk
    # Every chunk is sent first (the broker holds the backlog, as Streaming's queue does), then gathered in order.
    pending = [process_chunk.apply_async((args.function, chunk)) for chunk in chunks(args.input, args.chunk)]
    with open(args.output, "wb") as out:
        for result in pending:
            for line in result.get(timeout=600):
                out.write(line + b"\n")


if __name__ == "__main__":
    main()
