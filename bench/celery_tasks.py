"""The Celery app of the py-* bench rows: one task runs a python_functions function over a chunk of lines.

The worker: /usr/bin/python3 -m celery -A celery_tasks worker --concurrency 2 (bench/celery_run.py starts it)."""
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from celery import Celery, signals  # noqa: E402

import python_functions  # noqa: E402

app = Celery("streaming_bench", broker=os.environ["STREAMING_BENCH_CELERY_BROKER"], backend="rpc://")
# Lines are bytes: pickle carries them as they are (json would need an encoding pass both ways).
app.conf.update(task_serializer="pickle", result_serializer="pickle", accept_content=["pickle"],
                task_default_queue=os.environ.get("STREAMING_BENCH_CELERY_QUEUE", "streaming-bench"),
                broker_connection_retry_on_startup=True, worker_hijack_root_logger=False)


@app.task(name="process_chunk")
def process_chunk(function: str, lines: list) -> list:
    process = getattr(python_functions, function)
    return [process(line) for line in lines]


@signals.worker_ready.connect
def _ready(**_) -> None:
    # The worker logs at warning level (an info line per task would cost it CPU): bench.py waits for this line.
    print("streaming-bench: worker ready", file=sys.stderr, flush=True)
