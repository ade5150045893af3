"""docs/llms.txt and docs/llms-full.txt: generated from docs/ by docs/llms.py, never stale."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

DOCS = Path(__file__).resolve().parent.parent / "docs"


def test_llms_files_match_the_docs():
    done = subprocess.run(
        [sys.executable, str(DOCS / "llms.py"), "--check"], capture_output=True, text=True
    )
    assert done.returncode == 0, done.stdout + done.stderr


def test_the_index_links_every_page_and_the_full_text_holds_each_one():
    index = (DOCS / "llms.txt").read_text(encoding="utf-8")
    full = (DOCS / "llms-full.txt").read_text(encoding="utf-8")
    pages = sorted(DOCS.glob("*.md")) + sorted((DOCS / "internals").glob("*.md"))
    assert len(pages) > 30
    for page in pages:
        name = page.relative_to(DOCS).as_posix()
        assert f"]({name})" in index, name
        assert f"<!-- docs/{name} -->" in full, name
    assert index.startswith("# praefect\n\n> ")
    assert index.index("](quickstart.md)") < index.index("](benchmarks.md)")
