"""Ids made in bulk keep the properties of ids made one at a time."""

import uuid

import pytest

from coldsend.ids import new_id, new_id_texts


def test_bulk_ids_are_version_7_canonical_and_ascending() -> None:
    texts = new_id_texts(1000)
    ids = [uuid.UUID(text) for text in texts]
    assert [str(id_) for id_ in ids] == texts
    assert all(id_.version == 7 and id_.variant == uuid.RFC_4122 for id_ in ids)
    assert ids == sorted(set(ids))


def test_bulk_ids_sort_between_the_ids_made_before_and_after() -> None:
    before = new_id()
    first, second = new_id_texts(500), new_id_texts(500)
    after = new_id()
    made = [uuid.UUID(text) for text in first + second]
    assert [before, *made, after] == sorted({before, *made, after})


def test_no_ids_and_too_many() -> None:
    assert new_id_texts(0) == []
    with pytest.raises(ValueError, match="do not fit"):
        new_id_texts(1 << 48)
