"""The chat page in real Chromium (Playwright): two tabs, HTML injection, leave notice, reconnect.

Every wait is a Playwright expectation with a timeout; nothing sleeps.
"""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.browser

WAIT_MS = 10_000


@pytest.fixture
async def browser(chromium_executable):
    from playwright.async_api import async_playwright

    async with async_playwright() as pw:
        browser = await pw.chromium.launch(executable_path=chromium_executable, args=["--no-sandbox"])
        try:
            yield browser
        finally:
            await browser.close()


async def open_chat(browser, srv, room, name):
    from playwright.async_api import expect

    page = await browser.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.errors = errors
    await page.goto(f"{srv.url}/?room={room}", timeout=WAIT_MS)
    await page.fill("#name", name)
    await page.click("#join")
    await expect(page.locator("#status")).to_have_text(f"connected to {room} as {name}", timeout=WAIT_MS)
    return page


async def say(page, text):
    await page.fill("#text", text)
    await page.press("#text", "Enter")


async def test_two_tabs_see_each_others_messages(browser, chat_server):
    from playwright.async_api import expect

    ada = await open_chat(browser, chat_server, "browsers", "Ada")
    bob = await open_chat(browser, chat_server, "browsers", "Bob")
    await expect(ada.locator("#messages")).to_contain_text("Bob joined.", timeout=WAIT_MS)
    await expect(ada.locator("#members li")).to_have_text(["Ada", "Bob"], timeout=WAIT_MS)
    await say(ada, "hello from Ada")
    await say(bob, "hi Ada, Bob here")
    for page in (ada, bob):
        await expect(page.locator("#messages li.message")).to_have_count(2, timeout=WAIT_MS)
        texts = page.locator("#messages li.message .text")
        await expect(texts).to_have_text(["hello from Ada", "hi Ada, Bob here"], timeout=WAIT_MS)
        await expect(page.locator("#messages li.message .who")).to_have_text(["Ada", "Bob"])
    assert ada.errors == [] and bob.errors == []


async def test_html_in_messages_and_names_shows_as_text(browser, chat_server):
    from playwright.async_api import expect

    attack = '<img src=x onerror="window.__pwned = 1">'
    ada = await open_chat(browser, chat_server, "xss", "Ada")
    eve = await open_chat(browser, chat_server, "xss", "<b>Eve</b>")
    await say(eve, attack)
    await expect(ada.locator("#messages li.message .text")).to_have_text([attack], timeout=WAIT_MS)
    await expect(ada.locator("#messages li.message .who")).to_have_text(["<b>Eve</b>"])
    assert await ada.locator("#messages img").count() == 0
    assert await ada.locator("#messages b").count() == 0
    assert await ada.evaluate("window.__pwned") is None


async def test_closing_a_tab_sends_a_leave_notice(browser, chat_server):
    from playwright.async_api import expect

    ada = await open_chat(browser, chat_server, "leaving", "Ada")
    bob = await open_chat(browser, chat_server, "leaving", "Bob")
    await expect(ada.locator("#members li")).to_have_text(["Ada", "Bob"], timeout=WAIT_MS)
    await bob.close()
    await expect(ada.locator("#messages")).to_contain_text("Bob left.", timeout=WAIT_MS)
    await expect(ada.locator("#members li")).to_have_text(["Ada"], timeout=WAIT_MS)


async def test_newcomer_gets_history(browser, chat_server):
    from playwright.async_api import expect

    ada = await open_chat(browser, chat_server, "history", "Ada")
    await say(ada, "first!")
    await expect(ada.locator("#messages li.message .text")).to_have_text(["first!"], timeout=WAIT_MS)
    cy = await open_chat(browser, chat_server, "history", "Cy")
    await expect(cy.locator("#messages li.message .text")).to_have_text(["first!"], timeout=WAIT_MS)


async def test_page_reconnects_after_a_dropped_connection(browser, chat_server):
    from playwright.async_api import expect

    ada = await open_chat(browser, chat_server, "drops", "Ada")
    assert chat_server.abort_connections() >= 1  # drop every connection, like a network hiccup
    await expect(ada.locator("#status")).to_have_attribute("data-state", "reconnecting", timeout=WAIT_MS)
    await expect(ada.locator("#status")).to_have_text("connected to drops as Ada", timeout=WAIT_MS)
    await say(ada, "back again")
    await expect(ada.locator("#messages li.message .text")).to_have_text(["back again"], timeout=WAIT_MS)
