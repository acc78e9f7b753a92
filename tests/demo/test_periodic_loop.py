"""``scripts/demo_periodic.sh``: make demo's loop runs the periodic command at once, again after
each interval, and stops (with the run it started) when it is told to."""

import os
import signal
import subprocess
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = ROOT / "scripts" / "demo_periodic.sh"


def wait_for(condition, limit=30.0):
    """Poll until ``condition()`` holds (the limit only bounds a broken script, nothing is timed)."""
    end = time.monotonic() + limit
    while time.monotonic() < end:
        if condition():
            return True
        time.sleep(0.05)
    return False


def test_the_loop_runs_the_command_again_and_stops_with_its_run(tmp_path):
    log = tmp_path / "runs.log"
    fake = tmp_path / "python"
    # A stand-in for .venv/bin/python: records its arguments, then blocks in a long run on the
    # third call so that the loop is stopped mid-run.
    fake.write_text(
        f'#!/bin/sh\necho "$*" >> {log}\n[ "$(wc -l < {log})" -ge 3 ] && exec sleep 600\nexit 1\n'
    )
    fake.chmod(0o755)
    env = {**os.environ, "GUICHET_PERIODIC_INTERVAL": "0.1"}
    loop = subprocess.Popen(
        ["bash", str(SCRIPT), str(fake)], cwd=ROOT, env=env,
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, start_new_session=True,
    )  # fmt: skip
    try:
        assert wait_for(lambda: log.exists() and len(log.read_text().splitlines()) >= 3)
        loop.send_signal(signal.SIGTERM)
        assert loop.wait(timeout=30) == 0
        _, err = loop.communicate()
    finally:
        if loop.poll() is None:
            os.killpg(loop.pid, signal.SIGKILL)
    assert log.read_text().splitlines()[0] == "manage.py guichet_periodic --verbosity 1"
    assert "guichet_periodic a échoué (code 1)" in err.decode()
    # The run it was waiting for was stopped with it: nothing of the group is left.
    assert wait_for(lambda: not _group_alive(loop.pid))


def _group_alive(pgid: int) -> bool:
    try:
        os.killpg(pgid, 0)
    except ProcessLookupError:
        return False
    return True
