from __future__ import annotations

import dataclasses
import datetime as dt
import pickle
import uuid

import pydantic
import pytest

from praefect import exceptions
from praefect.serializers import (
    CompressedJSONSerializer,
    CompressedPickleSerializer,
    CompressedSerializer,
    JSONSerializer,
    PickleSerializer,
    Serializer,
    resolve_serializer,
)


class Point(pydantic.BaseModel):
    x: int
    y: int


@dataclasses.dataclass
class Box:
    w: int


@pytest.mark.parametrize(
    "name", ["pickle", "compressed/pickle", "compressed", "json", "compressed/json"]
)
def test_every_named_serializer_round_trips_plain_values(name):
    serializer = resolve_serializer(name)
    value = {"a": [1, 2.5, None, True], "b": "text"}
    assert serializer.loads(serializer.dumps(value)) == value
    assert serializer.type == name


def test_pickle_serializer_keeps_python_objects_and_closures():
    serializer = PickleSerializer()
    factor = 3
    restored = serializer.loads(serializer.dumps(lambda x: x * factor))
    assert restored(2) == 6
    assert serializer.loads(serializer.dumps({1, 2})) == {1, 2}


def test_json_serializer_writes_dates_uuids_and_models_as_json():
    ident = uuid.uuid4()
    value = {
        "at": dt.datetime(2024, 1, 2, 3, 4, 5, tzinfo=dt.UTC),
        "id": ident,
        "point": Point(x=1, y=2),
        "box": Box(w=3),
    }
    blob = JSONSerializer().dumps(value)
    assert JSONSerializer().loads(blob) == {
        "at": "2024-01-02T03:04:05Z",
        "id": str(ident),
        "point": {"x": 1, "y": 2},
        "box": {"w": 3},
    }


def test_json_serializer_refuses_arbitrary_objects_with_advice():
    with pytest.raises(exceptions.SerializationError, match="result_serializer='pickle'"):
        JSONSerializer().dumps(object())


def test_compressed_serializer_is_smaller_for_repetitive_data():
    data = ["same line"] * 1000
    plain = PickleSerializer().dumps(data)
    for lib in ("lzma", "zlib", "bz2", "gzip"):
        compressed = CompressedSerializer(serializer="pickle", compressionlib=lib)
        blob = compressed.dumps(data)
        assert len(blob) < len(plain) / 5
        assert compressed.loads(blob) == data


def test_unknown_compression_library_is_named():
    with pytest.raises(ValueError, match="'nope'.*'zlib'"):
        CompressedSerializer(compressionlib="nope")


def test_resolve_serializer_names_the_bad_value_and_the_valid_ones():
    with pytest.raises(ValueError) as info:
        resolve_serializer("yaml")
    message = str(info.value)
    assert "'yaml'" in message
    for valid in ("'pickle'", "'json'", "'compressed/pickle'", "'compressed/json'"):
        assert valid in message


def test_resolve_serializer_returns_an_object_unchanged():
    serializer = CompressedJSONSerializer(compressionlib="zlib")
    assert resolve_serializer(serializer) is serializer


@pytest.mark.parametrize(
    "serializer",
    [
        PickleSerializer(),
        JSONSerializer(),
        CompressedPickleSerializer(),
        CompressedJSONSerializer(compressionlib="zlib"),
        CompressedSerializer(serializer="json", compressionlib="bz2"),
    ],
)
def test_serializers_survive_to_dict_and_pickling(serializer):
    assert Serializer.from_dict(serializer.to_dict()) == serializer
    assert pickle.loads(pickle.dumps(serializer)) == serializer


def test_a_custom_serializer_is_found_by_its_type():
    class Upper(Serializer):
        type = "test-upper"

        def dumps(self, obj):
            return str(obj).upper().encode()

        def loads(self, blob):
            return blob.decode()

    assert isinstance(resolve_serializer("test-upper"), Upper)
    assert resolve_serializer({"type": "test-upper"}).dumps("hi") == b"HI"
