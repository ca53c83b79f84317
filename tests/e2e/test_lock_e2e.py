"""Issue 19 item 5 in a browser: the scanner warns "1 try left", says "locked" on the try that
locks, and a supervisor sees the lock on the desk and unlocks it from the Users page."""
import pytest

from tests.e2e.test_core_e2e import seeded  # noqa: F401  (fixture)

pytestmark = pytest.mark.browser


def _try(page, base, pin):
    page.goto(base + "/handheld/login")
    page.locator("#badge").fill("BADGE-0003")
    page.keyboard.press("Enter")
    page.keyboard.type(pin)
    page.keyboard.press("Enter")
    page.wait_for_load_state()
    return page.locator("[data-status=error]").inner_text()


def test_locked_badge_warned_then_unlocked_on_the_desk(phone, desktop, live_server, seeded):  # noqa: F811
    base = live_server.url
    messages = [_try(phone, base, "0000") for _ in range(5)]
    assert "try left" not in messages[2]
    assert "1 try left" in messages[3]
    assert "now locked" in messages[4]
    assert "locked until" in _try(phone, base, "3333")  # even the right PIN waits
    desktop.goto(base + "/login")
    desktop.fill("input[name=username]", "sam")
    desktop.fill("input[name=password]", "sam-demo")
    desktop.press("input[name=password]", "Enter")
    desktop.wait_for_url("**/desk/")
    banner = desktop.locator("[data-locked]")
    assert "Olga" in banner.inner_text()
    banner.get_by_role("link").click()
    desktop.wait_for_url("**/desk/users")
    row = desktop.locator("tr[data-user=olga]")
    assert "locked" in row.inner_text()
    row.get_by_role("button", name="Unlock").click()
    desktop.wait_for_url("**/desk/users")
    assert "Olga Operator unlocked" in desktop.content()
    assert desktop.locator("#locked-h").count() == 0
    phone.goto(base + "/handheld/login")
    phone.locator("#badge").fill("BADGE-0003")
    phone.keyboard.press("Enter")
    phone.keyboard.type("3333")
    phone.keyboard.press("Enter")
    phone.wait_for_url("**/handheld/")
