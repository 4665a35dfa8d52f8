"""X-Ray Radiation Dose SR (PS3.3 A.35.8): the dose report a CT or an angiography system
writes at the end of a study, one irradiation event per image series of the study.

- CT studies: TID 10011 CT Radiation Dose: per acquisition (TID 10013) its protocol, target
  region, spiral or sequenced acquisition, collimation, pitch, tube voltage and current, and
  CT Dose (Mean CTDIvol in the IEC head or body phantom, DLP = CTDIvol x scanning length);
  the accumulated DLP is the sum (TID 10012).
- XA studies: TID 10001 Projection X-Ray Radiation Dose: per run (TID 10003) the dose-area
  product and dose at the reference point, the positioner angles, kVp, tube current, pulses
  and their width as the run's images record them; accumulated fluoroscopy and acquisition
  totals (TID 10002, 10004).

Values are drawn from the object's stream within the ranges scanners report, and agree with
the images (kVp, scanned length, angles, frames). No validator here checks the templates'
content (dciodvfy checks the IOD, its value types and relationships): the specs check the
templates' required rows and the arithmetic.
"""

from __future__ import annotations

import datetime as dt

from pydicom.dataset import Dataset
from pydicom.sequence import Sequence

from storage.objects import content as sr
from storage.objects.content import Code, Item
from storage.objects.context import ImageSeries, StudyContext
from storage.objects.kinds import KINDS

REPORT = ("113701", "DCM", "X-Ray Radiation Dose Report")
PROCEDURE = ("121058", "DCM", "Procedure reported")
CT_PROCEDURE = ("77477000", "SCT", "Computed Tomography X-Ray")
PROJECTION = ("113704", "DCM", "Projection X-Ray")
HAS_INTENT, DIAGNOSTIC = (
    ("363703001", "SCT", "Has Intent"),
    ("261004008", "SCT", "Diagnostic Intent"),
)
OBSERVER_TYPE, DEVICE = ("121005", "DCM", "Observer Type"), ("121007", "DCM", "Device")
DEVICE_UID = ("121012", "DCM", "Device Observer UID")
DEVICE_NAME = ("121013", "DCM", "Device Observer Name")
DEVICE_MANUFACTURER = ("121014", "DCM", "Device Observer Manufacturer")
DEVICE_MODEL = ("121015", "DCM", "Device Observer Model Name")
DEVICE_SERIAL = ("121016", "DCM", "Device Observer Serial Number")
START, END = (
    ("113809", "DCM", "Start of X-Ray Irradiation"),
    ("113810", "DCM", "End of X-Ray Irradiation"),
)
SCOPE, STUDY = ("113705", "DCM", "Scope of Accumulation"), ("113014", "DCM", "Study")
STUDY_UID = ("110180", "DCM", "Study Instance UID")
SOURCE_OF_DOSE = ("113854", "DCM", "Source of Dose Information")
AUTOMATED = ("113856", "DCM", "Automated Data Collection")
EVENT_UID = ("113769", "DCM", "Irradiation Event UID")
PROTOCOL = ("125203", "DCM", "Acquisition Protocol")
TARGET = ("123014", "DCM", "Target Region")
KVP = ("113733", "DCM", "KVP")
TUBE_CURRENT = ("113734", "DCM", "X-Ray Tube Current")
# units (UCUM)
MGY, MGY_CM = ("mGy", "UCUM", "mGy"), ("mGy.cm", "UCUM", "mGy.cm")
GY, GY_M2 = ("Gy", "UCUM", "Gy"), ("Gy.m2", "UCUM", "Gy.m2")
SECONDS, MS, MM = ("s", "UCUM", "s"), ("ms", "UCUM", "ms"), ("mm", "UCUM", "mm")
KV, MA, UAS = ("kV", "UCUM", "kV"), ("mA", "UCUM", "mA"), ("uA.s", "UCUM", "uA.s")
DEGREES, RATIO = ("deg", "UCUM", "deg"), ("{ratio}", "UCUM", "ratio")
EVENTS, SOURCES = ("{events}", "UCUM", "events"), ("{X-Ray sources}", "UCUM", "X-Ray sources")
PULSES, FRAMES = ("{pulses}", "UCUM", "pulses"), ("{frames}", "UCUM", "frames")
REGIONS: dict[str, Code] = {  # BodyPartExamined → Target Region (CID 4030, CID 4031)
    "CHEST": ("816094009", "SCT", "Chest"),
    "HEAD": ("69536005", "SCT", "Head"),
    "BRAIN": ("69536005", "SCT", "Head"),
    "ABDOMEN": ("818981001", "SCT", "Abdomen"),
    "PELVIS": ("816092008", "SCT", "Pelvis"),
    "HEART": ("80891009", "SCT", "Heart"),
}
WHOLE_BODY: Code = ("38266002", "SCT", "Entire body")
HEAD_PARTS = frozenset({"HEAD", "BRAIN"})


def _number(name: Code, value: float, unit: Code) -> Item:
    """A NUM item of *value* to 5 significant digits (a dose-area product is ~0.0002 Gy.m2)."""
    return sr.number("CONTAINS", name, figure(value), unit)


def figure(value: float) -> float:
    """*value* to 5 significant digits, as the report writes it."""
    return float(f"{value:.5g}")


def _datetime(ctx: StudyContext, seconds: float) -> str:
    """The date and time *seconds* after the study's start (DT, to the second)."""
    start = dt.datetime.strptime(ctx.date + ctx.time[:6].ljust(6, "0"), "%Y%m%d%H%M%S")
    return (start + dt.timedelta(seconds=round(seconds))).strftime("%Y%m%d%H%M%S")


def _observer(ctx: StudyContext, model: str) -> list[Item]:
    """TID 1002 with TID 1004: the modality as the device observer."""
    return [
        sr.coded("HAS OBS CONTEXT", OBSERVER_TYPE, DEVICE),
        sr.uidref("HAS OBS CONTEXT", DEVICE_UID, ctx.uid("device observer")),
        sr.text("HAS OBS CONTEXT", DEVICE_NAME, model.split()[-1] + "01"),
        sr.text("HAS OBS CONTEXT", DEVICE_MANUFACTURER, ctx.manufacturer),
        sr.text("HAS OBS CONTEXT", DEVICE_MODEL, model),
        sr.text("HAS OBS CONTEXT", DEVICE_SERIAL, "SN" + ctx.uid("serial")[-6:]),
    ]


def _scope(ctx: StudyContext) -> Item:
    scope = sr.coded("HAS OBS CONTEXT", SCOPE, STUDY)
    scope[0x0040A730] = (
        "SQ",
        [sr.uidref("HAS PROPERTIES", STUDY_UID, str(ctx.study.StudyInstanceUID))],
    )
    return scope


def _procedure(code: Code) -> Item:
    procedure = sr.coded("HAS CONCEPT MOD", PROCEDURE, code)
    procedure[0x0040A730] = ("SQ", [sr.coded("HAS CONCEPT MOD", HAS_INTENT, DIAGNOSTIC)])
    return procedure


def _ct_source(kvp: float, current: int, rotation: float) -> Item:
    """CT X-Ray Source Parameters: the tube's voltage, current and rotation time."""
    return sr.container(
        "CONTAINS",
        ("113831", "DCM", "CT X-Ray Source Parameters"),
        [
            sr.text("CONTAINS", ("113832", "DCM", "Identification of the X-Ray Source"), "A"),
            _number(KVP, kvp, KV),
            _number(("113833", "DCM", "Maximum X-Ray Tube Current"), current + 50, MA),
            _number(TUBE_CURRENT, current, MA),
            _number(("113834", "DCM", "Exposure Time per Rotation"), rotation, SECONDS),
        ],
    )


def _ct_dose(ctdi: float, dlp: float, head: bool) -> list[Item]:
    """CT Dose: Mean CTDIvol in the head or body phantom, and the DLP."""
    phantom = ("113690", "DCM", "IEC Head Dosimetry Phantom") if head else (
        "113691", "DCM", "IEC Body Dosimetry Phantom"
    )  # fmt: skip
    return [
        _number(("113830", "DCM", "Mean CTDIvol"), ctdi, MGY),
        sr.coded("CONTAINS", ("113835", "DCM", "CTDIw Phantom Type"), phantom),
        _number(("113838", "DCM", "DLP"), dlp, MGY_CM),
    ]


def _ct_event(ctx: StudyContext, n: int, series: ImageSeries) -> tuple[Item, float, float]:
    """One CT acquisition (TID 10013) of the image series *series*: the item, its DLP and
    its exposure time."""
    shared = series.shared()
    part = str(shared.get("BodyPartExamined", ""))
    head = part in HEAD_PARTS
    length = float(shared.get("SliceThickness", 5)) * series.count  # mm scanned
    spiral = not head or ctx.rng.random() < 0.3
    single, total = 0.625, 40.0  # 64 x 0.625 mm
    pitch = ctx.rng.choice((0.516, 0.984, 1.375)) if spiral else 1.0
    rotation = ctx.rng.choice((0.5, 0.8, 1.0))
    exposure = rotation * (length / (pitch * total) if spiral else max(1, length / total))
    current = ctx.rng.randrange(150, 351, 10)
    ctdi = ctx.rng.uniform(40, 60) if head else ctx.rng.uniform(5, 18)
    dlp = ctdi * length / 10
    source = _ct_source(float(shared.get("KVP", 120)), current, rotation)
    parameters = [
        _number(("113824", "DCM", "Exposure Time"), exposure, SECONDS),
        _number(("113825", "DCM", "Scanning Length"), length, MM),
        _number(("113826", "DCM", "Nominal Single Collimation Width"), single, MM),
        _number(("113827", "DCM", "Nominal Total Collimation Width"), total, MM),
    ]
    if spiral:
        parameters.append(_number(("113828", "DCM", "Pitch Factor"), pitch, RATIO))
    parameters += [_number(("113823", "DCM", "Number of X-Ray Sources"), 1, SOURCES), source]
    dose = _ct_dose(ctdi, dlp, head)
    kind = ("116152004", "SCT", "Spiral Acquisition") if spiral else (
        "113804", "DCM", "Sequenced Acquisition"
    )  # fmt: skip
    description = str(shared.get("ProtocolName", "") or shared.get("SeriesDescription", ""))
    event = sr.container(
        "CONTAINS",
        ("113819", "DCM", "CT Acquisition"),
        [
            sr.text("CONTAINS", PROTOCOL, description or f"ACQUISITION {n}"),
            sr.coded("CONTAINS", TARGET, REGIONS.get(part, WHOLE_BODY)),
            sr.coded("CONTAINS", ("113820", "DCM", "CT Acquisition Type"), kind),
            sr.uidref("CONTAINS", EVENT_UID, ctx.uid(f"irradiation event {n}")),
            sr.container("CONTAINS", ("113822", "DCM", "CT Acquisition Parameters"), parameters),
            sr.container("CONTAINS", ("113829", "DCM", "CT Dose"), dose),
        ],
    )
    return event, figure(dlp), exposure


def _ct(ctx: StudyContext) -> list[Item]:
    events = [_ct_event(ctx, n, series) for n, series in enumerate(ctx.images, 1)]
    accumulated = sr.container(
        "CONTAINS",
        ("113811", "DCM", "CT Accumulated Dose Data"),
        [
            _number(("113812", "DCM", "Total Number of Irradiation Events"), len(events), EVENTS),
            _number(
                ("113813", "DCM", "CT Dose Length Product Total"),
                sum(dlp for _, dlp, _ in events),
                MGY_CM,
            ),
        ],
    )
    seconds = sum(exposure for _, _, exposure in events) + 60 * (len(events) - 1)
    return [
        _procedure(CT_PROCEDURE),
        *_observer(ctx, "FABRICATOR CT"),
        sr.datetime("HAS OBS CONTEXT", START, _datetime(ctx, 0)),
        sr.datetime("HAS OBS CONTEXT", END, _datetime(ctx, seconds)),
        _scope(ctx),
        accumulated,
        *(event for event, _, _ in events),
        sr.coded("CONTAINS", SOURCE_OF_DOSE, AUTOMATED),
    ]


class _Run:
    """One angiographic run's figures: an instance of an XA series."""

    def __init__(self, ctx: StudyContext, n: int, series: ImageSeries) -> None:
        shared = series.shared()
        self.n = n
        self.frames = int(shared.get("NumberOfFrames", 1))
        self.frame_time = float(shared.get("FrameTime", 66.7)) / 1000  # s
        self.duration = self.frames * self.frame_time
        self.kvp = float(shared.get("KVP", 80))
        self.current = float(shared.get("XRayTubeCurrent", 600))
        self.pulse = float(shared.get("ExposureTime", 8))  # ms
        self.primary = float(shared.get("PositionerPrimaryAngle", 0))
        self.secondary = float(shared.get("PositionerSecondaryAngle", 0))
        self.dap = ctx.rng.uniform(1.5e-4, 6e-4)  # Gy.m2 (1.5 to 6 Gy.cm2)
        self.dose = self.dap * ctx.rng.uniform(60, 110)  # Gy at the reference point
        self.started = 60.0 * n
        self.protocol = str(shared.get("SeriesDescription", "") or f"RUN {n}")
        self.region = REGIONS.get(str(shared.get("BodyPartExamined", "")), WHOLE_BODY)


REFERENCE_POINT = ("113780", "DCM", "Reference Point Definition")
AT_15CM = ("113860", "DCM", "15cm from Isocenter toward Source")
PLANE, SINGLE_PLANE = ("113764", "DCM", "Acquisition Plane"), ("113622", "DCM", "Single Plane")


def _xa_event(ctx: StudyContext, run: _Run) -> Item:
    """One run (TID 10003, with the source data of TID 10003B)."""
    return sr.container(
        "CONTAINS",
        ("113706", "DCM", "Irradiation Event X-Ray Data"),
        [
            sr.coded("CONTAINS", PLANE, SINGLE_PLANE),
            sr.uidref("CONTAINS", EVENT_UID, ctx.uid(f"irradiation event {run.n}")),
            sr.datetime(
                "CONTAINS", ("111526", "DCM", "DateTime Started"), _datetime(ctx, run.started)
            ),
            sr.coded(
                "CONTAINS",
                ("113721", "DCM", "Irradiation Event Type"),
                ("113611", "DCM", "Stationary Acquisition"),
            ),
            sr.text("CONTAINS", PROTOCOL, run.protocol),
            sr.coded("CONTAINS", TARGET, run.region),
            _number(("122130", "DCM", "Dose Area Product"), run.dap, GY_M2),
            _number(("113738", "DCM", "Dose (RP)"), run.dose, GY),
            sr.coded("CONTAINS", REFERENCE_POINT, AT_15CM),
            _number(("112011", "DCM", "Positioner Primary Angle"), run.primary, DEGREES),
            _number(("112012", "DCM", "Positioner Secondary Angle"), run.secondary, DEGREES),
            _number(KVP, run.kvp, KV),
            _number(TUBE_CURRENT, run.current, MA),
            _number(("113793", "DCM", "Pulse Width"), run.pulse, MS),
            _number(("113768", "DCM", "Number of Pulses"), run.frames, PULSES),
            _number(("113742", "DCM", "Irradiation Duration"), run.duration, SECONDS),
            _number(
                ("113736", "DCM", "Exposure"),
                run.current * 1000 * run.pulse / 1000 * run.frames,
                UAS,
            ),
        ],
    )


def _xa(ctx: StudyContext) -> list[Item]:
    every = [series for series in ctx.images for _ in range(series.count)]
    runs = [_Run(ctx, n, series) for n, series in enumerate(every, 1)]
    fluoro_time = ctx.rng.uniform(60, 600)  # s of fluoroscopy between the runs
    fluoro_dap = fluoro_time * ctx.rng.uniform(1e-6, 3e-6)
    fluoro_dose = fluoro_dap * ctx.rng.uniform(60, 110)
    acquisition_dap = sum(run.dap for run in runs)
    acquisition_dose = sum(run.dose for run in runs)
    totals = [
        (("113726", "DCM", "Fluoro Dose Area Product Total"), fluoro_dap, GY_M2),
        (("113728", "DCM", "Fluoro Dose (RP) Total"), fluoro_dose, GY),
        (("113730", "DCM", "Total Fluoro Time"), fluoro_time, SECONDS),
        (("113727", "DCM", "Acquisition Dose Area Product Total"), acquisition_dap, GY_M2),
        (("113729", "DCM", "Acquisition Dose (RP) Total"), acquisition_dose, GY),
        (("113855", "DCM", "Total Acquisition Time"), sum(r.duration for r in runs), SECONDS),
        (("113722", "DCM", "Dose Area Product Total"), fluoro_dap + acquisition_dap, GY_M2),
        (("113725", "DCM", "Dose (RP) Total"), fluoro_dose + acquisition_dose, GY),
        (
            ("113731", "DCM", "Total Number of Radiographic Frames"),
            sum(r.frames for r in runs),
            FRAMES,
        ),
    ]
    plane = sr.coded("HAS CONCEPT MOD", PLANE, SINGLE_PLANE)
    accumulated = sr.container(
        "CONTAINS",
        ("113702", "DCM", "Accumulated X-Ray Dose Data"),
        [
            plane,
            *(_number(*total) for total in totals),
            sr.coded("CONTAINS", REFERENCE_POINT, AT_15CM),
        ],
    )
    return [
        _procedure(PROJECTION),
        *_observer(ctx, "FABRICATOR XA"),
        _scope(ctx),
        accumulated,
        *(_xa_event(ctx, run) for run in runs),
        sr.coded("CONTAINS", SOURCE_OF_DOSE, AUTOMATED),
    ]


def build(ctx: StudyContext) -> Dataset:
    kind = KINDS["RDSR"]
    ct = str(ctx.images[0].instance(0).Modality) == "CT"
    ds = ctx.common(kind.modality, kind.sop_class, kind.series_description)
    ds.ManufacturerModelName = "FABRICATOR CT" if ct else "FABRICATOR XA"
    ds.DeviceSerialNumber = "SN" + ctx.uid("serial")[-6:]
    ds.SoftwareVersions = "1"
    ds.ReferencedPerformedProcedureStepSequence = Sequence()
    ds.PerformedProcedureCodeSequence = Sequence()
    ds.CompletionFlag, ds.VerificationFlag = "COMPLETE", "UNVERIFIED"
    root = sr.container(None, REPORT, _ct(ctx) if ct else _xa(ctx), tid="10011" if ct else "10001")
    sr.into(ds, root)
    return ds
