"""The strict Content-Security-Policy in a real browser (no bypass): the handheld signs in,
moves to the PIN on Enter and scans, the desk's pages load, and nothing is blocked."""
import pytest

from tests.e2e.test_core_e2e import seeded, sign_in, scan  # noqa: F401  (fixture)

pytestmark = pytest.mark.browser


def _context(browser, **kw):
    context = browser.new_context(**kw)
    page = context.new_page()
    page.set_default_timeout(10_000)
    blocked = []
    page.on("console", lambda msg: blocked.append(msg.text)
            if "Content Security Policy" in msg.text or "Refused to" in msg.text else None)
    return context, page, blocked


def test_handheld_and_desk_run_under_the_csp(browser, live_server, seeded):  # noqa: F811
    context, page, blocked = _context(
        browser, viewport={"width": 360, "height": 640}, is_mobile=True, has_touch=True,
        user_agent="Mozilla/5.0 (Linux; Android 13) Mobile WMS-test")
    try:
        sign_in(page, live_server.url)  # asserts Enter on the badge moves the focus to the PIN
        page.goto(live_server.url + "/handheld/move")
        scan(page, seeded["source"])
        page.locator("#status").filter(has_text=seeded["source"]).wait_for()
        assert page.evaluate("document.activeElement.name") == "code"
    finally:
        context.close()
    context, page, blocked_desk = _context(browser, viewport={"width": 1366, "height": 900})
    try:
        page.goto(live_server.url + "/login")
        page.fill("input[name=username]", "sam")
        page.fill("input[name=password]", "sam-demo")
        page.press("input[name=password]", "Enter")
        page.wait_for_url("**/desk/")
        for path in ("/desk/counts", "/desk/users", "/desk/tokens", "/desk/stock"):
            page.goto(live_server.url + path)
        page.goto(live_server.url + "/desk/counts")
        page.select_option("select[name=status]", index=1)  # submits on change, from app.js
        page.wait_for_url("**status=*")
    finally:
        context.close()
    assert blocked == [] and blocked_desk == []
