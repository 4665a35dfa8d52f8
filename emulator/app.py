"""Emulator: the one object that owns the AE and its server, the index, the file store, the
journal and the admin server. Nothing in the emulator is global.
"""

from __future__ import annotations

import datetime as dt
import importlib
import logging
import shutil
import ssl
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import replace
from types import TracebackType
from typing import TYPE_CHECKING, Any, cast

from pynetdicom import AE

from emulator.config import Config, as_dict
from emulator.dicom import acquisition_scu
from emulator.dicom.server import GatedServer, build_ae, start_server
from emulator.errors import ResetError, StartupError
from emulator.journal import RequestJournal
from emulator.logfmt import kv
from emulator.pending import Provision
from emulator.remotes import RemoteAERegistry
from emulator.scenario.active import ActiveScenario
from emulator.services.context import DATA_PARTS, ServiceContext
from emulator.version import __version__
from storage.database import NOT_YET_SERVED
from storage.errors import StorageError
from storage.filestore import prepare_data_dir
from storage.journal_store import JournalStore, last_id_in
from storage.users import Users

if TYPE_CHECKING:
    from emulator.admin.runner import AdminServer
    from emulator.hl7_listener import HL7Listener
    from emulator.services import orders
    from emulator.services.archive import Archive
    from storage import FileStore, Index, InstanceSource

log = logging.getLogger("emulator")

# What POST /api/reset clears unless kept: the archive's data, the journal, the scenario's
# state (rules added at run time, counters, stages), and live associations.
RESET_PARTS = (*DATA_PARTS, "journal", "scenario", "associations")


# Imported where first used by the DICOM layer, once the archive opens (a spec: none is left)
IMPORTED_ONCE_OPEN = [f"emulator.services.{name}" for name in ("store", "query", "worklist")]
IMPORTED_ONCE_OPEN += ["emulator.dicom.workflow_handlers", "emulator.dicom.retrieve_scp"]
IMPORTED_ONCE_OPEN += ["storage.fabricate"]


class Emulator:
    """A running DICOM test server. Use as a context manager, or call start() and stop().

    ``start()`` returns only once the DICOM and admin listeners are bound, so ports read
    afterwards (``dicom_port``, ``admin_url``) are real even when the config says 0.
    """

    def __init__(self, config: Config) -> None:
        self.config = config
        self.journal = RequestJournal(config.journal.max_entries)
        self.remote_aes = RemoteAERegistry(config.remote_aes)
        self.scenario = ActiveScenario(config.scenario.seed)
        self._index: Index | None = None
        self._files: FileStore | None = None
        self._ae: AE | None = None
        self._server: GatedServer | None = None
        self._admin: AdminServer | None = None
        self._hl7: HL7Listener | None = None
        self._ctx_value: ServiceContext | None = None
        self._fresh = False
        self._stop_lock = threading.Lock()
        # what POST /api/shutdown calls; the CLI makes it end serve() as SIGTERM does
        self.shutdown_hook: Callable[[], None] | None = None
        self.started_at: float | None = None

    # -- lifecycle -------------------------------------------------------------------------

    def start(self) -> Emulator:
        """Load the scenario, listen for DICOM, open the data directory, start the rest.

        Raises
        ------
        ScenarioError
            If the scenario file has problems (nothing is opened).
        StartupError
            If the data directory or a port cannot be used.
        """
        if self.config.scenario.file is not None:
            self.scenario.load_file(self.config.scenario.file)
        data_dir = self.config.storage.data_dir
        new = not data_dir.exists()
        provision = Provision()
        try:
            # DICOM first: a C-ECHO is answered while the archive opens (emulator/pending.py)
            server = self._start_dicom(provision)
            self._provide_archive(provision, server, self._open_storage(server.service_context))
            self._start_admin()
            self._start_hl7()
        except BaseException as exc:
            provision.fail(str(exc) or type(exc).__name__)
            self.stop()
            if new:  # a start that failed (a port in use) leaves no data directory behind
                shutil.rmtree(data_dir, ignore_errors=True)
            raise
        self.started_at = time.time()
        log.info(
            kv(
                event="started",
                dicom=self.dicom_address,
                admin=self.admin_url,
                data=self.config.storage.data_dir,
                version=__version__,
            )
        )
        return self

    def _open_storage(self, early: ServiceContext) -> ServiceContext:
        """*early* with the archive's stores, opened."""
        data_dir = self.config.storage.data_dir
        self._fresh = not (data_dir / "index.sqlite").exists()
        from storage import FileStore, Index, InstanceSource  # the index, SQLite: not before

        try:
            prepare_data_dir(data_dir)
            self._files = FileStore(data_dir, fsync=self.config.storage.fsync)
            self._files.sweep_tmp()
            self._index = Index.open(data_dir / "index.sqlite", self.config.storage.fsync)
            # a data directory that `users add` made before the first serve is still new
            if self._index.database.meta(NOT_YET_SERVED) is not None:
                self._fresh = True
                self._index.database.set_meta(NOT_YET_SERVED, None)
            self.journal.attach(JournalStore(self._index.database))
            instances = InstanceSource(self._index, self._files)
            return replace(early, index=self._index, files=self._files, instances=instances)
        except (OSError, StorageError) as exc:
            raise StartupError(f"cannot use data directory {data_dir}: {exc}") from exc
        except Exception as exc:  # sqlite3.DatabaseError: not a database, corrupt, locked
            raise StartupError(f"cannot open the index {data_dir / 'index.sqlite'}: {exc}") from exc

    def _start_dicom(self, provision: Provision) -> GatedServer:
        """Listen, with a service context whose stores *provision* gives once they are open."""
        # records made before the index opens are numbered after those it holds
        self.journal.start_after(last_id_in(self.config.storage.data_dir / "index.sqlite"))
        ctx = ServiceContext(
            self.config,
            cast("Index", provision.pending("index")),
            cast("FileStore", provision.pending("files")),
            cast("InstanceSource", provision.pending("instances")),
            self.journal,
            self.remote_aes,
            scenario=self.scenario,
            outbox=acquisition_scu.AcquisitionSCU(),
        )
        self._ctx_value = ctx
        self._ae = build_ae(self.config.dicom)
        cfg = self.config.dicom
        try:
            self._server, _ = start_server(self._ae, cfg, ctx)
            return self._server
        except ssl.SSLError as exc:
            raise StartupError(
                f"cannot use the TLS certificate {cfg.tls_cert} and key {cfg.tls_key}: {exc}"
            ) from exc
        except OSError as exc:
            raise StartupError(
                f"cannot listen for DICOM on {cfg.host}:{cfg.port}: {exc.strerror or exc}"
                " (is another server using it? choose another with --port, or 0 for any)"
            ) from exc

    def _provide_archive(
        self, provision: Provision, server: GatedServer, ctx: ServiceContext
    ) -> None:
        """The open stores to the service context and to requests waiting (a new data
        directory gets its demo archive first)."""
        if self._fresh and not self.config.storage.empty:
            from emulator.services.fabrication import DEMO, Job, fabricate_with  # not before

            fabricate_with(ctx, Job(replace(DEMO, anchor=dt.date.today())))
        provision.provide(index=ctx.index, files=ctx.files, instances=ctx.instances)
        for module in IMPORTED_ONCE_OPEN:
            importlib.import_module(module)  # or the first request that needs one would wait
        self._ctx_value = ctx
        server.service_context = ctx  # associations from now on: the stores directly

    def _start_admin(self) -> None:
        # imported once DICOM is listening: aiohttp and the admin app are a fifth of the start
        from emulator.admin.app import make_app
        from emulator.admin.auth import admin_tokens
        from emulator.admin.runner import AdminServer, server_tls

        cfg = self.config.admin
        logins = self.config.ldap.enabled or Users(self.archive.ctx.index.database).count() > 0
        tokens = admin_tokens(cfg.host, cfg.tokens_file, logins)
        tls = server_tls(cfg.tls_cert, cfg.tls_key)
        admin = AdminServer(make_app(self, tokens), cfg.host, cfg.port, tls)
        try:
            admin.start()
        except OSError as exc:
            raise StartupError(
                f"cannot listen for the admin API on {cfg.host}:{cfg.port}:"
                f" {exc.strerror or exc} (choose another with --admin-port, or 0 for any)"
            ) from exc
        self._admin = admin

    def _start_hl7(self) -> None:
        cfg = self.config.hl7
        if cfg.port < 0:
            return
        from emulator.hl7_listener import HL7Listener  # asyncio and HL7 framing: when enabled

        listener = HL7Listener(
            lambda text, source: self.receive_hl7(text, source).ack, cfg.host, cfg.port
        )
        try:
            listener.start()
        except OSError as exc:
            raise StartupError(
                f"cannot listen for HL7 on {cfg.host}:{cfg.port}: {exc.strerror or exc}"
                " (choose another with --hl7-port, or 0 for any)"
            ) from exc
        self._hl7 = listener

    def stop(self) -> None:
        """Stop in order: admin, DICOM listener, associations in flight, index (idempotent)."""
        with self._stop_lock:
            self.scenario.stop()  # delays and hangs in flight end at once
            if self._ctx_value is not None:
                self._ctx_value.interrupts.stop()  # pending deliveries give up at once
            if self._admin is not None:
                self._admin.stop()
                self._admin = None
            if self._hl7 is not None:
                self._hl7.stop()
                self._hl7 = None
            if self._server is not None:
                server, self._server = self._server, None
                server.shutdown()
                aborted = server.drain(self.config.dicom.shutdown_grace)
                if aborted:
                    log.info(kv(event="shutdown", aborted=aborted))
            if self._ctx_value is not None:
                self._ctx_value.interrupts.join(timeout=5)  # commitment reports end
            if self._index is not None:
                self.journal.detach()  # what is left goes into the index before it closes
                self._index.close()
                self._index = None

    def __enter__(self) -> Emulator:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    # -- what tests and the admin API read -------------------------------------------------

    @property
    def index(self) -> Index:
        if self._index is None:
            raise RuntimeError("the emulator is not running")
        return self._index

    @property
    def files(self) -> FileStore:
        if self._files is None:
            raise RuntimeError("the emulator is not running")
        return self._files

    @property
    def ae_title(self) -> str:
        return self.config.dicom.ae_title

    @property
    def dicom_port(self) -> int:
        if self._server is None:
            raise RuntimeError("the emulator is not running")
        return int(self._server.server_address[1])

    @property
    def dicom_address(self) -> str:
        return f"{self.ae_title}@{self.config.dicom.host}:{self.dicom_port}"

    @property
    def admin_port(self) -> int:
        if self._admin is None or self._admin.port is None:
            raise RuntimeError("the admin API is not running")
        return self._admin.port

    @property
    def admin_url(self) -> str:
        host = self.config.admin.host
        host = f"[{host}]" if ":" in host else host
        scheme = "https" if self.config.admin.tls_cert else "http"
        return f"{scheme}://{host}:{self.admin_port}"

    @property
    def hl7_port(self) -> int | None:
        """The bound MLLP port, or None when the HL7 listener is off."""
        return self._hl7.port if self._hl7 is not None else None

    def receive_hl7(self, message: str, source: str = "api") -> orders.OrderResult:
        """Apply one HL7 v2 order message; what it did and its ACK (``services.orders``)."""
        from emulator.services import orders  # HL7 parsing: loaded with the first message

        return orders.apply(message, self._ctx(), source)

    def health(self) -> dict[str, Any]:
        """What GET /api/health answers."""
        return {
            "ready": self._server is not None,
            "version": __version__,
            "ae_title": self.ae_title,
            "dicom": {"host": self.config.dicom.host, "port": self.dicom_port},
            "admin": {"host": self.config.admin.host, "port": self.admin_port},
            "hl7": {"host": self.config.hl7.host, "port": self.hl7_port},
            "data_dir": str(self.config.storage.data_dir),
            "uptime_s": round(time.time() - (self.started_at or time.time()), 3),
            "counts": self.index.counts(),
            "associations": len(self._server.active_associations) if self._server else 0,
            "scenario": self.scenario.summary(),
            "seed": self.scenario.engine.seed if self.scenario.engine else None,
        }

    def request_shutdown(self) -> None:
        """Stop soon, from another thread (the admin API's answer goes out first)."""
        hook = self.shutdown_hook
        if hook is not None:
            hook()
        else:
            threading.Timer(0.1, self.stop).start()

    def reset(self, keep: Iterable[str] = ()) -> dict[str, Any]:
        """Back to a clean archive for the next test: abort live associations, end delays in
        flight, and clear every part of ``RESET_PARTS`` not in *keep*; ResetError naming an
        unknown part (nothing is reset then)."""
        kept = set(keep)
        unknown = sorted(kept - set(RESET_PARTS))
        if unknown:
            raise ResetError(
                f"unknown part {', '.join(map(repr, unknown))}: the parts are"
                f" {', '.join(RESET_PARTS)}"
            )
        cleared: dict[str, int] = {}
        self._ctx().interrupts.interrupt()  # commitment reports waiting out a delay give up
        if "scenario" in kept:
            self.scenario.interrupt()
        else:
            had = self.scenario.engine is not None
            self.scenario.restore()  # the --scenario file anew, or none: what serve started with
            cleared["scenario"] = 1 if had else 0
        if "associations" not in kept and self._server is not None:
            live = list(self._server.active_associations)
            for assoc in live:
                assoc.abort()
            cleared["associations"] = len(live)
        removed = self.archive.clear(kept, cleared)
        if "journal" not in kept:
            self.journal.clear()
            cleared["journal"] = 1
        log.info(kv(event="reset", kept=",".join(sorted(kept)) or None))
        return {"cleared": sorted(cleared), "kept": sorted(kept), "instances_removed": removed}

    def reload_scenario(self) -> None:
        """Read the scenario file again and activate it; raises ScenarioError (the scenario
        in force stays) or LookupError (started without one)."""
        self.scenario.reload()

    def load_scenario(self, text: str, name: str = "api") -> None:
        """Activate a scenario given as YAML or JSON text; raises ScenarioError."""
        self.scenario.replace(text, name)

    def reset_scenario(self) -> None:
        """Start the scenario over (counters, draws, stages); cancels delays in flight."""
        self.scenario.reset()

    @property
    def archive(self) -> Archive:
        """The archive's data and what can be done to it (import, fabricate, browse, delete)."""
        from emulator.services.archive import Archive  # imported after the listener starts

        return Archive(self._ctx())

    def _ctx(self) -> ServiceContext:
        if self._ctx_value is None:
            raise RuntimeError("the emulator is not running")
        return self._ctx_value

    def config_dict(self) -> dict[str, Any]:
        return as_dict(self.config)
