"""``manage.py check --deploy`` is clean with the production settings and their defaults.

Each check runs in a subprocess: the production settings module reads the environment when it is
imported, and the test process runs under the test settings.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent.parent
# The same call as ``call_command("check", "--deploy", fail_level="WARNING")``, printed.
CHECK = """
import django
from django.conf import settings
from django.core.management import call_command
django.setup()
call_command("check", "--deploy", fail_level="WARNING")
print("HSTS", settings.SECURE_HSTS_SECONDS, settings.SECURE_HSTS_INCLUDE_SUBDOMAINS,
      settings.SECURE_HSTS_PRELOAD, "REDIRECT", settings.SECURE_SSL_REDIRECT,
      "PROXY", settings.SECURE_PROXY_SSL_HEADER)
"""


def run_check(**env: str) -> subprocess.CompletedProcess[str]:
    environment = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("GUICHET_", "DJANGO_", "PROCONNECT_"))
    }
    environment.update(
        DJANGO_SETTINGS_MODULE="config.settings.production",
        DJANGO_SECRET_KEY="k" + "7Qz!x9#Lm2@vR5$wT8&yB3^nC6*" * 3,
        DJANGO_ALLOWED_HOSTS="guichet.puy-de-dome.gouv.fr",
        **env,
    )
    return subprocess.run(
        [sys.executable, "-c", CHECK],
        cwd=BASE_DIR,
        env=environment,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_the_deploy_check_is_clean_with_the_production_defaults():
    result = run_check()
    assert result.returncode == 0, result.stderr
    assert "WARNINGS" not in result.stderr and "WARNINGS" not in result.stdout
    assert "HSTS 31536000 True True REDIRECT True" in result.stdout
    assert "PROXY ('HTTP_X_FORWARDED_PROTO', 'https')" in result.stdout


def test_each_setting_comes_from_the_environment_and_the_check_says_when_it_is_off():
    result = run_check(
        GUICHET_HSTS_PRELOAD="0",
        GUICHET_HSTS_INCLUDE_SUBDOMAINS="false",
        GUICHET_SSL_REDIRECT="no",
        GUICHET_HSTS_SECONDS="0",
        GUICHET_PROXY_SSL_HEADER="",
    )
    assert result.returncode != 0
    # W004: no HSTS at all (W005 and W021 are only judged when HSTS is on).
    for warning in ("security.W004", "security.W008"):
        assert warning in result.stderr


def test_subdomains_and_preload_are_judged_apart():
    result = run_check(GUICHET_HSTS_PRELOAD="0", GUICHET_HSTS_INCLUDE_SUBDOMAINS="false")
    assert result.returncode != 0
    for warning in ("security.W005", "security.W021"):
        assert warning in result.stderr
    assert "security.W008" not in result.stderr


def test_the_proxy_s_header_is_read_from_the_environment():
    result = run_check(GUICHET_PROXY_SSL_HEADER="X-Forwarded-Scheme: https")
    assert result.returncode == 0, result.stderr
    assert "PROXY ('HTTP_X_FORWARDED_SCHEME', 'https')" in result.stdout
    malformed = run_check(GUICHET_PROXY_SSL_HEADER="https")
    assert malformed.returncode != 0
    assert "GUICHET_PROXY_SSL_HEADER s’écrit « En-tête: valeur »" in malformed.stderr
