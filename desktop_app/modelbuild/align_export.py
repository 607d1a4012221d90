"""Export the word-alignment graph ``decoder_align.onnx`` (build time, PyTorch).

Whisper's word timestamps come from the cross-attention weights of a few
"alignment heads" of the decoder, read while the decoder runs once over the
whole token sequence of a window (``<|startoftranscript|> … <|notimestamps|>
text tokens <|endoftext|>``). optimum's decoder graphs do not output
attention weights, so a second, small graph is exported:

* inputs ``input_ids`` ``(1, tokens)`` int64 and ``encoder_hidden_states``
  ``(1, frames, d_model)``;
* output ``alignment_weights`` ``(heads, tokens, frames)``: the softmaxed
  cross-attention weights of the alignment heads.

The heads are ``generation_config.alignment_heads`` when present (OpenAI
published them per model), else every head of the upper half of the decoder
layers, as Whisper does. Only the decoder layers up to the last alignment
head's layer are kept and there is no output projection. The weights are
stored as float16 (cast to float32 when the graph is loaded), which halves
the file; the attention pattern is what matters, not the last digits.
"""

from __future__ import annotations

import json
import logging
import warnings
from pathlib import Path
from typing import Any

from desktop_app.asr.manifest import ALIGN_FILE
from desktop_app.core.errors import ModelError

log = logging.getLogger(__name__)

OUTPUT = "alignment_weights"


def alignment_heads(hf_dir: Path, decoder_layers: int, decoder_heads: int) -> list[list[int]]:
    """``[[layer, head], ...]`` from ``generation_config.json``, else Whisper's default."""
    gen_path = hf_dir / "generation_config.json"
    heads: Any = None
    if gen_path.is_file():
        try:
            heads = json.loads(gen_path.read_text("utf-8")).get("alignment_heads")
        except (OSError, ValueError) as exc:
            log.warning("Cannot read %s (%s); using the default alignment heads", gen_path, exc)
    if heads:
        pairs = [[int(layer), int(head)] for layer, head in heads]
        bad = [p for p in pairs if not (0 <= p[0] < decoder_layers and 0 <= p[1] < decoder_heads)]
        if bad:
            raise ModelError(f"alignment_heads {bad} do not exist in this model's decoder.")
        return pairs
    return [
        [layer, head]
        for layer in range(decoder_layers // 2, decoder_layers)
        for head in range(decoder_heads)
    ]


def export_alignment_graph(hf_dir: str | Path, out_dir: str | Path, opset: int = 17) -> Path:
    """Write ``decoder_align.onnx`` for the HF Whisper checkpoint ``hf_dir`` into ``out_dir``.

    Returns the file's path. Raises :class:`ModelError` when the checkpoint
    cannot be loaded or exported.
    """
    import torch
    from transformers import WhisperForConditionalGeneration

    hf, out = Path(hf_dir), Path(out_dir)
    try:
        model = WhisperForConditionalGeneration.from_pretrained(hf, attn_implementation="eager")
    except Exception as exc:  # transformers raises OSError/ValueError/...; say which model
        raise ModelError(f"Cannot load '{hf.name}' to export the word aligner: {exc}") from exc
    model = model.eval().float()
    config = model.config
    heads = alignment_heads(hf, config.decoder_layers, config.decoder_attention_heads)
    decoder = model.model.decoder
    top = max(layer for layer, _ in heads)
    decoder.layers = decoder.layers[: top + 1]  # later layers cannot change these weights

    class AlignmentWeights(torch.nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.decoder = decoder
            self.layer_idx = torch.tensor([layer for layer, _ in heads])
            self.head_idx = torch.tensor([head for _, head in heads])

        def forward(self, input_ids: Any, encoder_hidden_states: Any) -> Any:
            # The decoder's own forward builds its causal mask with vmap, which the
            # tracer cannot follow; the layers are run here with an explicit mask.
            length = input_ids.shape[1]
            hidden = self.decoder.embed_tokens(input_ids)
            hidden = hidden + self.decoder.embed_positions.weight[:length].unsqueeze(0)
            mask = torch.full((length, length), torch.finfo(hidden.dtype).min).triu(1)
            mask = mask[None, None]
            weights = []
            for layer in self.decoder.layers:
                hidden, _self_w, cross_w = layer(
                    hidden,
                    attention_mask=mask,
                    encoder_hidden_states=encoder_hidden_states,
                    output_attentions=True,
                    use_cache=False,
                )
                weights.append(cross_w[0])  # (heads, tokens, frames)
            stacked = torch.stack(weights)  # (layers, heads, tokens, frames)
            return stacked[self.layer_idx, self.head_idx]  # (n_heads, tokens, frames)

    wrapper = AlignmentWeights().eval()
    ids = torch.tensor([[config.decoder_start_token_id] * 4], dtype=torch.long)
    frames = config.max_source_positions
    hidden = torch.zeros(1, frames, config.d_model)
    out.mkdir(parents=True, exist_ok=True)
    target = out / ALIGN_FILE
    tmp = out / f".{ALIGN_FILE}.fp32"
    try:
        with warnings.catch_warnings(), torch.inference_mode():
            warnings.simplefilter("ignore")
            torch.onnx.export(
                wrapper,
                (ids, hidden),
                str(tmp),
                input_names=["input_ids", "encoder_hidden_states"],
                output_names=[OUTPUT],
                dynamic_axes={
                    "input_ids": {1: "tokens"},
                    "encoder_hidden_states": {1: "frames"},
                    OUTPUT: {1: "tokens", 2: "frames"},
                },
                opset_version=opset,
                dynamo=False,
            )
        _store_weights_as_fp16(tmp, target)
    except ModelError:
        raise
    except Exception as exc:  # the exporter raises many kinds; the user needs the reason
        raise ModelError(f"Exporting the word aligner of '{hf.name}' failed: {exc}") from exc
    finally:
        tmp.unlink(missing_ok=True)
    _check(decoder, heads, target, hidden.shape)
    return target


def _store_weights_as_fp16(source: Path, target: Path, min_size: int = 1024) -> None:
    """Store large float32 initializers as float16, each followed by a Cast to float32."""
    import numpy as np
    import onnx
    from onnx import TensorProto, helper, numpy_helper

    model = onnx.load(str(source))
    graph = model.graph
    casts = []
    for init in graph.initializer:
        if init.data_type != TensorProto.FLOAT:
            continue
        array = numpy_helper.to_array(init)
        if array.size < min_size:
            continue
        name = init.name
        half = numpy_helper.from_array(array.astype(np.float16), name=f"{name}__fp16")
        init.CopyFrom(half)
        casts.append(helper.make_node("Cast", [half.name], [name], to=TensorProto.FLOAT))
    nodes = list(graph.node)
    del graph.node[:]
    graph.node.extend([*casts, *nodes])
    onnx.checker.check_model(model)
    tmp = target.with_name(f".{target.name}.tmp")
    onnx.save(model, str(tmp))
    tmp.replace(target)


def _check(decoder: Any, heads: list[list[int]], path: Path, hidden_shape: Any) -> None:
    """The ONNX graph must reproduce the HF decoder's own cross-attention weights."""
    import numpy as np
    import onnxruntime as ort
    import torch

    generator = torch.Generator().manual_seed(0)
    hidden = torch.randn(hidden_shape, generator=generator)
    ids = torch.randint(0, 200, (1, 7), generator=generator)
    with torch.inference_mode():
        out = decoder(
            input_ids=ids, encoder_hidden_states=hidden, output_attentions=True, use_cache=False
        )
        expected = np.stack([out.cross_attentions[layer][0, head].numpy() for layer, head in heads])
    options = ort.SessionOptions()
    options.log_severity_level = 3
    session = ort.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])
    (got,) = session.run(None, {"input_ids": ids.numpy(), "encoder_hidden_states": hidden.numpy()})
    diff = float(np.abs(got - expected).max()) if got.shape == expected.shape else float("inf")
    if diff > 2e-2:
        raise ModelError(
            f"The exported word aligner does not match PyTorch (shape {got.shape} vs "
            f"{expected.shape}, max difference {diff:.3g})."
        )
