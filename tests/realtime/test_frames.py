"""The frames the server builds once per event are the frames the websockets library
would build and parses back: byte for byte, at every length encoding."""

from __future__ import annotations

import pytest
from websockets.frames import Frame, Opcode
from websockets.streams import StreamReader

from server.realtime.frames import Outgoing, text_frame

TEXTS = [
    "",
    "a",
    '{"op":"event","type":"ticket.called","data":{"number":"A001","window":"1号窗口"}}',
    "x" * 125,  # the longest with a 7-bit length
    "x" * 126,  # the shortest with a 16-bit length
    "叫" * 21_845,  # 65,535 bytes: the longest 16-bit length
    "y" * 65_536,  # the shortest 64-bit length
    "请到" * 50_000,
]


def parsed(data: bytes) -> Frame:
    reader = StreamReader()
    reader.feed_data(data)
    reader.feed_eof()
    parser = Frame.parse(reader.read_exact, mask=False)
    try:
        next(parser)
    except StopIteration as done:
        frame: Frame = done.value
        return frame
    raise AssertionError("the frame was not complete")


@pytest.mark.parametrize("text", TEXTS, ids=lambda t: f"{len(t.encode())}B")
def test_a_frame_is_the_librarys_byte_for_byte_and_parses_back(text: str) -> None:
    payload = text.encode()
    ours = text_frame(payload)
    assert ours == Frame(Opcode.TEXT, payload).serialize(mask=False)
    frame = parsed(ours)
    assert (frame.opcode, frame.fin, frame.data.decode()) == (Opcode.TEXT, True, text)


def test_a_message_is_framed_once_however_many_take_it() -> None:
    out = Outgoing('{"op":"pong"}')
    assert out.frame is out.frame
    assert out.frame == text_frame(b'{"op":"pong"}')
