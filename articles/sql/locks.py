"""Locks that serialise writes to one comment tree.

django-mptt keeps each tree as nested sets and rewrites ``lft``/``rght`` of many rows on every
insert, move or delete, computing the new values from what it read a moment before. Two such
writes to one tree at the same time corrupt it, and two new roots at once can take the same
``tree_id``. Every tree write therefore runs in a transaction that first takes the lock of each tree
it touches (and the new-tree lock when it creates a tree); the lock is released at commit.

- PostgreSQL: transaction-level advisory locks, one per tree, so writes to different threads of
  the same article run side by side.
- SQLite: the settings open every transaction with ``BEGIN IMMEDIATE``, which already holds the
  database's single write lock; there is nothing more to take.
"""

import functools
import random
import time
from collections.abc import Callable, Iterable
from typing import ParamSpec, TypeVar

from django.db import NotSupportedError, connection
from django.db.models import QuerySet

P = ParamSpec("P")
R = TypeVar("R")

# The first key of our advisory locks, so that they cannot collide with other users of
# pg_advisory_xact_lock(int, int) in the same database ("CmTr").
ADVISORY_NAMESPACE = 0x436D5472
# The second key for the lock held while a new tree id is chosen; real tree ids start at 1.
NEW_TREE = 0


class LockConflict(Exception):
    """A lock could not be taken without risking a deadlock: roll back and try again."""


def lock_trees(tree_ids: Iterable[int | None], *, wait: bool = True) -> None:
    """Hold the given trees' locks until the current transaction ends (None: the new-tree lock).

    With ``wait=False`` (for locks taken after others are already held, out of order) raise
    LockConflict instead of waiting for a lock another transaction holds.
    """
    if not connection.in_atomic_block:
        raise RuntimeError("Comment-tree locks must be taken inside transaction.atomic().")
    keys = sorted({NEW_TREE if tree_id is None else tree_id for tree_id in tree_ids})
    if connection.vendor == "postgresql":
        # In ascending order, so that two writers needing the same two trees cannot deadlock.
        with connection.cursor() as cursor:
            for key in keys:
                if wait:
                    cursor.execute(
                        "SELECT pg_advisory_xact_lock(%s, %s)", [ADVISORY_NAMESPACE, key]
                    )
                    continue
                cursor.execute(
                    "SELECT pg_try_advisory_xact_lock(%s, %s)", [ADVISORY_NAMESPACE, key]
                )
                if not cursor.fetchone()[0]:
                    raise LockConflict(f"comment tree {key} is locked")
    elif connection.vendor == "sqlite":
        if connection.transaction_mode != "IMMEDIATE":
            raise NotSupportedError(
                "SQLite must open transactions with BEGIN IMMEDIATE "
                "(OPTIONS['transaction_mode']) to serialise comment-tree writes."
            )
    else:
        raise NotSupportedError(f"No comment-tree lock for the {connection.vendor} backend.")


def hold_trees(tree_ids: QuerySet, *, new_tree: bool = False, wait: bool = True) -> set[int | None]:
    """Hold the locks of the trees ``tree_ids`` (a query of tree ids) names, and the new-tree
    lock with ``new_tree``, until the current transaction ends; return the trees held.

    The query is asked again once its trees are locked, until it names none not yet held: a
    comment moved to another tree, or a thread started, between the read and the lock is
    followed. Only the first locks wait (when ``wait``), taken together and in order; any taken
    after them are out of order and raise LockConflict instead of waiting (see retrying).
    """
    held: set[int | None] = set()
    while wanted := {*tree_ids.all(), *([None] if new_tree else [])} - held:
        lock_trees(wanted, wait=wait and not held)
        held |= wanted
    return held


def retrying(write: Callable[P, R]) -> Callable[P, R]:
    """Run a tree write again (a few times) when it met a lock it could not wait for."""

    @functools.wraps(write)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        for attempt in range(5):
            try:
                return write(*args, **kwargs)
            except LockConflict:
                if connection.in_atomic_block:
                    raise  # only the outermost transaction can let go of its locks
                time.sleep(0.01 * (attempt + 1) * random.random())
        return write(*args, **kwargs)

    return wrapper
