"""Online applications' moves, legal and illegal, and the upload content check."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from server.domain.application import MOVES, Application, ApplicationState, move
from server.domain.errors import Conflict, InvalidInput
from server.files import sniff

NOW = datetime(2026, 11, 25, 2, 0, tzinfo=UTC)


def _app(state: ApplicationState) -> Application:
    return Application("a1", "h", "food", "YS20261125ABCDEF", state, "fp", "idfp", "370***1",
                       "张*", None, NOW)  # fmt: skip


@pytest.mark.parametrize("src", list(ApplicationState))
@pytest.mark.parametrize("dst", list(ApplicationState))
def test_every_move_is_legal_or_refused(src: ApplicationState, dst: ApplicationState) -> None:
    a = _app(src)
    if dst in MOVES[src]:
        assert move(a, dst).state is dst
    else:
        with pytest.raises(Conflict) as err:
            move(a, dst)
        assert err.value.code == "application_state" and err.value.message_zh
        assert a.state is src


def test_accepted_and_withdrawn_are_final() -> None:
    assert MOVES[ApplicationState.ACCEPTED] == MOVES[ApplicationState.WITHDRAWN] == frozenset()


@pytest.mark.parametrize(("data", "kind"), [
    (b"%PDF-1.7\n...\n%%EOF\n", "application/pdf"),
    (b"\xff\xd8\xff\xe0" + b"\x00" * 10, "image/jpeg"),
    (b"\x89PNG\r\n\x1a\n" + b"\x00" * 10, "image/png"),
])  # fmt: skip
def test_known_types_by_their_first_bytes(data: bytes, kind: str) -> None:
    assert sniff.check(data, 1000) == kind


@pytest.mark.parametrize(("data", "code"), [
    (b"MZ\x90\x00 this is an exe", "file_type_not_allowed"),
    (b"\x7fELF\x02\x01", "file_type_not_allowed"),
    (b"<html><script>", "file_type_not_allowed"),
    (b"GIF89a", "file_type_not_allowed"),
    (b"", "file_empty"),
    (b"%PDF-1.7 cut short", "file_damaged"),
    (b"%PDF-" + b"x" * 2000 + b"%%EOF", "file_too_large"),
])  # fmt: skip
def test_everything_else_is_refused(data: bytes, code: str) -> None:
    with pytest.raises(InvalidInput) as err:
        sniff.check(data, 1000)
    assert err.value.code == code and err.value.message_zh
    if code == "file_too_large":
        assert err.value.status == 413
