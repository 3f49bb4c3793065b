"""articles.importers.ahead: items in order, the producer's error raised, the thread ended."""

import threading

import pytest

from articles.importers.ahead import read_ahead


def test_items_come_in_order():
    assert list(read_ahead(iter(range(100)), size=2)) == list(range(100))


def test_the_producers_error_is_raised_to_the_consumer():
    def items():
        yield 1
        raise ValueError("broken at 2")

    seen = []
    with pytest.raises(ValueError, match="broken at 2"):
        seen.extend(read_ahead(items()))
    assert seen == [1]


def test_a_consumer_that_stops_early_ends_the_thread():
    closed = threading.Event()

    def items():
        try:
            n = 0
            while True:
                n += 1
                yield n
        finally:
            closed.set()

    ahead = read_ahead(items(), size=2)
    assert next(ahead) == 1
    ahead.close()
    assert closed.wait(5)
    assert not [t for t in threading.enumerate() if t.name == "read-ahead"]
