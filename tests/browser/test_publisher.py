"""An operator in headless Chromium: upload an image, write an article with it, publish, read it.

Screenshots (the admin form, the article at phone size) are kept in test-output/screenshots/.
"""

import pytest
from django.contrib.auth.models import User
from playwright.sync_api import expect

from articles.models import Article, Image

from ..helpers import image_bytes
from .helpers import PHONE, new_page

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def choose_image(page, container, search: str) -> None:
    """Pick an image in an autocomplete field (select2) by searching for it."""
    container.locator(".select2-selection").click()
    page.locator(".select2-search__field").fill(search)
    page.locator(".select2-results__option", has_text=search).first.click()


@pytest.fixture
def operator(db) -> User:
    return User.objects.create_superuser("editor", password="editor-password-123")


@pytest.fixture
def served_media(settings, media_root):
    settings.ROOT_URLCONF = "tests.browser.media_urls"
    return media_root


def test_operator_writes_and_publishes_an_article_with_an_image(
    page, browser, live_server, operator, served_media, tmp_path, screenshots
):
    page.goto("/admin/login/?next=/admin/")
    page.locator("#id_username").fill("editor")
    page.locator("#id_password").fill("editor-password-123")
    page.locator("input[type=submit]").click()
    page.wait_for_url("**/admin/")

    photo = tmp_path / "ka52.png"
    photo.write_bytes(image_bytes(1600, 900))
    page.goto("/admin/articles/image/add/")
    page.locator("#id_file").set_input_files(photo)
    page.locator("#id_alt").fill("飛行するKa-52攻撃ヘリコプター")
    page.locator("#id_source").fill("Mil.ru")
    page.locator("#id_licence").fill("CC BY 4.0")
    page.locator("#id_subject").fill("Ka-52")
    page.locator("input[name=_save]").click()
    page.wait_for_url("**/admin/articles/image/")
    image = Image.objects.get()
    assert sorted(image.renditions, key=int) == ["480", "960", "1600"]

    page.goto("/admin/articles/article/add/")
    page.locator("#id_title").fill("ロシア軍の攻撃ヘリ、インドへ輸出か")
    page.locator("#id_lead").fill("ロシアがインドにKa-52を売り込んでいる。")
    choose_image(page, page.locator(".field-featured_image"), "Ka-52")
    page.locator("#id_status").select_option("published")
    add_block = page.locator("#blocks-group .add-row a")
    rows = page.locator("#blocks-group tr.form-row:not(.empty-form)")
    rows.nth(0).locator("select[name$='-kind']").select_option("paragraph")
    rows.nth(0).locator("textarea").fill("ロシアはインドに攻撃ヘリの売り込みを続けている。")
    add_block.click()
    rows.nth(1).locator("select[name$='-kind']").select_option("image")
    choose_image(page, rows.nth(1), "Ka-52")
    rows.nth(1).locator("textarea").fill("演習中のKa-52")
    add_block.click()
    rows.nth(2).locator("select[name$='-kind']").select_option("heading")
    rows.nth(2).locator("textarea").fill("売り込みの背景")
    # The heading goes first: up twice.
    rows.nth(2).get_by_role("button", name="上へ移動").click()
    rows.nth(1).get_by_role("button", name="上へ移動").click()
    expect(rows.nth(0).locator("textarea")).to_have_value("売り込みの背景")
    page.screenshot(path=screenshots / "admin-article-blocks.png", full_page=True)
    page.locator("input[name=_save]").click()
    page.wait_for_url("**/admin/articles/article/")

    article = Article.objects.get()
    assert article.slug == "ロシア軍の攻撃ヘリインドへ輸出か"
    assert article.is_public()
    assert article.author == operator
    assert list(article.blocks.values_list("position", "kind")) == [
        (1, "heading"),
        (2, "paragraph"),
        (3, "image"),
    ]
    # Saved again unchanged: the blank row the admin adds, numbered by the script, stays out.
    page.goto(f"/admin/articles/article/{article.pk}/change/")
    page.locator("input[name=_save]").click()
    page.wait_for_url("**/admin/articles/article/")
    assert article.blocks.count() == 3

    page.goto("/")
    thumbnail = page.locator(".article-list .thumbnail img")
    expect(thumbnail).to_have_attribute("alt", "飛行するKa-52攻撃ヘリコプター")
    assert thumbnail.bounding_box()["width"] <= 128  # 8rem, beside the headline
    page.screenshot(path=screenshots / "article-list-desktop.png", full_page=True)
    page.goto(article.get_absolute_url())
    expect(page.locator(".featured-image img")).to_be_visible()
    page.screenshot(path=screenshots / "article-with-image-desktop.png", full_page=True)

    phone = new_page(browser, live_server, viewport=PHONE)
    phone.goto("/")
    expect(phone.locator(".article-list h2")).to_have_text("ロシア軍の攻撃ヘリ、インドへ輸出か")
    phone.locator(".article-list h2 a").click()
    expect(phone.locator("h1")).to_have_text("ロシア軍の攻撃ヘリ、インドへ輸出か")
    expect(phone.locator(".article-body h2")).to_have_text("売り込みの背景")
    figure = phone.locator(".article-image")
    expect(figure).to_contain_text("演習中のKa-52")
    expect(figure).to_contain_text("Mil.ru / CC BY 4.0 (Ka-52)")
    featured = phone.locator(".featured-image img")
    expect(featured).to_have_attribute("alt", "飛行するKa-52攻撃ヘリコプター")
    # Loaded, a phone-sized copy chosen from srcset, and no wider than the screen.
    phone.wait_for_function("document.querySelector('.featured-image img').complete")
    loaded = featured.evaluate("img => [img.naturalWidth, img.currentSrc]")
    assert loaded[0] > 0
    assert loaded[1].endswith("-480.webp")
    box = featured.bounding_box()
    assert box["width"] <= PHONE["width"]
    assert phone.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    phone.screenshot(path=screenshots / "article-with-image-phone.png", full_page=True)
    phone.context.close()


@pytest.mark.parametrize("width", [1280, 1024])
def test_the_article_form_fits_the_admins_width(browser, live_server, operator, screenshots, width):
    context = browser.new_context(
        locale="ja-JP", base_url=live_server.url, viewport={"width": width, "height": 900}
    )
    page = context.new_page()
    page.goto("/admin/login/?next=/admin/articles/article/add/")
    page.locator("#id_username").fill("editor")
    page.locator("#id_password").fill("editor-password-123")
    page.locator("input[type=submit]").click()
    page.wait_for_url("**/admin/articles/article/add/")
    page.locator("#blocks-group .add-row a").click()  # two rows, with their move buttons
    page.screenshot(path=screenshots / f"admin-article-add-{width}.png", full_page=True)
    assert page.evaluate("document.documentElement.scrollWidth") <= width
    table = page.locator("#blocks-group table").bounding_box()
    group = page.locator("#blocks-group").bounding_box()
    assert table["x"] + table["width"] <= group["x"] + group["width"]  # nothing cut off
    # The delete column's heading reads across, not a character a line.
    heading = page.locator("#blocks-group thead th").last.bounding_box()
    assert heading["height"] < 40
    context.close()
