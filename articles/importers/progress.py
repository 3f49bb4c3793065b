"""The progress bar the import commands show while they read a file."""

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from django.core.management.base import OutputWrapper
from tqdm import tqdm


@contextmanager
def file_progress(stderr: OutputWrapper, path: Path) -> Iterator[Callable[[int], None]]:
    """A bar over the file's bytes on a terminal (nothing otherwise); yields the callback that a
    reader calls with how far into the file it has read."""
    with tqdm(
        total=path.stat().st_size if path.exists() else 0,
        unit="B",
        unit_scale=True,
        desc=path.name,
        disable=not stderr.isatty(),
        file=stderr._out,
    ) as bar:
        yield lambda position: bar.update(position - bar.n)
