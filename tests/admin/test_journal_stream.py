"""The live journal: Server-Sent Events, one per record as it is answered, filtered like
/api/journal, resumable with since."""

from __future__ import annotations

import json

from emulator.admin.app import make_app
from tests.helpers import associate


async def events(response, count: int) -> list[dict]:
    """The next *count* events of an SSE stream."""
    found = []
    while len(found) < count:
        line = (await response.content.readline()).decode()
        if line.startswith("data: "):
            found.append(json.loads(line[len("data: ") :]))
    return found


async def test_a_c_echo_appears_in_the_stream_as_it_is_answered(aiohttp_client, emulator):
    web = await aiohttp_client(make_app(emulator))
    async with web.get("/api/journal/stream", params={"service": "C-ECHO"}) as stream:
        assert stream.headers["Content-Type"] == "text/event-stream"
        assoc = associate(emulator.dicom_port)
        assoc.send_c_echo()
        assoc.send_c_echo()
        assoc.release()
        first, second = await events(stream, 2)
    assert (first["kind"], first["service"], first["status"]) == ("message", "C-ECHO", "0x0000")
    assert second["id"] > first["id"]


async def test_since_skips_what_was_seen_and_kind_selects_associations(aiohttp_client, emulator):
    assoc = associate(emulator.dicom_port)
    assoc.send_c_echo()
    assoc.release()
    assert emulator.journal.wait_for(lambda: emulator.journal.associations()[-1].ended)
    [seen] = emulator.journal.messages(service="C-ECHO")
    web = await aiohttp_client(make_app(emulator))
    async with web.get("/api/journal/stream", params={"kind": "association"}) as stream:
        [association] = await events(stream, 1)
        assert (association["kind"], association["calling_ae"]) == ("association", "TESTSCU")
    async with web.get("/api/journal/stream", params={"since": seen.id}) as stream:
        assoc = associate(emulator.dicom_port)
        assoc.send_c_echo()
        assoc.release()
        [fresh] = await events(stream, 1)
    assert fresh["id"] > seen.id
