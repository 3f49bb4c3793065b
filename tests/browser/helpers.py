"""Helpers the browser tests import: viewport sizes and a page in a fresh browser context."""

DESKTOP = {"width": 1280, "height": 900}
PHONE = {"width": 360, "height": 740}


def new_page(browser, live_server, *, viewport=DESKTOP, locale="ja-JP"):
    context = browser.new_context(viewport=viewport, locale=locale, base_url=live_server.url)
    context.set_default_timeout(10_000)
    return context.new_page()
