"""Write ``docs/llms.txt`` (an index of the docs for AI assistants, in the llmstxt.org shape)
and ``docs/llms-full.txt`` (every page in full, in reading order) from the Markdown pages.

    python docs/llms.py           # rewrite both files
    python docs/llms.py --check   # exit 1 when either file is stale (a test runs this)
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

DOCS = Path(__file__).resolve().parent

FIRST = [
    "quickstart.md",
    "flows-and-tasks.md",
    "states.md",
    "retries-and-timeouts.md",
    "futures-and-task-runners.md",
    "results.md",
    "caching.md",
    "transactions.md",
    "resume.md",
    "parameters.md",
    "logging.md",
    "runtime-and-context.md",
    "testing.md",
]
"""The guides in the order a newcomer reads them; the other pages follow by name."""
LAST = ["compatibility.md", "benchmarks.md"]
"""Reference pages an assistant needs less often (the "Optional" section)."""

SUMMARY = (
    "praefect is a workflow orchestration engine for Python, compatible with Prefect 3 "
    "(`import praefect as prefect`): `@flow` and `@task` give state tracking, retries, "
    "caching, results, logs, schedules, deployments run by workers, events and automations, "
    "a web UI, a REST API and a CLI, with an embedded SQLite database and no server needed."
)


def _pages() -> tuple[list[Path], list[Path], list[Path]]:
    everything = {p.name: p for p in DOCS.glob("*.md")}
    guides = [everything[name] for name in FIRST if name in everything]
    optional = [everything[name] for name in LAST if name in everything]
    taken = {p.name for p in guides + optional}
    guides += sorted(p for name, p in everything.items() if name not in taken)
    internals = sorted((DOCS / "internals").glob("*.md"))
    return guides, internals, optional


def _title_and_gist(page: Path) -> tuple[str, str]:
    """The page's heading and the first sentence of its first paragraph."""
    text = page.read_text(encoding="utf-8")
    title = text.splitlines()[0].lstrip("# ").strip()
    gist = ""
    for block in re.split(r"\n\s*\n", text)[1:]:
        block = block.strip()
        if block and not block.startswith(("#", "```", "|", "!", "<", "-", ">")):
            flat = " ".join(block.split())
            gist = re.split(r"(?<=[.:])\s", flat, maxsplit=1)[0]
            break
    return title.replace("`", ""), gist


def index() -> str:
    guides, internals, optional = _pages()
    lines = ["# praefect", "", f"> {SUMMARY}", ""]
    for heading, pages in (("Docs", guides), ("Internals", internals), ("Optional", optional)):
        lines += [f"## {heading}", ""]
        for page in pages:
            title, gist = _title_and_gist(page)
            link = page.relative_to(DOCS).as_posix()
            lines.append(f"- [{title}]({link}): {gist}" if gist else f"- [{title}]({link})")
        lines.append("")
    return "\n".join(lines)


def full() -> str:
    guides, internals, optional = _pages()
    parts = [f"# praefect: the full documentation\n\n> {SUMMARY}\n"]
    for page in guides + internals + optional:
        name = page.relative_to(DOCS).as_posix()
        parts.append(f"<!-- docs/{name} -->\n\n{page.read_text(encoding='utf-8').strip()}\n")
    return "\n".join(parts)


def main(argv: list[str]) -> int:
    wanted = {DOCS / "llms.txt": index(), DOCS / "llms-full.txt": full()}
    if "--check" in argv:
        stale = [p.name for p, text in wanted.items() if not p.exists() or p.read_text() != text]
        if stale:
            print(f"Stale: {', '.join(stale)}; run `python docs/llms.py` to rewrite them.")
            return 1
        return 0
    for path, text in wanted.items():
        path.write_text(text, encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
