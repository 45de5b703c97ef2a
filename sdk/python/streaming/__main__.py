"""``python3 -m streaming consumer MODULE:FUNCTION``: a consumer of that function's pipeline, on any machine.

    python3 -m streaming consumer mymodule:process_data [--pipeline NAME] [--concurrency N] [--broker URI[,URI...]]
    python3 -m streaming consumer myscript.py:process_data       # a function of a script (imported, not run as main)
    python3 -m streaming pipeline mymodule:process_data          # print the pipeline's name

The module is found as ``python3 -m`` finds it (the current directory, PYTHONPATH); the pipeline's name is the one
``streaming.Pool`` gives the same function (``mymodule.process_data``; a script: its file's stem). The broker defaults
to ``$STREAMING_RABBITMQ``. This process becomes the Consumer (``$STREAMING_CONSUMER``, else ``Consumer`` on PATH)."""
import argparse
import os
import sys

from ._consumers import consumer_argv, consumer_env
from ._executables import ExecutableNotFound
from ._reference import pipeline_of


class _Parser(argparse.ArgumentParser):
    def error(self, message):
        # One line on stderr, exit 2: the project's rule for a command-line mistake.
        print(f"python3 -m streaming: {message}", file=sys.stderr)
        sys.exit(2)


def _reference(text: str) -> str:
    where, separator, qualname = text.rpartition(":")
    if not separator or not where or not qualname:
        raise argparse.ArgumentTypeError(f"{text!r} is not MODULE:FUNCTION or SCRIPT.py:FUNCTION")
    if where.endswith(".py"):
        if not os.path.isfile(where):
            raise argparse.ArgumentTypeError(f"no such script: {where}")
        where = os.path.abspath(where)
    return f"{where}:{qualname}"


def _positive(text: str) -> int:
    if not text.isdigit() or int(text) < 1:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number >= 1")
    return int(text)


def main(argv=None) -> int:
    parser = _Parser(prog="python3 -m streaming", description=__doc__.split("\n\n")[0])
    commands = parser.add_subparsers(dest="command", required=True)
    consumer = commands.add_parser("consumer", help="run a consumer of a function's pipeline")
    consumer.add_argument("function", type=_reference, help="MODULE:FUNCTION or SCRIPT.py:FUNCTION")
    consumer.add_argument("--pipeline", help="the pipeline's name (default: from the function)")
    consumer.add_argument("--concurrency", type=_positive, default=os.cpu_count() or 1,
                          help="workers running the function (default: the core count)")
    consumer.add_argument("--broker", default=os.environ.get("STREAMING_RABBITMQ"),
                          help="AMQP URI, or a comma-separated list of a cluster's nodes (default: $STREAMING_RABBITMQ)")
    pipeline = commands.add_parser("pipeline", help="print the pipeline's name for a function")
    pipeline.add_argument("function", type=_reference)
    args = parser.parse_args(argv)
    name = args.pipeline or pipeline_of(args.function) if args.command == "consumer" else pipeline_of(args.function)
    if args.command == "pipeline":
        print(name)
        return 0
    try:
        argv = consumer_argv(args.function, name, args.concurrency)
    except ExecutableNotFound as error:
        print(f"python3 -m streaming: {error}", file=sys.stderr)
        return 2
    env = consumer_env(args.broker, [os.getcwd()] + [entry for entry in sys.path if entry])
    sys.stdout.flush()
    os.execvpe(argv[0], argv, env)
    return 0  # not reached


if __name__ == "__main__":
    sys.exit(main())
