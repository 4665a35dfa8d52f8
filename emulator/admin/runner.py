"""AdminServer: the aiohttp app on its own event loop, in its own thread."""

from __future__ import annotations

import ssl

from aiohttp import web

from emulator.loop_server import LoopServer


class AdminServer(LoopServer):
    """Serve *app* on (host, port), over TLS with *tls*; :meth:`start` returns once the
    socket is bound."""

    def __init__(
        self, app: web.Application, host: str, port: int, tls: ssl.SSLContext | None = None
    ) -> None:
        super().__init__("admin-http")
        self._app = app
        self._host = host
        self._port = port
        self._tls = tls
        self._runner: web.AppRunner | None = None

    async def _open(self) -> int:
        self._runner = web.AppRunner(self._app, access_log=None, handle_signals=False)
        await self._runner.setup()
        site = web.TCPSite(
            self._runner, self._host, self._port, ssl_context=self._tls, reuse_address=True
        )
        await site.start()
        return int(site._server.sockets[0].getsockname()[1])  # type: ignore[union-attr]

    async def _close(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
