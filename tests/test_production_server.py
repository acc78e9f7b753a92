"""Production runs under gunicorn (config/gunicorn.py) with the production settings: started on a
free loopback port against a SQLite file, it serves a public page, and whitenoise serves the
collected static files, hashed names with a far-future Cache-Control."""

from __future__ import annotations

import http.client
import json
import os
import secrets
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
GUNICORN = Path(sys.executable).parent / "gunicorn"

# The production settings, except that collected files are not also compressed (gzip and
# Brotli of django-dsfr's 1 700 files take about two minutes on this machine; hashing and the
# manifest, which decide the URLs and their caching, are kept).
OVERLAY = """from config.settings.production import *  # noqa: F403
WHITENOISE_SKIP_COMPRESS_EXTENSIONS = ["css", "js", "svg", "map", "md", "txt", "html", "json",
    "woff", "woff2", "ttf", "eot", "otf", "png", "jpg", "jpeg", "gif", "webp", "ico", "xml"]
"""


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _get(port: int, path: str) -> http.client.HTTPResponse:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=20)
    # As the reverse proxy sends it: the request came over HTTPS.
    conn.request("GET", path, headers={"Host": "127.0.0.1", "X-Forwarded-Proto": "https"})
    response = conn.getresponse()
    response.body = response.read()  # type: ignore[attr-defined]
    conn.close()
    return response


@pytest.fixture(scope="module")
def production_server(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("production")
    (tmp / "production_overlay.py").write_text(OVERLAY)
    port = _free_port()
    env = {
        "PATH": os.environ.get("PATH", ""),
        "PYTHONPATH": f"{ROOT}{os.pathsep}{tmp}",
        "DJANGO_SETTINGS_MODULE": "production_overlay",
        "DJANGO_SECRET_KEY": secrets.token_urlsafe(50),
        "DJANGO_ALLOWED_HOSTS": "127.0.0.1",
        "DATABASE_URL": f"sqlite:///{tmp / 'guichet.sqlite3'}",
        "GUICHET_STATIC_ROOT": str(tmp / "static"),
        "GUICHET_BIND": f"127.0.0.1:{port}",
        "WEB_CONCURRENCY": "2",
    }
    for command in (["migrate", "--noinput"], ["collectstatic", "--noinput"]):
        subprocess.run(
            [sys.executable, "manage.py", *command],
            cwd=ROOT, env=env, check=True, capture_output=True, timeout=600,
        )  # fmt: skip
    log = (tmp / "gunicorn.log").open("w")
    server = subprocess.Popen(
        [str(GUNICORN), "-c", str(ROOT / "config" / "gunicorn.py")],
        cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT,
    )  # fmt: skip
    try:
        for _ in range(300):  # at most 30 s
            assert server.poll() is None, (tmp / "gunicorn.log").read_text()
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
                break
            except OSError:
                time.sleep(0.1)
        else:
            pytest.fail("gunicorn ne répond pas")
        yield port, tmp
    finally:
        server.send_signal(signal.SIGTERM)  # graceful stop of the master and its workers
        server.wait(30)
        log.close()
    assert server.returncode == 0, (tmp / "gunicorn.log").read_text()


def test_gunicorn_serves_a_public_page_with_the_production_settings(production_server):
    port, _ = production_server
    response = _get(port, "/")
    assert response.status == 200
    assert "guichet" in response.body.decode()
    assert response.getheader("Strict-Transport-Security", "").startswith("max-age=")


def test_whitenoise_serves_hashed_static_files_with_a_far_future_cache(production_server):
    port, tmp = production_server
    manifest = json.loads((tmp / "static" / "staticfiles.json").read_text())["paths"]
    hashed = manifest["guichet/guichet.css"]
    assert hashed != "guichet/guichet.css"

    response = _get(port, f"/static/{hashed}")
    assert response.status == 200
    assert response.getheader("Content-Type", "").startswith("text/css")
    cache = response.getheader("Cache-Control", "")
    assert "max-age=315360000" in cache and "immutable" in cache

    # The page links the hashed name, not the original one.
    assert f"/static/{manifest['vendor/htmx/htmx.min.js']}" in _get(port, "/").body.decode()
    original = _get(port, "/static/guichet/guichet.css")
    assert original.status == 200
    assert "immutable" not in original.getheader("Cache-Control", "")
