"""Blocks: save/load by name, overwrite, deletion, secrets, and storage blocks as result storage."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
import uuid

import pytest
from pydantic import SecretStr

from praefect import flow, get_client, task
from praefect.blocks.core import Block, BlockNotSavedError
from praefect.blocks.system import Secret
from praefect.exceptions import InvalidNameError, ObjectAlreadyExists, ObjectNotFound
from praefect.filesystems import LocalFileSystem, NullFileSystem, RemoteFileSystem
from praefect.results import resolve_result_storage


class Greeting(Block):
    """Says hello."""

    text: str = "hello"
    times: int = 1


def _name() -> str:
    return f"b-{uuid.uuid4().hex[:8]}"


# -- block types --------------------------------------------------------------------------------
def test_block_type_slugs_follow_prefect():
    assert LocalFileSystem.get_block_type_slug() == "local-file-system"
    assert RemoteFileSystem.get_block_type_slug() == "remote-file-system"
    assert Secret.get_block_type_slug() == "secret"
    assert Greeting.get_block_type_name() == "Greeting"

    class MyOwnBlock(Block):
        pass

    class Renamed(Block):
        _block_type_name = "My Fancy Block"

    class Slugged(Block):
        _block_type_slug = "explicit-slug"

    # Prefect slugifies the type name (the class name unless _block_type_name is set).
    assert MyOwnBlock.get_block_type_slug() == "myownblock"
    assert Renamed.get_block_type_slug() == "my-fancy-block"
    assert Slugged.get_block_type_slug() == "explicit-slug"


# -- save / load --------------------------------------------------------------------------------
def test_save_then_load_round_trips_and_sets_the_document_fields():
    name = _name()
    block = Greeting(text="bonjour", times=3)
    document_id = block.save(name)
    assert block._block_document_id == document_id
    assert block._block_document_name == name

    loaded = Greeting.load(name)
    assert (loaded.text, loaded.times) == ("bonjour", 3)
    assert loaded._block_document_id == document_id
    assert loaded._block_document_name == name
    # The base class finds the class from the "slug/name" form.
    generic = Block.load(f"greeting/{name}")
    assert type(generic) is Greeting and generic.text == "bonjour"


def test_save_then_load_in_another_process(praefect_home, cli_env, tmp_path):
    name = _name()
    LocalFileSystem(basepath=str(tmp_path / "store")).save(name)
    code = textwrap.dedent(
        f"""
        import json
        from praefect.blocks.core import Block
        block = Block.load("local-file-system/{name}")
        block.write_path("from-child.txt", b"hi")
        print(json.dumps([type(block).__name__, block.basepath, str(block._block_document_id)]))
        """
    )
    out = subprocess.run(
        [sys.executable, "-c", code], env=cli_env, capture_output=True, text=True, timeout=120
    )
    assert out.returncode == 0, out.stderr
    kind, basepath, document_id = json.loads(out.stdout.strip().splitlines()[-1])
    assert kind == "LocalFileSystem" and basepath == str(tmp_path / "store")
    assert document_id == str(LocalFileSystem.load(name)._block_document_id)
    assert (tmp_path / "store" / "from-child.txt").read_bytes() == b"hi"


def test_saving_a_taken_name_is_refused_unless_overwrite():
    name = _name()
    first_id = Greeting(text="one").save(name)
    with pytest.raises(ValueError, match=f"'{name}'.*'greeting'.*overwrite=True"):
        Greeting(text="two").save(name)
    assert Greeting.load(name).text == "one"

    assert Greeting(text="two").save(name, overwrite=True) == first_id  # same document
    assert Greeting.load(name).text == "two"


def test_the_same_name_can_be_used_by_two_block_types():
    name = _name()
    Greeting().save(name)
    Secret(value="x").save(name)
    assert Greeting.load(name).text == "hello"
    assert Secret.load(name).get() == "x"


def test_loaded_block_saves_again_under_its_own_name():
    name = _name()
    Greeting(text="a").save(name)
    block = Greeting.load(name)
    block.text = "b"
    block.save()
    assert Greeting.load(name).text == "b"


def test_loading_an_unknown_name_names_it_and_its_block_type():
    with pytest.raises(ValueError, match="'missing-one'.*'greeting'"):
        Greeting.load("missing-one")
    with pytest.raises(ValueError, match="'nope'.*'local-file-system'"):
        Block.load("local-file-system/nope")


def test_block_load_without_a_slug_asks_for_one():
    with pytest.raises(ValueError, match="block-type-slug/x"):
        Block.load("x")


def test_invalid_document_names_are_refused():
    with pytest.raises(InvalidNameError, match="Not_Valid"):
        Greeting().save("Not_Valid")


# -- deletion -----------------------------------------------------------------------------------
def test_delete_by_instance_and_by_name():
    first, second = _name(), _name()
    Greeting().save(first)
    Greeting().save(second)

    Greeting.load(first).delete()
    with pytest.raises(ValueError, match=first):
        Greeting.load(first)

    Greeting.delete(second)
    with pytest.raises(ValueError, match=second):
        Greeting.load(second)
    with pytest.raises(ValueError, match=second):
        Greeting.delete(second)


def test_deleting_an_unsaved_block_is_an_error():
    with pytest.raises(BlockNotSavedError):
        Greeting().delete()


def test_storage_block_delete_with_a_path_deletes_a_file(tmp_path):
    fs = LocalFileSystem(basepath=str(tmp_path))
    fs.write_path("f.txt", b"x")
    name = _name()
    fs.save(name)
    fs.delete("f.txt")  # a path: the file
    assert not (tmp_path / "f.txt").exists()
    assert LocalFileSystem.load(name).basepath == str(tmp_path)  # the document is still there
    fs.delete()  # no path: the saved document
    with pytest.raises(ValueError, match=name):
        LocalFileSystem.load(name)


# -- secrets ------------------------------------------------------------------------------------
def test_secret_is_hidden_in_reprs_and_get_returns_it():
    name = _name()
    secret = Secret(value="hunter2")
    assert isinstance(secret.value, SecretStr)
    assert "hunter2" not in repr(secret) and "hunter2" not in str(secret)
    secret.save(name)
    loaded = Secret.load(name)
    assert loaded.get() == "hunter2"
    assert "hunter2" not in repr(loaded)


# -- the user-facing client ---------------------------------------------------------------------
def test_client_reads_and_deletes_block_documents():
    name = _name()
    Greeting(text="hey").save(name)
    with get_client(sync_client=True) as client:
        document = client.read_block_document_by_name(name, "greeting")
        assert document.data == {"text": "hey", "times": 1}
        assert document.block_type.slug == "greeting"
        assert document.block_type_name == "Greeting"
        assert document.block_type.description == "Says hello."
        assert client.read_block_document(document.id).name == name
        assert [d.name for d in client.read_block_documents_by_type("greeting")] == [name]
        with pytest.raises(ObjectAlreadyExists):
            client.create_block_document(
                {"name": name, "data": {}, "block_type_id": document.block_type_id}
            )
        client.delete_block_document(document.id)
        with pytest.raises(ObjectNotFound):
            client.read_block_document_by_name(name, "greeting")
        with pytest.raises(ObjectNotFound):
            client.delete_block_document(document.id)


# -- storage blocks as result storage -----------------------------------------------------------
def test_storage_blocks_compare_equal_to_plain_storages(tmp_path):
    assert resolve_result_storage(str(tmp_path)) == LocalFileSystem(basepath=tmp_path)
    assert LocalFileSystem(tmp_path) == resolve_result_storage(tmp_path)
    assert resolve_result_storage("memory://eq") == RemoteFileSystem(basepath="memory://eq")
    assert NullFileSystem() != LocalFileSystem(tmp_path)


def test_saved_local_file_system_is_a_task_result_storage(tmp_path):
    name = _name()
    LocalFileSystem(basepath=str(tmp_path / "results")).save(name)

    @task(
        persist_result=True,
        result_storage=f"local-file-system/{name}",
        result_storage_key="double-{parameters[n]}.json",
        result_serializer="json",
    )
    def double(n):
        return {"double": n * 2}

    @flow
    def pipeline():
        return [double(1), double(2)]

    assert pipeline() == [{"double": 2}, {"double": 4}]
    files = sorted(p.name for p in (tmp_path / "results").iterdir() if not p.name.startswith("."))
    assert files == ["double-1.json", "double-2.json"]
    record = json.loads((tmp_path / "results" / "double-2.json").read_text())
    assert record["result"] == {"double": 4}
    storage = resolve_result_storage(f"local-file-system/{name}")
    assert isinstance(storage, LocalFileSystem)
    assert record["metadata"]["storage_block_id"] == str(storage._block_document_id)


def test_unknown_storage_block_is_a_clear_error():
    with pytest.raises(ValueError, match="'absent'.*'local-file-system'"):
        resolve_result_storage("local-file-system/absent")
    with pytest.raises(ValueError, match="'s3-bucket'"):
        resolve_result_storage("s3-bucket/anything")


def test_a_relative_directory_that_looks_like_a_slug_is_still_a_directory():
    assert resolve_result_storage("my-output/results") == LocalFileSystem(
        basepath="my-output/results"
    )


def test_persisting_results_does_not_import_pydantic(cli_env):
    # Storage blocks are pydantic models; the result path must not pay for that import.
    code = textwrap.dedent(
        """
        import sys
        from praefect import flow, task

        @task(persist_result=True)
        def one():
            return 1

        @flow
        def f():
            return one()

        assert f() == 1
        print("pydantic" in sys.modules)
        """
    )
    out = subprocess.run(
        [sys.executable, "-c", code], env=cli_env, capture_output=True, text=True, timeout=120
    )
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip().splitlines()[-1] == "False"
