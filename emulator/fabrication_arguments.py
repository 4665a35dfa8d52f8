"""fabricate's own options: they name the fabrication spec's profiles, modalities, objects
and transfer syntaxes, whose modules (the IODs, the objects, the edge cases: ~30) only
fabricate needs, so the command line imports this module when fabricate is used."""

from __future__ import annotations

import argparse

from emulator import argtypes
from storage import edge_cases
from storage.fabrication_spec import IMAGE_CODES, MODALITIES, OBJECTS, PROFILES, TRANSFER_SYNTAXES


def add_fabrication_options(fab: argparse.ArgumentParser) -> None:
    """fabricate's own options (the command line adds them when fabricate is used)."""
    spec = fab.add_argument_group("fabrication")
    spec.add_argument("--seed", type=int, default=1, help="random seed (default: 1)")
    spec.add_argument(
        "--profile",
        choices=PROFILES,
        default="standard",
        help="standard; edge-cases: each patient one case that stresses parsers (character"
        " sets, maximum lengths, empty Type 2, private tags, nested sequences, odd matrix,"
        " a 1,200-instance series); character-sets: each patient named in one character set"
        " (Japanese, Korean, Chinese, Cyrillic, Greek, Arabic, Hebrew, Latin-1, UTF-8);"
        " viewer-torture: each patient one image that breaks viewers (MONOCHROME1, signed"
        " pixels with a negative slope, garbage high bits, 1 x 1, an overlay, 300 frames,"
        " planar configuration 1, PALETTE COLOR, JPEG YBR_FULL_422, 4096 x 4096, then a CT in each"
        " transfer syntax the emulator encodes: the jpeg extra's encoders for the compressed)",
    )
    spec.add_argument(
        "--patients",
        type=argtypes.positive,
        default=None,
        help=f"patients (default: 3; one per case with edge-cases ({len(edge_cases.CASES)}),"
        f" character-sets ({len(edge_cases.CHARSET_CASES)}) or viewer-torture"
        f" ({len(edge_cases.TORTURE_CASES)}))",
    )
    for flag, default, text in (
        ("--studies-per-patient", 1, "studies per patient"),
        ("--series-per-study", 2, "series per study"),
        ("--instances-per-series", 5, "instances per series"),
    ):
        spec.add_argument(
            flag, type=argtypes.positive, default=default, help=f"{text} (default: {default})"
        )
    spec.add_argument(
        "--matrix",
        type=argtypes.positive,
        default=None,
        help="rows and columns of every image (default: each modality's usual size)",
    )
    spec.add_argument(
        "--window-days",
        type=int,
        default=365,
        help="study dates fall this many days before --anchor at most (default: 365)",
    )
    spec.add_argument(
        "--transfer-syntaxes",
        type=argtypes.choices("transfer syntax", TRANSFER_SYNTAXES, upper=False),
        default=("explicit",),
        metavar="LIST",
        help=f"comma-separated, of {','.join(TRANSFER_SYNTAXES)}; series take them in turn"
        " (default: explicit)",
    )
    spec.add_argument(
        "--worklist",
        type=argtypes.count,
        default=0,
        metavar="N",
        help="also schedule N worklist items for the fabricated patients, on --anchor's day"
        " (default: 0)",
    )
    spec.add_argument(
        "--stations",
        type=argtypes.ae_titles,
        default=(),
        metavar="LIST",
        help="comma-separated scheduled station AE titles for --worklist, in turn; CT01"
        " schedules CT (default: <modality>01 for each of --modalities)",
    )
    spec.add_argument(
        "--materialize",
        action="store_true",
        help="write every instance as a Part 10 file (default: synthesize on demand)",
    )
    spec.add_argument(
        "--replace",
        action="store_true",
        help="replace studies the archive already holds (the same seed made them before);"
        " without it fabrication refuses to overwrite them",
    )
    spec.add_argument(
        "--modalities",
        type=argtypes.choices("modality", (*IMAGE_CODES, *OBJECTS), upper=True),
        default=MODALITIES,
        metavar="LIST",
        help=f"comma-separated, of {','.join(MODALITIES)} (default: all of these), ECT,EMR"
        f" (Enhanced CT and MR: a series one multi-frame instance) and of the objects that go"
        f" with their studies, {','.join(OBJECTS)} (see docs/fabrication.md)",
    )
    spec.add_argument(
        "--enhanced",
        action="store_true",
        help="make the CT and MR of --modalities as Enhanced CT and Enhanced MR (ECT, EMR)",
    )
    spec.add_argument(
        "--anchor",
        type=argtypes.date,
        default=None,
        metavar="YYYYMMDD",
        help="study dates fall in the year before this date (default: today)",
    )
