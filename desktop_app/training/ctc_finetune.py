"""The CTC fine-tune: base ``*ForCTC`` + approved clips → best checkpoint → HF → ONNX.

The same loop as the Whisper trainer (:class:`~desktop_app.training.finetune.Finetuner`:
accelerate, length-grouped batches, checkpoints written atomically and
resumed, dev WER/CER, early stopping, the same JSON-lines messages and
summary keys), with what differs for a CTC model:

* the convolutional feature encoder is always frozen; ``freeze_encoder``
  also freezes the transformer, so only the output layer (and MMS adapters,
  if any) learn: for very little data;
* CTC loss, averaged over target lengths (``ctc_loss_reduction="mean"``),
  impossible alignments zeroed (``ctc_zero_infinity``);
* labels are characters of the model's ``vocab.json`` (:mod:`.ctc_data`);
  characters it lacks are skipped and reported;
* no LoRA (the model is small enough to fine-tune in full); the learning
  rate defaults to 5e-5;
* at the end the HF checkpoint (flat vocabulary, MMS adapter merged) is
  exported with :func:`~desktop_app.modelbuild.export_ctc.export_ctc`,
  keeping the model's language.
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import Any

import torch

from desktop_app.asr.ctc.vocab import ISO3_TO_ISO1
from desktop_app.asr.manifest import CTC_CONFIG_FILE, ctc_language
from desktop_app.core.errors import JazbaError
from desktop_app.core.learning.config import FinetuneConfig
from desktop_app.modelbuild.export_ctc import choose_target_lang, load_ctc_model, read_vocab
from desktop_app.training import checkpoint as ckpt
from desktop_app.training.ctc_data import CtcClipDataset, CtcLabels, collate_ctc, greedy_texts
from desktop_app.training.data import read_items
from desktop_app.training.decode import score_texts
from desktop_app.training.finetune import TRAIN_SHARE, Finetuner, Paths

DEFAULT_CTC_LR = 5e-5
COPY_FROM_BASE = ("special_tokens_map.json",)
ISO1_TO_ISO3 = {v: k for k, v in ISO3_TO_ISO1.items()}


def model_language(base: Path, config: FinetuneConfig) -> str:
    """The language the model transcribes: its ``ctc_config.json`` (in the HF folder or
    the version folder holding it), else the fine-tune's language."""
    return ctc_language(base) or ctc_language(base.parent) or config.language


def target_lang(base: Path, language: str) -> str | None:
    """The MMS adapter for ``language`` when the vocabulary is per language, else None."""
    return choose_target_lang(read_vocab(base), ISO1_TO_ISO3.get(language, language))


def ctc_config(config: FinetuneConfig) -> FinetuneConfig:
    """The settings as this trainer applies them (no LoRA, no Whisper encoder cache)."""
    lr = config.learning_rate if config.learning_rate is not None else DEFAULT_CTC_LR
    return replace(config, method="full", cache_encoder=False, learning_rate=lr)


def load_for_training(
    base: Path, config: FinetuneConfig, lang: str | None
) -> tuple[Any, CtcLabels, dict[str, int]]:
    """The model set up for CTC training, its labels and its (flat) vocabulary."""
    model, vocab, blank = load_ctc_model(base, lang)
    cfg = model.config
    cfg.pad_token_id = blank
    cfg.ctc_loss_reduction = "mean"
    cfg.ctc_zero_infinity = True
    cfg.apply_spec_augment = config.spec_augment
    cfg.mask_time_prob = config.mask_time_prob
    cfg.mask_feature_prob = config.mask_feature_prob
    model.freeze_feature_encoder()
    if config.freeze_encoder:
        for name, param in model.named_parameters():
            param.requires_grad = name.startswith("lm_head") or ".adapter_layer." in name
    return model.float(), make_labels(base, vocab, blank), vocab


def make_labels(base: Path, vocab: dict[str, int], blank: int) -> CtcLabels:
    tok_path = base / "tokenizer_config.json"
    tok = json.loads(tok_path.read_text("utf-8")) if tok_path.is_file() else {}
    return CtcLabels(vocab, blank, str(tok.get("word_delimiter_token") or "|"))


def feature_extractor(base: Path) -> Any:
    from transformers import AutoFeatureExtractor, Wav2Vec2FeatureExtractor

    if (base / "preprocessor_config.json").is_file():
        return AutoFeatureExtractor.from_pretrained(base, local_files_only=True)
    return Wav2Vec2FeatureExtractor(return_attention_mask=False)


def model_inputs(batch: dict[str, torch.Tensor], fe: Any, device: Any) -> dict[str, torch.Tensor]:
    """The audio; the mask only for models trained with one (not group-norm wav2vec2)."""
    inputs = {"input_values": batch["input_values"].to(device)}
    if getattr(fe, "return_attention_mask", False):
        inputs["attention_mask"] = batch["attention_mask"].to(device)
    return inputs


def transcribe_clips(
    model: Any,
    ds: CtcClipDataset,
    labels: CtcLabels,
    batch_size: int,
    progress: Callable[[int], None] | None = None,
) -> list[str]:
    """Best-path texts of every clip in ``ds`` (in order), decoded in length-sorted batches."""
    device = next(model.parameters()).device
    order = sorted(range(len(ds)), key=lambda i: -ds.label_lengths[i])
    texts = [""] * len(ds)
    for start in range(0, len(order), batch_size):
        idx = order[start : start + batch_size]
        batch = collate_ctc([ds[i] for i in idx], float(ds.fe.padding_value))
        logits = model(**model_inputs(batch, ds.fe, device)).logits.float()
        lengths = batch["attention_mask"].sum(-1)
        frames = model._get_feat_extract_output_lengths(lengths).tolist()
        for i, text in zip(idx, greedy_texts(logits, frames, labels), strict=True):
            texts[i] = text
        if progress is not None:
            progress(min(len(ds), start + batch_size))
    return texts


class CtcFinetuner(Finetuner):
    def __init__(
        self, paths: Paths, config: FinetuneConfig, emit: Any, resume: bool, validate: bool
    ) -> None:
        self.lora_asked = config.method == "lora"
        self.language = model_language(paths.base, config)
        self.target_lang = target_lang(paths.base, self.language)
        super().__init__(paths, ctc_config(config), emit, resume, validate)

    def _build(self) -> None:
        paths, config = self.paths, self.config
        if self.lora_asked:
            self.emit.log("LoRA applies to Whisper; this CTC model is fine-tuned in full.")
        self.model, self.labels, self.vocab = load_for_training(
            paths.base, config, self.target_lang
        )
        self.fe = feature_extractor(paths.base)
        train, dev = read_items(paths.data, "train"), read_items(paths.data, "dev")
        if not train:
            raise JazbaError("The dataset has no training examples.")
        self.train = CtcClipDataset(train, self.fe, self.labels)
        self.dev = CtcClipDataset(dev, self.fe, self.labels)
        skipped = self.labels.skipped_summary()
        if skipped:
            self.emit.log(f"{skipped}.")

    def _collate(self, indices: list[int]) -> dict[str, torch.Tensor]:
        return collate_ctc([self.train[i] for i in indices], float(self.fe.padding_value))

    def _loss(self, batch: dict[str, torch.Tensor]) -> torch.Tensor:
        labels = batch["labels"].to(self.acc.device)
        with self.acc.autocast():
            return self.model(**model_inputs(batch, self.fe, self.acc.device), labels=labels).loss

    def evaluate_dev(self) -> dict[str, float]:
        if not len(self.dev):
            return {}
        model = self.acc.unwrap_model(self.model)
        was_training = model.training
        model.eval()
        with torch.no_grad(), self.acc.autocast():
            hyps = transcribe_clips(model, self.dev, self.labels, self.config.batch_size)
        if was_training:
            model.train()
        s = score_texts([it.text for it in self.dev.items], hyps)
        self.dev_example = (self.dev.items[0].text, hyps[0])
        return {"dev_wer": s.wer, "dev_cer": s.cer}

    def finish(self) -> dict[str, Any]:
        """Load the best weights, save HF (flat vocabulary), export ONNX (main process)."""
        self.acc.wait_for_everyone()
        if not self.main:
            return {}
        best = self.paths.checkpoints / ckpt.BEST
        if best.is_dir():
            ckpt.verify(best)
            self._load_weights(ckpt.load_tensors(best, "weights.pt"))
        model = self.acc.unwrap_model(self.model).to("cpu", torch.float32).eval()
        out_hf, out_onnx = self.paths.out_hf, self.paths.out_onnx
        for folder in (out_hf, out_onnx):
            shutil.rmtree(folder, ignore_errors=True)
        self.emit(TRAIN_SHARE, "Saving the weights")
        self._save_hf(model, out_hf)
        from desktop_app.modelbuild.export_ctc import export_ctc

        export_ctc(
            out_hf,
            out_onnx,
            progress=lambda f, t: self.emit(TRAIN_SHARE + (1 - TRAIN_SHARE) * f, t),
            language=self.language,
            validate=self.validate,
        )
        # The next round, started from these weights, finds the language there.
        shutil.copyfile(out_onnx / CTC_CONFIG_FILE, out_hf / CTC_CONFIG_FILE)
        return {
            **self.summary(out_hf, out_onnx),
            "architecture": "ctc",
            "model_type": model.config.model_type,
            "language": self.language,
            "learning_rate": self.config.lr,
            "skipped_characters": dict(self.labels.skipped.most_common()),
            "skipped_summary": self.labels.skipped_summary(),
        }

    def _save_hf(self, model: Any, out: Path) -> None:
        """The weights with a flat vocabulary (an MMS adapter is merged, its language fixed)."""
        model.config.vocab_size = int(model.lm_head.out_features)
        model.save_pretrained(out, safe_serialization=True)
        self.fe.save_pretrained(out)
        text = json.dumps(self.vocab, ensure_ascii=False, indent=1)
        (out / "vocab.json").write_text(text + "\n", encoding="utf-8")
        tok_path = self.paths.base / "tokenizer_config.json"
        if tok_path.is_file():
            tok = json.loads(tok_path.read_text("utf-8"))
            tok.pop("target_lang", None)
            text = json.dumps(tok, ensure_ascii=False, indent=1)
            (out / "tokenizer_config.json").write_text(text + "\n", encoding="utf-8")
        for name in COPY_FROM_BASE:
            if (self.paths.base / name).is_file():
                shutil.copyfile(self.paths.base / name, out / name)


def evaluate_ctc(
    data: Path, model_dir: Path, split: str, batch_size: int, device: str, emit: Any
) -> dict[str, Any]:
    """The ``evaluate`` subcommand for a CTC checkpoint: best-path texts, scored."""
    from desktop_app.core.learning.metrics import Utterance, evaluate_utterances

    items = read_items(data, split)
    if not items:
        raise ValueError(f"The dataset has no '{split}' examples.")
    lang = target_lang(model_dir, model_language(model_dir, FinetuneConfig()))
    model, vocab, blank = load_ctc_model(model_dir, lang)
    labels = make_labels(model_dir, vocab, blank)
    ds = CtcClipDataset(items, feature_extractor(model_dir), labels)
    model = model.to(device).eval()

    def progress(done: int) -> None:
        emit(done / len(items), f"Decoding {done}/{len(items)}")

    with torch.no_grad():
        hyps = transcribe_clips(model, ds, labels, batch_size, progress)
    utts = [Utterance(it.key, it.text, h, it.speaker) for it, h in zip(items, hyps, strict=True)]
    return {"report": evaluate_utterances(utts).to_dict(), "hypotheses": hyps}
