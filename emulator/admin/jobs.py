"""Fabrication in the background, for the console's progress bar: ``POST /api/fabricate`` with
``"background": true`` answers ``202`` with a job at once; ``GET /api/jobs/{id}`` tells its
state (running, done, failed), how many instances are made of how many, and its result or
error. Jobs live as long as the emulator; the newest 100 are kept."""

from __future__ import annotations

import asyncio
import itertools
import logging
import threading
from collections import OrderedDict
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

from emulator.admin.views import EMULATOR
from emulator.errors import EXPECTED
from emulator.services.fabrication import Job

log = logging.getLogger("emulator.admin")
KEEP = 100


@dataclass
class Task:
    id: int
    total: int
    done: int = 0
    state: str = "running"
    result: dict[str, Any] | None = None
    error: str = ""
    lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def advance(self, n: int) -> None:
        with self.lock:
            self.done += n

    def as_dict(self) -> dict[str, Any]:
        with self.lock:
            return {
                "id": self.id,
                "state": self.state,
                "done": self.done,
                "total": self.total,
                "result": self.result,
                "error": self.error,
            }


class Jobs:
    """The background fabrications of one admin server."""

    def __init__(self) -> None:
        self._ids = itertools.count(1)
        self._tasks: OrderedDict[int, Task] = OrderedDict()
        self._running: set[asyncio.Future[None]] = set()

    def start(self, request: web.Request, job: Job) -> Task:
        task = Task(next(self._ids), job.spec.total)
        self._tasks[task.id] = task
        while len(self._tasks) > KEEP:
            self._tasks.popitem(last=False)
        archive = request.app[EMULATOR].archive

        def run() -> None:
            try:
                result = archive.fabricate_report(job, task.advance)
            except EXPECTED as exc:
                with task.lock:
                    task.state, task.error = "failed", str(exc)
                log.warning("fabrication job %d failed: %s", task.id, exc)
                return
            with task.lock:
                task.state, task.result, task.done = "done", result, task.total

        future = asyncio.ensure_future(asyncio.to_thread(run))
        self._running.add(future)
        future.add_done_callback(self._running.discard)
        return task

    def get(self, task_id: int) -> Task | None:
        return self._tasks.get(task_id)


JOBS: web.AppKey[Jobs] = web.AppKey("jobs")


async def job_get(request: web.Request) -> web.Response:
    """GET /api/jobs/{id}"""
    raw = request.match_info["id"]
    task = request.app[JOBS].get(int(raw)) if raw.isdigit() else None
    if task is None:
        raise web.HTTPNotFound(text=f"no fabrication job {raw!r} (the newest {KEEP} are kept)")
    return web.json_response(task.as_dict())
