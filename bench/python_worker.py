#!/usr/bin/env python3
"""A Streaming exec: worker running one of bench/python_functions.py: python_worker.py FUNCTION"""
import os
import sys

here = os.path.dirname(os.path.abspath(__file__))
sys.path[:0] = [here, os.path.join(here, "..", "sdk", "python")]

import python_functions  # noqa: E402
from streaming_worker import run  # noqa: E402

run(getattr(python_functions, sys.argv[1]))
