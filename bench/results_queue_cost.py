#!/usr/bin/env python3
"""What one file's own results queue costs the broker, against one shared results queue (issue 14's profile).

    /usr/bin/python3 bench/results_queue_cost.py AMQP_URI BROKER_PID [FILES]

For FILES simulated files, each on one channel as the producer does it: `per-file` declares a quorum queue (the
producer's arguments), consumes it, publishes one result to it and takes it back, cancels, deletes it; `shared`
publishes one result to one quorum queue declared once and takes it back. Prints the wall time and the broker's CPU
per file for both (python3-pika, which bench.py installs for the Celery rows).
"""
import sys
import time
import uuid

import pika


def broker_cpu_s(pid: int) -> float:
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / 100


def one_result(channel, queue: str) -> None:
    channel.basic_publish("", queue, b"result", pika.BasicProperties(delivery_mode=2))
    for method, _, _ in channel.consume(queue, inactivity_timeout=10):
        if method is None:
            raise SystemExit(f"no result came back from {queue}")
        channel.basic_ack(method.delivery_tag)
        break
    channel.cancel()


def measure(name: str, files: int, pid: int, per_file) -> None:
    cpu, started = broker_cpu_s(pid), time.perf_counter()
    for _ in range(files):
        per_file()
    seconds, cpu = time.perf_counter() - started, broker_cpu_s(pid) - cpu
    print(f"{name:9} {files} files: {seconds / files * 1000:6.1f} ms wall, {cpu / files * 1000:6.1f} ms broker CPU per file")


def main() -> None:
    uri, pid = sys.argv[1], int(sys.argv[2])
    files = int(sys.argv[3]) if len(sys.argv) > 3 else 200
    connection = pika.BlockingConnection(pika.URLParameters(uri))
    channel = connection.channel()
    channel.confirm_delivery()
    arguments = {"x-queue-type": "quorum", "x-expires": 24 * 3600 * 1000}

    def per_file() -> None:
        queue = f"streaming.bench.results.{uuid.uuid4().hex}"
        channel.queue_declare(queue, durable=True, arguments=arguments)
        one_result(channel, queue)
        channel.queue_delete(queue)

    shared = f"streaming.bench.results.{uuid.uuid4().hex}"
    channel.queue_declare(shared, durable=True, arguments=arguments)
    measure("shared", files, pid, lambda: one_result(channel, shared))
    measure("per-file", files, pid, per_file)
    channel.queue_delete(shared)
    connection.close()


if __name__ == "__main__":
    main()
