"""The seed parser, on the real seed and on malformed ones."""

from pathlib import Path

import pytest
from django.conf import settings

from articles.seeds import (
    Credit,
    SeedError,
    SeedLine,
    format_companion,
    guess_comments,
    load_seed,
    parse_companion,
    parse_credit,
    parse_seed,
    read_lines,
)

from .helpers import SEED_NAME

SEED = Path(settings.SEEDS_DIR) / f"{SEED_NAME}.txt"
SHARED_SEED = Path(settings.BASE_DIR).parent / "shared" / "seeds" / f"{SEED_NAME}.txt"


@pytest.fixture(scope="module")
def seed():
    return load_seed(SEED)


def lines_of(text: str) -> list[str]:
    return text.split("\n")


MINIMAL = """リード文。
参考:Reference one
見出し
本文その一。

出典:Someone / CC BY 4.0 Subject
本文その二。
関連記事:関連する記事
※アイキャッチ画像の出典:Mil.ru / CC BY 4.0 Ka-52
最初のコメント
>最初のコメント
返信です"""


@pytest.mark.skipif(not SHARED_SEED.exists(), reason="no ../shared checkout beside the project")
def test_shipped_seed_is_the_shared_seed_byte_for_byte():
    assert SEED.read_bytes() == SHARED_SEED.read_bytes()


def test_real_seed_article_parts(seed):
    assert seed.title.startswith("露防衛産業の弱体化狙うバイデン政権")
    assert seed.lead.startswith("ロシアのセルゲイ・ラブロフ外相はインドを訪問")
    assert seed.slug == "fa0796958162b6f6"
    assert seed.references == [
        "Russia says in talks to make more military equipment in India",
        "Russia, India non-committal on S-400 missile system delivery timeline",
    ]
    assert len(seed.paragraphs) == 12
    assert seed.paragraphs[0].startswith("ロシアとインドは今回の会談で")
    assert seed.paragraphs[-1].startswith("どちらにしてもインドはクワッドに傾向したり")
    assert seed.related == [
        "米国がインド制裁に言及、英国が参加を示唆したクアッドは崩壊の危機",
        "インド、S-400導入中止を要求する米国の圧力に屈することはない",
        "新たに米国制裁を招く恐れがある案件、インドがMiG-35調達に向けて一歩前進",
    ]


def test_real_seed_credits_have_their_parts_and_places(seed):
    placed = [(c.after_paragraph, c.credit) for c in seed.inline_credits]
    assert placed == [
        (2, Credit("Mos.ru", "CC BY 4.0", "スプートニクV")),
        (8, Credit("mashleymorgan", "CC BY-SA 2.0", "MiG-35")),
        (10, Credit("Gage Skidmore", "CC BY-SA 2.0", "")),
    ]
    assert seed.featured_credit == Credit("Mil.ru", "CC BY 4.0", "Ka-52")


def test_real_seed_every_line_is_accounted_for(seed):
    lines = read_lines(SEED)
    article_lines = 26  # the featured-image credit ends the article on line 26
    assert seed.comment_lines[0].number == article_lines + 1
    assert seed.comment_lines[-1].number == len(lines) == 101
    covered = [n for c in seed.comments for n in range(c.first_line, c.last_line + 1)]
    assert covered == list(range(27, 102))
    assert "\n".join(c.body for c in seed.comments) == "\n".join(lines[26:])


def test_real_seed_comment_structure_follows_the_companion(seed):
    assert seed.companion == SEED.with_suffix(".comments")
    assert len(seed.comments) == 36
    by_index = {c.index: c for c in seed.comments}
    quote = by_index[10]
    assert quote.body.startswith(">まあ、ロシア防衛産業の弱体化目的は果たせないけど。")
    assert quote.reply_to == 9  # it quotes comment 9's last sentence
    assert by_index[19].body.startswith("> クアッド自体を")
    assert by_index[19].reply_to is None
    assert by_index[3].body.startswith("違うね")
    assert by_index[3].reply_to == 2
    assert all(c.reply_to is None or c.reply_to < c.index for c in seed.comments)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("Mos.ru / CC BY 4.0 スプートニクV", Credit("Mos.ru", "CC BY 4.0", "スプートニクV")),
        ("Gage Skidmore / CC BY-SA 2.0", Credit("Gage Skidmore", "CC BY-SA 2.0", "")),
        ("U.S. Navy / Public Domain F/A-18E", Credit("U.S. Navy", "Public Domain", "F/A-18E")),
        ("Someone / CC0 ", Credit("Someone", "CC0", "")),
    ],
)
def test_credit_parts(value, expected):
    assert parse_credit(value, Path("x.txt"), 1) == expected


def test_credit_with_unknown_licence_names_file_and_line():
    with pytest.raises(SeedError, match=r"x\.txt:7: cannot read the image credit"):
        parse_credit("Someone / All rights reserved", Path("x.txt"), 7)


def test_minimal_seed_parses():
    seed = parse_seed(Path("m.txt"), lines_of(MINIMAL))
    assert seed.title == "見出し"
    assert seed.references == ["Reference one"]
    assert seed.paragraphs == ["本文その一。", "本文その二。"]
    assert [c.after_paragraph for c in seed.inline_credits] == [1]
    assert [line.number for line in seed.comment_lines] == [10, 11, 12]


@pytest.mark.parametrize(
    ("text", "line", "message"),
    [
        (MINIMAL.replace("本文その二。", "追記:本文その二。"), 7, "unknown marker '追記:'"),
        (
            MINIMAL.replace("※アイキャッチ画像の出典", "※写真の出典"),
            9,
            "unknown marker '※写真の出典:'",
        ),
        (MINIMAL.replace("※アイキャッチ画像の出典:Mil.ru / CC BY 4.0 Ka-52\n", ""), 9, "missing?"),
        ("リード\n見出し\n本文\nコメント", 4, "no '※アイキャッチ画像の出典:' line"),
        (
            MINIMAL.replace("/ CC BY 4.0 Subject", "/ ??? Subject"),
            6,
            "cannot read the image credit",
        ),
        (
            MINIMAL.replace("関連記事:関連する記事", "関連記事:関連する記事\n段落"),
            9,
            "a paragraph after",
        ),
        ("参考:x\n見出し", 1, "the first line must be the article's lead"),
        ("", 1, "the first line must be the article's lead"),
        (
            MINIMAL.replace("本文その一。", "参考:遅い参考"),
            4,
            "参考: lines belong right after the lead",
        ),
    ],
)
def test_malformed_seed_names_file_and_line(text, line, message):
    with pytest.raises(SeedError) as caught:
        parse_seed(Path("bad.txt"), lines_of(text))
    assert caught.value.line == line
    assert message in caught.value.message
    assert str(caught.value).startswith(f"bad.txt:{line}: ")


def test_invalid_utf8_names_the_line(tmp_path):
    path = tmp_path / "bad.txt"
    path.write_bytes("リード\n見出し\n".encode() + b"\xff\xfe broken\n")
    with pytest.raises(SeedError, match=r"bad\.txt:3: not valid UTF-8"):
        read_lines(path)


def comment_lines(*texts: str, start: int = 10) -> list[SeedLine]:
    return [SeedLine(start + n, text) for n, text in enumerate(texts)]


def test_companion_entries_become_comments():
    lines = comment_lines("一つ目", "続き", "", "返信")
    comments = parse_companion(Path("c"), ["# note", "1 10-11 -", "2 13 1  # 返信"], lines)
    assert [(c.index, c.first_line, c.last_line, c.body, c.reply_to) for c in comments] == [
        (1, 10, 11, "一つ目\n続き", None),
        (2, 13, 13, "返信", 1),
    ]


@pytest.mark.parametrize(
    ("entries", "line", "message"),
    [
        (["1 10 -", "2 12 1"], 2, "seed line(s) 11 are in no comment"),
        (["1 10-11 -", "2 11-12 1"], 2, "seed line 11 is already in an earlier comment"),
        (["1 10 -", "2 11 3", "3 12 -"], 2, "answers comment 3, which is not an earlier comment"),
        (["1 10 -", "2 11 2", "3 12 -"], 2, "answers comment 2, which is not an earlier comment"),
        (["1 10 -", "3 11 1"], 2, "expected comment number 2, not 3"),
        (["1 10 -", "2 11 1"], 2, "seed lines 12–12 are in no comment"),
        (["1 10-13 -"], 1, "the seed's comments end at line 12, not 13"),
        (["1 9-10 -"], 1, "seed line 9 is already in an earlier comment"),
        (["1 10 - extra"], 1, "expected 'NUMBER LINES REPLY_TO'"),
        (["1 12-10 -"], 1, "runs backwards"),
        (["1 10 x"], 1, "expected the number of the comment answered"),
    ],
)
def test_malformed_companion_names_file_and_line(entries, line, message):
    lines = comment_lines("a", "b", "c")
    with pytest.raises(SeedError) as caught:
        parse_companion(Path("seed.comments"), entries, lines)
    assert (caught.value.line, caught.value.path) == (line, Path("seed.comments"))
    assert message in caught.value.message


def test_guess_makes_each_line_a_comment_and_quotes_replies():
    lines = comment_lines(
        "インドは独自路線",
        "",
        "名前が悪いな",
        ">独自路線",
        "それな",
        "> 記事の一文",
        "記事への意見",
    )
    comments = guess_comments(lines)
    assert [(c.first_line, c.last_line, c.reply_to) for c in comments] == [
        (10, 10, None),
        (12, 12, None),
        (13, 14, 1),  # quotes words of comment 1
        (15, 16, None),  # quotes nobody's words (the article's): a new thread
    ]


def test_guessed_structure_round_trips_through_a_companion(tmp_path):
    path = tmp_path / "seed.txt"
    path.write_text(MINIMAL, encoding="utf-8")
    guessed = load_seed(path)
    assert guessed.guessed
    assert [(c.body, c.reply_to) for c in guessed.comments] == [
        ("最初のコメント", None),
        (">最初のコメント\n返信です", 1),
    ]
    path.with_suffix(".comments").write_text(format_companion(guessed), encoding="utf-8")
    reviewed = load_seed(path)
    assert not reviewed.guessed
    assert reviewed.comments == guessed.comments
