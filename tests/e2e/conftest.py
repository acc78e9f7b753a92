"""Browser journeys: Playwright driving Debian's Chromium against a live test server.

The server runs in a thread on the test database and sees the reference data loaded for the
session. On SQLite (in memory) it shares the test thread's connection, as Django's
LiveServerTestCase does; on PostgreSQL it has its own connection, so what it writes is committed
and stays: these tests run last (see tests/conftest.py).
"""

import os
import threading

import pytest

# Playwright's sync API keeps an event loop in the test thread; Django's database calls from that
# thread (fixtures, checks) are still synchronous and safe. Playwright's documented setting:
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

CHROMIUM = os.environ.get("GUICHET_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


@pytest.fixture(scope="session")
def server_url(django_db_setup, django_db_blocker):
    from django.contrib.staticfiles.handlers import StaticFilesHandler
    from django.db import connections
    from django.test.testcases import LiveServerThread

    with django_db_blocker.unblock():
        overrides = {
            conn.alias: conn
            for conn in connections.all()
            if conn.vendor == "sqlite" and conn.is_in_memory_db()
        }
        for conn in overrides.values():
            conn.inc_thread_sharing()
        handler = StaticFilesHandler
        if overrides:
            # One in-memory SQLite connection for every thread: serve one request at a time, as
            # the browser may send two at once (an autosave and a click).
            lock = threading.Lock()

            class OneAtATime(StaticFilesHandler):
                def __call__(self, environ, start_response):
                    with lock:
                        return super().__call__(environ, start_response)

            handler = OneAtATime
        thread = LiveServerThread("127.0.0.1", handler, connections_override=overrides, port=0)
        thread.daemon = True
        thread.start()
        thread.is_ready.wait()
        if thread.error:
            raise thread.error
        try:
            yield f"http://127.0.0.1:{thread.port}"
        finally:
            thread.terminate()
            for conn in overrides.values():
                conn.dec_thread_sharing()


@pytest.fixture(scope="session")
def browser(server_url):
    """Started after the server and closed before it, so no browser connection outlives it."""
    from playwright.sync_api import sync_playwright

    if not os.path.exists(CHROMIUM):
        pytest.fail(f"Chromium introuvable ({CHROMIUM}) : lancez « make chromium ».")
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        yield browser
        browser.close()


@pytest.fixture
def page(browser, server_url):
    context = browser.new_context(locale="fr-FR", timezone_id="Europe/Paris", base_url=server_url)
    context.set_default_timeout(10_000)
    page = context.new_page()
    errors = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    yield page
    context.close()
    assert not errors, f"JavaScript errors: {errors}"


@pytest.fixture
def signed_in(browser, server_url):
    """A browser page signed in as ``user``, through a session made on the server side."""
    from django.test import Client

    contexts = []

    def open_page(user):
        client = Client()
        client.force_login(user)
        context = browser.new_context(
            locale="fr-FR", timezone_id="Europe/Paris", base_url=server_url
        )
        context.set_default_timeout(10_000)
        context.add_cookies(
            [{"name": "sessionid", "value": client.cookies["sessionid"].value, "url": server_url}]
        )
        contexts.append(context)
        page = context.new_page()
        errors = []
        page.on("pageerror", lambda exc: errors.append(f"{exc} {exc.stack}"))
        page.js_errors = errors
        return page

    yield open_page
    for context in contexts:
        errors = [e for p in context.pages for e in getattr(p, "js_errors", [])]
        context.close()
        assert not errors, f"JavaScript errors: {errors}"


def assert_accessible(page, what: str = "") -> None:
    """axe-core (the engine the RGAA audits use) finds no violation on the page as it is now."""
    from axe_playwright_python.sync_playwright import Axe

    results = Axe().run(page)
    violations = results.response["violations"]
    details = [
        f"{v['id']} ({v['impact']}): {[n['target'] for n in v['nodes']][:3]}" for v in violations
    ]
    assert not violations, f"axe-core, {what or page.url}: {details}"
