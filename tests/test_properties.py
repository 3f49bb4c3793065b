"""Random sequences of tree writes, checked step by step against a plain parent-pointer model."""

from collections.abc import Callable

import pytest
from django.core.exceptions import ValidationError
from django.db import transaction
from hypothesis import HealthCheck, note, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    Bundle,
    MultipleResults,
    RuleBasedStateMachine,
    consumes,
    initialize,
    invariant,
    multiple,
    rule,
    run_state_machine_as_test,
)

from articles import services
from articles.models import Article, Comment
from articles.tree_checks import find_tree_problems

Key = str  # "a3": comment #3 on article "a"

PUBLISHED, REMOVED = Comment.Status.PUBLISHED, Comment.Status.REMOVED

MACHINE_SETTINGS = settings(
    max_examples=30,
    stateful_step_count=25,
    deadline=None,
    # Examples run inside the test's transaction; nothing to remember between runs.
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


class CommentTrees(RuleBasedStateMachine):
    """Post, reply, remove, restore, move and delete comments on two articles.

    The model is what a reader would draw: each comment's parent and status, each comment's
    replies in order (a new or moved reply comes last) and the threads in the order their roots
    got their tree ids (a new thread, or a reply moved to the top, comes last).
    """

    comments = Bundle("comments")
    removed = Bundle("removed")  # comments once removed (perhaps restored or deleted since)

    # Set by the test: two articles, "a" and "b", and its way of posting a comment.
    articles: dict[str, Article]
    post_comment: Callable[..., Comment]

    def __init__(self) -> None:
        super().__init__()
        # Each example runs in a savepoint rolled back at teardown, so it starts from no comments.
        self.atomic = transaction.atomic()
        self.atomic.__enter__()
        self.parent: dict[Key, Key | None] = {}
        self.status: dict[Key, str] = {}
        self.replies: dict[Key, list[Key]] = {}
        self.threads: list[Key] = []
        # The instances comment_create returned, kept and passed on however stale they get: the
        # services re-read what they touch under the tree lock.
        self.instances: dict[Key, Comment] = {}
        self.letter_of = {article.pk: letter for letter, article in self.articles.items()}

    def teardown(self) -> None:
        transaction.set_rollback(True)
        self.atomic.__exit__(None, None, None)

    # The model.

    def subtree(self, key: Key) -> list[Key]:
        """The comment and all its replies, depth first."""
        found, stack = [], [key]
        while stack:
            node = stack.pop()
            found.append(node)
            stack.extend(reversed(self.replies[node]))
        return found

    def shape(self) -> str:
        """Every comment as "key status", indented by depth, in the model's tree order.

        Threads in tree id order, each comment followed by its replies in the model's order.
        """
        lines = []
        stack = [(root, 0) for root in reversed(self.threads)]
        while stack:
            key, depth = stack.pop()
            lines.append(f"{'  ' * depth}{key} {self.status[key]}")
            stack.extend((reply, depth + 1) for reply in reversed(self.replies[key]))
        return "\n".join(lines)

    def detach(self, key: Key) -> None:
        parent = self.parent[key]
        (self.threads if parent is None else self.replies[parent]).remove(key)

    def refusal(self, *keys: Key | None) -> str | None:
        """Why the services must refuse a write naming these comments, if they must."""
        if any(key is not None and key not in self.parent for key in keys):
            return "comment_missing"
        return None

    # The database.

    def snapshot(self) -> list[tuple]:
        """Every comment row's tree fields and status, to show a refused write changed nothing."""
        return list(
            Comment.objects.order_by("pk").values_list(
                "pk", "parent_id", "tree_id", "lft", "rght", "level", "status"
            )
        )

    def refused(self, code: str, write: Callable[[], object]) -> None:
        """Check that the write is refused for this reason and leaves every comment as it was."""
        before = self.snapshot()
        with pytest.raises(ValidationError) as caught:
            write()
        assert caught.value.code == code
        assert self.snapshot() == before

    def add(self, comment: Comment, parent: Key | None) -> Key:
        """Put a comment the services just posted into the model."""
        key = f"{self.letter_of[comment.article_id]}{comment.number}"
        note(f"posted {key}" + (f" under {parent}" if parent else ""))
        self.instances[key] = comment
        self.parent[key], self.status[key], self.replies[key] = parent, PUBLISHED, []
        (self.threads if parent is None else self.replies[parent]).append(key)
        return key

    # The rules. A deleted comment's replies stay in the bundle: naming one must be refused.

    @initialize(target=comments, replies=st.lists(st.integers(0, 11), max_size=10))
    def grow(self, replies: list[int]) -> MultipleResults[Key]:
        """Start a thread on each article, then reply to the comments posted so far by index."""
        posted = [self.add(self.post_comment(self.articles[letter]), None) for letter in "ab"]
        for index in replies:
            parent = posted[index % len(posted)]
            comment = self.post_comment(self.articles[parent[0]], parent=self.instances[parent])
            posted.append(self.add(comment, parent))
        return multiple(*posted)

    @rule(target=comments, letter=st.sampled_from("ab"))
    def start_thread(self, letter: str) -> Key:
        return self.add(self.post_comment(self.articles[letter]), None)

    @rule(target=comments, parent=comments)
    def reply(self, parent: Key) -> Key | MultipleResults[Key]:
        return self.post_reply(parent)

    @rule(target=comments, parent=removed)
    def reply_to_removed(self, parent: Key) -> Key | MultipleResults[Key]:
        return self.post_reply(parent)

    def post_reply(self, parent: Key) -> Key | MultipleResults[Key]:
        article, instance = self.articles[parent[0]], self.instances[parent]
        code = self.refusal(parent)
        if code is None and self.status[parent] != PUBLISHED:
            code = "parent_gone"
        if code:
            self.refused(code, lambda: self.post_comment(article, parent=instance))
            return multiple()
        return self.add(self.post_comment(article, parent=instance), parent)

    @rule(target=removed, comment=comments)
    def remove(self, comment: Key) -> Key | MultipleResults[Key]:
        return self.set_status(comment, REMOVED)

    @rule(comment=removed)
    def restore(self, comment: Key) -> None:
        self.set_status(comment, PUBLISHED)

    def set_status(self, comment: Key, status: Comment.Status) -> Key | MultipleResults[Key]:
        def write() -> Comment:
            return services.comment_set_status(
                comment=self.instances[comment], status=status, moderator=None
            )

        if code := self.refusal(comment):
            self.refused(code, write)
            return multiple()
        assert write().status == status
        self.status[comment] = status
        return comment

    @rule(comment=comments, under=comments)
    def move(self, comment: Key, under: Key) -> None:
        self.move_to(comment, under)

    @rule(comment=comments)
    def move_to_top(self, comment: Key) -> None:
        self.move_to(comment, None)

    def move_to(self, comment: Key, under: Key | None) -> None:
        parent = None if under is None else self.instances[under]

        def write() -> Comment:
            return services.comment_move(comment=self.instances[comment], parent=parent)

        code = self.refusal(comment, under)
        if code is None and under is not None and under[0] != comment[0]:
            code = "parent_other_article"
        if code is None and under in self.subtree(comment):
            code = "move_into_own_subtree"
        if code:
            self.refused(code, write)
            return
        assert write().parent_id == (None if parent is None else parent.pk)
        # Asked to stay where it is (a thread to the top, a reply to its own parent), it stays.
        if under == self.parent[comment]:
            return
        self.detach(comment)
        self.parent[comment] = under
        (self.threads if under is None else self.replies[under]).append(comment)

    @rule(comment=consumes(comments))
    def delete(self, comment: Key) -> None:
        def write() -> int:
            return services.comment_delete(comment=self.instances[comment])

        if code := self.refusal(comment):
            self.refused(code, write)
            return
        gone = self.subtree(comment)
        assert write() == len(gone)
        self.detach(comment)
        for key in gone:
            del self.parent[key], self.status[key], self.replies[key]

    # The checks, after every step.

    @invariant()
    def trees_match_the_model(self) -> None:
        assert find_tree_problems() == {}
        rows = Comment.objects.order_by("tree_id", "lft").values_list(
            "pk", "article_id", "number", "parent_id", "status", "level"
        )
        key_of = {pk: f"{self.letter_of[article]}{number}" for pk, article, number, *_ in rows}
        shape = "\n".join(f"{'  ' * level}{key_of[pk]} {status}" for pk, *_, status, level in rows)
        assert shape == self.shape()
        assert {key_of[pk]: key_of.get(parent) for pk, _, _, parent, *_ in rows} == self.parent


def test_comment_trees_follow_a_parent_pointer_model(article, other_article, post):
    class Machine(CommentTrees):
        articles = {"a": article, "b": other_article}
        post_comment = staticmethod(post)

    run_state_machine_as_test(Machine, settings=MACHINE_SETTINGS)
