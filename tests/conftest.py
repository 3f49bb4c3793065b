"""Fixtures shared by the tests; plain helper functions live in tests/helpers.py."""

import shutil
from collections.abc import Callable
from contextlib import contextmanager
from io import StringIO
from pathlib import Path

import pytest
from django.conf import settings

from articles import services
from articles.models import Article, Comment

from .helpers import SEED_NAME


@pytest.fixture(autouse=True)
def _fast_password_hasher(settings):
    """Hashing a password the production way takes a good part of a second; tests check
    who may do what, not the hash, and a weak hash saves that time on every user made."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def _quick_posting_allowed(settings):
    """Tests post fast and often from one address; the abuse tests set their own limits.

    The same windows as the tests that lower a limit use: a post counted here counts there."""
    settings.FORUM_RATE_LIMITS = {"burst": (10_000, 3600), "hourly": (10_000, 86400)}
    settings.FORUM_REACTION_RATE_LIMITS = {"reaction_burst": (10_000, 3600)}
    settings.FORUM_FORM_MIN_SECONDS = 0


@pytest.fixture(autouse=True)
def _no_random_pruning(monkeypatch):
    """One rate count in fifty deletes the expired counters, one post in a hundred the old used
    forms: a statement more, at random, for the tests that count a request's queries. The tests
    of the pruning set their own chance."""
    monkeypatch.setattr("articles.abuse.limits.PRUNE_CHANCE", 0)
    monkeypatch.setattr("articles.posting.PRUNE_CHANCE", 0)


@pytest.fixture(autouse=True)
def _empty_thread_cache():
    """Each test starts with no rendered threads or pages cached: ids repeat from test to test."""
    from django.core.cache import caches

    caches[settings.RENDERED_CACHE].clear()
    caches[settings.PAGE_CACHE].clear()


@pytest.fixture
def seed_dir(tmp_path: Path) -> Path:
    """A copy of the shipped seed and its companion, free to edit."""
    for suffix in (".txt", ".comments"):
        shutil.copy(Path(settings.SEEDS_DIR) / f"{SEED_NAME}{suffix}", tmp_path)
    return tmp_path


@pytest.fixture
def article(db) -> Article:
    return Article.objects.create(title="テスト記事", slug="test-article", lead="リード")


@pytest.fixture
def other_article(db) -> Article:
    return Article.objects.create(title="別の記事", slug="other-article", lead="リード")


@pytest.fixture
def post() -> Callable[..., Comment]:
    """Post a comment through the services, as the site does."""

    def post(article: Article, body: str = "コメント", parent: Comment | None = None) -> Comment:
        return services.comment_create(article=article, parent=parent, body=body)

    return post


@pytest.fixture
def seeded(db, seed_dir: Path) -> Article:
    """The shipped seed article, imported."""
    from django.core.management import call_command

    call_command("import_seeds", str(seed_dir), stdout=StringIO(), stderr=StringIO())
    return Article.objects.get()


@pytest.fixture
def moderator(db):
    """A staff user in the moderators group: not a superuser."""
    from django.contrib.auth.models import Group, User

    user = User.objects.create_user("moderator", password="mod-password-123", is_staff=True)
    user.groups.add(Group.objects.get(name="moderators"))
    return user


@pytest.fixture
def moderator_client(client, moderator):
    client.force_login(moderator)
    return client


@pytest.fixture
def thread(article, post) -> Article:
    """#1 with replies #2 (itself answered by #3) and #4; #5 a second thread."""
    first = post(article, "一")
    second = post(article, "二", parent=first)
    post(article, "三", parent=second)
    post(article, "四", parent=first)
    post(article, "五")
    return article


@pytest.fixture
def media_root(settings, tmp_path: Path) -> Path:
    """Uploaded files go to a directory of the test's own."""
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


@pytest.fixture
def mixed(article: Article) -> dict[str, Comment]:
    """A thread of every kind of comment: only those named "public…" are for readers."""

    def create(body: str, *, parent: Comment | None = None, name: str = "") -> Comment:
        return services.comment_create(article=article, parent=parent, body=body, author_name=name)

    root = create("公開の最初", name="太郎")
    made = {
        "public_root": root,
        "public_reply": create("公開の返信 <b>太字</b>", parent=root),
        "hidden": create("非表示", parent=root),
        "removed": create("削除済み", parent=root),
        "deleted": create("本人削除", parent=root),
        "held": create("承認待ち", parent=root),
    }
    # Replies are made while their parents are still published: nobody may answer a comment
    # readers cannot see, but a comment may be held or hidden, or moved, after it has answers.
    made["under_held"] = create("承認待ちへの返信", parent=made["held"])
    made["public_under_hidden"] = create("非表示への返信", parent=made["hidden"])
    for name, status in (
        ("held", Comment.Status.PENDING),
        ("hidden", Comment.Status.HIDDEN),
        ("removed", Comment.Status.REMOVED),
        ("deleted", Comment.Status.DELETED),
    ):
        services.comment_set_status(comment=made[name], status=status, moderator=None)
    return made


@pytest.fixture
def run_worker(django_capture_on_commit_callbacks, monkeypatch):
    """Run `manage.py db_worker --batch` until the queue is empty, as the worker would commit.

    Inside the test's transaction: the worker's closing of old connections between tasks (which
    would close the test's own) is left out, and what it commits runs its on-commit callbacks.
    """
    from django.core.management import call_command
    from django_tasks_db.management.commands import db_worker
    from django_tasks_db.models import DBTaskResult

    monkeypatch.setattr(db_worker, "close_old_connections", lambda: None)

    def run() -> None:
        for _ in range(10):
            if not DBTaskResult.objects.ready().exists():
                return
            with django_capture_on_commit_callbacks(execute=True):
                call_command(
                    "db_worker", "--batch", "--no-reload", "--no-startup-delay", stdout=StringIO()
                )
        raise AssertionError("the queue never emptied")

    return run


@pytest.fixture
def sending_mail(run_worker, django_capture_on_commit_callbacks):
    """A block after which the mail it queued has been sent by the worker (into `mailoutbox`)."""

    @contextmanager
    def sending():
        with django_capture_on_commit_callbacks(execute=True):
            yield
        run_worker()

    return sending
