"""Reader for CTranslate2's ``model.bin`` (the binary layout written by ``ctranslate2.converters``).

Layout: u32 binary version, string spec name, u32 spec revision, u32 variable count, then per
variable: string name, u8 rank, rank x u32 dims, u8 dtype id, u32 byte count, raw bytes; then a u32
alias count and (alias, target) string pairs. Strings are a u16 length (incl. the NUL), the bytes,
the NUL. Little-endian throughout.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass, field
from pathlib import Path
from typing import BinaryIO

import numpy as np
import numpy.typing as npt

# CTranslate2 DataType ids; bf16 has no numpy dtype, it is widened to float32 on read.
_DTYPES: dict[int, str] = {0: "<f4", 1: "i1", 2: "<i2", 3: "<i4", 4: "<f2", 5: "bf16"}


class CT2FormatError(ValueError):
    """The file is not a CTranslate2 model.bin this reader understands."""


@dataclass
class CT2Model:
    version: int
    spec: str
    revision: int
    variables: dict[str, npt.NDArray[np.generic]] = field(default_factory=dict)
    aliases: dict[str, str] = field(default_factory=dict)

    def get(self, name: str) -> npt.NDArray[np.generic]:
        """A variable by name, following aliases (CT2 stores shared weights once)."""
        if name in self.variables:
            return self.variables[name]
        if name in self.aliases:
            return self.variables[self.aliases[name]]
        raise KeyError(f"variable {name!r} not in the CTranslate2 model")


def _read(f: BinaryIO, fmt: str) -> int:
    size = struct.calcsize(fmt)
    raw = f.read(size)
    if len(raw) != size:
        raise CT2FormatError("unexpected end of file")
    value: int = struct.unpack(fmt, raw)[0]
    return value


def _read_string(f: BinaryIO) -> str:
    length = _read(f, "<H")
    raw = f.read(length)
    if len(raw) != length or not raw.endswith(b"\0"):
        raise CT2FormatError("malformed string")
    return raw[:-1].decode("utf-8")


def _bf16_to_f32(raw: bytes) -> npt.NDArray[np.float32]:
    halves = np.frombuffer(raw, dtype="<u2").astype(np.uint32) << 16
    return halves.view(np.float32)


def read_ct2_model(path: Path) -> CT2Model:
    """Parse ``path`` (a model.bin) into numpy arrays."""
    with open(path, "rb") as f:
        version = _read(f, "<I")
        if not 1 <= version <= 10:
            raise CT2FormatError(f"{path}: unsupported CTranslate2 binary version {version}")
        model = CT2Model(version=version, spec=_read_string(f), revision=_read(f, "<I"))
        for _ in range(_read(f, "<I")):
            name = _read_string(f)
            rank = _read(f, "<B")
            dims = tuple(_read(f, "<I") for _ in range(rank))
            dtype_id = _read(f, "<B")
            nbytes = _read(f, "<I")
            raw = f.read(nbytes)
            if len(raw) != nbytes:
                raise CT2FormatError(f"{path}: truncated variable {name!r}")
            if dtype_id not in _DTYPES:
                raise CT2FormatError(f"{path}: unknown dtype id {dtype_id} for {name!r}")
            dtype = _DTYPES[dtype_id]
            array = _bf16_to_f32(raw) if dtype == "bf16" else np.frombuffer(raw, dtype=dtype)
            model.variables[name] = array.reshape(dims)
        for _ in range(_read(f, "<I")):
            alias = _read_string(f)
            model.aliases[alias] = _read_string(f)
    return model
