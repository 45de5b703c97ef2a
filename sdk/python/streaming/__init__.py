"""Streaming's Python client: ``multiprocessing.Pool``'s ``imap`` over the lines of an input, run by a fleet of
consumers through RabbitMQ (standard library only, Python >= 3.9).

    import streaming

    def process_data(line):               # at a module's top level, as multiprocessing's spawn method requires
        return line.upper()

    if __name__ == "__main__":
        with streaming.Pool(processes=2, broker="amqp://...") as pool:      # broker default: $STREAMING_RABBITMQ
            for result in pool.imap(process_data, open("big.txt", "rb"), chunksize=1000):
                ...

The pool drives ``Producer publish - --wait --stdout-format tagged`` and starts local consumers running ``func`` with
``exec:`` workers; remote consumers join with ``python3 -m streaming consumer MODULE:FUNCTION`` (docs/python.md)."""
from ._errors import BrokerUnreachable, LineFailed, StreamingError
from ._executables import ExecutableNotFound
from ._pool import Pool
from ._reference import pipeline_of, reference_of

__all__ = ["Pool", "LineFailed", "StreamingError", "BrokerUnreachable", "ExecutableNotFound", "pipeline_of",
           "reference_of"]
