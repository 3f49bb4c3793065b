"""Operators writing articles in the admin: slugs, the body's blocks, images, states, sections."""

import re
from datetime import timedelta
from urllib.parse import unquote

import pytest
from django.conf import settings
from django.contrib.auth.models import User
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone, translation
from django.utils.encoding import iri_to_uri

from articles import publishing, services
from articles.models import (
    Article,
    ArticleRedirect,
    Block,
    Comment,
    Image,
    ModerationLog,
    Premoderation,
    Section,
)
from articles.slugs import slug_from_title
from tests.helpers import form, image_bytes

ADD_URL = "/admin/articles/article/add/"
INLINES = ("blocks", "image_credits", "links", "redirects")


def article_form(title: str = "", **fields) -> dict:
    """What the admin's add or change form of an article posts, with empty inlines."""
    now = timezone.localtime()
    data = {
        "title": title,
        "slug": "",
        "lead": "リード",
        "status": "published",
        "published_at_0": now.strftime("%Y-%m-%d"),
        "published_at_1": (now - timedelta(minutes=1)).strftime("%H:%M:%S"),
        "comments_open": "on",
        "premoderation": "",
        "source_url": "",
    }
    for prefix in INLINES:
        data.update({f"{prefix}-TOTAL_FORMS": "0", f"{prefix}-INITIAL_FORMS": "0"})
    data.update(fields)
    return data


def with_blocks(data: dict, blocks: list[dict], *, initial: int = 0) -> dict:
    for n, block in enumerate(blocks):
        data.update({f"blocks-{n}-{key}": value for key, value in block.items()})
    data.update({"blocks-TOTAL_FORMS": str(len(blocks)), "blocks-INITIAL_FORMS": str(initial)})
    return data


@pytest.fixture
def admin_url():
    def admin_url(article: Article) -> str:
        return f"/admin/articles/article/{article.pk}/change/"

    return admin_url


# Slugs ------------------------------------------------------------------------------------------


def test_an_article_added_in_the_admin_gets_a_slug_and_the_home_page_still_works(admin_client):
    response = admin_client.post(ADD_URL, article_form("ロシアの防衛産業、弱体化"))
    assert response.status_code == 302, response.context["adminform"].form.errors
    first = Article.objects.get()
    assert first.slug == "ロシアの防衛産業弱体化"
    assert admin_client.get("/").status_code == 200
    response = admin_client.post(ADD_URL, article_form("ロシアの防衛産業、弱体化"))
    assert response.status_code == 302
    second = Article.objects.exclude(pk=first.pk).get()
    assert second.slug == "ロシアの防衛産業弱体化-2"
    page = admin_client.get("/")
    assert page.status_code == 200
    assert first.get_absolute_url() in page.text
    assert second.get_absolute_url() in page.text
    assert admin_client.get(second.get_absolute_url()).status_code == 200


def test_a_new_article_is_a_draft_by_the_current_user_unless_told_otherwise(admin_client):
    page = admin_client.get(ADD_URL)
    form_ = page.context["adminform"].form
    assert form_.initial["status"] == "draft"
    assert form_.initial["author"] == User.objects.get(username="admin").pk


@pytest.mark.parametrize(
    ("title", "slug"),
    [
        ("日本の防衛費　増額へ", "日本の防衛費-増額へ"),
        ("「速報」インド、S-400を受領", "速報インドs-400を受領"),
        ("Russia and India: talks", "russia-and-india-talks"),
    ],
)
def test_slugs_are_made_readable_from_titles(title, slug):
    assert slug_from_title(title) == slug


def test_a_title_with_nothing_usable_gets_a_short_id():
    slug = slug_from_title("「？！」…")
    assert re.fullmatch(r"a-[0-9a-f]{8}", slug)


def test_a_long_title_makes_a_slug_that_fits():
    article = Article.objects.create(title="長" * 300) if False else None  # noqa: F841
    assert len(slug_from_title("長" * 300)) <= 80


@pytest.mark.django_db
def test_a_new_slug_is_unique_also_against_old_addresses():
    renamed = Article.objects.create(title="記事", slug="kiji")
    services.article_slug_change(article=renamed, slug="kiji-new")
    other = Article.objects.create(title="kiji")
    assert other.slug == "kiji-2"


def test_the_admin_refuses_a_slug_another_article_had(admin_client, article, admin_url):
    services.article_slug_change(article=article, slug="renamed")
    response = admin_client.post(ADD_URL, article_form("別", slug="test-article"))
    assert response.status_code == 200
    assert "slug" in response.context["adminform"].form.errors
    assert Article.objects.count() == 1


def test_the_slug_is_editable_until_the_article_has_comments(
    admin_client, article, post, admin_url
):
    page = admin_client.get(admin_url(article))
    assert "slug" in page.context["adminform"].form.fields
    post(article)
    page = admin_client.get(admin_url(article))
    assert "slug" not in page.context["adminform"].form.fields


def test_a_slug_changed_in_the_admin_leaves_a_redirect(admin_client, article, admin_url):
    old_url = article.get_absolute_url()
    data = article_form(article.title, slug="new-slug")
    response = admin_client.post(admin_url(article), data)
    assert response.status_code == 302
    article.refresh_from_db()
    assert article.slug == "new-slug"
    response = admin_client.get(old_url + "?order=newest")
    assert response.status_code == 301
    assert response["Location"] == "/articles/new-slug/?order=newest"


def test_an_article_saved_from_an_old_read_keeps_what_posts_and_imports_wrote_since(thread, post):
    stale = Article.objects.get(pk=thread.pk)
    post(thread, "読まれた後の投稿")
    Article.objects.filter(pk=thread.pk).update(import_ref="disqus:7")  # linked by an import
    hidden = thread.comments.get(number=5)
    services.comment_set_status(comment=hidden, status=Comment.Status.HIDDEN, moderator=None)
    stale.title = "新しい見出し"
    stale.save()
    thread.refresh_from_db()
    assert (thread.title, thread.import_ref) == ("新しい見出し", "disqus:7")
    assert (thread.last_comment_number, thread.publicity_seq) != (
        stale.last_comment_number,
        stale.publicity_seq,
    )
    numbers = set(thread.comments.values_list("number", flat=True))
    assert post(thread, "次の投稿").number == max(numbers) + 1


def test_a_comment_posted_while_the_admin_saves_the_article_keeps_its_number(
    admin_client, thread, post, admin_url, monkeypatch
):
    from articles.admin import ArticleAdmin

    save_model = ArticleAdmin.save_model

    def posted_meanwhile(self, request, obj, form, change):
        post(thread, "編集中の投稿")  # after the admin read the article, before it writes it
        save_model(self, request, obj, form, change)

    monkeypatch.setattr(ArticleAdmin, "save_model", posted_meanwhile)
    response = admin_client.post(admin_url(thread), article_form("見出しを直す", slug=thread.slug))
    assert response.status_code == 302
    thread.refresh_from_db()
    assert thread.title == "見出しを直す"
    assert thread.last_comment_number == thread.comments.count() == 6
    assert post(thread, "その次").number == 7


def test_a_slug_change_keeps_comment_links_and_rewrites_their_html(client, thread, post):
    reply = post(thread, ">>1 そうですね", parent=thread.comments.get(number=1))
    assert 'href="/articles/test-article/c/1/"' in reply.body_html
    services.article_slug_change(article=thread, slug="改名した記事")
    reply.refresh_from_db()
    assert f'href="{iri_to_uri("/articles/改名した記事/c/1/")}"' in reply.body_html
    assert "test-article" not in reply.body_html
    response = client.get("/articles/test-article/c/3/")
    assert response.status_code == 301
    assert unquote(response["Location"]) == "/articles/改名した記事/c/3/"
    page = client.get("/articles/改名した記事/")
    assert page.status_code == 200
    assert f'href="{iri_to_uri("/articles/改名した記事/c/1/")}"' in page.text
    # Changing back takes the old address back from the redirects.
    services.article_slug_change(article=thread, slug="test-article")
    assert list(ArticleRedirect.objects.values_list("old_slug", flat=True)) == ["改名した記事"]
    assert client.get("/articles/test-article/").status_code == 200


def test_an_old_slug_of_a_draft_does_not_redirect(client, article):
    services.article_slug_change(article=article, slug="moved")
    Article.objects.filter(pk=article.pk).update(status=Article.Status.DRAFT)
    assert client.get("/articles/test-article/").status_code == 404


def test_a_slug_cannot_be_changed_to_one_in_use(article, other_article):
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError):
        services.article_slug_change(article=article, slug=other_article.slug)


# Blocks -----------------------------------------------------------------------------------------


def test_the_body_is_written_as_blocks_in_the_order_of_the_form(admin_client):
    data = with_blocks(
        article_form("ブロックの記事"),
        [
            {"kind": "paragraph", "text": "二番目の段落", "order": "3"},
            {"kind": "heading", "text": "見出し", "order": "1"},
            {"kind": "list", "text": "一つ目\n二つ目\n", "order": "2"},
            {"kind": "quote", "text": "引用文", "order": "4"},
            {"kind": "numbered", "text": "第一\n第二", "order": "5"},
            {"kind": "subheading", "text": "小見出し", "order": "6"},
        ],
    )
    response = admin_client.post(ADD_URL, data)
    assert response.status_code == 302, response.context["inline_admin_formsets"][0].formset.errors
    article = Article.objects.get()
    blocks = list(article.blocks.values_list("position", "kind"))
    assert blocks == [
        (1, "heading"),
        (2, "list"),
        (3, "paragraph"),
        (4, "quote"),
        (5, "numbered"),
        (6, "subheading"),
    ]
    html = admin_client.get(article.get_absolute_url()).text
    body = re.search(r'<div class="article-body">(.*?)</div>', html, re.DOTALL).group(1)
    assert re.sub(r"\s+", "", body) == (
        "<h2>見出し</h2><ul><li>一つ目</li><li>二つ目</li></ul><p>二番目の段落</p>"
        "<blockquote><p>引用文</p></blockquote><ol><li>第一</li><li>第二</li></ol><h3>小見出し</h3>"
    )


def test_moving_and_deleting_blocks_renumbers_them(admin_client, article, admin_url):
    for n, text in enumerate(("一", "二", "三"), 1):
        Block.objects.create(article=article, position=n, text=text)
    ids = list(article.blocks.values_list("pk", flat=True))
    data = article_form(article.title, slug=article.slug)
    data = with_blocks(
        data,
        [
            {"id": ids[0], "article": article.pk, "kind": "paragraph", "text": "一", "order": "3"},
            {
                "id": ids[1],
                "article": article.pk,
                "kind": "paragraph",
                "text": "二",
                "DELETE": "1",
            },
            {"id": ids[2], "article": article.pk, "kind": "paragraph", "text": "三", "order": "1"},
            {"kind": "paragraph", "text": "四", "order": "2"},
        ],
        initial=3,
    )
    response = admin_client.post(admin_url(article), data)
    assert response.status_code == 302
    assert list(article.blocks.values_list("position", "text")) == [(1, "三"), (2, "四"), (3, "一")]


def test_the_blank_row_the_script_numbers_is_left_out(admin_client, article, admin_url):
    """static/js/admin-blocks.js numbers every row, the admin's blank extra one too."""
    Block.objects.create(article=article, position=1, text="一")
    block = article.blocks.get()
    data = article_form("見出しだけ直す", slug=article.slug)
    data = with_blocks(
        data,
        [
            {
                "id": block.pk,
                "article": article.pk,
                "kind": "paragraph",
                "text": "一",
                "order": "1",
            },
            {"kind": "paragraph", "text": "", "image": "", "order": "2"},
        ],
        initial=1,
    )
    response = admin_client.post(admin_url(article), data)
    assert response.status_code == 302
    article.refresh_from_db()
    assert article.title == "見出しだけ直す"
    assert list(article.blocks.values_list("position", "text")) == [(1, "一")]


def test_a_block_needs_its_content(admin_client):
    data = with_blocks(
        article_form("空のブロック"),
        [{"kind": "paragraph", "text": " ", "order": "1"}, {"kind": "image", "order": "2"}],
    )
    response = admin_client.post(ADD_URL, data)
    assert response.status_code == 200
    errors = response.context["inline_admin_formsets"][0].formset.errors
    assert "text" in errors[0]
    assert "image" in errors[1]
    assert not Article.objects.exists()


def test_the_service_numbers_blocks_without_meeting_taken_positions(article):
    first = Block.objects.create(article=article, position=1, text="一")
    second = Block.objects.create(article=article, position=2, text="二")
    publishing.article_blocks_save(article=article, blocks=[second, Block(text="新"), first])
    assert list(article.blocks.values_list("text", flat=True)) == ["二", "新", "一"]


# Images -----------------------------------------------------------------------------------------

IMAGE_ADD_URL = "/admin/articles/image/add/"


def image_form(upload, **fields) -> dict:
    return {"file": upload, "alt": "砲塔", "source": "Mil.ru", "licence": "CC BY 4.0", **fields}


def test_an_uploaded_image_is_stored_with_resized_copies(admin_client, media_root):
    upload = SimpleUploadedFile("tank.png", image_bytes(1200, 800), content_type="image/png")
    response = admin_client.post(IMAGE_ADD_URL, image_form(upload))
    assert response.status_code == 302, response.context["adminform"].form.errors
    image = Image.objects.get()
    assert (image.width, image.height) == (1200, 800)
    assert sorted(image.renditions, key=int) == ["480", "960", "1200"]
    assert (media_root / image.file.name).exists()
    for name in image.renditions.values():
        assert name.endswith(".webp")
        assert (media_root / name).exists()
    srcset = [part.rsplit(" ", 1)[1] for part in image.srcset.split(", ")]
    assert srcset == ["480w", "960w", "1200w"]
    assert image.src.endswith("-1200.webp")


def test_an_image_needs_its_alt_text(admin_client, media_root):
    upload = SimpleUploadedFile("tank.png", image_bytes(), content_type="image/png")
    response = admin_client.post(IMAGE_ADD_URL, image_form(upload, alt=""))
    assert response.status_code == 200
    assert "alt" in response.context["adminform"].form.errors


@pytest.mark.parametrize(
    ("name", "content", "code"),
    [
        ("notes.png", b"not an image at all", "image_invalid"),
        (
            "drawing.svg",
            b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>',
            "image_svg",
        ),
        (
            "drawing.png",
            b'<?xml version="1.0"?>\n<svg><script>alert(1)</script></svg>',
            "image_svg",
        ),
    ],
)
def test_what_is_not_an_image_is_refused(admin_client, media_root, name, content, code):
    upload = SimpleUploadedFile(name, content, content_type="image/png")
    response = admin_client.post(IMAGE_ADD_URL, image_form(upload))
    assert response.status_code == 200
    assert response.context["adminform"].form.errors["file"]
    assert not Image.objects.exists()


def test_an_oversized_or_too_large_image_is_refused(media_root, monkeypatch):
    from django.core.exceptions import ValidationError

    from articles import images

    upload = SimpleUploadedFile("big.png", image_bytes(300, 200), content_type="image/png")
    monkeypatch.setattr(images, "MAX_BYTES", 100)
    with pytest.raises(ValidationError) as error:
        images.validate_image_file(upload)
    assert error.value.code == "image_too_large"
    monkeypatch.setattr(images, "MAX_BYTES", 15 * 2**20)
    monkeypatch.setattr(images, "MAX_PIXELS", 300 * 200 - 1)
    with pytest.raises(ValidationError) as error:
        images.validate_image_file(upload)
    assert error.value.code == "image_too_many_pixels"


def test_images_show_with_srcset_lazily_and_the_featured_one_on_top_and_in_the_list(
    client, media_root, article
):
    upload = SimpleUploadedFile("tank.png", image_bytes(1200, 800), content_type="image/png")
    image = publishing.image_save(
        image=Image(file=upload, alt="戦車", source="Mil.ru", licence="CC BY 4.0", subject="T-90"),
        file_changed=True,
    )
    Block.objects.create(article=article, position=1, text="本文")
    Block.objects.create(article=article, position=2, kind="image", image=image, text="演習")
    article.featured_image = image
    article.save()
    html = client.get(article.get_absolute_url()).text
    figures = re.findall(
        r"<figure class=\"(featured-image|article-image)\">(.*?)</figure>", html, re.DOTALL
    )
    assert [kind for kind, _ in figures] == ["featured-image", "article-image"]
    inline = figures[1][1]
    for attribute in ('loading="lazy"', 'width="1200" height="800"', 'alt="戦車"', 'sizes="'):
        assert attribute in inline
    assert re.search(
        r'srcset="\S+-480\.webp 480w, \S+-960\.webp 960w, \S+-1200\.webp 1200w"', inline
    )
    assert "演習" in inline
    assert "Mil.ru / CC BY 4.0 (T-90)" in inline
    assert f'property="og:image" content="http://testserver{image.src}"' in html
    listing = client.get("/").text
    assert image.src in listing
    assert 'loading="lazy"' in listing


# Draft, scheduled, published ------------------------------------------------------------------


@pytest.fixture
def draft(db) -> Article:
    return Article.objects.create(title="下書き", slug="draft", status=Article.Status.DRAFT)


@pytest.fixture
def scheduled(db) -> Article:
    return Article.objects.create(
        title="予約投稿", slug="scheduled", published_at=timezone.now() + timedelta(hours=1)
    )


@pytest.mark.parametrize("name", ["draft", "scheduled"])
def test_drafts_and_scheduled_articles_are_invisible_to_readers(client, request, name, article):
    hidden = request.getfixturevalue(name)
    section = Section.objects.create(name="国際", slug="intl")
    Article.objects.filter(pk__in=[hidden.pk, article.pk]).update(section=section)
    assert hidden.title not in client.get("/").text
    listing = client.get(section.get_absolute_url()).text
    assert article.title in listing
    assert hidden.title not in listing
    assert client.get(hidden.get_absolute_url()).status_code == 404
    assert client.get(f"{hidden.get_absolute_url()}c/1/").status_code == 404
    response = client.post(f"{hidden.get_absolute_url()}comment/", form({"body": "読めた"}))
    assert response.status_code == 404
    assert not hidden.comments.exists()
    assert list(Article.objects.published()) == [article]


def test_staff_preview_a_draft_as_readers_will_see_it(moderator_client, draft):
    Block.objects.create(article=draft, position=1, text="下書きの本文")
    response = moderator_client.get(draft.get_absolute_url())
    assert response.status_code == 200
    assert "下書きの本文" in response.text
    assert 'class="preview-notice"' in response.text
    assert response["X-Robots-Tag"] == "noindex"
    assert "comment-form" not in response.text


def test_a_scheduled_article_appears_when_its_time_comes(client, scheduled):
    Article.objects.filter(pk=scheduled.pk).update(published_at=timezone.now())
    assert client.get(scheduled.get_absolute_url()).status_code == 200


# Authors and sections ---------------------------------------------------------------------------


def test_sections_list_their_articles_with_byline_image_and_comment_count(
    db, client, media_root, post, django_assert_max_num_queries
):
    section = Section.objects.create(name="軍事", slug="military")
    author = User.objects.create_user("writer", is_staff=True, first_name="太郎")
    upload = SimpleUploadedFile("tank.png", image_bytes(600, 400), content_type="image/png")
    image = publishing.image_save(
        image=Image(file=upload, alt="戦車", source="Mil.ru", licence="CC BY 4.0"),
        file_changed=True,
    )
    for n in range(5):
        article = Article.objects.create(
            title=f"軍事記事{n}", section=section, author=author, featured_image=image
        )
        post(article)
    international = Section.objects.create(name="国際", slug="intl")
    Article.objects.create(title="国際記事", section=international)
    with django_assert_max_num_queries(4):
        page = client.get(section.get_absolute_url())
    assert page.status_code == 200
    assert page.text.count("軍事記事") == 5
    assert "国際記事" not in page.text
    assert page.text.count('class="byline"') == 5
    assert page.text.count(f'<img src="{image.src}"') == 5
    assert image.file.url not in page.text
    with django_assert_max_num_queries(4):
        home = client.get("/")
    assert home.text.count('href="/sections/military/"') == 5
    assert home.text.count("文：太郎") == 5
    assert home.text.count("コメント1件") == 5


def test_a_new_file_replaces_the_old_one_and_a_deleted_image_takes_its_files(
    django_capture_on_commit_callbacks, media_root, article
):
    upload = SimpleUploadedFile("one.png", image_bytes(1000, 500), content_type="image/png")
    with django_capture_on_commit_callbacks(execute=True):
        image = publishing.image_save(
            image=Image(file=upload, alt="一", source="s", licence="l"), file_changed=True
        )
    first = [image.file.name, *image.renditions.values()]
    assert all((media_root / name).exists() for name in first)
    image.file = SimpleUploadedFile("two.png", image_bytes(700, 500), content_type="image/png")
    with django_capture_on_commit_callbacks(execute=True):
        publishing.image_save(image=image, file_changed=True)
    assert not any((media_root / name).exists() for name in first)
    second = [image.file.name, *image.renditions.values()]
    assert len(second) == 3
    with django_capture_on_commit_callbacks(execute=True):
        image.delete()
    assert not any((media_root / name).exists() for name in second)


def test_an_image_in_use_cannot_be_deleted(media_root, article):
    from django.db.models import ProtectedError

    upload = SimpleUploadedFile("one.png", image_bytes(300, 200), content_type="image/png")
    image = publishing.image_save(
        image=Image(file=upload, alt="一", source="s", licence="l"), file_changed=True
    )
    Block.objects.create(article=article, position=1, kind="image", image=image)
    with pytest.raises(ProtectedError):
        image.delete()


def test_a_camera_photo_is_shown_upright_and_without_its_metadata(db, media_root):
    from io import BytesIO

    from PIL import Image as PillowImage

    photo = PillowImage.new("RGB", (400, 300), (10, 120, 200))
    exif = PillowImage.Exif()
    exif[0x0112] = 6  # Orientation: rotate 90° clockwise to show
    exif[0x010F] = "Camera maker"
    out = BytesIO()
    photo.save(out, "JPEG", exif=exif)
    upload = SimpleUploadedFile("photo.jpg", out.getvalue(), content_type="image/jpeg")
    image = publishing.image_save(
        image=Image(file=upload, alt="写真", source="s", licence="l"), file_changed=True
    )
    assert (image.width, image.height) == (300, 400)
    image = Image.objects.get()
    image.file = image.file  # as the admin's form does on a save without a new file
    image.alt = "縦の写真"
    publishing.image_save(image=image, file_changed=False)
    assert Image.objects.values_list("width", "height", "alt").get() == (300, 400, "縦の写真")
    with PillowImage.open(media_root / image.renditions["300"]) as copy:
        assert copy.size == (300, 400)
        assert not copy.getexif()
    # The original is kept, upright, without its metadata: MEDIA_ROOT is served, and its address
    # is its copies' less the width.
    original = (media_root / image.file.name).read_bytes()
    assert b"Camera maker" not in original
    with PillowImage.open(media_root / image.file.name) as kept:
        assert kept.size == (300, 400)
        assert not kept.getexif()


def test_the_admin_list_tells_drafts_scheduled_and_published_apart(
    admin_client, article, draft, scheduled
):
    page = admin_client.get("/admin/articles/article/", HTTP_ACCEPT_LANGUAGE="ja").text
    for state in ("下書き", "予約済み", "公開"):
        assert f'<td class="field-state">{state}</td>' in page


def test_a_warm_article_page_with_a_featured_image_reads_no_more(
    client, media_root, article, django_assert_num_queries
):
    upload = SimpleUploadedFile("one.png", image_bytes(600, 400), content_type="image/png")
    image = publishing.image_save(
        image=Image(file=upload, alt="一", source="s", licence="l"), file_changed=True
    )
    Block.objects.create(article=article, position=1, kind="image", image=image)
    article.featured_image = image
    article.save()
    client.get(article.get_absolute_url())
    # The article with its featured image, and the count of its threads (none to list).
    with django_assert_num_queries(2):
        html = client.get(article.get_absolute_url()).text
    assert html.count(image.src) >= 3  # link preview, featured image, image block


def test_a_japanese_old_slug_redirects_with_its_query(client, article):
    services.article_slug_change(article=article, slug="日本語の記事")
    services.article_slug_change(article=article, slug="new-name")
    response = client.get(iri_to_uri("/articles/日本語の記事/?page=2"))
    assert response.status_code == 301
    assert response["Location"] == "/articles/new-name/?page=2"
    assert client.get("/articles/no-such-article/").status_code == 404


def test_an_editor_who_is_not_a_superuser_writes_and_publishes(db, client, media_root):
    from django.contrib.auth.models import Group

    editor = User.objects.create_user("editor", is_staff=True)
    editor.groups.add(Group.objects.get(name="editors"))
    client.force_login(editor)
    upload = SimpleUploadedFile("tank.png", image_bytes(600, 400), content_type="image/png")
    assert client.post(IMAGE_ADD_URL, image_form(upload)).status_code == 302
    image = Image.objects.get()
    data = with_blocks(
        article_form("編集者の記事", featured_image=image.pk, author=editor.pk),
        [{"kind": "image", "image": image.pk, "text": "キャプション", "order": "1"}],
    )
    assert client.post(ADD_URL, data).status_code == 302
    article = Article.objects.get()
    assert (article.author, article.featured_image) == (editor, image)
    assert client.get("/admin/articles/comment/").status_code == 403  # not a moderator


# Who may comment, changed in the article's form -------------------------------------------------


def test_closing_reopening_and_pre_moderation_changed_in_the_form_are_logged(
    admin_client, admin_user, article, admin_url
):
    def save(**fields) -> list[tuple]:
        data = article_form(article.title, slug=article.slug, **fields)
        assert admin_client.post(admin_url(article), data).status_code == 302
        entries = ModerationLog.objects.order_by("pk")
        return list(entries.values_list("action", "moderator", "article", "target"))

    assert save() == []  # nothing changed that the log keeps
    closed = ("close", admin_user.pk, article.pk, article.title)
    assert save(comments_open="") == [closed]
    with translation.override(settings.LANGUAGE_CODE):
        policy = f"{article.title}: {Premoderation.ALL.label}"
    held = ("premod", admin_user.pk, article.pk, policy)
    reopened = ("reopen", admin_user.pk, article.pk, article.title)
    assert save(premoderation="all") == [closed, reopened, held]
    assert save(premoderation="all") == [closed, reopened, held]
    assert save()[-1] == (
        "premod",
        admin_user.pk,
        article.pk,
        f"{article.title}: FORUM_PREMODERATION",
    )
    article.refresh_from_db()
    assert (article.comments_open, article.premoderation) == (True, "")


def test_a_byline_is_the_authors_full_name_never_their_login_name(client, db):
    author = User.objects.create_user("desk-login-7", is_staff=True)
    article = Article.objects.create(title="署名の記事", slug="byline", author=author)
    pages = [
        client.get("/").text,
        client.get(article.get_absolute_url()).text,
        client.get("/feeds/articles/").content.decode(),
    ]
    assert not any("desk-login-7" in page for page in pages)
    author.first_name, author.last_name = "太郎", "山田"
    author.save()
    Article.objects.filter(pk=article.pk).update(content_version=article.content_version + 1)
    page = client.get(article.get_absolute_url()).text
    assert author.get_full_name() in page
    assert "desk-login-7" not in page
