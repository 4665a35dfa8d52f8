"""AdminServer: the aiohttp app on its own event loop, in its own thread."""

from __future__ import annotations

import ssl
from pathlib import Path

from aiohttp import web

from emulator.errors import StartupError
from emulator.loop_server import LoopServer


def server_tls(cert: Path | None, key: Path | None) -> ssl.SSLContext | None:
    """The admin API's TLS context for *cert* and *key*, or None for plain HTTP (raises
    StartupError naming the files it cannot use)."""
    if cert is None or key is None:
        return None
    try:
        tls = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        tls.load_cert_chain(str(cert), str(key))
    except (ssl.SSLError, OSError) as exc:
        raise StartupError(
            f"cannot use the admin TLS certificate {cert} and key {key}: {exc}"
        ) from exc
    return tls


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
