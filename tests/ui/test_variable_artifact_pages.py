"""The variables page (create, edit, delete) and the artifact pages (latest per key, a key's
versions, a run's artifacts rendered, markdown's HTML escaped)."""

from __future__ import annotations


def test_variables_are_created_edited_and_deleted_from_the_page(client):
    assert "No variables yet" in client.get("/variables").text
    assert 'href="/variables"' in client.get("/dashboard").text  # in the navigation
    created = client.post(
        "/ui/variables",
        data={"name": "db_host", "value": '{"port": 5432}', "tags": "infra, prod"},
        follow_redirects=False,
    )
    assert created.status_code == 303 and "Created" in created.headers["location"]
    stored = client.get("/api/variables/name/db_host").json()
    assert stored["value"] == {"port": 5432} and stored["tags"] == ["infra", "prod"]

    client.post("/ui/variables/db_host/update", data={"value": "eu-west-1", "tags": ""})
    stored = client.get("/api/variables/name/db_host").json()
    assert stored["value"] == "eu-west-1" and stored["tags"] == []  # text, not JSON
    page = client.get("/variables").text
    assert "eu-west-1" in page and 'data-variable="db_host"' in page

    client.post("/ui/variables/db_host/delete")
    assert client.get("/api/variables/name/db_host").status_code == 404


def test_a_refused_variable_says_why_on_the_page(client):
    client.post("/api/variables/", json={"name": "taken", "value": 1})
    for name, message in (("Bad Name", "&#39;Bad Name&#39;"), ("taken", "already exists")):
        answer = client.post("/ui/variables", data={"name": name, "value": "2", "tags": ""})
        assert answer.status_code == 200 and 'class="notice error"' in answer.text
        assert message in answer.text
    assert client.post("/api/variables/count", json={}).json() == 1


def test_artifacts_page_shows_the_latest_of_each_key_and_its_history(client, new_run):
    run = new_run()
    for n in (1, 2):
        body = {"key": "weekly", "type": "markdown", "data": f"v{n}", "flow_run_id": run["id"]}
        client.post("/api/artifacts/", json=body)
    page = client.get("/artifacts").text
    assert 'data-key="weekly"' in page and "v2" in page and "v1" not in page
    assert 'href="/artifacts"' in page  # in the navigation
    history = client.get("/artifacts/key/weekly").text
    assert history.index("v2") < history.index("v1") and "Latest" in history
    assert client.get("/artifacts/key/missing").status_code == 404


def test_a_runs_artifacts_are_rendered_and_markdown_html_is_escaped(client, new_run):
    run = new_run()
    artifacts = [
        {"type": "markdown", "data": "# Title <script>alert(1)</script> <b>x</b>"},
        {"type": "table", "data": '[{"region": "eu", "sales": 3}]'},
        {"type": "image", "data": "https://example.com/chart.png"},
        {"type": "progress", "data": 42.0},
        {"type": "markdown", "data": "[docs](https://example.com/docs)"},
    ]
    for artifact in artifacts:
        client.post("/api/artifacts/", json={**artifact, "flow_run_id": run["id"]})
    page = client.get(f"/runs/flow-run/{run['id']}").text
    section = page.split('id="artifacts"')[1]
    assert "<h1>Title &lt;script&gt;alert(1)&lt;/script&gt; &lt;b&gt;x&lt;/b&gt;</h1>" in section
    assert "<script>alert" not in page
    assert "<th data-sort>region</th>" in section and "<td>eu</td>" in section
    assert '<img class="artifact-image" src="https://example.com/chart.png"' in section
    assert '<progress max="100" value="42.0">' in section
    assert '<a href="https://example.com/docs">docs</a>' in section
