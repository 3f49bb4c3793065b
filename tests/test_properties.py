"""Random sequences of tree writes, checked step by step against a plain parent-pointer model."""

from collections.abc import Callable

import pytest
from django.core.exceptions import ValidationError
from django.db import transaction
from hypothesis import HealthCheck, note, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    initialize,
    invariant,
    precondition,
    rule,
    run_state_machine_as_test,
)

from articles import services
from articles.integrity import find_tree_problems
from articles.models import Article, Comment

from .conftest import tree_shape

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

    def tree_order(self) -> list[tuple[Key, int]]:
        """Every comment with its depth, threads in tree id order, replies in the model's order."""
        order: list[tuple[Key, int]] = []
        stack = [(root, 0) for root in reversed(self.threads)]
        while stack:
            node, depth = stack.pop()
            order.append((node, depth))
            stack.extend((reply, depth + 1) for reply in reversed(self.replies[node]))
        return order

    def shape(self, letter: str) -> str:
        """The article's comments as tree_shape() draws them."""
        return "\n".join(
            f"{'  ' * depth}#{key[1:]} コメント"
            for key, depth in self.tree_order()
            if key[0] == letter
        )

    def detach(self, key: Key) -> None:
        parent = self.parent[key]
        (self.threads if parent is None else self.replies[parent]).remove(key)

    def comments_of(self, letter: str) -> list[Key]:
        return sorted(key for key in self.parent if key[0] == letter)

    def draw_comment(self, data, label: str, letter: str | None = None) -> Key:
        keys = sorted(self.parent) if letter is None else self.comments_of(letter)
        return data.draw(st.sampled_from(keys), label=label)

    # The database.

    def snapshot(self) -> list[tuple]:
        """Every comment row's tree fields and status, to show a refused write changed nothing."""
        return list(
            Comment.objects.order_by("pk").values_list(
                "pk", "parent_id", "tree_id", "lft", "rght", "level", "status"
            )
        )

    def refused(self, code: str, write) -> None:
        before = self.snapshot()
        with pytest.raises(ValidationError) as caught:
            write()
        assert caught.value.code == code
        assert self.snapshot() == before

    # The rules.

    @initialize()
    def start(self) -> None:
        self.letter_of = {article.pk: letter for letter, article in self.articles.items()}

    @rule(letter=st.sampled_from("ab"))
    def start_thread(self, letter: str) -> None:
        comment = self.post_comment(self.articles[letter])
        key = f"{letter}{comment.number}"
        note(f"new thread {key}")
        self.instances[key] = comment
        self.parent[key], self.status[key], self.replies[key] = None, PUBLISHED, []
        self.threads.append(key)

    @precondition(lambda self: self.parent)
    @rule(data=st.data())
    def reply(self, data) -> None:
        parent = self.draw_comment(data, "reply to")
        article = self.articles[parent[0]]
        if self.status[parent] != PUBLISHED:
            self.refused(
                "parent_gone", lambda: self.post_comment(article, parent=self.instances[parent])
            )
            return
        comment = self.post_comment(article, parent=self.instances[parent])
        key = f"{parent[0]}{comment.number}"
        note(f"new reply {key} to {parent}")
        self.instances[key] = comment
        self.parent[key], self.status[key], self.replies[key] = parent, PUBLISHED, []
        self.replies[parent].append(key)

    @precondition(lambda self: self.parent)
    @rule(data=st.data(), status=st.sampled_from([REMOVED, PUBLISHED]))
    def set_status(self, data, status: Comment.Status) -> None:
        key = self.draw_comment(data, "comment")
        services.comment_set_status(comment=self.instances[key], status=status, moderator=None)
        self.status[key] = status

    @precondition(lambda self: self.parent)
    @rule(data=st.data(), to_top=st.booleans())
    def move(self, data, to_top: bool) -> None:
        key = self.draw_comment(data, "move")
        target = None if to_top else self.draw_comment(data, "under", letter=key[0])
        parent = None if target is None else self.instances[target]
        if target in self.subtree(key):
            self.refused(
                "move_into_own_subtree",
                lambda: services.comment_move(comment=self.instances[key], parent=parent),
            )
            return
        moved = services.comment_move(comment=self.instances[key], parent=parent)
        assert moved.parent_id == (None if parent is None else parent.pk)
        # Asked to stay where it is (a thread to the top, a reply to its own parent), it stays.
        if target == self.parent[key]:
            return
        self.detach(key)
        self.parent[key] = target
        (self.threads if target is None else self.replies[target]).append(key)

    @precondition(lambda self: self.comments_of("a") and self.comments_of("b"))
    @rule(data=st.data())
    def move_to_another_article(self, data) -> None:
        key = self.draw_comment(data, "move")
        target = self.draw_comment(data, "under", letter="b" if key[0] == "a" else "a")
        self.refused(
            "parent_other_article",
            lambda: services.comment_move(
                comment=self.instances[key], parent=self.instances[target]
            ),
        )

    @precondition(lambda self: self.parent)
    @rule(data=st.data())
    def delete(self, data) -> None:
        key = self.draw_comment(data, "delete")
        gone = self.subtree(key)
        assert services.comment_delete(comment=self.instances[key]) == len(gone)
        self.detach(key)
        for node in gone:
            del self.parent[node], self.status[node], self.replies[node], self.instances[node]

    # The checks, after every step.

    @invariant()
    def trees_match_the_model(self) -> None:
        assert find_tree_problems() == {}
        rows = Comment.objects.order_by("tree_id", "lft").values(
            "pk", "article_id", "number", "parent_id", "status", "level"
        )
        key_of = {row["pk"]: f"{self.letter_of[row['article_id']]}{row['number']}" for row in rows}
        assert {key_of[row["pk"]]: key_of.get(row["parent_id"]) for row in rows} == self.parent
        assert {key_of[row["pk"]]: row["status"] for row in rows} == self.status
        assert [(key_of[row["pk"]], row["level"]) for row in rows] == self.tree_order()
        for letter, article in self.articles.items():
            assert tree_shape(article) == self.shape(letter)


def test_comment_trees_follow_a_parent_pointer_model(article, other_article, post):
    class Machine(CommentTrees):
        articles = {"a": article, "b": other_article}
        post_comment = staticmethod(post)

    run_state_machine_as_test(Machine, settings=MACHINE_SETTINGS)
