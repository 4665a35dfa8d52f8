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


async def test_a_message_answered_after_a_later_one_still_streams_with_its_final_status(
    aiohttp_client, emulator
):
    """A slow C-MOVE started before a quick C-ECHO finishes after it: the stream, which
    looks only at what is new, sends both, the slow one once it matches the filter."""
    journal = emulator.journal
    web = await aiohttp_client(make_app(emulator))
    async with web.get("/api/journal/stream", params={"status": "0xA701"}) as failing:
        async with web.get("/api/journal/stream") as everything:
            slow = journal.start_message(None, 1, "C-MOVE")
            quick = journal.start_message(None, 2, "C-ECHO")
            journal.finish(quick, 0x0000)
            [first] = await events(everything, 1)
            assert first["id"] == quick.id
            journal.finish(slow, 0xA701, "failure")
            [second] = await events(everything, 1)
            assert (second["id"], second["status"]) == (slow.id, "0xA701")
        [only] = await events(failing, 1)
        assert only["id"] == slow.id


async def test_a_stream_tells_the_browser_to_reconnect_within_a_second(aiohttp_client, emulator):
    web = await aiohttp_client(make_app(emulator))
    async with web.get("/api/journal/stream") as stream:
        assert await stream.content.readline() == b"retry: 1000\n"


async def resume_points(response, count: int) -> list[tuple[int, dict]]:
    """The next *count* events of an SSE stream as (its id, its record)."""
    found, last_id = [], None
    while len(found) < count:
        line = (await response.content.readline()).decode()
        if line.startswith("id: "):
            last_id = int(line[len("id: ") :])
        elif line.startswith("data: "):
            found.append((last_id, json.loads(line[len("data: ") :])))
    return found


async def test_a_browser_that_reconnects_misses_nothing_that_finished_meanwhile(
    aiohttp_client, emulator
):
    """The event id is the point to resume from: below a message still being answered, so a
    reconnection with it as Last-Event-ID gets that message once it ends, and sees again
    only what came after it (the client drops those by the record's id)."""
    journal = emulator.journal
    web = await aiohttp_client(make_app(emulator))
    before = journal.start_message(None, 1, "C-ECHO")
    journal.finish(before, 0x0000)
    slow = journal.start_message(None, 2, "C-MOVE")
    quick = journal.start_message(None, 3, "C-ECHO")
    async with web.get("/api/journal/stream") as stream:
        journal.finish(quick, 0x0000)
        (_, first), (resume, second) = await resume_points(stream, 2)
    assert (first["id"], second["id"], resume) == (before.id, quick.id, slow.id - 1)
    journal.finish(slow, 0x0000)
    later = journal.start_message(None, 4, "C-ECHO")
    journal.finish(later, 0x0000)
    headers = {"Last-Event-ID": str(resume)}
    async with web.get("/api/journal/stream", params={"since": 0}, headers=headers) as stream:
        again = [record["id"] for _, record in await resume_points(stream, 3)]
    assert again == [slow.id, quick.id, later.id]


async def test_a_last_event_id_that_is_not_a_number_is_refused(aiohttp_client, emulator):
    web = await aiohttp_client(make_app(emulator))
    answer = await web.get("/api/journal/stream", headers={"Last-Event-ID": "yesterday"})
    assert answer.status == 400
    assert "Last-Event-ID" in (await answer.json())["detail"]
