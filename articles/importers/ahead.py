"""Reading ahead: a file parsed in a thread while the database writes what was read before it.

Parsing and cleaning a post is Python's work; writing it is mostly the database's, during which
Python only waits (and lets go of the GIL). With the reading in a thread of its own the two
overlap where the machine has a core to spare. A bounded queue keeps memory bounded.
"""

import queue
import threading
from collections.abc import Iterator
from typing import TypeVar

T = TypeVar("T")


def read_ahead(items: Iterator[T], *, size: int = 4) -> Iterator[T]:
    """The items, produced by a thread at most ``size`` ahead; its exception is raised here."""
    handover: queue.Queue = queue.Queue(maxsize=size)
    stop = threading.Event()

    def give(entry: tuple) -> bool:
        while not stop.is_set():
            try:
                handover.put(entry, timeout=0.1)
                return True
            except queue.Full:
                continue
        return False

    def produce() -> None:
        try:
            for item in items:
                if not give(("item", item)):
                    return
            give(("end", None))
        except BaseException as error:  # handed to the consumer, who raises it
            give(("error", error))
        finally:
            close = getattr(items, "close", None)
            if close is not None:
                close()

    thread = threading.Thread(target=produce, name="read-ahead", daemon=True)
    thread.start()
    try:
        while True:
            kind, value = handover.get()
            if kind == "item":
                yield value
            elif kind == "error":
                raise value
            else:
                return
    finally:
        stop.set()
        thread.join()
