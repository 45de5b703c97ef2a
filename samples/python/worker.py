#!/usr/bin/env python3
"""On the fleet: the same function as a Streaming exec: worker.

    Consumer --processor 'exec:python3 samples/python/worker.py'
"""
import os
import sys

here = os.path.dirname(os.path.abspath(__file__))
sys.path[:0] = [here, os.path.join(here, "..", "..", "sdk", "python")]

from process import process_data  # noqa: E402
from streaming_worker import run  # noqa: E402

run(process_data)
