"""ONNX Runtime plumbing: providers, session options, device reporting.

Sessions are configured explicitly (threads, arena, graph optimisation, a quiet
log). ``device`` is ``"auto"``, ``"cpu"`` or ``"cuda"``; asking for CUDA where
ONNX Runtime has none (no onnxruntime-gpu, no driver, missing cuDNN) never
raises: the CPU is used and :attr:`DeviceChoice.warning` says why, for the
caller to show. The device reported is the one the sessions really run on.
"""

from __future__ import annotations

import logging
import os
import sys
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, Literal

import numpy as np
import onnxruntime as ort

from desktop_app.core.errors import ModelError

log = logging.getLogger(__name__)

DeviceName = Literal["auto", "cpu", "cuda"]
CPU_PROVIDER = "CPUExecutionProvider"
CUDA_PROVIDER = "CUDAExecutionProvider"

_ORT_TYPES: dict[str, type[np.generic]] = {
    "tensor(float)": np.float32,
    "tensor(float16)": np.float16,
    "tensor(double)": np.float64,
    "tensor(int64)": np.int64,
    "tensor(int32)": np.int32,
    "tensor(bool)": np.bool_,
}


@dataclass(frozen=True)
class DeviceChoice:
    """What was asked for, what is used, and a message when they differ."""

    requested: str
    device: Literal["cpu", "cuda"]
    providers: tuple[str, ...]
    warning: str | None = None
    device_id: int = 0

    @property
    def ort_device(self) -> str:
        """Device type name for :class:`onnxruntime.OrtValue` and I/O binding."""
        return "cuda" if self.device == "cuda" else "cpu"


def choose_device(requested: str = "auto", available: list[str] | None = None) -> DeviceChoice:
    """Pick the providers for ``requested``; fall back to the CPU with a warning."""
    requested = (requested or "auto").lower()
    if requested not in ("auto", "cpu", "cuda"):
        raise ValueError(f"Unknown device '{requested}': use 'auto', 'cpu' or 'cuda'.")
    if requested == "cpu":
        return DeviceChoice(requested, "cpu", (CPU_PROVIDER,))
    providers = ort.get_available_providers() if available is None else available
    if CUDA_PROVIDER in providers:
        return DeviceChoice(requested, "cuda", (CUDA_PROVIDER, CPU_PROVIDER))
    warning = None
    if requested == "cuda":
        warning = (
            "CUDA was requested, but this ONNX Runtime has no CUDA support "
            "(install 'onnxruntime-gpu' with matching CUDA and cuDNN libraries). "
            "Transcribing on the CPU instead."
        )
    return DeviceChoice(requested, "cpu", (CPU_PROVIDER,), warning)


def physical_cores() -> int:
    """Physical cores this process may use; 0 lets ONNX Runtime decide.

    On Linux ``/proc/cpuinfo`` is read (distinct physical/core id pairs) and
    capped by the CPU affinity mask, which containers narrow. Elsewhere 0 is
    returned: ONNX Runtime's own default is the number of physical cores.
    """
    if not sys.platform.startswith("linux"):
        return 0
    allowed = len(os.sched_getaffinity(0))
    pairs: set[tuple[str, str]] = set()
    physical = ""
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as fh:
            for line in fh:
                key, _, value = line.partition(":")
                key = key.strip()
                if key == "physical id":
                    physical = value.strip()
                elif key == "core id":
                    pairs.add((physical, value.strip()))
    except OSError:
        return allowed
    return max(1, min(len(pairs) or allowed, allowed))


def make_session_options(threads: int | None = None) -> ort.SessionOptions:
    """Explicit options: intra-op threads (default physical cores), arena on, quiet log.

    Idle worker threads sleep instead of spinning: a decoder step is a
    chain of small kernels, and spinning threads steal the cores from
    everything else on the machine (the GUI, audio playback, the other
    thread). On a loaded two-core machine this made a decoder step of
    Whisper base 3-4x faster (25-42 ms instead of 91-144 ms).
    """
    opts = ort.SessionOptions()
    opts.intra_op_num_threads = physical_cores() if threads is None else max(0, int(threads))
    opts.inter_op_num_threads = 1
    opts.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
    opts.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    opts.enable_cpu_mem_arena = True
    opts.enable_mem_pattern = True
    opts.log_severity_level = 3  # errors only
    opts.add_session_config_entry("session.intra_op.allow_spinning", "0")
    opts.add_session_config_entry("session.inter_op.allow_spinning", "0")
    return opts


def _provider_list(choice: DeviceChoice) -> list[Any]:
    providers: list[Any] = []
    for name in choice.providers:
        if name == CUDA_PROVIDER:
            cuda_options = {
                "device_id": str(choice.device_id),
                "arena_extend_strategy": "kSameAsRequested",
                "cudnn_conv_algo_search": "HEURISTIC",
            }
            providers.append((name, cuda_options))
        else:
            providers.append(name)
    return providers


def load_session(
    path: Path, options: ort.SessionOptions, choice: DeviceChoice
) -> tuple[ort.InferenceSession, DeviceChoice]:
    """Open one ONNX file; returns the session and the device it really uses.

    A missing or unreadable file raises :class:`ModelError` naming the file. A
    CUDA provider that fails to start is replaced by the CPU, with a warning.
    """
    if not path.is_file():
        raise ModelError(f"The model file '{path.name}' is missing in {path.parent}.")
    try:
        session = ort.InferenceSession(
            str(path), sess_options=options, providers=_provider_list(choice)
        )
    except Exception as exc:  # ORT raises its own Fail/InvalidProtobuf/... types
        if choice.device != "cuda":
            raise ModelError(
                f"Cannot load the model file '{path.name}': it is damaged or not an ONNX "
                f"model ({_short(exc)})."
            ) from exc
        log.warning("CUDA session for %s failed, retrying on the CPU", path.name, exc_info=True)
        fallback = replace(
            choice,
            device="cpu",
            providers=(CPU_PROVIDER,),
            warning=f"CUDA could not be started ({_short(exc)}). Transcribing on the CPU instead.",
        )
        return load_session(path, options, fallback)
    if choice.device == "cuda" and CUDA_PROVIDER not in session.get_providers():
        choice = replace(
            choice,
            device="cpu",
            providers=(CPU_PROVIDER,),
            warning="CUDA could not be started for this model. Transcribing on the CPU instead.",
        )
    return session, choice


def _short(exc: BaseException, limit: int = 200) -> str:
    text = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    return text if len(text) <= limit else text[: limit - 1] + "…"


def input_dtype(session: ort.InferenceSession, name: str) -> type[np.generic]:
    """numpy dtype of input ``name`` (float32 when unknown)."""
    for arg in session.get_inputs():
        if arg.name == name:
            return _ORT_TYPES.get(arg.type, np.float32)
    return np.float32


def to_numpy(value: Any) -> np.ndarray:
    """An ``OrtValue`` (any device) or array as a host numpy array."""
    return value.numpy() if isinstance(value, ort.OrtValue) else np.asarray(value)


@dataclass
class KVCache:
    """Decoder state for one window: self-attention K/V grow, cross-attention K/V are fixed.

    Entries are numpy arrays on the plain CPU path and ``OrtValue`` objects
    (kept on the GPU) when I/O binding is used.
    """

    self_kv: list[Any]
    cross_kv: list[Any]
    batch: int
    length: int


class WhisperSessions:
    """The encoder and decoder sessions of an optimum-exported Whisper model.

    Uses ``decoder_model_merged.onnx`` (one graph, ``use_cache_branch`` input)
    or, when that is absent, ``decoder_model.onnx`` for the first step and
    ``decoder_with_past_model.onnx`` afterwards. With I/O binding (the default
    on CUDA) the encoder output and the KV cache stay on the device as
    ``OrtValue`` objects; only the logits of the last position come back.

    ``quantized`` runs the int8 graphs: ``decoder_model_merged_int8.onnx``
    (required) and ``encoder_model_int8.onnx`` when the folder has it (see
    :mod:`desktop_app.modelbuild.optimize_onnx`).
    """

    ENCODER = "encoder_model.onnx"
    MERGED = "decoder_model_merged.onnx"
    MERGED_INT8 = "decoder_model_merged_int8.onnx"
    ENCODER_INT8 = "encoder_model_int8.onnx"
    DECODER = "decoder_model.onnx"
    WITH_PAST = "decoder_with_past_model.onnx"

    def __init__(
        self,
        model_dir: str | Path,
        device: str = "auto",
        threads: int | None = None,
        io_binding: bool | None = None,
        *,
        quantized: bool = False,
    ) -> None:
        model_dir = Path(model_dir)
        choice = choose_device(device)
        opts = make_session_options(threads)
        self.threads = opts.intra_op_num_threads
        self.quantized = quantized
        encoder = self.ENCODER
        if quantized and (model_dir / self.ENCODER_INT8).is_file():
            encoder = self.ENCODER_INT8  # folders quantised before it existed: fp32 encoder
        self.encoder_file = encoder
        self.encoder, choice = load_session(model_dir / encoder, opts, choice)
        if quantized:
            if not (model_dir / self.MERGED_INT8).is_file():
                raise ModelError(
                    f"This model has no int8 decoder ('{self.MERGED_INT8}' is missing in "
                    f"{model_dir}); use the full-precision model."
                )
            self.merged = True
            self._first, choice = load_session(model_dir / self.MERGED_INT8, opts, choice)
            self._next = self._first
        elif (model_dir / self.MERGED).is_file():
            self.merged = True
            self._first, choice = load_session(model_dir / self.MERGED, opts, choice)
            self._next = self._first
        elif (model_dir / self.DECODER).is_file() and (model_dir / self.WITH_PAST).is_file():
            self.merged = False
            self._first, choice = load_session(model_dir / self.DECODER, opts, choice)
            self._next, choice = load_session(model_dir / self.WITH_PAST, opts, choice)
        else:
            raise ModelError(
                f"The model has no decoder: '{self.MERGED}' (or '{self.DECODER}' with "
                f"'{self.WITH_PAST}') is missing in {model_dir}."
            )
        self.choice = choice
        self.io_binding = choice.device == "cuda" if io_binding is None else io_binding
        self._describe(model_dir)

    def _describe(self, model_dir: Path) -> None:
        past = {arg.name: arg for arg in self._next.get_inputs()}
        layers = sum(1 for name in past if name.endswith(".decoder.key"))
        file = self.MERGED if self.merged else self.WITH_PAST
        if layers == 0 or "input_ids" not in past:
            raise ModelError(
                f"'{file}' in {model_dir} is not a Whisper decoder with a KV cache; export it "
                "with optimum's task 'automatic-speech-recognition-with-past'."
            )
        kv = ("key", "value")
        self._self_in = [f"past_key_values.{i}.decoder.{k}" for i in range(layers) for k in kv]
        self._cross_in = [f"past_key_values.{i}.encoder.{k}" for i in range(layers) for k in kv]
        self._self_out = [f"present.{i}.decoder.{k}" for i in range(layers) for k in kv]
        self._cross_out = [f"present.{i}.encoder.{k}" for i in range(layers) for k in kv]
        shape = past[self._self_in[0]].shape
        self._heads, self._head_dim = shape[1], shape[3]
        self.kv_dtype = input_dtype(self._next, self._self_in[0])
        self.feature_dtype = input_dtype(self.encoder, "input_features")
        self._encoder_out = self.encoder.get_outputs()[0].name
        hidden = {arg.name: arg for arg in self._first.get_inputs()}["encoder_hidden_states"]
        self._hidden_dtype = input_dtype(self._first, "encoder_hidden_states")
        self._d_model = hidden.shape[2]
        self.n_mels = int(self.encoder.get_inputs()[0].shape[1])
        self.n_layers = layers

    @property
    def device(self) -> str:
        return self.choice.device

    # ------------------------------------------------------------------ running
    def _run(
        self, session: ort.InferenceSession, feeds: dict[str, Any], outputs: list[str]
    ) -> list[Any]:
        """Run with numpy, or with I/O binding (outputs on the device, logits on the host)."""
        if not self.io_binding:
            return session.run(outputs, {k: to_numpy(v) for k, v in feeds.items()})
        binding = session.io_binding()
        for name, value in feeds.items():
            if isinstance(value, ort.OrtValue):
                binding.bind_ortvalue_input(name, value)
            else:
                binding.bind_cpu_input(name, np.ascontiguousarray(value))
        for name in outputs:
            if name == "logits":
                binding.bind_output(name, "cpu")
            else:
                binding.bind_output(name, self.choice.ort_device, self.choice.device_id)
        session.run_with_iobinding(binding)
        return list(binding.get_outputs())

    def _to_device(self, array: np.ndarray) -> Any:
        if not self.io_binding:
            return array
        return ort.OrtValue.ortvalue_from_numpy(
            np.ascontiguousarray(array), self.choice.ort_device, self.choice.device_id
        )

    def encode(self, features: np.ndarray) -> Any:
        """Encoder output for one ``(n_mels, frames)`` window (array or device OrtValue)."""
        batch = np.asarray(features, dtype=self.feature_dtype)
        if batch.ndim == 2:
            batch = batch[None]
        return self._run(self.encoder, {"input_features": batch}, [self._encoder_out])[0]

    def prefill(self, encoder_out: Any, tokens: np.ndarray) -> tuple[np.ndarray, KVCache]:
        """Run the prompt ``tokens`` (1-D) at batch 1; logits for every position."""
        ids = np.asarray(tokens, dtype=np.int64).reshape(1, -1)
        logits, cache = self.prefill_batch(encoder_out, ids)
        return logits[0], cache

    def prefill_batch(self, encoder_out: Any, tokens: np.ndarray) -> tuple[np.ndarray, KVCache]:
        """Run one prompt per row (``tokens`` is ``(batch, length)``, equal lengths).

        ``encoder_out`` holds one encoded window per row. Returns
        ``(batch, length, vocab)`` logits and a cache of that batch.
        """
        ids = np.asarray(tokens, dtype=np.int64)
        if ids.ndim != 2:
            raise ValueError("prefill_batch needs a (batch, length) array of prompt tokens")
        batch = ids.shape[0]
        feeds: dict[str, Any] = {"input_ids": ids, "encoder_hidden_states": encoder_out}
        if self.merged:
            empty = np.zeros((batch, self._heads, 0, self._head_dim), dtype=self.kv_dtype)
            feeds.update({name: empty for name in self._self_in + self._cross_in})
            feeds["use_cache_branch"] = np.array([False])
        out = self._run(self._first, feeds, ["logits", *self._self_out, *self._cross_out])
        n = len(self._self_out)
        logits = to_numpy(out[0]).astype(np.float32, copy=False)
        return logits, KVCache(out[1 : 1 + n], out[1 + n :], batch=batch, length=ids.shape[1])

    def step(self, cache: KVCache, tokens: np.ndarray) -> tuple[np.ndarray, KVCache]:
        """Feed one token per row; returns ``(batch, vocab)`` logits and the grown cache."""
        ids = np.asarray(tokens, dtype=np.int64).reshape(cache.batch, 1)
        feeds: dict[str, Any] = {"input_ids": ids}
        feeds.update(zip(self._self_in, cache.self_kv, strict=True))
        feeds.update(zip(self._cross_in, cache.cross_kv, strict=True))
        if self.merged:
            # Unused by the cache branch, but still a graph input: pass a tiny stand-in.
            feeds["encoder_hidden_states"] = np.zeros(
                (cache.batch, 1, self._d_model), dtype=self._hidden_dtype
            )
            feeds["use_cache_branch"] = np.array([True])
        out = self._run(self._next, feeds, ["logits", *self._self_out])
        logits = to_numpy(out[0])[:, -1].astype(np.float32, copy=False)
        return logits, KVCache(out[1:], cache.cross_kv, cache.batch, cache.length + 1)

    def expand(self, cache: KVCache, batch: int) -> KVCache:
        """Repeat a batch-1 cache ``batch`` times (beam search, best-of sampling)."""
        if batch == cache.batch:
            return cache

        def rep(values: list[Any]) -> list[Any]:
            return [self._to_device(np.repeat(to_numpy(v), batch, axis=0)) for v in values]

        return KVCache(rep(cache.self_kv), rep(cache.cross_kv), batch, cache.length)

    def reorder(self, cache: KVCache, rows: np.ndarray) -> KVCache:
        """Keep the self-attention rows ``rows`` (beam search); cross K/V are shared."""
        rows = np.asarray(rows, dtype=np.int64)
        if rows.shape[0] == cache.batch and np.array_equal(rows, np.arange(cache.batch)):
            return cache
        kv = [self._to_device(np.take(to_numpy(v), rows, axis=0)) for v in cache.self_kv]
        return KVCache(kv, cache.cross_kv, int(rows.shape[0]), cache.length)

    def select(self, cache: KVCache, rows: list[int] | np.ndarray) -> KVCache:
        """Keep the rows ``rows`` of a batch of *different* windows (self and cross K/V).

        Used to drop finished rows from a batch of chunks; unlike :meth:`reorder`
        the cross-attention K/V differ per row and are selected too.
        """
        rows = np.asarray(rows, dtype=np.int64)

        def take(values: list[Any]) -> list[Any]:
            return [self._to_device(np.take(to_numpy(v), rows, axis=0)) for v in values]

        return KVCache(take(cache.self_kv), take(cache.cross_kv), int(rows.shape[0]), cache.length)

    def row(self, encoder_out: Any, index: int) -> Any:
        """Row ``index`` of a batched encoder output, as a batch of one (same device)."""
        if isinstance(encoder_out, np.ndarray):
            return encoder_out[index : index + 1]
        return self._to_device(to_numpy(encoder_out)[index : index + 1])
