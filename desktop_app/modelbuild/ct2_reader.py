"""Read a CTranslate2 ``model.bin`` into numpy arrays.

The binary layout (version 6, as written by ``ctranslate2.specs.model_spec``),
all integers little-endian:

* ``u32`` binary version, ``string`` spec name, ``u32`` spec revision;
* ``u32`` variable count, then per variable: ``string`` name, ``u8`` rank,
  ``rank × u32`` shape, ``u8`` dtype id, ``u32`` byte count, raw bytes;
* ``u32`` alias count, then per alias: ``string`` alias, ``string`` target.

A ``string`` is a ``u16`` length (including a trailing NUL) followed by UTF-8
bytes and the NUL. Quantised weights (``int8``/``int16``) carry a sibling
``<name>_scale`` variable; :func:`dequantize` turns them back into float32.

This module needs only numpy, so the runtime could use it too.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from desktop_app.core.errors import ModelError

SUPPORTED_BINARY_VERSIONS = (5, 6)

# Order of ``DataType`` in ctranslate2's include/ctranslate2/types.h.
_DTYPES: tuple[str, ...] = ("float32", "int8", "int16", "int32", "float16", "bfloat16")
_NUMPY_DTYPES: dict[str, np.dtype] = {
    "float32": np.dtype("<f4"),
    "int8": np.dtype("i1"),
    "int16": np.dtype("<i2"),
    "int32": np.dtype("<i4"),
    "float16": np.dtype("<f2"),
    # numpy has no bfloat16: keep the raw 16 bits, widen in dequantize().
    "bfloat16": np.dtype("<u2"),
}


@dataclass
class Ct2Model:
    """The parsed content of a ``model.bin``.

    ``variables`` maps every name, aliases included, to its array; an alias
    shares the array of the variable it points to. ``dtypes`` holds the
    on-disk type of each stored variable (``bfloat16`` arrays are raw ``uint16``).
    """

    binary_version: int
    spec_name: str
    spec_revision: int
    variables: dict[str, np.ndarray]
    dtypes: dict[str, str]
    aliases: dict[str, str] = field(default_factory=dict)


class _Cursor:
    """Sequential reader over a byte buffer with bounds checks."""

    def __init__(self, data: bytearray, source: str) -> None:
        self.data = data
        self.pos = 0
        self.source = source

    def take(self, size: int) -> memoryview:
        end = self.pos + size
        if size < 0 or end > len(self.data):
            raise ModelError(
                f"'{self.source}' is truncated or corrupt (wanted {size} bytes at "
                f"offset {self.pos}, file has {len(self.data)})."
            )
        view = memoryview(self.data)[self.pos : end]
        self.pos = end
        return view

    def u8(self) -> int:
        return self.take(1)[0]

    def u16(self) -> int:
        return struct.unpack("<H", self.take(2))[0]

    def u32(self) -> int:
        return struct.unpack("<I", self.take(4))[0]

    def string(self) -> str:
        raw = bytes(self.take(self.u16()))
        if not raw.endswith(b"\0"):
            raise ModelError(f"'{self.source}' is corrupt: a name is not NUL-terminated.")
        try:
            return raw[:-1].decode("utf-8")
        except UnicodeDecodeError as exc:
            raise ModelError(f"'{self.source}' is corrupt: a name is not UTF-8.") from exc


def read_model_bin(path: str | Path) -> Ct2Model:
    """Parse ``path`` (a CTranslate2 ``model.bin``).

    Raises :class:`ModelError` for a missing, truncated or unsupported file.
    """
    path = Path(path)
    try:
        data = bytearray(path.read_bytes())
    except OSError as exc:
        raise ModelError(f"Cannot read '{path}': {exc.strerror or exc}.") from exc
    return parse_model_bin(data, source=path.name)


def parse_model_bin(data: bytearray, source: str = "model.bin") -> Ct2Model:
    """Parse the bytes of a ``model.bin``; arrays are views into ``data``."""
    cur = _Cursor(data, source)
    version = cur.u32()
    if version not in SUPPORTED_BINARY_VERSIONS:
        raise ModelError(
            f"'{source}' has CTranslate2 binary version {version}; only versions "
            f"{', '.join(map(str, SUPPORTED_BINARY_VERSIONS))} are supported. "
            "Re-convert the model with a recent ctranslate2."
        )
    spec_name = cur.string()
    spec_revision = cur.u32()

    variables: dict[str, np.ndarray] = {}
    dtypes: dict[str, str] = {}
    for _ in range(cur.u32()):
        name = cur.string()
        shape = tuple(cur.u32() for _ in range(cur.u8()))
        type_id = cur.u8()
        if type_id >= len(_DTYPES):
            raise ModelError(f"'{source}' is corrupt: variable '{name}' has type id {type_id}.")
        dtype = _DTYPES[type_id]
        num_bytes = cur.u32()
        np_dtype = _NUMPY_DTYPES[dtype]
        expected = int(np.prod(shape, dtype=np.int64)) * np_dtype.itemsize
        if num_bytes != expected:
            raise ModelError(
                f"'{source}' is corrupt: variable '{name}' has {num_bytes} bytes, "
                f"expected {expected} for shape {shape} {dtype}."
            )
        buffer = cur.take(num_bytes)
        variables[name] = np.frombuffer(buffer, dtype=np_dtype).reshape(shape)
        dtypes[name] = dtype

    aliases: dict[str, str] = {}
    for _ in range(cur.u32()):
        alias = cur.string()
        aliases[alias] = cur.string()
    for alias, target in aliases.items():
        if target not in variables:
            raise ModelError(f"'{source}' is corrupt: alias '{alias}' points to '{target}'.")
        variables[alias] = variables[target]
        dtypes[alias] = dtypes[target]

    if cur.pos != len(data):
        raise ModelError(f"'{source}' has {len(data) - cur.pos} unexpected trailing bytes.")
    return Ct2Model(version, spec_name, spec_revision, variables, dtypes, aliases)


def _bfloat16_to_float32(raw: np.ndarray) -> np.ndarray:
    return (raw.astype(np.uint32) << 16).view(np.float32)


def dequantize(model: Ct2Model) -> dict[str, np.ndarray]:
    """Float32 copies of every weight, quantised ones scaled back.

    ``<name>_scale`` entries are consumed; ``int8``/``int16`` variables without
    a scale (flags, head counts) are returned unchanged. CTranslate2 stores
    ``q = round(w * scale)`` with one scale per output row (int8) or a single
    scale (int16), so ``w ≈ q / scale``.
    """
    out: dict[str, np.ndarray] = {}
    for name, value in model.variables.items():
        if name.endswith("_scale") and name[: -len("_scale")] in model.variables:
            continue
        dtype = model.dtypes[name]
        scale = model.variables.get(f"{name}_scale")
        if scale is not None and dtype in ("int8", "int16"):
            if f"{name}_zero" in model.variables:
                raise ModelError(
                    f"'{name}' uses zero-point (AWQ) quantisation, which is not supported."
                )
            scale = _as_float32(scale, model.dtypes[f"{name}_scale"])
            q = value.astype(np.float32)
            if scale.ndim == 0 or scale.size == 1:
                out[name] = q / scale.reshape(())
            else:
                rows = q.reshape(q.shape[0], -1) / scale.reshape(-1, 1)
                out[name] = rows.reshape(q.shape)
        elif dtype in ("float32", "float16", "bfloat16"):
            out[name] = _as_float32(value, dtype)
        else:
            out[name] = value.copy()
    return out


def _as_float32(value: np.ndarray, dtype: str) -> np.ndarray:
    if dtype == "bfloat16":
        return _bfloat16_to_float32(value)
    return value.astype(np.float32)
