"""import_seeds: import, idempotence, updates, and errors that leave the database unchanged."""

import itertools
import re
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from articles.models import Article, Block, Comment, ImageCredit, Link
from articles.tree_checks import find_tree_problems

from .helpers import SEED_NAME, tree_shape


def run(*args: str) -> str:
    out = StringIO()
    call_command("import_seeds", *args, stdout=out, stderr=out)
    return out.getvalue()


def snapshot() -> list:
    return [
        list(model.objects.order_by("pk").values())
        for model in (Article, Block, ImageCredit, Link, Comment)
    ]


@pytest.fixture
def imported(db, seed_dir: Path) -> Article:
    run(str(seed_dir))
    return Article.objects.get(import_ref=SEED_NAME)


def test_import_creates_the_article_with_its_parts(imported):
    assert imported.slug == "fa0796958162b6f6"
    assert imported.title.startswith("露防衛産業の弱体化")
    assert imported.blocks.filter(kind="paragraph").count() == imported.blocks.count() == 12
    assert list(imported.links.filter(kind="reference").values_list("title", flat=True)) == [
        "Russia says in talks to make more military equipment in India",
        "Russia, India non-committal on S-400 missile system delivery timeline",
    ]
    assert imported.links.filter(kind="related").count() == 3
    featured = imported.image_credits.get(role="featured")
    assert (featured.source, featured.licence, featured.subject) == ("Mil.ru", "CC BY 4.0", "Ka-52")
    inline = imported.image_credits.filter(role="inline").order_by("after_paragraph")
    assert [c.after_paragraph for c in inline] == [2, 8, 10]


def test_import_keeps_the_seed_order_numbers_and_increasing_times(imported):
    comments = list(imported.comments.order_by("number"))
    assert [c.number for c in comments] == list(range(1, 37))
    assert [c.seed_index for c in comments] == list(range(1, 37))
    assert all(a.created_at < b.created_at for a, b in itertools.pairwise(comments))
    assert imported.published_at < comments[0].created_at
    assert comments[0].body.startswith("インドは核実験で制裁されたのを")
    assert all(c.author_name == "" and c.status == "published" for c in comments)
    assert imported.last_comment_number == 36


def test_imported_trees_satisfy_the_nested_set_invariants(imported):
    assert find_tree_problems() == {}
    comments = list(imported.comments.all())
    for tree_id in {c.tree_id for c in comments}:
        tree = sorted((c for c in comments if c.tree_id == tree_id), key=lambda c: c.lft)
        assert [c.parent_id for c in tree].count(None) == 1
        assert tree[0].parent_id is None
        assert tree[0].level == 0
        bounds = sorted([c.lft for c in tree] + [c.rght for c in tree])
        assert bounds == list(range(1, 2 * len(tree) + 1))
        by_pk = {c.pk: c for c in tree}
        for c in tree:
            if c.parent_id:
                parent = by_pk[c.parent_id]
                assert parent.lft < c.lft < c.rght < parent.rght
                assert c.level == parent.level + 1


def test_imported_tree_has_the_companion_shape(imported):
    shape = re.sub(r"(#\d+) .*", r"\1", tree_shape(imported))
    assert shape.startswith(
        "#1\n  #2\n    #3\n#4\n#5\n#6\n#7\n#8\n#9\n  #10\n    #11\n#12\n#13\n  #14\n"
    )
    assert "#19\n  #20\n    #21\n      #22\n  #24\n#23\n" in shape
    assert imported.comments.filter(parent=None).count() == 18


def test_second_import_changes_nothing(imported, seed_dir):
    before = snapshot()
    output = run(str(seed_dir))
    assert "unchanged" in output
    assert snapshot() == before


def test_edited_companion_moves_comments_on_reimport(imported, seed_dir):
    companion = seed_dir / f"{SEED_NAME}.comments"
    text = companion.read_text(encoding="utf-8")
    # Comment 5 becomes a reply to comment 4; comment 3 becomes a thread of its own.
    text = text.replace("\n5    38       -", "\n5    38       4").replace(
        "\n3    33-35    2", "\n3    33-35    -"
    )
    companion.write_text(text, encoding="utf-8")
    output = run(str(seed_dir))
    assert "comment 3: moved" in output
    assert "comment 5: moved" in output
    comments = {c.seed_index: c for c in imported.comments.all()}
    assert comments[5].parent_id == comments[4].pk
    assert comments[3].parent_id is None
    assert find_tree_problems() == {}
    assert "unchanged" in run(str(seed_dir))


def test_edited_seed_updates_text_and_adds_and_drops_comments(imported, seed_dir):
    seed = seed_dir / f"{SEED_NAME}.txt"
    companion = seed_dir / f"{SEED_NAME}.comments"
    text = seed.read_text(encoding="utf-8")
    text = text.replace("真の独立性を得るために必要な選択", "真の独立性のための選択")
    text = text.replace("ロシアのセルゲイ・ラブロフ外相", "露のラブロフ外相", 1)
    seed.write_text(text + "\n新しいコメント", encoding="utf-8")
    companion.write_text(
        companion.read_text(encoding="utf-8") + "37   102      36   # 新しいコメント\n",
        encoding="utf-8",
    )
    run(str(seed_dir))
    imported.refresh_from_db()
    assert imported.lead.startswith("露のラブロフ外相")
    first = imported.comments.get(seed_index=1)
    assert first.body.endswith("真の独立性のための選択")
    added = imported.comments.get(seed_index=37)
    assert (added.number, added.body, added.parent.seed_index) == (37, "新しいコメント", 36)

    # Dropping the comment again deletes it.
    seed.write_text(text, encoding="utf-8")
    companion.write_text(
        companion.read_text(encoding="utf-8").replace("37   102      36   # 新しいコメント\n", ""),
        encoding="utf-8",
    )
    assert "comment 37: deleted" in run(str(seed_dir))
    assert not imported.comments.filter(seed_index=37).exists()
    assert find_tree_problems() == {}


def test_reader_replies_survive_a_reimport(imported, seed_dir, post):
    reply = post(imported, "読者の返信", parent=imported.comments.get(seed_index=36))
    assert "unchanged" in run(str(seed_dir))
    assert Comment.objects.filter(pk=reply.pk).exists()


def test_dry_run_prints_the_tree_and_writes_nothing(db, seed_dir):
    output = run("--dry-run", str(seed_dir))
    assert "comments: 36 in 18 threads" in output
    assert "\n      #2 [31-32] 核実験より前の冷戦中" in output
    assert "\n        #3 [33-35] 違うね (+2 lines)" in output
    assert "image after paragraph 2: Mos.ru / CC BY 4.0 スプートニクV" in output
    assert not Article.objects.exists()
    assert not Comment.objects.exists()


def test_seed_without_companion_is_guessed_and_said_so(db, seed_dir):
    (seed_dir / f"{SEED_NAME}.comments").unlink()
    output = run(str(seed_dir))
    assert "no companion file" in output
    assert "guessed" in output
    article = Article.objects.get()
    assert article.comments.count() == 73
    quote = article.comments.get(body__startswith=">まあ、")
    assert quote.parent.body.startswith("CAATSAを改正して")
    assert find_tree_problems() == {}


def test_write_companion_saves_the_guess_for_review(db, seed_dir):
    companion = seed_dir / f"{SEED_NAME}.comments"
    companion.unlink()
    run("--write-companion", "--dry-run", str(seed_dir))
    assert companion.exists()
    assert "guessed" not in run("--dry-run", str(seed_dir))


@pytest.mark.parametrize(
    ("edit", "where", "message"),
    [
        (lambda s, c: (s.replace("出典:Mos.ru", "写真:Mos.ru"), c), ".txt:8", "unknown marker"),
        (lambda s, c: (s, c.replace("\n2    31-32    1", "\n2    32       1")), ".comments:", "31"),
        (lambda s, c: (s, c.replace("\n3    33-35    2", "\n3    31-35    2")), ".comments:", "31"),
        (
            lambda s, c: (s, c.replace("\n3    33-35    2", "\n3    33-35    5")),
            ".comments:",
            "not an",
        ),
        (
            lambda s, c: (s, c.replace("\n3    33-35    2", "\n3    33-35    99")),
            ".comments:",
            "not an",
        ),
    ],
)
def test_malformed_input_stops_with_file_and_line_and_changes_nothing(
    imported, seed_dir, edit, where, message
):
    seed = seed_dir / f"{SEED_NAME}.txt"
    companion = seed_dir / f"{SEED_NAME}.comments"
    seed_text, companion_text = edit(
        seed.read_text(encoding="utf-8"), companion.read_text(encoding="utf-8")
    )
    seed.write_text(seed_text, encoding="utf-8")
    companion.write_text(companion_text, encoding="utf-8")
    before = snapshot()
    with pytest.raises(CommandError) as caught:
        run(str(seed_dir))
    assert where in str(caught.value)
    assert message in str(caught.value)
    assert snapshot() == before


def test_error_in_a_later_comment_rolls_back_the_whole_seed(db, seed_dir):
    seed = seed_dir / f"{SEED_NAME}.txt"
    seed.write_text(
        seed.read_text(encoding="utf-8").replace("真の独立性を得るために必要な選択", "x" * 6000),
        encoding="utf-8",
    )
    # The operator's messages are in the site's language, Japanese.
    with pytest.raises(CommandError, match=r"\.txt:27: コメントは5000文字以内"):
        run(str(seed_dir))
    assert not Article.objects.exists()
    assert not Comment.objects.exists()


def test_command_exits_non_zero_on_malformed_input(seed_dir, tmp_path):
    import subprocess
    import sys

    from django.conf import settings

    (seed_dir / f"{SEED_NAME}.txt").write_text("参考:x\n", encoding="utf-8")
    result = subprocess.run(
        [sys.executable, "manage.py", "import_seeds", "--dry-run", str(seed_dir)],
        cwd=settings.BASE_DIR,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode != 0
    assert f"{SEED_NAME}.txt:1: the first line must be the article's lead" in result.stderr


def test_missing_path_is_an_error(db):
    with pytest.raises(CommandError, match="no such file or directory"):
        run("/nonexistent/seed.txt")


def _on_line(number: int, text: str):
    """An edit of the seed that puts text at the start of the line with this number."""

    def edit(seed: str) -> str:
        lines = seed.split("\n")
        lines[number - 1] = text + lines[number - 1]
        return "\n".join(lines)

    return edit


@pytest.mark.parametrize(
    ("edit", "where", "message"),
    [
        (_on_line(1, "\x00"), ".txt:1:", "U+0000"),
        (_on_line(33, "違う\x1b"), ".txt:33:", "U+001B"),
        # \f would otherwise split the line quietly and shift every line number after it.
        (_on_line(33, "\x0c"), ".txt:33:", "U+000C"),
        (_on_line(34, "\x85"), ".txt:34:", "U+0085"),
        (_on_line(1, "長" * 1000), ".txt:1:", "the lead has 1094 characters; at most 1000 fit"),
        (_on_line(4, "見" * 300), ".txt:4:", "heading has"),
        (_on_line(2, "参考:" + "x" * 300), ".txt:2:", "reference title has"),
        (_on_line(24, "関連記事:" + "x" * 300), ".txt:24:", "related title has"),
        (
            lambda s: s.replace("出典:Mos.ru", "出典:" + "M" * 201),
            ".txt:8:",
            "image credit's source has 201 characters; at most 200",
        ),
        (
            lambda s: s.replace("CC BY 4.0 Ka-52", "CC BY 4.0 " + "K" * 201),
            ".txt:26:",
            "image credit's subject has 201",
        ),
    ],
)
def test_bad_seed_fields_are_refused_with_file_and_line_before_anything_is_written(
    db, seed_dir, edit, where, message
):
    seed = seed_dir / f"{SEED_NAME}.txt"
    seed.write_text(edit(seed.read_text(encoding="utf-8")), encoding="utf-8")
    with pytest.raises(CommandError) as caught:
        run(str(seed_dir))
    assert where in str(caught.value)
    assert message in str(caught.value)
    assert not Article.objects.exists()
    assert not Comment.objects.exists()


def test_a_bad_later_seed_stops_the_run_before_the_first_is_written(db, seed_dir):
    seed = seed_dir / f"{SEED_NAME}.txt"
    later = seed_dir / "001_later.txt"
    later.write_text(_on_line(1, "長" * 1000)(seed.read_text(encoding="utf-8")), "utf-8")
    with pytest.raises(CommandError, match=r"001_later\.txt:1: the lead"):
        run(str(seed_dir))
    assert not Article.objects.exists()


def test_the_database_refuses_an_overlong_lead_too(db):
    from django.db import IntegrityError, transaction

    with pytest.raises(IntegrityError), transaction.atomic():
        Article.objects.create(title="t", slug="t", lead="x" * 1001)
