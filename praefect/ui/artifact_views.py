"""How the web UI shows an artifact: markdown rendered with its HTML escaped (never run),
a table as a sortable table, a link, an image, a progress bar.

>>> str(markdown("**hi** <script>x()</script>"))
'<p><strong>hi</strong> &lt;script&gt;x()&lt;/script&gt;</p>\\n'
>>> table_rows('[{"a": 1}, {"b": 2}]')
(['a', 'b'], [[1, ''], ['', 2]])
"""

from __future__ import annotations

import json
from functools import cache
from typing import TYPE_CHECKING, Any

from markupsafe import Markup

if TYPE_CHECKING:
    from markdown_it import MarkdownIt

__all__ = ["markdown", "progress", "table_rows"]


@cache
def _parser() -> MarkdownIt:
    from markdown_it import MarkdownIt

    # html=False: raw HTML in the text is shown as text; links to javascript: and the like
    # are dropped by markdown-it's own link check
    return MarkdownIt("commonmark", {"html": False}).enable("table")


def markdown(text: object) -> Markup:
    """Markdown as HTML, any HTML in it escaped."""
    return Markup(_parser().render("" if text is None else str(text)))


def table_rows(data: Any) -> tuple[list[str], list[list[Any]]]:
    """(column names, rows) of a table artifact's data: the JSON of a list of row dicts, a dict
    of columns or a list of lists."""
    if isinstance(data, str):
        try:
            data = json.loads(data)
        except ValueError:
            return ["value"], [[data]]
    if isinstance(data, dict):
        columns = [str(key) for key in data]
        values = [
            list(column) if isinstance(column, list) else [column] for column in data.values()
        ]
        height = max((len(column) for column in values), default=0)
        rows = [[col[i] if i < len(col) else "" for col in values] for i in range(height)]
        return columns, rows
    if isinstance(data, list) and all(isinstance(row, dict) for row in data):
        columns = []
        for row in data:
            columns.extend(str(key) for key in row if str(key) not in columns)
        return columns, [[row.get(column, "") for column in columns] for row in data]
    if isinstance(data, list):
        width = max((len(row) for row in data if isinstance(row, list)), default=1)
        rows = [row if isinstance(row, list) else [row] for row in data]
        return [str(i) for i in range(width)], rows
    return ["value"], [[data]]


def progress(data: Any) -> float:
    """A progress artifact's percentage, 0 to 100."""
    try:
        value = float(data)
    except (TypeError, ValueError):
        return 0.0
    return min(max(value, 0.0), 100.0)
