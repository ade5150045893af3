"""``praefect task serve``: anything but tasks is refused, saying what it got."""

from __future__ import annotations


def test_task_serve_refuses_what_is_not_a_task(run_cli, praefect_home):
    script = praefect_home / "jobs.py"
    script.write_text("def plain(x):\n    return x\n")
    result = run_cli("task", "serve", f"{script}:plain", home=praefect_home)
    assert result.code == 1
    assert "is not a task" in result.output and "function" in result.output


def test_task_serve_without_tasks_says_how_to_name_them(run_cli, praefect_home):
    result = run_cli("task", "serve", home=praefect_home)
    assert result.code == 1
    assert "path/to/file.py:task_name" in result.output
