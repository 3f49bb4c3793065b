"""import_wordpress: WordPress exports (fixtures in tests/data) as articles and comment trees."""

import tracemalloc
from io import StringIO
from pathlib import Path

import pytest
from django.contrib.auth.models import User
from django.core.management import CommandError, call_command
from django.db import connection

from articles import moderation, services
from articles.abuse.addresses import ip_hash
from articles.importers.html import body_from_html, text_from_html
from articles.importers.wxr import ImportFileError, check_wxr, read_wxr
from articles.models import Article, Block, Comment, ImageCredit, ReplyRef, Section
from articles.tree_checks import find_tree_problems
from search.index import index_text
from search.models import ArticleText

DATA = Path(__file__).parent / "data"
WXR_12 = DATA / "wordpress-1.2.xml"
WXR_11_NEWER = DATA / "wordpress-1.1-newer.xml"
PRIVATE_WORDS = (
    "DRAFTWORD",
    "PRIVATEWORD",
    "PENDINGWORD",
    "PASSWORDWORD",
    "PASSWORDCOMMENT",
    "SPAMWORD",
    "TRASHWORD",
    "PINGWORD",
)


def run(*args: str) -> str:
    out = StringIO()
    call_command("import_wordpress", *args, stdout=out, stderr=out)
    assert find_tree_problems() == {}
    return out.getvalue()


def snapshot() -> list:
    """Every row an import writes, with the versions that caches key on."""
    return [
        list(Article.objects.order_by("pk").values()),
        list(Block.objects.order_by("pk").values()),
        list(ImageCredit.objects.order_by("pk").values()),
        list(Comment.objects.order_by("pk").values()),
        list(ReplyRef.objects.order_by("pk").values()),
    ]


@pytest.fixture
def imported(db) -> str:
    return run(str(WXR_12))


@pytest.fixture
def defence(imported) -> Article:
    return Article.objects.get(import_ref="wp:blog.example.jp:10")


def by_ref(article: Article) -> dict[str, Comment]:
    return {c.import_ref: c for c in article.comments.all()}


def test_published_posts_and_pages_become_articles(defence):
    assert set(Article.objects.values_list("slug", flat=True)) == {
        "防衛費-増額",
        "about",
        "scheduled",
    }
    assert defence.title == "防衛費の増額について & 議論"
    assert defence.source_url == "https://blog.example.jp/2024/01/defence/"
    assert defence.lead == "防衛費をめぐる議論の要約。"
    assert defence.published_at.isoformat() == "2024-01-02T03:04:05+00:00"
    assert defence.comments_open
    assert not Article.objects.get(slug="about").comments_open


def test_the_body_becomes_blocks_with_image_credits(defence):
    blocks = [(b.kind, b.text) for b in defence.blocks.order_by("position")]
    assert blocks == [
        ("paragraph", "最初の段落です。報告書 (https://example.org/report)を参照。"),
        ("heading", "見出し"),
        ("paragraph", "CDATA can hold ]]> when split across sections."),
        ("list", "一つ目\n二つ目"),
        ("numbered", "first\nsecond"),
        ("quote", "引用文です。"),
        ("paragraph", "Plain text paragraph one."),
        ("paragraph", "Plain text paragraph two with Ελληνικά and 😀."),
    ]
    credits = list(defence.image_credits.values_list("after_paragraph", "source"))
    assert credits == [(6, "共同通信"), (6, "Jane Doe / Reuters")]
    assert not Block.objects.filter(text__contains="alert").exists()


def test_scheduled_post_waits_for_its_time(imported):
    scheduled = Article.objects.get(slug="scheduled")
    assert not scheduled.is_public()
    assert not Article.objects.published().filter(pk=scheduled.pk).exists()
    assert scheduled.published_at.year == 2099


def test_nothing_private_becomes_public(imported, client):
    stored = str(snapshot())
    for word in PRIVATE_WORDS:
        assert word not in stored
    assert "@example.com" not in stored
    assert "203.0.113.9" not in stored
    assert "2001:db8::1" not in stored
    pages = [client.get("/"), *(client.get(a.get_absolute_url()) for a in Article.objects.all())]
    for response in pages:
        html = response.content.decode()
        for word in (*PRIVATE_WORDS, "SCHEDULEDWORD", "@example.com", "承認待ちのコメント"):
            assert word not in html


def test_comments_keep_their_tree_numbers_names_and_times(defence):
    comments = by_ref(defence)
    assert {ref: c.number for ref, c in comments.items()} == {
        "wp:101": 1,
        "wp:102": 2,
        "wp:103": 3,
        "wp:108": 4,
        "wp:104": 5,
    }
    assert comments["wp:104"].parent == comments["wp:102"]
    assert comments["wp:102"].parent == comments["wp:101"]
    assert comments["wp:101"].parent is None
    assert comments["wp:108"].parent is None  # its parent was spam: kept as a thread
    assert comments["wp:104"].level == 2
    assert comments["wp:103"].status == Comment.Status.PENDING
    assert comments["wp:101"].status == Comment.Status.PUBLISHED
    assert comments["wp:102"].author_name == "花子"
    assert comments["wp:102"].created_at.isoformat() == "2024-01-02T03:20:00+00:00"
    assert comments["wp:102"].ip_hash == ip_hash("2001:db8::1")
    assert comments["wp:108"].ip_hash == ""
    assert defence.comments.count() == 5
    defence.refresh_from_db()
    assert defence.last_comment_number == 5


def test_comment_html_becomes_plain_text(defence):
    assert by_ref(defence)["wp:101"].body == (
        "最初のコメント&感想。\n\n二段落目\n改行 リンク (https://example.org/x)\n\n"
        "> 引用された文\n\n返事 <b> 強調 😀 bidi"
    )
    assert by_ref(defence)["wp:102"].body == "返信です\n二行目\n\n段落"
    html = by_ref(defence)["wp:101"].body_html
    assert "&lt;b&gt;" in html
    assert '<span class="quote">' in html


def test_summary_counts_what_was_left_out(imported):
    for line in (
        "articles created: 3",
        "comments published: 4",
        "comments pending: 1",
        "pingbacks left out: 1",
        "spam comments left out: 1",
        "trash comments left out: 1",
        "skipped: draft posts: 1",
        "skipped: password-protected posts: 1",
        "skipped: private posts: 1",
        "skipped: pending posts: 1",
        "skipped: attachment items: 1",
        "replies whose parent is missing, kept as threads: 1",
        "wp:108 replies to missing wp:105",
    ):
        assert line in imported


def test_importing_again_changes_nothing(imported):
    before = snapshot()
    out = run(str(WXR_12))
    assert snapshot() == before
    assert "articles unchanged: 3" in out
    assert "comments unchanged: 5" in out


def test_a_newer_export_updates_and_adds_and_leaves_readers_comments(defence):
    reader = services.comment_create(
        article=defence, parent=by_ref(defence)["wp:101"], body="ここで書いた返信"
    )
    reader_before = Comment.objects.filter(pk=reader.pk).values().get()
    out = run(str(WXR_11_NEWER))  # WXR 1.1, http:// namespace: the same site
    assert "articles updated: 1" in out
    assert "articles unchanged: 2" in out
    comments = by_ref(defence)
    assert comments["wp:102"].body.startswith("返信です(編集済み)")
    assert comments["wp:109"].parent == comments["wp:101"]
    assert comments["wp:109"].number == 7  # after the reader's 6
    assert comments["wp:110"].parent is None
    assert comments["wp:110"].number == 8
    # Replies in posting order: the imported 102, the reader's, then the newly imported 109.
    first = comments["wp:101"]
    assert [c.pk for c in first.get_children()] == [
        comments["wp:102"].pk,
        reader.pk,
        comments["wp:109"].pk,
    ]
    reader_after = Comment.objects.filter(pk=reader.pk).values().get()
    for name in ("body", "author_name", "status", "number", "parent_id", "created_at"):
        assert reader_after[name] == reader_before[name]
    assert ReplyRef.objects.filter(source=comments["wp:109"], target_number=1).exists()
    defence.refresh_from_db()
    assert defence.lead == "防衛費をめぐる議論の新しい要約。"
    assert defence.last_comment_number == 8
    before = snapshot()
    run(str(WXR_11_NEWER))
    assert snapshot() == before


def test_a_moderators_decision_survives_a_reimport(defence):
    comment = by_ref(defence)["wp:101"]
    services.comment_set_status(comment=comment, status=Comment.Status.REMOVED, moderator=None)
    run(str(WXR_12))
    comment.refresh_from_db()
    assert comment.status == Comment.Status.REMOVED


def test_comments_a_moderator_deleted_stay_deleted_through_reimports(defence, moderator):
    moderation.comment_subtree_delete(comment=by_ref(defence)["wp:102"], moderator=moderator)
    assert set(by_ref(defence)) == {"wp:101", "wp:103", "wp:108"}  # 102 and 104 gone
    before = snapshot()
    out = run(str(WXR_12))
    assert "comments deleted here, left out: 2" in out
    assert snapshot() == before
    # A newer export edits 102 and adds 109 under 101 and 110: 102 stays deleted.
    out = run(str(WXR_11_NEWER))
    assert set(by_ref(defence)) == {"wp:101", "wp:103", "wp:108", "wp:109", "wp:110"}
    assert find_tree_problems() == {}


def test_a_reply_added_there_under_a_comment_deleted_here_is_left_out(defence, moderator):
    moderation.comment_subtree_delete(comment=by_ref(defence)["wp:101"], moderator=moderator)
    out = run(str(WXR_11_NEWER))  # adds 109, a reply to 101
    assert "comments deleted here, left out: 4" in out  # 101, 102, 104, and the new 109
    assert set(by_ref(defence)) == {"wp:103", "wp:108", "wp:110"}


def test_a_status_changed_there_moves_what_readers_are_told_changed(defence, tmp_path):
    """Held there since the last import: open pages' polls and the page's comment count learn
    it, as they do from a moderator's action here."""
    from articles import page_cache

    assert page_cache.published_count(defence) == 4
    seq = defence.publicity_seq
    held = tmp_path / "export.xml"
    text = WXR_12.read_text()
    approved = "<wp:comment_approved><![CDATA[1]]></wp:comment_approved>"
    first = text.index(approved, text.index("<wp:comment_id>101</wp:comment_id>"))
    held.write_text(text[:first] + approved.replace("1", "0") + text[first + len(approved) :])
    run(str(held))
    defence.refresh_from_db()
    assert by_ref(defence)["wp:101"].status == Comment.Status.PENDING
    assert defence.publicity_seq > seq
    assert page_cache.published_count(defence) == 3


def test_a_post_made_private_there_becomes_a_draft_here(defence, tmp_path):
    changed = tmp_path / "export.xml"
    text = WXR_12.read_text(encoding="utf-8")
    changed.write_text(text.replace("<![CDATA[publish]]>", "<![CDATA[private]]>", 1), "utf-8")
    run(str(changed))
    defence.refresh_from_db()
    assert defence.status == Article.Status.DRAFT


def test_dry_run_writes_nothing(db):
    out = StringIO()
    call_command("import_wordpress", str(WXR_12), "--dry-run", stdout=out)
    assert "dry run" in out.getvalue()
    assert "articles created: 3" in out.getvalue()
    assert not Article.objects.exists()
    assert not Comment.objects.exists()


def test_a_malformed_file_says_where_and_writes_nothing(db):
    with pytest.raises(CommandError) as error:
        call_command("import_wordpress", str(DATA / "malformed.xml"), stdout=StringIO())
    assert str(error.value) == f"{DATA / 'malformed.xml'}:17:26: mismatched tag"
    assert not Article.objects.exists()


def test_an_entity_bomb_is_refused(db):
    with pytest.raises(
        CommandError,
        match=r"entity-bomb\.xml: refused: it declares the entity 'a' \(an export declares none\)$",
    ):
        call_command("import_wordpress", str(DATA / "entity-bomb.xml"), stdout=StringIO())
    assert not Article.objects.exists()


def test_a_file_that_is_not_wxr_is_refused(db, tmp_path):
    path = tmp_path / "feed.xml"
    path.write_text("<rss><channel><item><title>x</title></item></channel></rss>")
    with pytest.raises(CommandError, match="not a WordPress export"):
        call_command("import_wordpress", str(path), stdout=StringIO())


def test_wordpress_times_for_never_are_no_times_and_no_notes(db, tmp_path):
    item = _item(1, "").replace("2024-01-01 00:00:00", "0000-00-00 00:00:00")
    item = item.replace("</title>", "</title><pubDate>Mon, 30 Nov -0001 00:00:00 +0000</pubDate>")
    path = tmp_path / "never.xml"
    path.write_text(_wxr(item), encoding="utf-8")
    assert check_wxr(path) == []
    assert next(iter(read_wxr(path))).date is None


def test_comments_without_an_id_are_left_out_not_taken_for_one_id_twice(db, tmp_path):
    comments = "".join(
        f"<wp:comment><wp:comment_id>{n}</wp:comment_id>"
        f"<wp:comment_date_gmt>2024-01-01 00:00:0{index}</wp:comment_date_gmt>"
        f"<wp:comment_content>c{index}</wp:comment_content><wp:comment_approved>1"
        f"</wp:comment_approved><wp:comment_parent>0</wp:comment_parent></wp:comment>"
        for index, n in enumerate(("", " ", "7"))
    )
    path = tmp_path / "no-ids.xml"
    path.write_text(_wxr(_item(1, comments)), encoding="utf-8")
    out = run(str(path))
    assert out.count("a comment without an id was left out") == 2
    assert list(Comment.objects.values_list("body", flat=True)) == ["c2"]


def test_a_root_element_not_rss_is_named_on_its_line(db, tmp_path):
    path = tmp_path / "feed.xml"
    path.write_text('<?xml version="1.0"?>\n<feed>x</feed>', encoding="utf-8")
    with pytest.raises(CommandError) as error:
        call_command("import_wordpress", str(path), stdout=StringIO())
    assert str(error.value) == f"{path}:2: <feed> is not a WXR file's <rss>"


def test_times_that_are_not_times_are_named_and_replaced_the_same_on_every_import(db, tmp_path):
    def comment(n: int, date: str, parent: int = 0) -> str:
        return (
            f"<wp:comment><wp:comment_id>{n}</wp:comment_id>"
            f"<wp:comment_date_gmt>{date}</wp:comment_date_gmt>"
            f"<wp:comment_content>c{n}</wp:comment_content><wp:comment_approved>1"
            f"</wp:comment_approved><wp:comment_parent>{parent}</wp:comment_parent></wp:comment>"
        )

    good = _item(
        1, "\n" + comment(1, "2024-13-45 99:99:99") + "\n" + comment(2, "2024-01-01 01:00:00")
    )
    bad = _item(2, "\n" + comment(3, "garbage") + "\n" + comment(4, "2024-01-01 01:00:00", 3))
    bad = bad.replace("2024-01-01 00:00:00", "yesterday", 1)  # the post's own time
    path = tmp_path / "dates.xml"
    path.write_text(_wxr("\n" + good + "\n" + bad), encoding="utf-8")
    out = run(str(path))
    assert f"{path}:3: comment 1: '2024-13-45 99:99:99' is not a time; it takes its post's" in out
    assert f"{path}:5: post 2: 'yesterday' is not a time; its article keeps" in out
    assert f"{path}:6: comment 3: 'garbage' is not a time" in out
    first = Article.objects.get(slug="p1")
    one = first.comments.order_by("number").first()
    assert (one.body, one.created_at) == ("c1", first.published_at)  # its post's time, first
    second = Article.objects.get(slug="p2")
    three = second.comments.get(body="c3")
    assert three.created_at == second.published_at  # the article's, made now
    assert second.comments.get(body="c4").parent == three
    before = snapshot()
    out = run(str(path))
    assert snapshot() == before
    assert "comments unchanged: 4" in out


def test_deep_reply_chains_in_any_order(db, tmp_path):
    """A chain 300 deep, written in the file from the deepest reply up."""
    depth = 300
    comments = "".join(
        f"<wp:comment><wp:comment_id>{n}</wp:comment_id>"
        f"<wp:comment_date_gmt>2024-01-01 00:{n // 60:02}:{n % 60:02}</wp:comment_date_gmt>"
        f"<wp:comment_content>reply {n}</wp:comment_content>"
        f"<wp:comment_approved>1</wp:comment_approved>"
        f"<wp:comment_parent>{n - 1}</wp:comment_parent></wp:comment>"
        for n in range(depth, 0, -1)
    )
    path = tmp_path / "deep.xml"
    path.write_text(_wxr(_item(1, comments)), encoding="utf-8")
    run(str(path))
    chain = list(Comment.objects.order_by("lft"))
    assert [c.number for c in chain] == list(range(1, depth + 1))
    assert [c.level for c in chain] == list(range(depth))
    assert chain[-1].rght == depth + 1


def test_reply_loops_are_broken_and_reported(db, tmp_path):
    comments = "".join(
        f"<wp:comment><wp:comment_id>{n}</wp:comment_id>"
        f"<wp:comment_date_gmt>2024-01-01 00:00:0{n}</wp:comment_date_gmt>"
        f"<wp:comment_content>c{n}</wp:comment_content><wp:comment_approved>1"
        f"</wp:comment_approved><wp:comment_parent>{parent}</wp:comment_parent></wp:comment>"
        for n, parent in ((1, 2), (2, 1), (3, 0))
    )
    path = tmp_path / "loop.xml"
    path.write_text(_wxr(_item(1, comments)), encoding="utf-8")
    out = run(str(path))
    assert Comment.objects.count() == 3
    assert "in a loop of replies" in out


@pytest.mark.parametrize(
    "comments",
    [((1, 0), (2, 1), (2, 2)), ((1, 0), (2, 1), (1, 0))],  # the second a reply to itself, or not
    ids=["looping", "plain"],
)
def test_a_comment_id_given_twice_in_a_post_is_refused_with_its_line(db, tmp_path, comments):
    before = _item(1, "")  # a post before it: written by no import of a refused file
    repeated = "\n".join(
        f"<wp:comment><wp:comment_id>{n}</wp:comment_id>"
        f"<wp:comment_date_gmt>2024-01-01 00:00:0{index}</wp:comment_date_gmt>"
        f"<wp:comment_content>c{index}</wp:comment_content><wp:comment_approved>1"
        f"</wp:comment_approved><wp:comment_parent>{parent}</wp:comment_parent></wp:comment>"
        for index, (n, parent) in enumerate(comments)
    )
    path = tmp_path / "repeated.xml"
    path.write_text(_wxr(before + "\n" + _item(2, "\n" + repeated)), encoding="utf-8")
    for dry_run in ([], ["--dry-run"]):
        with pytest.raises(CommandError) as error:
            call_command("import_wordpress", str(path), *dry_run, stdout=StringIO())
        repeated_id = comments[2][0]
        assert str(error.value) == (
            f"{path}:5: comment id '{repeated_id}' is given twice in one post "
            f"(first on line {3 if repeated_id == 1 else 4})"
        )
    assert not Article.objects.exists()


@pytest.mark.postgresql
@pytest.mark.skipif(connection.vendor != "postgresql", reason="needs PostgreSQL")
def test_import_holds_the_new_tree_lock(db):
    """On PostgreSQL the bulk write takes the same advisory lock as a reader's new thread."""
    from articles.sql.locks import ADVISORY_NAMESPACE, NEW_TREE

    seen = []

    def look(execute, sql, params, many, context):
        result = execute(sql, params, many, context)
        if "pg_advisory_xact_lock" in sql:
            seen.append(tuple(params))
        return result

    with connection.execute_wrapper(look):
        run(str(WXR_12))
    assert (ADVISORY_NAMESPACE, NEW_TREE) in seen


def test_the_parser_keeps_memory_bounded(tmp_path):
    """Ten times the posts, about the same peak: items are dropped once read."""

    def peak(posts: int) -> int:
        path = tmp_path / f"{posts}.xml"
        comment = (
            "<wp:comment><wp:comment_id>1</wp:comment_id><wp:comment_content>"
            + "x" * 500
            + "</wp:comment_content></wp:comment>"
        )
        with path.open("w", encoding="utf-8") as file:
            file.write(_wxr("")[: -len("</channel></rss>")])
            for n in range(posts):
                file.write(_item(n + 1, comment * 5))
            file.write("</channel></rss>")
        tracemalloc.start()
        count = sum(1 for _ in read_wxr(path))
        _, top = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        assert count == posts
        return top

    small, large = peak(200), peak(2000)
    assert large < small * 2


def test_comment_html_conversion():
    assert text_from_html("a<br>b<br/>c") == "a\nb\nc"
    assert text_from_html("<p>one</p><p>two</p>") == "one\n\ntwo"
    assert text_from_html("<blockquote><p>q1</p><p>q2</p></blockquote>reply") == (
        "> q1\n>\n> q2\n\nreply"
    )
    assert text_from_html('<a href="https://x.example/">https://x.example/</a>') == (
        "https://x.example/"
    )
    assert text_from_html('<a href="javascript:alert(1)">click</a>') == "click"
    assert (
        text_from_html("&lt;script&gt; &amp;&#8230; <script>bad()</script>ok") == "<script> &… ok"
    )
    assert body_from_html("").blocks == []


def test_a_link_element_outside_cdata_is_read(db, tmp_path):
    path = tmp_path / "plain.xml"
    path.write_text(_wxr(_item(7, "")), encoding="utf-8")
    with pytest.raises(ImportFileError):
        list(read_wxr(tmp_path / "missing.xml"))
    run(str(path))
    assert Article.objects.get().source_url == "https://t.example/7/"


def _item(post_id: int, comments: str) -> str:
    return (
        f"<item><title>Post {post_id}</title><link>https://t.example/{post_id}/</link>"
        f"<wp:post_id>{post_id}</wp:post_id><wp:post_date_gmt>2024-01-01 00:00:00"
        f"</wp:post_date_gmt><wp:post_name>p{post_id}</wp:post_name>"
        f"<wp:status>publish</wp:status><wp:post_type>post</wp:post_type>{comments}</item>"
    )


def _wxr(items: str) -> str:
    return (
        '<?xml version="1.0" encoding="UTF-8"?>'
        '<rss version="2.0" xmlns:wp="http://wordpress.org/export/1.2/" '
        'xmlns:content="http://purl.org/rss/1.0/modules/content/">'
        "<channel><wp:wxr_version>1.2</wp:wxr_version>"
        "<wp:base_site_url>https://t.example</wp:base_site_url>"
        f"{items}</channel></rss>"
    )


def _content(article: Article) -> tuple:
    numbers = dict(article.comments.values_list("pk", "number"))
    # WXR gives times to the second.
    comments = sorted(
        (
            c.number,
            numbers.get(c.parent_id),
            c.body,
            c.author_name,
            c.created_at.replace(microsecond=0),
            c.status,
        )
        for c in article.comments.all()
    )
    blocks = list(article.blocks.order_by("position").values_list("kind", "text"))
    fields = (article.title, article.slug, article.lead, article.published_at)
    return (*fields, article.comments_open, blocks, comments)


def test_export_then_import_gives_the_same_articles_and_trees(defence, tmp_path):
    run(str(WXR_11_NEWER))
    first = by_ref(defence)["wp:101"]
    services.comment_create(article=defence, parent=first, body="読者の返信\n<b>タグ</b> & >>1")
    services.comment_create(
        article=defence, body="保留", status=Comment.Status.PENDING, author_name="名前"
    )
    before = {a.slug: _content(a) for a in Article.objects.all()}
    path = tmp_path / "export.xml"
    call_command("export_wordpress", "--output", str(path), "--site-url", "https://forum.example")
    exported = path.read_text(encoding="utf-8")
    assert "@example.com" not in exported
    assert "wp:comment_author_IP><![CDATA[]]>" in exported
    Article.objects.all().delete()
    run(str(path))
    after = {a.slug: _content(a) for a in Article.objects.all()}
    assert after.keys() == before.keys()
    for slug, content in before.items():
        for was, now in zip(content, after[slug], strict=True):
            assert now == was
    assert Article.objects.get(slug="about").source_url == "https://forum.example/articles/about/"


def test_export_leaves_drafts_out_and_streams_to_stdout(imported):
    Article.objects.create(title="下書き DRAFTARTICLE", slug="draft", status=Article.Status.DRAFT)
    out = StringIO()
    call_command("export_wordpress", "--article", "about", stdout=out)
    assert "About page." in out.getvalue()
    assert "防衛費" not in out.getvalue()
    out = StringIO()
    call_command("export_wordpress", stdout=out)
    assert "DRAFTARTICLE" not in out.getvalue()
    with pytest.raises(CommandError, match="draft"):
        call_command("export_wordpress", "--article", "draft", stdout=StringIO())


def test_a_caption_credit_shows_without_a_licence(defence, client):
    html = client.get(defence.get_absolute_url()).content.decode()
    assert "共同通信</figcaption>" in html
    assert "共同通信 /" not in html


def test_imported_comments_are_found_by_search(defence, client):
    response = client.get("/search/", {"q": "二行目"})
    assert "二行目" in response.content.decode()


def test_an_imported_articles_whole_text_is_indexed_once_written(defence):
    """On PostgreSQL the blocks go in before the article's row: the index must still hold them."""
    text = ArticleText.objects.get(article=defence).text
    for block in defence.blocks.all():
        assert index_text(block.text) in text
    assert index_text(defence.title) in text


@pytest.mark.parametrize(
    "namespace",
    [
        "http://wordpress.org/export/1.0/",
        "https://wordpress.org/export/1.1/",
        "https://wordpress.org/export/1.2/",
    ],
)
def test_every_wxr_version_and_namespace_spelling_is_read(db, tmp_path, namespace):
    path = tmp_path / "export.xml"
    path.write_text(
        _wxr(_item(3, "")).replace("http://wordpress.org/export/1.2/", namespace), "utf-8"
    )
    run(str(path))
    assert Article.objects.get().title == "Post 3"


def test_a_slug_taken_here_gets_a_number(db, tmp_path):
    Article.objects.create(title="ここの記事", slug="p5")
    path = tmp_path / "export.xml"
    path.write_text(_wxr(_item(5, "")), "utf-8")
    run(str(path))
    assert Article.objects.get(import_ref="wp:t.example:5").slug == "p5-2"


def test_export_carries_no_address_key_or_e_mail_and_publishes_nothing_unpublished(defence):
    """The export is the operator's (held and moderated comments go with their status, as in a
    WordPress export), but no address hash, poster key or account e-mail leaves in it, and only
    published comments go out approved."""
    user = User.objects.create_user("exporter", email="secret-mail@example.org")
    statuses = [s for s in Comment.Status.values if s != Comment.Status.PUBLISHED]
    for n, status in enumerate(statuses):
        comment = services.comment_create(article=defence, body=f"STATUS-{status}")
        Comment.objects.filter(pk=comment.pk).update(
            status=status, ip_hash=f"{n:064x}", poster_key=f"poster-key-{n}", user=user
        )
    out = StringIO()
    call_command("export_wordpress", stdout=out)
    exported = out.getvalue()
    assert "secret-mail@example.org" not in exported
    for n in range(len(statuses)):
        assert f"{n:064x}" not in exported
        assert f"poster-key-{n}" not in exported
    for status in statuses:
        block = exported[exported.index(f"STATUS-{status}") :]
        block = block[: block.index("</wp:comment>")]
        assert "<wp:comment_approved><![CDATA[1]]>" not in block
        assert "<wp:comment_approved>" in block


def _wxr_with_authors(items: str) -> str:
    return (
        '<?xml version="1.0" encoding="UTF-8"?>'
        '<rss version="2.0" xmlns:wp="http://wordpress.org/export/1.2/" '
        'xmlns:dc="http://purl.org/dc/elements/1.1/">'
        "<channel><wp:wxr_version>1.2</wp:wxr_version>"
        "<wp:base_site_url>https://t.example</wp:base_site_url>"
        "<wp:author><wp:author_id>2</wp:author_id><wp:author_login>hanako</wp:author_login>"
        "<wp:author_email>hanako@t.example</wp:author_email>"
        "<wp:author_display_name><![CDATA[山田 花子]]></wp:author_display_name>"
        "</wp:author>"
        "<wp:author><wp:author_login>taro</wp:author_login>"
        "<wp:author_display_name>taro</wp:author_display_name>"
        "<wp:author_first_name>太郎</wp:author_first_name>"
        "<wp:author_last_name>鈴木</wp:author_last_name></wp:author>"
        f"{items}</channel></rss>"
    )


def _item_by(post_id: int, creator: str, categories: str) -> str:
    return _item(post_id, f"<dc:creator><![CDATA[{creator}]]></dc:creator>{categories}")


INTERNATIONAL = (
    '<category domain="category" nicename="uncategorized"><![CDATA[未分類]]></category>'
    '<category domain="post_tag" nicename="tag"><![CDATA[タグ]]></category>'
    '<category domain="category" nicename="%e5%9b%bd%e9%9a%9b"><![CDATA[国際]]></category>'
)


def test_authors_become_bylines_and_categories_sections(db, tmp_path):
    path = tmp_path / "export.xml"
    items = (
        _item_by(1, "hanako", INTERNATIONAL)
        + _item_by(2, "taro", '<category domain="category" nicename="war">軍事</category>')
        + _item_by(3, "hanako", INTERNATIONAL)
        + _item_by(4, "nobody", "")
    )
    path.write_text(_wxr_with_authors(items), "utf-8")
    run(str(path))
    first, second, third, fourth = Article.objects.order_by("import_ref")
    assert first.byline == "山田 花子"
    assert second.byline == "太郎 鈴木"  # the display name was the login: the full name
    assert third.author == first.author
    assert fourth.author.username == "nobody"
    assert fourth.byline == ""  # a login alone is no byline
    hanako = first.author
    assert (hanako.username, hanako.is_staff, hanako.is_active) == ("hanako", True, False)
    assert not hanako.has_usable_password()
    assert (first.section.slug, first.section.name) == ("国際", "国際")
    assert third.section == first.section
    assert second.section.name == "軍事"
    assert fourth.section is None
    before = (snapshot(), list(User.objects.values()), list(Section.objects.values()))
    assert "articles unchanged: 4" in run(str(path))
    assert (snapshot(), list(User.objects.values()), list(Section.objects.values())) == before


def test_the_sites_own_account_and_section_are_used_and_a_readers_never(db, tmp_path):
    staff = User.objects.create_user("hanako", first_name="花子", is_staff=True)
    User.objects.create_user("taro")  # a reader who signed up under that name
    section = Section.objects.create(slug="international", name="国際")
    path = tmp_path / "export.xml"
    path.write_text(
        _wxr_with_authors(_item_by(1, "hanako", INTERNATIONAL) + _item_by(2, "taro", ""))
    )
    run(str(path))
    first, second = Article.objects.order_by("import_ref")
    assert first.author == staff
    assert first.byline == "花子"  # the site's account keeps its own name
    assert first.section == section  # found by its name
    assert second.author is None
    assert Section.objects.count() == 1


def test_a_newer_export_changes_the_section(db, tmp_path):
    path = tmp_path / "export.xml"
    path.write_text(_wxr_with_authors(_item_by(1, "hanako", INTERNATIONAL)), "utf-8")
    run(str(path))
    moved = '<category domain="category" nicename="war">軍事</category>'
    path.write_text(_wxr_with_authors(_item_by(1, "hanako", moved)), "utf-8")
    assert "articles updated: 1" in run(str(path))
    assert Article.objects.get().section.name == "軍事"


def _comment(comment_id: int, parent: int, text: str) -> str:
    return (
        f"<wp:comment><wp:comment_id>{comment_id}</wp:comment_id>"
        f"<wp:comment_date_gmt>2024-01-01 00:0{comment_id}:00</wp:comment_date_gmt>"
        f"<wp:comment_content>{text}</wp:comment_content>"
        f"<wp:comment_approved>1</wp:comment_approved>"
        f"<wp:comment_parent>{parent}</wp:comment_parent></wp:comment>"
    )


def test_a_newer_export_with_a_new_slug_moves_the_article(db, tmp_path, client):
    comments = _comment(1, 0, "はじめ") + _comment(2, 1, "&gt;&gt;1 に賛成")
    path = tmp_path / "export.xml"
    path.write_text(_wxr(_item(1, comments)), "utf-8")
    run(str(path))
    article = Article.objects.get()
    old_url = article.get_absolute_url()
    assert old_url in Comment.objects.get(number=2).body_html
    renamed = _item(1, comments).replace("<wp:post_name>p1<", "<wp:post_name>%e6%96%b0<")
    path.write_text(_wxr(renamed), "utf-8")
    out = run(str(path))
    assert "articles moved to a new slug: 1" in out
    article.refresh_from_db()
    assert article.slug == "新"
    assert article.redirects.get().old_slug == "p1"
    reply = Comment.objects.get(number=2)
    assert article.get_absolute_url() in reply.body_html
    assert old_url not in reply.body_html
    response = client.get(old_url)
    assert response.status_code == 301
    assert response["Location"].endswith(article.get_absolute_url())
    before = snapshot()
    assert "articles unchanged: 1" in run(str(path))
    assert snapshot() == before


def test_a_slug_made_here_is_kept_by_a_reimport(db, tmp_path):
    Article.objects.create(title="ここの記事", slug="p5")
    path = tmp_path / "export.xml"
    path.write_text(_wxr(_item(5, "")), "utf-8")
    run(str(path))
    before = snapshot()
    assert "articles unchanged: 1" in run(str(path))
    assert snapshot() == before
    assert Article.objects.get(import_ref="wp:t.example:5").slug == "p5-2"


@pytest.mark.parametrize(
    "text",
    [
        "",
        "<rss><channel><item><title>x</title></item></channel></rss>",
        "<feed/>",
        '<rss xmlns:wp="http://wordpress.org/export/1.2/"><channel><wp:wxr_version>1.2'
        "</wp:wxr_version><item><title>a <b>b</title></item></channel></rss>",
        '<!DOCTYPE rss [<!ENTITY x SYSTEM "file:///etc/passwd">]><rss>&x;</rss>',
        '<!DOCTYPE rss [<!ENTITY x "y">]><rss/>',
    ],
)
def test_the_quick_check_refuses_what_the_reader_refuses(tmp_path, text):
    path = tmp_path / "export.xml"
    path.write_text(text, "utf-8")
    with pytest.raises(ImportFileError) as read:
        list(read_wxr(path))
    with pytest.raises(ImportFileError) as checked:
        check_wxr(path)
    assert str(checked.value) == str(read.value)


def test_the_quick_check_passes_what_the_reader_reads():
    for path in (WXR_12, WXR_11_NEWER):
        check_wxr(path)
        assert list(read_wxr(path))


def test_the_round_trip_keeps_moderated_statuses_bylines_and_sections(defence, tmp_path):
    comments = by_ref(defence)
    services.comment_set_status(
        comment=comments["wp:101"], status=Comment.Status.REMOVED, moderator=None
    )
    services.comment_set_status(
        comment=comments["wp:103"], status=Comment.Status.HIDDEN, moderator=None
    )
    writer = User.objects.create_user("writer", first_name="記者", last_name="一郎", is_staff=True)
    Article.objects.filter(pk=defence.pk).update(author=writer)
    defence.refresh_from_db()
    assert defence.section.name == "政治"  # the post's category
    before = {a.slug: _content(a) for a in Article.objects.all()}
    path = tmp_path / "export.xml"
    call_command("export_wordpress", "--output", str(path))
    Article.objects.all().delete()
    Section.objects.all().delete()
    writer.delete()
    run(str(path))
    after = {a.slug: _content(a) for a in Article.objects.all()}
    assert after == before
    moved = Article.objects.get(slug=defence.slug)
    assert moved.byline == "記者 一郎"
    assert moved.section.name == "政治"
    statuses = {c.number: c.status for c in moved.comments.all()}
    assert statuses[comments["wp:101"].number] == Comment.Status.REMOVED
    assert statuses[comments["wp:103"].number] == Comment.Status.HIDDEN
    # A WordPress trash (no forum status with it) is still left out.
    assert not Comment.objects.filter(body__contains="TRASHWORD").exists()
