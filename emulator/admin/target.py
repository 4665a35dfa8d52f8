"""What the admin API needs of the emulator it serves: a narrow interface of its own.

The admin views reach the running emulator only through these members (the archive's data
through :class:`~emulator.services.archive.Archive`, never the stores), so the admin package
depends on no ``Emulator`` and the emulator module imports the admin app without a circle.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    from emulator.config import Config
    from emulator.journal import RequestJournal
    from emulator.remotes import RemoteAERegistry
    from emulator.scenario.active import ActiveScenario
    from emulator.services.archive import Archive
    from emulator.services.orders import OrderResult


class AdminTarget(Protocol):
    """The emulator as the admin API sees it."""

    @property
    def config(self) -> Config: ...
    @property
    def journal(self) -> RequestJournal: ...
    @property
    def scenario(self) -> ActiveScenario: ...
    @property
    def remote_aes(self) -> RemoteAERegistry: ...
    @property
    def archive(self) -> Archive: ...
    def health(self) -> dict[str, Any]: ...
    def reset(self, keep: Iterable[str] = ()) -> dict[str, Any]: ...
    def request_shutdown(self) -> None: ...
    def config_dict(self) -> dict[str, Any]: ...
    def receive_hl7(self, message: str, source: str = "api") -> OrderResult: ...
