"""No file of the repository keeps a merge's conflict markers: a CSS file or a template with them
still loads, so nothing else would notice (a stylesheet silently loses its rules)."""

import re
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
MARKER = re.compile(r"^(<{7}|>{7})( |$)|^={7}$", re.MULTILINE)


def tracked_text_files() -> list[Path]:
    names = subprocess.run(
        ["git", "ls-files", "-z"], cwd=ROOT, capture_output=True, check=True
    ).stdout.split(b"\0")
    return [ROOT / n.decode() for n in names if n]


def markers_in(text: str) -> list[int]:
    return [text.count("\n", 0, m.start()) + 1 for m in MARKER.finditer(text)]


def test_the_marker_pattern_finds_a_conflict_and_nothing_else():
    conflict = "a\n" + "<" * 7 + " HEAD\nb\n" + "=" * 7 + "\nc\n" + ">" * 7 + " branch\n"
    assert markers_in(conflict) == [2, 4, 6]
    assert markers_in("=" * 8 + "\n# " + "<" * 7 + "\n a <<<<<<<< b\n") == []


def test_no_tracked_file_keeps_conflict_markers():
    found = []
    for path in tracked_text_files():
        if not path.is_file():
            continue
        data = path.read_bytes()
        if b"\0" in data[:8192]:
            continue  # binary
        lines = markers_in(data.decode("utf-8", errors="replace"))
        if lines:
            found.append(f"{path.relative_to(ROOT)}: lines {lines}")
    assert found == []
