import pytest
from django.core.exceptions import ValidationError

from articles.text import clean_comment_text, quote_text, render_comment_body, reply_refs


def url_for(number: int) -> str | None:
    """Stand in for the article's comments: numbers 1 to 99 exist."""
    return f"#c{number}" if 1 <= number <= 99 else None


def render(body: str) -> str:
    return str(render_comment_body(body, reply_url=url_for))


# clean_comment_text


def test_clean_composes_to_nfc():
    assert clean_comment_text("か\u3099") == "が"


def test_clean_keeps_full_width_characters():
    assert clean_comment_text("ＡＢＣ１２３！") == "ＡＢＣ１２３！"


def test_clean_normalises_newlines():
    assert clean_comment_text("a\r\nb\rc\nd") == "a\nb\nc\nd"


def test_clean_turns_unicode_line_separators_into_newlines():
    assert clean_comment_text("a\u2028b\u2029c") == "a\nb\nc"


def test_clean_rejects_nul():
    with pytest.raises(ValidationError) as excinfo:
        clean_comment_text("a\x00b")
    assert excinfo.value.code == "control_characters"


@pytest.mark.parametrize("char", ["\x07", "\x1b", "\x7f", "\x85"])
def test_clean_rejects_other_control_characters(char):
    with pytest.raises(ValidationError) as excinfo:
        clean_comment_text(f"a{char}b")
    assert excinfo.value.code == "control_characters"


def test_clean_rejects_lone_surrogates():
    with pytest.raises(ValidationError) as excinfo:
        clean_comment_text("a\ud800b")
    assert excinfo.value.code == "invalid_characters"


def test_clean_keeps_tabs():
    assert clean_comment_text("a\tb") == "a\tb"


def test_clean_strips_bidi_override():
    assert clean_comment_text("abc\u202etxt.exe") == "abctxt.exe"


def test_clean_strips_zero_width_space():
    assert clean_comment_text("死\u200bね") == "死ね"


def test_clean_keeps_emoji_zero_width_joiner_sequence():
    family = "👨\u200d👩\u200d👧"
    assert clean_comment_text(family) == family


def test_clean_strips_zero_width_joiner_between_letters():
    assert clean_comment_text("a\u200db") == "ab"


def test_clean_trims_trailing_whitespace_and_leading_empty_lines():
    assert clean_comment_text("\n  \n本文\n\n  \u3000\n") == "本文"


def test_clean_keeps_ascii_art_leading_spaces():
    art = "  ∧＿∧\n （´・ω・）\n  (    )"
    assert clean_comment_text(art + "\n") == art


# render_comment_body


def test_render_escapes_script():
    html = render("<script>alert(1)</script>")
    assert "<script" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html


def test_render_escapes_attribute_breakout():
    html = render('"><img src=x onerror=alert(1)>')
    assert "<img" not in html
    assert html == "&quot;&gt;&lt;img src=x onerror=alert(1)&gt;"


@pytest.mark.parametrize(
    "body", ["javascript:alert(1)", "data:text/html,<b>x</b>", "vbscript:msgbox(1)"]
)
def test_render_never_links_other_schemes(body):
    assert "<a" not in render(body)


def test_render_links_http_url_with_escaped_ampersand():
    html = render("http://example.com/a?b=1&c=2")
    assert html == (
        '<a href="http://example.com/a?b=1&amp;c=2" rel="nofollow ugc noopener">'
        "http://example.com/a?b=1&amp;c=2</a>"
    )


def test_render_url_stops_at_japanese_text():
    html = render("https://example.com/newsを見て")
    assert html.endswith('rel="nofollow ugc noopener">https://example.com/news</a>を見て')


@pytest.mark.parametrize(
    ("body", "url", "after"),
    [
        ("(http://example.com/a)", "http://example.com/a", ")"),
        ("http://example.com/a。", "http://example.com/a", "。"),
        ("http://example.com/a.", "http://example.com/a", "."),
        ("http://example.com/a!?", "http://example.com/a", "!?"),
        ("http://en.wikipedia.org/wiki/A_(b)", "http://en.wikipedia.org/wiki/A_(b)", ""),
    ],
)
def test_render_leaves_trailing_punctuation_out_of_links(body, url, after):
    assert render(body).endswith(f'href="{url}" rel="nofollow ugc noopener">{url}</a>{after}')


def test_render_url_with_quote_cannot_break_the_attribute():
    html = render('http://example.com/"onmouseover="alert(1)')
    assert '"onmouseover' not in html
    assert '<a href="http://example.com/" rel="nofollow ugc noopener">' in html


def test_render_escapes_single_quote_in_url():
    assert 'href="http://example.com/&#x27;x"' in render("http://example.com/'x")


def test_render_caps_linked_text():
    url = "http://example.com/" + "a" * 3000
    html = render(url)
    assert html.count("a" * 1981) == 2  # in href and in the link text
    assert html.endswith("</a>" + "a" * 1019)


def test_render_wraps_quote_line():
    assert render(">quote") == '<span class="quote">&gt;quote</span>'


def test_render_wraps_full_width_quote_line():
    assert render("＞全角の引用") == '<span class="quote">＞全角の引用</span>'


def test_render_links_reply_reference():
    assert render(">>12") == '<a class="reply-ref" href="#c12" data-number="12">&gt;&gt;12</a>'


def test_render_leaves_unknown_reply_reference_as_text():
    assert render(">>120") == "&gt;&gt;120"


def test_render_links_full_width_reply_reference():
    assert render("＞＞１２") == '<a class="reply-ref" href="#c12" data-number="12">&gt;&gt;12</a>'


def test_render_escapes_reply_url():
    html = str(render_comment_body(">>1", reply_url=lambda number: '/a?x=1&y="2"'))
    assert 'href="/a?x=1&amp;y=&quot;2&quot;"' in html


def test_render_reply_reference_inside_text_is_not_a_quote():
    html = render(">>3 そうだね")
    assert 'class="quote"' not in html
    assert html.endswith("</a> そうだね")


def test_render_keeps_line_breaks():
    assert render("一行目\n\n三行目") == "一行目<br>\n<br>\n三行目"


# reply_refs and quote_text


def test_reply_refs_in_order_of_first_appearance_without_duplicates():
    assert reply_refs(">>5\n>>2 と ＞＞５ と >>１０\n>>2") == [5, 2, 10]


def test_reply_refs_ignore_numbers_over_seven_digits():
    assert reply_refs(">>12345678") == []


def test_quote_text_prefixes_every_line():
    assert quote_text("a\nb") == ">a\n>b"


def test_render_links_both_ends_of_a_reply_range():
    assert render(">>1-3") == (
        '<a class="reply-ref" href="#c1" data-number="1">&gt;&gt;1</a>-'
        '<a class="reply-ref" href="#c3" data-number="3">3</a>'
    )


def test_render_links_full_width_ranges_and_the_much_greater_than_sign():
    assert render("＞＞１－３").endswith('－<a class="reply-ref" href="#c3" data-number="3">3</a>')
    assert render("≫2 そう") == (
        '<a class="reply-ref" href="#c2" data-number="2">&gt;&gt;2</a> そう'
    )


def test_render_range_with_a_missing_or_backward_end_links_only_the_start():
    assert render(">>5-120") == (
        '<a class="reply-ref" href="#c5" data-number="5">&gt;&gt;5</a>-120'
    )
    assert render(">>5-3") == '<a class="reply-ref" href="#c5" data-number="5">&gt;&gt;5</a>-3'
    assert render(">>120-130") == "&gt;&gt;120-130"


def test_reply_refs_expand_ranges_and_read_the_much_greater_than_sign():
    assert reply_refs(">>1-3 と ≫7 と >>2〜4") == [1, 2, 3, 7, 4]
    # A range wider than MAX_RANGE_LENGTH answers only its ends.
    assert reply_refs(">>1-500") == [1, 500]
    assert reply_refs(">>5-3") == [5]
