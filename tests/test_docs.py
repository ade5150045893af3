"""Every ```python block in docs/*.md runs.

The blocks of one page run in order, in one namespace, in a fresh interpreter whose
``PRAEFECT_HOME`` is a temporary directory (so nothing touches ``~/.praefect``) and whose working
directory is that directory too. Each block is its own test, named ``<page>-<n>`` (n from 1), so a
failure names the page, the block and its line. A block that fails because of a praefect bug is
listed in ``KNOWN_FAILURES`` with the reason; it is then an expected failure, and a strict one:
once the bug is fixed the test turns red until the entry is removed.

Blocks that are not meant to run use another fence (```bash, ```text, ```console).
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

DOCS = Path(__file__).resolve().parent.parent / "docs"
PAGE_TIMEOUT = 120  # seconds for all the blocks of one page
KNOWN_FAILURES: dict[tuple[str, int], str] = {
    # ("states.md", 3): "praefect bug: ...",
}

_FENCE = re.compile(r"^(?P<indent>[ \t]*)(?P<fence>`{3,}|~{3,})(?P<info>[^\n]*)$")


@dataclass(frozen=True)
class Block:
    page: str
    number: int
    line: int
    source: str


def python_blocks(text: str, page: str) -> list[Block]:
    """The ```python blocks of a Markdown page, in order (nested or indented fences included)."""
    blocks: list[Block] = []
    lines = text.splitlines()
    i = 0
    while i < len(lines):
        match = _FENCE.match(lines[i])
        if match is None:
            i += 1
            continue
        fence, indent = match["fence"], match["indent"]
        language = match["info"].strip().split(" ")[0].lower()
        body: list[str] = []
        j = i + 1
        while j < len(lines) and not lines[j].strip().startswith(fence):
            line = lines[j]
            body.append(line[len(indent) :] if line.startswith(indent) else line.lstrip())
            j += 1
        if language in ("python", "py"):
            blocks.append(Block(page, len(blocks) + 1, i + 2, "\n".join(body) + "\n"))
        i = j + 1
    return blocks


def _all_blocks() -> list[Block]:
    found: list[Block] = []
    for path in sorted(DOCS.glob("*.md")):
        found.extend(python_blocks(path.read_text(encoding="utf-8"), path.name))
    return found


# Runs in the child interpreter: reads the blocks as JSON on stdin, executes them in order in
# one namespace, and reports one JSON line per block on the original stdout; what the blocks
# print (stdout and stderr) goes to stderr, so the report stays clean.
_CHILD = r"""
import json, os, sys, time, traceback
report = os.fdopen(os.dup(1), "w")
os.dup2(2, 1)
blocks = json.load(sys.stdin)
namespace = {"__name__": "__main__"}
for block in blocks:
    started = time.perf_counter()
    try:
        exec(compile(block["source"], block["filename"], "exec"), namespace)
    except BaseException:
        outcome = {"ok": False, "error": traceback.format_exc()}
    else:
        outcome = {"ok": True}
    outcome["seconds"] = round(time.perf_counter() - started, 3)
    sys.stdout.flush()
    sys.stderr.flush()
    report.write(json.dumps(outcome) + "\n")
    report.flush()
report.close()
"""


@dataclass
class PageRun:
    outcomes: list[dict[str, object]]
    output: str


_runs: dict[str, PageRun] = {}


def _run_page(page: str, blocks: list[Block], home: Path) -> PageRun:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PRAEFECT_", "PREFECT_"))}
    env["PRAEFECT_HOME"] = str(home)
    env["PYTHONDONTWRITEBYTECODE"] = "1"
    payload = [
        {"filename": f"docs/{b.page} (block {b.number}, line {b.line})", "source": b.source}
        for b in blocks
    ]
    proc = subprocess.run(
        [sys.executable, "-W", "error", "-c", _CHILD],
        input=json.dumps(payload),
        capture_output=True,
        text=True,
        cwd=home,
        env=env,
        timeout=PAGE_TIMEOUT,
    )
    outcomes = [json.loads(line) for line in proc.stdout.splitlines() if line.startswith("{")]
    return PageRun(outcomes, proc.stderr)


BLOCKS = _all_blocks()


def _param(block: Block) -> object:
    reason = KNOWN_FAILURES.get((block.page, block.number))
    marks = [pytest.mark.xfail(reason=reason, strict=True)] if reason else []
    return pytest.param(block, id=f"{block.page}-{block.number}", marks=marks)


@pytest.mark.parametrize("block", [_param(b) for b in BLOCKS])
def test_doc_example_runs(block: Block, tmp_path_factory: pytest.TempPathFactory) -> None:
    run = _runs.get(block.page)
    if run is None:
        home = tmp_path_factory.mktemp(block.page.removesuffix(".md"))
        page_blocks = [b for b in BLOCKS if b.page == block.page]
        run = _runs[block.page] = _run_page(block.page, page_blocks, home)
    where = f"docs/{block.page}, python block {block.number} (line {block.line})"
    if len(run.outcomes) < block.number:
        pytest.fail(f"{where} did not finish: the interpreter died.\n{run.output[-8000:]}")
    outcome = run.outcomes[block.number - 1]
    if not outcome["ok"]:
        earlier = [i + 1 for i, o in enumerate(run.outcomes[: block.number - 1]) if not o["ok"]]
        note = f" (after earlier failing block(s) {earlier} on this page)" if earlier else ""
        pytest.fail(f"{where} raised{note}:\n{outcome['error']}", pytrace=False)


# What the interpreter prints about errors nobody handled: a background thread that died, an
# exception in __del__ or at exit. A page's examples must leave none of these behind.
_STRAY = ("Exception in thread", "Exception ignored in", "Error in atexit")


@pytest.mark.parametrize("page", sorted({b.page for b in BLOCKS}))
def test_doc_page_leaves_no_stray_errors(
    page: str, tmp_path_factory: pytest.TempPathFactory
) -> None:
    run = _runs.get(page)
    if run is None:
        home = tmp_path_factory.mktemp(page.removesuffix(".md"))
        run = _runs[page] = _run_page(page, [b for b in BLOCKS if b.page == page], home)
    stray = [line for line in run.output.splitlines() if line.startswith(_STRAY)]
    assert not stray, f"docs/{page}: the examples left unhandled errors behind: {stray}"


def test_docs_have_examples() -> None:
    pages = {b.page for b in BLOCKS}
    assert pages, "no ```python blocks found under docs/"


def test_block_extraction_handles_other_fences() -> None:
    text = "x\n```python\na = 1\n```\n```bash\nls\n```\n  ```python\n  b = 2\n  ```\n"
    blocks = python_blocks(text, "p.md")
    assert [(b.number, b.line, b.source) for b in blocks] == [
        (1, 3, "a = 1\n"),
        (2, 9, "b = 2\n"),
    ]
