"""Demographic coercion on retrieve (``retrieve.coerce_patient``): an instance sent with its
patient as the index has it now, after HL7 ADT changes, where by default it goes out with
the bytes it was stored with (as a PACS keeps them). PS3.4 C.4.2.3.1 lets an SCP send
coerced attributes."""

from __future__ import annotations

from pydicom.dataset import Dataset

from emulator.services.context import ServiceContext
from storage import patients
from storage.values import encodable


def wanted(ctx: ServiceContext) -> bool:
    return ctx.config.retrieve.coerce_patient


def coerce(ctx: ServiceContext, ds: Dataset) -> Dataset:
    """*ds* with its patient attributes as the index has them now, in place; its character
    set UTF-8 if the new values do not fit its own."""
    with ctx.index.reader() as conn:
        values = patients.current(conn, str(ds.SOPInstanceUID))
    if values is None:
        return ds
    text = "".join(values.values())
    if not encodable(text, ds.get("SpecificCharacterSet") or "ISO_IR 6"):
        ds.SpecificCharacterSet = "ISO_IR 192"
    for keyword, value in values.items():
        if value or keyword in ds:
            setattr(ds, keyword, value)
    return ds
