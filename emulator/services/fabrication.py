"""Fabricate studies into the archive: index rows plus a recipe, or materialized files.

By default a fabricated instance is an index row whose location names its recipe (the spec
and its position): every C-FIND key is in the index, and the Part 10 bytes are synthesized
when C-MOVE, C-GET or export asks. ``materialize`` writes each instance as a file instead,
through the same atomic path as C-STORE.
"""

from __future__ import annotations

import datetime as dt
import itertools
import logging
import sqlite3
from collections.abc import Callable
from dataclasses import dataclass
from io import BytesIO
from typing import Any

from emulator.config import Config
from emulator.errors import FabricationConflict
from emulator.journal import RequestJournal
from emulator.remotes import RemoteAERegistry
from emulator.services.context import ServiceContext
from emulator.services.store import store_instance
from storage import FileStore, Index, InstanceSource, StorageError
from storage.fabricate import fabricate, records
from storage.fabricated_worklist import worklist_items
from storage.fabrication_spec import (
    ENHANCED_OF,
    MODALITIES,
    TRANSFER_SYNTAXES,
    FabricationSpec,
    scanner_modality,
    study_uids,
)
from storage.filestore import prepare_data_dir
from storage.locations import Recipe

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

BATCH = 2000  # instances per index transaction: other writers wait at most one batch

Progress = Callable[[int], object]  # called with the number of instances just added


@dataclass(frozen=True, slots=True)
class Job:
    """What to fabricate: *spec*'s instances (as files if *materialize*), and *worklist*
    items for its patients on *stations* (default: ``<modality>01`` for each modality)."""

    spec: FabricationSpec
    materialize: bool = False
    worklist: int = 0
    stations: tuple[str, ...] = ()
    replace: bool = False  # studies the archive already holds (same seed) are replaced


@dataclass(frozen=True, slots=True)
class Fabricated:
    """What one fabrication added."""

    spec: FabricationSpec
    instances: int
    recipe: int | None  # None when materialized


def fabricate_with(ctx: ServiceContext, job: Job, progress: Progress | None = None) -> Fabricated:
    """Add *job*'s instances and worklist items to the archive of *ctx*.

    Raises
    ------
    storage.StorageError
        If a compressed transfer syntax has no encoder here, or the index or a file cannot
        be written (instances already committed stay).
    """
    spec = job.spec
    missing = spec.missing_encoders()
    if missing:
        raise StorageError("cannot fabricate: " + "; ".join(missing))
    if not job.replace:
        present, examples = ctx.index.studies_present(study_uids(spec))
        if present:
            raise FabricationConflict(
                f"the archive already holds {present} of the"
                f" {spec.patients * spec.studies_per_patient} studies seed {spec.seed} makes"
                f" (e.g. {examples[0]}), which would be replaced:"
                ' choose another seed, or replace them (--replace, or "replace": true)'
            )
    if job.worklist:
        stations = job.stations or tuple(
            dict.fromkeys(f"{scanner_modality(m)}01" for m in spec.image_modalities)
        )
        for item in worklist_items(spec, job.worklist, stations):
            ctx.worklist.add(item, "fabricated")
        log.info("fabricated %d worklist items on %s", job.worklist, ",".join(stations))
    if job.materialize:
        count = 0
        for ds in fabricate(spec):
            buffer = BytesIO()
            ds.save_as(buffer, enforce_file_format=True)
            store_instance(buffer.getvalue(), None, None, None, "FABRICATOR", ctx)
            count += 1
            if progress is not None:
                progress(1)
        log.info("fabricated %d instances (seed %d) as files", count, spec.seed)
        return Fabricated(spec, count, None)
    recipe = ctx.index.add_recipe(spec.to_json())
    count = 0
    rows = ((record, Recipe(recipe, position), 0) for record, position in records(spec))
    while batch := list(itertools.islice(rows, BATCH)):
        for replaced in ctx.index.add_instances(batch, source_ae="FABRICATOR"):
            ctx.instances.remove(replaced)
        count += len(batch)
        if progress is not None:
            progress(len(batch))
    log.info("fabricated %d instances (seed %d) as recipe %d", count, spec.seed, recipe)
    return Fabricated(spec, count, recipe)


def fabricate_into(config: Config, job: Job, progress: Progress | None = None) -> Fabricated:
    """Add *job*'s instances and worklist items to the archive in ``config.storage.data_dir``."""
    data_dir = config.storage.data_dir
    prepare_data_dir(data_dir)
    try:
        files = FileStore(data_dir, fsync=config.storage.fsync)
        index = Index.open(data_dir / "index.sqlite")
    except (OSError, sqlite3.Error) as exc:
        raise StorageError(f"cannot open the archive in {data_dir}: {exc}") from exc
    try:
        ctx = ServiceContext(
            config,
            index,
            files,
            InstanceSource(index, files),
            RequestJournal(),
            RemoteAERegistry(),
        )
        return fabricate_with(ctx, job, progress)
    finally:
        index.close()


# POST /api/fabricate: the JSON fields, as the CLI's flags (fabricate --help)
FABRICATE_FIELDS = (
    "seed",
    "patients",
    "studies_per_patient",
    "series_per_study",
    "instances_per_series",
    "modalities",
    "matrix",
    "anchor",
    "window_days",
    "transfer_syntaxes",
    "profile",
    "enhanced",
    "materialize",
    "worklist",
    "stations",
    "replace",
)


def names_of(value: Any, field: str) -> tuple[str, ...]:
    """A list of names given as a JSON array of strings or one comma-separated string (as the
    CLI takes it); ValueError naming *field* for anything else."""
    if isinstance(value, str):
        return tuple(name.strip() for name in value.split(",") if name.strip())
    if isinstance(value, list) and all(isinstance(name, str) for name in value):
        return tuple(value)
    raise ValueError(f"{field} is an array of strings or one comma-separated string, not {value!r}")


def job_from_json(body: Any, max_instances: int) -> Job:
    """The job a POST /api/fabricate body asks for; ValueError saying what is wrong, including
    more than *max_instances* instances or worklist items."""
    if not isinstance(body, dict):
        raise ValueError("the body is a JSON object of fabrication fields")
    spec = spec_from_json(body)
    naive = (
        spec.patients * spec.studies_per_patient * spec.series_per_study
    ) * spec.instances_per_series
    count = naive if naive > max_instances else spec.total
    if count > max_instances:
        raise ValueError(
            f"this asks for {count:,} instances; one request may fabricate at most"
            f" {max_instances:,} (admin.max_fabricate_instances, --admin-max-fabricate),"
            " or use the fabricate command"
        )
    materialize = body.get("materialize", False)
    if not isinstance(materialize, bool):
        raise ValueError(f"materialize is true or false, not {materialize!r}")
    worklist = body.get("worklist", 0)
    if not isinstance(worklist, int) or isinstance(worklist, bool) or worklist < 0:
        raise ValueError(f"worklist is a count of items (0 or more), not {worklist!r}")
    if worklist > max_instances:
        raise ValueError(
            f"worklist asks for {worklist:,} items; one request may make at most {max_instances:,}"
        )
    stations = names_of(body.get("stations", []), "stations")
    replace = body.get("replace", False)
    if not isinstance(replace, bool):
        raise ValueError(f"replace is true or false, not {replace!r}")
    return Job(spec, materialize, worklist, stations, replace)


def spec_from_json(body: dict[str, Any]) -> FabricationSpec:
    """A spec from a JSON object of the fields above (POST /api/fabricate; the job's
    ``materialize``, ``worklist`` and ``stations`` are not the spec's); ValueError saying what
    is wrong."""
    unknown = sorted(set(body) - set(FABRICATE_FIELDS))
    if unknown:
        known = ", ".join(FABRICATE_FIELDS)
        raise ValueError(f"unknown field {', '.join(unknown)}; known: {known}")
    job_fields = ("materialize", "worklist", "stations", "replace", "enhanced")
    fields = {k: v for k, v in body.items() if k not in job_fields}
    enhanced = body.get("enhanced", False)
    if not isinstance(enhanced, bool):
        raise ValueError(f"enhanced is true or false, not {enhanced!r}")
    if "modalities" in fields or enhanced:
        names = names_of(fields.get("modalities", list(MODALITIES)), "modalities")
        fields["modalities"] = tuple(
            ENHANCED_OF.get(m.upper(), m.upper()) if enhanced else m.upper() for m in names
        )
    if "transfer_syntaxes" in fields:
        names = names_of(fields["transfer_syntaxes"], "transfer_syntaxes")
        wrong = [n for n in names if n not in TRANSFER_SYNTAXES]
        if wrong:
            raise ValueError(
                f"transfer syntax {', '.join(map(str, wrong))} is not one of"
                f" {', '.join(TRANSFER_SYNTAXES)}"
            )
        fields["transfer_syntaxes"] = tuple(TRANSFER_SYNTAXES[n] for n in names)
    if "anchor" in fields:
        try:
            fields["anchor"] = dt.datetime.strptime(str(fields["anchor"]), "%Y%m%d").date()
        except ValueError:
            raise ValueError(f"anchor is a date YYYYMMDD, not {fields['anchor']!r}") from None
    return FabricationSpec(**fields)
