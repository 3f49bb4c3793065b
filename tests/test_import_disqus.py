"""import_disqus: a Disqus export (tests/data/disqus.xml) as threads on articles."""

import tracemalloc
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from articles import moderation
from articles.abuse.addresses import ip_hash
from articles.importers.disqus import read_disqus
from articles.models import Article, Comment
from articles.tree_checks import find_tree_problems

DISQUS = Path(__file__).parent / "data" / "disqus.xml"


def run(*args: str) -> str:
    out = StringIO()
    call_command("import_disqus", *args, stdout=out, stderr=out)
    assert find_tree_problems() == {}
    return out.getvalue()


@pytest.fixture
def existing(db) -> Article:
    return Article.objects.create(
        title="サイトの記事",
        slug="existing",
        lead="もとのリード",
        source_url="https://news.example.jp/articles/existing/",
    )


@pytest.fixture
def imported(existing) -> str:
    return run(str(DISQUS))


def comments(article: Article) -> dict[str, Comment]:
    return {c.import_ref: c for c in article.comments.all()}


def test_threads_are_matched_by_url_or_created(existing, imported):
    existing.refresh_from_db()
    assert existing.title == "サイトの記事"
    assert existing.lead == "もとのリード"
    assert existing.import_ref == "disqus:5001"
    created = Article.objects.get(import_ref="disqus:5002")
    assert created.title == "新しいスレッド & 記事"
    assert created.source_url == "https://news.example.jp/articles/new-one/"
    assert not created.comments_open
    assert Article.objects.count() == 2  # the empty thread is skipped


def test_posts_keep_their_replies_and_deleted_ones_become_removed(existing, imported):
    found = comments(existing)
    assert set(found) == {"disqus:9001", "disqus:9002", "disqus:9003"}
    assert found["disqus:9002"].parent == found["disqus:9001"]
    assert found["disqus:9003"].parent == found["disqus:9002"]
    assert found["disqus:9002"].status == Comment.Status.REMOVED
    assert [found[f"disqus:900{n}"].number for n in (1, 2, 3)] == [1, 2, 3]
    assert found["disqus:9001"].body == "最初の投稿です。\n二行目 😀"
    assert found["disqus:9001"].author_name == "Alice"
    assert found["disqus:9001"].created_at.isoformat() == "2021-03-04T06:00:00+00:00"
    assert found["disqus:9001"].ip_hash == ip_hash("198.51.100.1")
    new = Article.objects.get(import_ref="disqus:5002")
    assert comments(new)["disqus:9005"].body == "> 引用\n\n新しい記事へのコメント"


def test_summary_reports_spam_orphans_and_empty_threads(imported):
    assert "spam comments left out: 1" in imported
    assert "comments of a missing thread skipped: 1" in imported
    assert "empty threads skipped: 1" in imported
    assert "thread 7777" in imported


def test_nothing_private_reaches_the_page(existing, imported, client):
    html = client.get(existing.get_absolute_url()).content.decode()
    assert "最初の投稿です。" in html
    for word in ("DELETEDWORD", "SPAMWORD", "ORPHANWORD", "@example.com"):
        assert word not in html
    assert not Comment.objects.filter(body__contains="SPAMWORD").exists()


def test_importing_again_changes_nothing(imported):
    before = list(Comment.objects.order_by("pk").values())
    articles = list(Article.objects.order_by("pk").values())
    out = run(str(DISQUS))
    assert list(Comment.objects.order_by("pk").values()) == before
    assert list(Article.objects.order_by("pk").values()) == articles
    assert "articles unchanged: 2" in out


def test_posts_a_moderator_deleted_stay_deleted_when_imported_again(existing, imported, moderator):
    moderation.comment_subtree_delete(
        comment=comments(existing)["disqus:9002"], moderator=moderator
    )
    assert set(comments(existing)) == {"disqus:9001"}
    out = run(str(DISQUS))
    assert "comments deleted here, left out: 2" in out
    assert set(comments(existing)) == {"disqus:9001"}


def test_times_that_are_not_times_are_named_and_replaced_the_same_every_time(existing, tmp_path):
    text = DISQUS.read_text(encoding="utf-8")
    text = text.replace(
        "<createdAt>2021-03-04T08:00:00Z</createdAt>", "<createdAt>garbage</createdAt>"
    )
    text = text.replace(
        "<createdAt>2021-04-01T00:00:00Z</createdAt>", "<createdAt>2021-99-99</createdAt>"
    )
    path = tmp_path / "dates.xml"
    path.write_text(text, encoding="utf-8")
    lines = text.splitlines()
    post = next(n for n, line in enumerate(lines, 1) if '<post dsq:id="9003">' in line)
    thread = next(n for n, line in enumerate(lines, 1) if '<thread dsq:id="5002">' in line)
    out = run(str(path))
    assert f"{path}:{post}: post 9003: 'garbage' is not a time; it takes its thread's" in out
    assert f"{path}:{thread}: thread 5002: '2021-99-99' is not a time" in out
    replaced = comments(existing)["disqus:9003"]
    assert replaced.created_at.isoformat() == "2021-03-04T05:06:07+00:00"  # its thread's
    before = list(Comment.objects.order_by("pk").values())
    articles = list(Article.objects.order_by("pk").values())
    out = run(str(path))
    assert list(Comment.objects.order_by("pk").values()) == before
    assert list(Article.objects.order_by("pk").values()) == articles


def test_posts_without_an_id_are_left_out_and_said_so(existing, tmp_path):
    text = DISQUS.read_text(encoding="utf-8")
    for post_id in ("9003", "9005"):
        text = text.replace(f'<post dsq:id="{post_id}">', "<post>")
    path = tmp_path / "no-ids.xml"
    path.write_text(text, encoding="utf-8")
    out = run(str(path))
    assert out.count("a post without an id was left out") == 2
    refs = set(Comment.objects.values_list("import_ref", flat=True))
    assert refs == {"disqus:9001", "disqus:9002"}


def test_a_threads_bad_time_is_named_on_the_threads_line_not_a_posts(existing, tmp_path):
    """A post naming the thread (<thread dsq:id="5002" />) comes before the thread itself."""
    text = DISQUS.read_text(encoding="utf-8")
    text = text.replace("<createdAt>2021-04-01T00:00:00Z</createdAt>", "<createdAt>bad</createdAt>")
    start = text.index('  <thread dsq:id="5002">')
    end = text.index("</thread>", start) + len("</thread>\n")
    block = text[start:end]
    text = text[:start] + text[end:].replace("</disqus>", block + "</disqus>")  # after its posts
    path = tmp_path / "thread-time.xml"
    path.write_text(text, encoding="utf-8")
    lines = text.splitlines()
    thread = next(n for n, line in enumerate(lines, 1) if '<thread dsq:id="5002">' in line)
    assert f"{path}:{thread}: thread 5002: 'bad' is not a time" in run(str(path))


def test_a_malformed_export_says_where(db, tmp_path):
    path = tmp_path / "bad.xml"
    path.write_text('<disqus xmlns="http://disqus.com">\n<thread>\n</disqus>')
    with pytest.raises(CommandError, match=r"bad\.xml:3:3: mismatched tag"):
        call_command("import_disqus", str(path), stdout=StringIO())


@pytest.mark.parametrize("parent", ["", '<parent dsq:id="9002" />'], ids=["plain", "looping"])
def test_a_post_id_given_twice_is_refused_with_its_lines(existing, tmp_path, parent):
    """The second 9002 renamed from another post: a reply to itself, or not."""
    text = DISQUS.read_text(encoding="utf-8")
    lines = text.splitlines()
    original = next(n for n, line in enumerate(lines, 1) if '<post dsq:id="9002">' in line)
    renamed = next(n for n, line in enumerate(lines, 1) if '<post dsq:id="9003">' in line)
    first, second = sorted((original, renamed))
    text = text.replace('<post dsq:id="9003">', '<post dsq:id="9002">')
    text = text.replace('<parent dsq:id="9002" />', parent, 1)
    path = tmp_path / "repeated.xml"
    path.write_text(text, encoding="utf-8")
    for dry_run in ([], ["--dry-run"]):
        with pytest.raises(CommandError) as error:
            call_command("import_disqus", str(path), *dry_run, stdout=StringIO())
        assert str(error.value) == (
            f"{path}:{second}: post id '9002' is given twice (first on line {first})"
        )
    assert not Comment.objects.exists()
    existing.refresh_from_db()
    assert existing.import_ref is None


def test_dry_run_writes_nothing(existing):
    out = StringIO()
    call_command("import_disqus", str(DISQUS), "--dry-run", stdout=out)
    assert "dry run" in out.getvalue()
    assert not Comment.objects.exists()
    existing.refresh_from_db()
    assert existing.import_ref is None


def _large_export(path: Path, threads: int) -> None:
    """``threads`` threads of 5 posts each; every post comes before its thread."""
    post = (
        '<post dsq:id="{id}"><message><![CDATA[<p>{text}</p>]]></message>'
        "<createdAt>2021-03-04T06:00:00Z</createdAt><isDeleted>false</isDeleted>"
        '<isSpam>false</isSpam><author><name>読者</name></author><thread dsq:id="{thread}" />'
        "</post>\n"
    )
    with path.open("w", encoding="utf-8") as file:
        file.write(
            '<disqus xmlns="http://disqus.com" xmlns:dsq="http://disqus.com/disqus-internals">\n'
        )
        for n in range(1, threads + 1):
            for k in range(5):
                file.write(post.format(id=n * 10 + k, thread=n, text="長い投稿 " * 100))
            file.write(
                f'<thread dsq:id="{n}"><link>https://news.example.jp/{n}/</link>'
                f"<title>記事 {n}</title><createdAt>2021-03-04T05:06:07Z</createdAt></thread>\n"
            )
        file.write("</disqus>\n")


def test_the_reader_keeps_memory_bounded(tmp_path):
    """Ten times the threads, about the same peak: one thread's posts in memory at a time,
    although every post comes before its thread."""

    def peak(threads: int) -> int:
        path = tmp_path / f"{threads}.xml"
        _large_export(path, threads)
        tracemalloc.start()
        with read_disqus(path) as export:
            seen = [(thread.id, len(posts)) for thread, posts in export.threads()]
            assert export.missing_threads() == []
        _, top = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        assert seen == [(str(n), 5) for n in range(1, threads + 1)]
        return top

    small, large = peak(200), peak(2000)
    assert large < small * 2


def test_posts_before_their_thread_are_imported(db, tmp_path):
    path = tmp_path / "late-threads.xml"
    _large_export(path, 3)
    run(str(path))
    article = Article.objects.get(import_ref="disqus:2")
    assert article.source_url == "https://news.example.jp/2/"
    assert sorted(comments(article)) == [f"disqus:{20 + k}" for k in range(5)]
