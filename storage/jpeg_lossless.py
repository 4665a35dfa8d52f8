"""JPEG Lossless, Non-Hierarchical, First-Order Prediction (Process 14, Selection Value 1:
1.2.840.10008.1.2.4.70), the lossless JPEG most archives hold, encoded by GDCM when
python-gdcm is installed (the ``jpeg`` extra): pydicom has no encoder for it, and GDCM's
pydicom plugin encodes only RLE. Used by the ``viewer-torture`` profile."""

from __future__ import annotations

import importlib.util

from pydicom.dataset import Dataset
from pydicom.encaps import encapsulate
from pydicom.uid import JPEGLosslessSV1


def available() -> bool:
    """Whether GDCM can be imported here (without importing it)."""
    return importlib.util.find_spec("gdcm") is not None


def _frame(data: bytes, ds: Dataset) -> bytes:
    import gdcm  # ~30 ms to import: only when a frame is encoded

    # an image made by a writer, as pydicom's GDCM plugin makes its own (the writer owns it)
    writer = gdcm.ImageWriter()
    image = writer.GetImage()
    image.SetNumberOfDimensions(2)
    image.SetDimensions((int(ds.Columns), int(ds.Rows), 1))
    interpretation = gdcm.PhotometricInterpretation.GetPIType(str(ds.PhotometricInterpretation))
    image.SetPhotometricInterpretation(gdcm.PhotometricInterpretation(interpretation))
    image.SetTransferSyntax(gdcm.TransferSyntax(gdcm.TransferSyntax.ImplicitVRLittleEndian))
    bits_stored = int(ds.BitsStored)
    image.SetPixelFormat(
        gdcm.PixelFormat(
            int(ds.SamplesPerPixel),
            int(ds.BitsAllocated),
            bits_stored,
            bits_stored - 1,
            int(ds.PixelRepresentation),
        )
    )
    element = gdcm.DataElement(gdcm.Tag(0x7FE0, 0x0010))
    element.SetByteStringValue(data)
    image.SetDataElement(element)
    change = gdcm.ImageChangeTransferSyntax()
    change.SetTransferSyntax(gdcm.TransferSyntax(gdcm.TransferSyntax.JPEGLosslessProcess14_1))
    change.SetInput(image)
    if not change.Change():
        raise RuntimeError("GDCM could not encode the frame as JPEG Lossless")
    fragments = change.GetOutput().GetDataElement().GetSequenceOfFragments()
    # GDCM hands the bytes over as a str of surrogate escapes (as pydicom's plugin reads them)
    return b"".join(
        fragments.GetFragment(n).GetByteValue().GetBuffer().encode("utf-8", "surrogateescape")
        for n in range(fragments.GetNumberOfFragments())
    )


def compress(ds: Dataset) -> None:
    """*ds*'s native pixel data encoded as JPEG Lossless SV1, one fragment a frame, in place
    (its File Meta Information's transfer syntax too).

    Raises
    ------
    RuntimeError
        If GDCM is not installed or cannot encode the image.
    """
    if not available():
        raise RuntimeError("JPEG Lossless needs python-gdcm: pip install 'dicom-fabricator[jpeg]'")
    frames = int(ds.get("NumberOfFrames", 1) or 1)
    data = bytes(ds.PixelData)
    size = int(ds.Rows) * int(ds.Columns) * int(ds.SamplesPerPixel) * (int(ds.BitsAllocated) // 8)
    ds.PixelData = encapsulate([_frame(data[n * size : (n + 1) * size], ds) for n in range(frames)])
    ds["PixelData"].VR = "OB"
    ds.file_meta.TransferSyntaxUID = JPEGLosslessSV1
