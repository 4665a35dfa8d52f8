"""12-Lead ECG waveforms (PS3.3 A.34.3): ten seconds of the twelve standard leads at 500 Hz,
with plausible traces: a P wave, QRS complex and T wave per beat at a heart rate drawn from
the seed, leads III, aVR, aVL and aVF derived from I and II as Einthoven's and Goldberger's
relations have them, a little baseline wander and noise. For a viewer's waveform display."""

from __future__ import annotations

from functools import lru_cache

import numpy as np
from pydicom.dataset import Dataset
from pydicom.sequence import Sequence

from storage.objects import content
from storage.objects.context import StudyContext
from storage.objects.kinds import KINDS

RATE, SECONDS = 500, 10  # samples per second, seconds
LEADS = [  # CID 3001 (MDC): the lead, and its share of the heart's axis (limb) or its R wave
    ("2:1", "Lead I"),
    ("2:2", "Lead II"),
    ("2:61", "Lead III"),
    ("2:62", "aVR, augmented voltage, right"),
    ("2:63", "aVL, augmented voltage, left"),
    ("2:64", "aVF, augmented voltage, foot"),
    ("2:3", "Lead V1"),
    ("2:4", "Lead V2"),
    ("2:5", "Lead V3"),
    ("2:6", "Lead V4"),
    ("2:7", "Lead V5"),
    ("2:8", "Lead V6"),
]
PRECORDIAL_R = (0.15, 0.35, 0.6, 1.0, 1.1, 0.9)  # R wave of V1..V6 relative to lead II
MICROVOLT = ("uV", "UCUM", "microvolt")


def _beat(t: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """One beat at times *t* (seconds from the R peak), as Gaussians: the P-QRS part for an R
    wave of 1, and the T wave of height 1 (a lead scales each)."""

    def wave(center: float, width: float, height: float) -> np.ndarray:
        shape: np.ndarray = height * np.exp(-(((t - center) / width) ** 2))
        return shape

    qrs = wave(-0.18, 0.025, 0.12) + wave(-0.03, 0.01, -0.1) + wave(0.0, 0.012, 1.0)
    return qrs + wave(0.03, 0.012, -0.25), wave(0.28, 0.05, 1.0)


def traces(ctx: StudyContext) -> np.ndarray:
    """The twelve leads, samples x channels, in µV (int16)."""
    rng = np.random.default_rng(ctx.rng.getrandbits(64))
    heart_rate = ctx.rng.randint(55, 95)
    t = np.arange(RATE * SECONDS) / RATE
    period = 60 / heart_rate
    phase = ((t - ctx.rng.uniform(0, period)) % period + period / 2) % period - period / 2
    qrs, t_wave = _beat(phase)

    def lead(r: float, tw: float) -> np.ndarray:
        wander = 40 * np.sin(2 * np.pi * t * ctx.rng.uniform(0.15, 0.35))
        trace: np.ndarray = r * qrs + tw * t_wave + wander + rng.normal(0, 8, t.size)
        return trace

    one, two = lead(700, 180), lead(1100, 260)
    limb = [one, two, two - one, -(one + two) / 2, one - two / 2, two - one / 2]
    chest = [lead(1100 * share, 200 * (share if share > 0.3 else -0.5)) for share in PRECORDIAL_R]
    return np.clip(np.round(np.stack(limb + chest, axis=1)), -32768, 32767).astype("<i2")


@lru_cache(maxsize=len(LEADS))
def _channel(code: str, meaning: str) -> Dataset:
    """The definition of one lead's channel: the same in every ECG, so made once and shared
    (nothing changes it)."""
    channel = Dataset()
    channel.ChannelSourceSequence = Sequence([content.code_item(code, "MDC", meaning)])
    channel.ChannelSensitivity = "1"
    channel.ChannelSensitivityUnitsSequence = Sequence([content.code_item(*MICROVOLT)])
    channel.ChannelSensitivityCorrectionFactor = "1"
    channel.ChannelBaseline = "0"
    channel.ChannelTimeSkew = "0"
    channel.WaveformBitsStored = 16
    channel.FilterLowFrequency = "0.05"
    channel.FilterHighFrequency = "150"
    return channel


def build(ctx: StudyContext) -> Dataset:
    kind = KINDS["ECG"]
    ds = ctx.common(kind.modality, kind.sop_class, kind.series_description)
    ds.AcquisitionDateTime = ctx.date + ctx.time
    ds.AcquisitionContextSequence = Sequence()  # Type 2: nothing known of the context
    if ctx.header_only:  # the index's columns are set: no traces
        return ds
    samples = traces(ctx)
    group = Dataset()
    group.WaveformOriginality = "ORIGINAL"
    group.NumberOfWaveformChannels = len(LEADS)
    group.NumberOfWaveformSamples = samples.shape[0]
    group.SamplingFrequency = str(RATE)
    group.MultiplexGroupLabel = "RHYTHM"
    group.ChannelDefinitionSequence = Sequence([_channel(*lead) for lead in LEADS])
    group.WaveformBitsAllocated = 16
    group.WaveformSampleInterpretation = "SS"
    group.WaveformData = samples.tobytes()  # interleaved: each sample, all channels
    ds.WaveformSequence = Sequence([group])
    return ds
