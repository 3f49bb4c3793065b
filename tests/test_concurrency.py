"""Eight posters writing into one article at once leave every tree sound and lose nothing.

Runs on the suite's database: a file-based SQLite database in one pass, PostgreSQL in the other.
The same test with the tree lock switched off must find damage, which shows it can fail.
"""

import copy
import random
import threading
from collections import Counter
from dataclasses import dataclass, field

import pytest
from django.core.exceptions import ValidationError
from django.db import close_old_connections, connection, connections

from articles import services
from articles.models import Article, Comment
from articles.sql import locks
from articles.tree_checks import find_tree_problems

POSTERS = 8
POSTS_EACH = 25


@dataclass
class Outcome:
    posted: dict[int, int | None] = field(default_factory=dict)  # comment pk -> parent pk
    errors: list[str] = field(default_factory=list)

    def damage(self, article: Article) -> list[str]:
        """Everything wrong afterwards: errors, lost or misplaced posts, broken trees, numbers."""
        return self.errors + self.broken(article)

    def broken(self, article: Article) -> list[str]:
        """What the database holds wrongly afterwards: lost or misplaced posts, trees, numbers."""
        found = []
        stored = dict(article.comments.values_list("pk", "parent_id"))
        for pk, parent_pk in self.posted.items():
            if pk not in stored:
                found.append(f"comment {pk} is missing")
            elif stored[pk] != parent_pk:
                found.append(f"comment {pk} is under {stored[pk]}, not {parent_pk}")
        found += [f"tree {t}: {p}" for t, ps in find_tree_problems().items() for p in ps]
        numbers = list(article.comments.values_list("number", flat=True))
        if len(numbers) != len(set(numbers)):
            found.append("comment numbers repeat")
        return found


def post_concurrently(article: Article) -> Outcome:
    """POSTERS threads each post POSTS_EACH comments: mostly replies into two busy threads."""
    roots = [services.comment_create(article=article, body=f"スレ{n}") for n in (1, 2)]
    # Parents as the reply view passes them: loaded whole, tree id included.
    targets = list(roots)
    outcome = Outcome()
    guard = threading.Lock()
    start = threading.Barrier(POSTERS)

    def poster(seed: int) -> None:
        rng = random.Random(seed)
        try:
            start.wait()
            for n in range(POSTS_EACH):
                with guard:
                    parent = None if rng.random() < 0.2 else copy.copy(rng.choice(targets))
                parent_pk = parent.pk if parent else None
                try:
                    comment = services.comment_create(
                        article=article, parent=parent, body=f"poster {seed} post {n}"
                    )
                except Exception as error:
                    with guard:
                        outcome.errors.append(f"{type(error).__name__}: {error}")
                    continue
                with guard:
                    outcome.posted[comment.pk] = parent_pk
                    targets.append(comment)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=poster, args=(seed,)) for seed in range(POSTERS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=300)
    assert not any(thread.is_alive() for thread in threads), "posters hung"
    close_old_connections()
    return outcome


@pytest.mark.django_db(transaction=True)
def test_concurrent_posters_keep_every_tree_sound(article):
    outcome = post_concurrently(article)
    assert outcome.damage(article) == []
    assert len(outcome.posted) == POSTERS * POSTS_EACH
    assert sorted(article.comments.values_list("number", flat=True)) == list(
        range(1, POSTERS * POSTS_EACH + 3)
    )


@pytest.mark.django_db(transaction=True)
def test_without_the_tree_lock_the_same_test_finds_damage(article, monkeypatch):
    monkeypatch.setattr(locks, "lock_trees", lambda tree_ids, *, wait=True: None)
    if connection.vendor == "sqlite":
        # On SQLite the lock is the IMMEDIATE transaction; new connections read these options.
        options = connection.settings_dict["OPTIONS"]
        monkeypatch.setitem(options, "transaction_mode", "DEFERRED")
        # Deferred writers that collide wait for the busy timeout; keep the failing run short.
        monkeypatch.setitem(options, "timeout", 1)
    outcome = post_concurrently(article)
    if connection.vendor == "postgresql":
        # Writers shift lft/rght from values another has changed meanwhile: broken trees.
        assert outcome.broken(article) != []
    else:
        # SQLite cannot interleave them; a writer whose read went stale is refused instead, and
        # the reader's post is lost.
        assert outcome.errors != []
        assert {error.split(":")[0] for error in outcome.errors} == {"OperationalError"}
        assert len(outcome.posted) < POSTERS * POSTS_EACH


@pytest.mark.django_db(transaction=True)
def test_concurrent_moves_deletes_removals_and_replies_keep_every_tree_sound(article):
    """Moderators move, delete and remove while readers reply: no deadlock, no damage, and
    every comment is either still there or went with a delete."""
    roots = [services.comment_create(article=article, body=f"スレ{n}") for n in range(4)]
    for root in roots:
        parent = root
        for n in range(5):
            parent = services.comment_create(article=article, parent=parent, body=f"返信{n}")
    errors: list[str] = []
    done: Counter[str] = Counter()  # what succeeded, by kind; "created"/"deleted": comments
    guard = threading.Lock()
    start = threading.Barrier(POSTERS)
    statuses = [Comment.Status.REMOVED, Comment.Status.HIDDEN, Comment.Status.PUBLISHED]

    def act(seed: int, rng: random.Random) -> tuple[str, int]:
        # Comments as the pages and the admin load them, a moment before acting on them.
        comments = list(article.comments.all())
        comment, target = rng.sample(comments, 2)
        if seed == 0:
            services.comment_move(comment=comment, parent=None)
            return "move to the top", 0
        if seed == 1:
            services.comment_move(comment=comment, parent=target)
            return "move under another", 0
        # Deletes take only deep replies, so that the threads do not run dry.
        deep = [c for c in comments if c.level >= 3]
        if seed == 2 and deep and rng.random() < 0.3:
            return "delete", services.comment_delete(comment=rng.choice(deep))
        if seed in (2, 3):
            status = rng.choice(statuses)
            services.comment_set_status(comment=comment, status=status, moderator=None)
            return "status", 0
        services.comment_create(article=article, parent=target, body="返信")
        return "reply", 0

    def worker(seed: int) -> None:
        rng = random.Random(seed)
        try:
            start.wait()
            for _ in range(15):
                try:
                    kind, deleted = act(seed, rng)
                except ValidationError as error:
                    # Moved under its own reply, gone meanwhile, or a reply to a removed
                    # comment: refused, not damage.
                    kind, deleted = f"refused: {error.error_list[0].code}", 0
                with guard:
                    done[kind] += 1
                    done["created"] += kind == "reply"
                    done["deleted"] += deleted
        except Exception as error:
            errors.append(f"{type(error).__name__}: {error}")
        finally:
            connections.close_all()

    before = article.comments.count()
    threads = [threading.Thread(target=worker, args=(seed,)) for seed in range(POSTERS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=300)
    assert not any(thread.is_alive() for thread in threads), "workers hung"
    close_old_connections()
    assert errors == []
    assert find_tree_problems() == {}
    assert article.comments.count() == before + done["created"] - done["deleted"]
    # Every kind of write really happened, side by side.
    for kind in ("move to the top", "move under another", "delete", "status", "reply"):
        assert done[kind] > 0, (kind, done)


@pytest.mark.django_db(transaction=True)
def test_slug_changes_while_readers_post_lose_nothing_and_every_link_still_leads_there(
    article, client
):
    """Renames and replies at once: no errors, sound trees, every >>N link leads to its comment."""
    import re

    from articles.models import ArticleRedirect

    first = services.comment_create(article=article, body="スレ")
    errors: list[str] = []
    guard = threading.Lock()
    start = threading.Barrier(5)

    def poster(seed: int) -> None:
        try:
            start.wait()
            for n in range(12):
                current = Article.objects.get(pk=article.pk)  # as each request reads it
                parent = Comment.objects.get(pk=first.pk)
                try:
                    services.comment_create(
                        article=current, parent=parent, body=f">>1 poster {seed} post {n}"
                    )
                except Exception as error:
                    with guard:
                        errors.append(f"{type(error).__name__}: {error}")
        finally:
            connections.close_all()

    def renamer() -> None:
        try:
            start.wait()
            for n in range(3):
                try:
                    services.article_slug_change(article=article, slug=f"renamed-{n}")
                except Exception as error:
                    with guard:
                        errors.append(f"rename: {type(error).__name__}: {error}")
        finally:
            connections.close_all()

    threads = [threading.Thread(target=poster, args=(seed,)) for seed in range(4)]
    threads.append(threading.Thread(target=renamer))
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=300)
    assert not any(thread.is_alive() for thread in threads), "writers hung"
    close_old_connections()
    assert errors == []
    assert find_tree_problems() == {}
    assert article.comments.count() == 1 + 4 * 12
    article.refresh_from_db()
    assert article.slug == "renamed-2"
    old = set(ArticleRedirect.objects.filter(article=article).values_list("old_slug", flat=True))
    assert old == {"test-article", "renamed-0", "renamed-1"}
    # A post that read the slug just before a rename links to the old address, which redirects.
    linked = set()
    for html in article.comments.exclude(pk=first.pk).values_list("body_html", flat=True):
        linked |= set(re.findall(r'href="/articles/([^/]+)/c/1/"', html))
    assert linked <= old | {"renamed-2"}
    for slug in linked - {"renamed-2"}:
        assert client.get(f"/articles/{slug}/c/1/")["Location"] == "/articles/renamed-2/c/1/"
