"""How fast each non-image object is synthesized: each kind's builder on 200 studies of two
series of five images (the images' headers made first, as a C-MOVE or C-GET of the study
makes them before its objects), printing objects a second. On-demand synthesis wants at
least 200 of each.

    python bench/objects.py
    python bench/objects.py --studies 500
"""

from __future__ import annotations

import argparse
import datetime as dt
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from storage.fabricate import object_context
from storage.fabrication_spec import FabricationSpec, object_at, positions
from storage.objects import BUILDERS, KINDS


def rate(code: str, studies: int) -> float:
    kind = KINDS[code]
    # two image modalities in turn: two the object goes with, or CT and MR
    images = tuple(sorted(kind.goes_with))[:2] if len(kind.goes_with) > 1 else ("CT", "MR")
    needed = []  # what the object references (a plan its structure set...)
    while (needs := KINDS[needed[-1] if needed else code].needs) is not None:
        needed.append(needs)
    spec = FabricationSpec(
        seed=1,
        patients=studies,
        series_per_study=2,
        instances_per_series=5,
        modalities=(*images, *reversed(needed), code),
        anchor=dt.date(2026, 1, 1),
    )
    made = [p for p in positions(spec) if object_at(spec, *p[:3]) == code]
    contexts = [object_context(spec, *p[:3]) for p in made]
    for context in contexts:  # the images' headers, as a retrieve of the study makes them
        for series in context.images:
            series.shared()
            series.header(0)
    start = time.perf_counter()
    for context in contexts:
        BUILDERS[code](context)
    return len(contexts) / (time.perf_counter() - start)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--studies", type=int, default=200)
    args = parser.parse_args()
    print(f"{'object':<6} {'per second':>10}")
    for code in KINDS:
        print(f"{code:<6} {rate(code, args.studies):>10.0f}")


if __name__ == "__main__":
    main()
