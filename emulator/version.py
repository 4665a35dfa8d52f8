"""Version and the DICOM implementation identity (PS3.7 D.3.3.2)."""

from __future__ import annotations

__version__ = "0.1.0"

# A UUID-derived UID (PS3.5 B.2: 2.25.<uuid as integer>), fixed for this implementation.
IMPLEMENTATION_CLASS_UID = "2.25.270143637187414446097493541286367463853"
IMPLEMENTATION_VERSION_NAME = "FABRICATOR_" + __version__.replace(".", "")
