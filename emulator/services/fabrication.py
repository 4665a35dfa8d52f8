"""Fabricate studies into a data directory, through the same atomic path as C-STORE.

Each fabricated instance is materialized as a Part 10 file and indexed. (Index rows plus a
recipe, synthesized on demand, are the next step.)
"""

from __future__ import annotations

import logging
from io import BytesIO

from emulator.config import Config
from emulator.dicom.context import ServiceContext
from emulator.journal import RequestJournal
from emulator.remotes import RemoteAERegistry
from emulator.services.store import store_instance
from storage import FileStore, Index
from storage.fabricate import FabricationSpec, fabricate

log = logging.getLogger(__name__)


# What a new data directory holds unless started with --empty: 3 patients (a CT, an MR and
# a CR study), 30 instances. Modalities are pinned so that adding more does not change it.
DEMO = FabricationSpec(
    seed=1,
    patients=3,
    studies_per_patient=1,
    series_per_study=2,
    instances_per_series=5,
    modalities=("CT", "MR", "CR"),
)


def fabricate_with(ctx: ServiceContext, spec: FabricationSpec) -> int:
    """Store *spec*'s instances through the C-STORE path of *ctx*; return how many."""
    count = 0
    for ds in fabricate(spec):
        buffer = BytesIO()
        ds.save_as(buffer, enforce_file_format=True)
        store_instance(buffer.getvalue(), None, None, None, "FABRICATOR", ctx)
        count += 1
    log.info("fabricated %d instances (seed %d) into %s", count, spec.seed, ctx.files.root)
    return count


def fabricate_into(config: Config, spec: FabricationSpec) -> int:
    """Write *spec*'s instances into ``config.storage.data_dir``; return how many."""
    data_dir = config.storage.data_dir
    data_dir.mkdir(parents=True, exist_ok=True)
    files = FileStore(data_dir, fsync=config.storage.fsync)
    index = Index.open(data_dir / "index.sqlite")
    try:
        return fabricate_with(
            ServiceContext(config, index, files, RequestJournal(), RemoteAERegistry()), spec
        )
    finally:
        index.close()
