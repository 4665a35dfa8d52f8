"""The value types of the command line's options: positive counts, comma-separated lists of
known names, AE titles and dates, each with a short error that says what was expected."""

from __future__ import annotations

import argparse
import datetime as dt
from collections.abc import Callable, Iterable

from emulator.remotes import valid_ae_title


def positive(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a positive integer, got {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected a positive integer, got {value}")
    return value


def choices(what: str, known: Iterable[str], upper: bool) -> Callable[[str], tuple[str, ...]]:
    """An argparse type for a comma-separated list of *known* names."""
    names = tuple(known)

    def parse(text: str) -> tuple[str, ...]:
        values = tuple(
            v.strip().upper() if upper else v.strip().lower() for v in text.split(",") if v.strip()
        )
        unknown = [v for v in values if v not in names]
        if unknown or not values:
            shown = ", ".join(unknown) if unknown else repr(text)
            raise argparse.ArgumentTypeError(f"unknown {what} {shown}: expected {','.join(names)}")
        return values

    return parse


def count(text: str) -> int:
    return 0 if text.strip() == "0" else positive(text)


def ae_titles(text: str) -> tuple[str, ...]:
    values = tuple(v.strip() for v in text.split(",") if v.strip())
    bad = [v for v in values if not valid_ae_title(v)]
    if bad or not values:
        raise argparse.ArgumentTypeError(f"not an AE title: {', '.join(bad) or repr(text)}")
    return values


def date(text: str) -> dt.date:
    try:
        return dt.datetime.strptime(text, "%Y%m%d").date()
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a date YYYYMMDD, got {text!r}") from None
