"""Where an indexed instance's dataset comes from: its Part 10 file, or its recipe.

An index location (``storage.locations``) is a file path relative to the data directory for
instances received by C-STORE (or fabricated with ``--materialize``), or a recipe and position
for fabricated instances synthesized on demand (``storage.fabricate``). Everything that reads
instances (C-FIND return keys, C-MOVE, C-GET, export) goes through here.
"""

from __future__ import annotations

import threading
from io import BytesIO
from typing import TYPE_CHECKING

from pydicom import dcmread
from pydicom.dataset import Dataset

from storage.errors import StorageError
from storage.filestore import FileStore
from storage.index import Index
from storage.locations import Location, Position, Recipe, is_file

if TYPE_CHECKING:
    from storage.fabrication_spec import FabricationSpec
from storage.records import read_header


class InstanceSource:
    """Reads or synthesizes indexed instances. Thread-safe."""

    def __init__(self, index: Index, files: FileStore) -> None:
        self.index = index
        self.files = files
        self._specs: dict[int, FabricationSpec] = {}
        self._lock = threading.Lock()

    is_file = staticmethod(is_file)

    def _recipe(self, location: Recipe) -> tuple[FabricationSpec, Position]:
        pk, position = location.pk, location.position
        with self._lock:
            spec = self._specs.get(pk)
        if spec is None:
            text = self.index.recipe(pk)
            if text is None:
                raise StorageError(f"recipe {pk} of {location} is not in the index")
            try:
                from storage.fabrication_spec import FabricationSpec  # see _synthesized

                spec = FabricationSpec.from_json(text)
            except (ValueError, KeyError, TypeError) as exc:
                raise StorageError(f"recipe {pk} is unreadable: {exc}") from exc
            with self._lock:
                self._specs[pk] = spec
        return spec, position

    def _synthesized(self, location: Recipe, header: bool) -> Dataset:
        """The instance at a recipe's position, or its header. ``storage.fabricate`` is
        imported with the first one, not with this module: the fabrication stack (some 30
        modules: IODs, objects, specs) is a quarter of storage's import, and ``serve``
        answers its first C-ECHO before it is needed."""
        from storage.fabricate import instance_header, synthesize

        return (instance_header if header else synthesize)(*self._recipe(location))

    def dataset(self, location: Location) -> Dataset:
        """The complete instance, with its File Meta Information. A file is read lazily
        (element values stay raw bytes unless touched).

        Raises
        ------
        StorageError
            If the file or recipe is missing or cannot be read or synthesized.
        """
        try:
            if isinstance(location, Recipe):
                return self._synthesized(location, header=False)
            with self.files.open(location) as f:
                return dcmread(f)
        except StorageError:
            raise
        except Exception as exc:  # OSError, InvalidDicomError, a missing encoder
            raise StorageError(f"cannot read instance {location}: {exc}") from exc

    def header(self, location: Location) -> Dataset:
        """The instance without its pixel data (for C-FIND return keys).

        Raises
        ------
        StorageError
            If it cannot be read (``UnreadableInstance`` for a file that does not decode).
        """
        if isinstance(location, Recipe):
            return self._synthesized(location, header=True)
        try:
            with self.files.open(location) as f:
                return read_header(f)
        except OSError as exc:
            raise StorageError(f"cannot read instance {location}: {exc}") from exc

    def part10(self, location: Location) -> bytes:
        """The instance as Part 10 bytes: a file as stored, a recipe as synthesized.

        Raises
        ------
        StorageError
            If it cannot be read or synthesized.
        """
        if isinstance(location, str):
            try:
                with self.files.open(location) as f:
                    return f.read()
            except OSError as exc:
                raise StorageError(f"cannot read instance {location}: {exc}") from exc
        buffer = BytesIO()
        self.dataset(location).save_as(buffer, enforce_file_format=True)
        return buffer.getvalue()

    def remove(self, location: Location) -> None:
        """Forget a replaced instance's bytes: delete its file (a recipe has none)."""
        if isinstance(location, str):
            self.files.remove(location)

    def header_of(self, pk: int) -> Dataset:
        """The header (see :meth:`header`) of the instance whose index row key is *pk*.

        Raises
        ------
        StorageError
            If the row is gone or the instance cannot be read.
        """
        location = self.index.location(pk)
        if location is None:
            raise StorageError(f"instance row {pk} is no longer in the index")
        return self.header(location)
