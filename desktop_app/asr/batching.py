"""Decode several VAD chunks at once: one encoder call, one greedy loop, many rows.

On a GPU a decoder step costs about the same for one row as for eight, so
long recordings cut by VAD into ≤ 30 s chunks are decoded ``batch_size``
chunks at a time (:class:`~desktop_app.asr.transcribe.WhisperOnnx`'s
``batch_size``: 1 on the CPU, where batching gains little, 8 on CUDA).

What is batched is the *first window* of each chunk, at the first
temperature of the fallback schedule (greedy search):

* the windows are encoded in one encoder call; with language detection on,
  the language of every row is detected from one batched decoder call;
* every row has its own prompt ``<|sot|><|lang|><|task|>[<|notimestamps|>]``.
  These prompts always have the same length, so no padding is needed: a
  batch is only formed when no window-specific text prompt precedes them (no
  ``condition_on_previous_text``; an ``initial_prompt`` is used by the
  windows up to the first one with speech, which are decoded alone first).
  A word list's prompt (``options.bias``) is the same for every window and
  goes before every row's start sequence;
* rows finish independently (``<|endoftext|>`` or their own token budget).
  A finished row is fed a dummy ``<|endoftext|>`` and its output ignored;
  when half of the rows of the batch are finished the batch is compacted
  (:meth:`~desktop_app.asr.ort_session.WhisperSessions.select`), so a long
  row does not drag many dead ones along and the cache is copied at most
  about log2(batch) times.

Each row is then finished exactly like the sequential path: the greedy
result goes through :meth:`~desktop_app.asr.decoding.WindowDecoder.decode_with_fallback`
as its first attempt (a row failing the compression-ratio or log-prob check
is re-decoded there, at higher temperatures, alone), then through the same
no-speech check, timestamp splitting and word alignment. Rows are finished
in time order, and the rest of a chunk that one window did not cover is
decoded window by window right after its first window, so segments are
yielded lazily and in time order (cancel = stop iterating), and the random
draws of the fallback happen in the same order as without batching.

Beam search (``beam_size > 1``) and ``condition_on_previous_text`` (each
window's prompt is the previous window's text) are decoded chunk by chunk.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np

from desktop_app.asr.beam import log_softmax
from desktop_app.asr.decoding import DecodingResult, WindowDecoder, compression_ratio
from desktop_app.asr.features import SAMPLE_RATE
from desktop_app.asr.options import DecodeOptions
from desktop_app.asr.vad import SpeechChunk

if TYPE_CHECKING:
    from desktop_app.asr.transcribe import Segment, WhisperOnnx

CUDA_BATCH_SIZE = 8


def default_batch_size(device: str) -> int:
    """Chunks decoded together by default: 1 on the CPU, :data:`CUDA_BATCH_SIZE` on CUDA."""
    return CUDA_BATCH_SIZE if device == "cuda" else 1


def can_batch(options: DecodeOptions, batch_size: int) -> bool:
    """Whether chunks may be decoded in batches with these options."""
    return (
        batch_size > 1
        and options.beam_size == 1
        and options.temperatures[0] == 0.0
        and not options.condition_on_previous_text
    )


@dataclass
class WindowRun:
    """What the windows of one transcription share, in time order."""

    options: DecodeOptions
    rng: np.random.Generator
    previous: list[int] = field(default_factory=list)  # text prompt of the next window
    next_id: int = 0  # id of the next segment


def detect_languages(decoder: WindowDecoder, encoded: Any, batch: int) -> list[dict[str, float]]:
    """Language probabilities of every row of a batched encoder output (most likely first)."""
    tok = decoder.tokenizer
    if not tok.is_multilingual:
        return [{next(iter(tok.languages), "en"): 1.0} for _ in range(batch)]
    logits, _ = decoder.sessions.prefill_batch(encoded, np.full((batch, 1), tok.sot))
    codes = list(tok.languages)
    ids = np.array([tok.languages[c] for c in codes])
    probs = np.exp(log_softmax(logits[:, 0][:, ids]))
    return [{codes[i]: float(row[i]) for i in np.argsort(-row)} for row in probs]


def greedy_batch(
    decoder: WindowDecoder,
    encoded: Any,
    options: DecodeOptions,
    languages: list[str],
    budgets: list[int],
) -> list[DecodingResult]:
    """Greedy decoding (temperature 0) of one window per row, without a previous-text prompt
    (a word list's prompt and bonuses apply, as in :meth:`WindowDecoder.decode`).

    Gives what :meth:`WindowDecoder.decode` gives for each row alone (up to
    floating-point differences of batched kernels).
    """
    tok, sessions = decoder.tokenizer, decoder.sessions
    n_ctx = decoder.settings.max_target_positions
    timestamps = not options.without_timestamps
    rows = [tok.sot_sequence(lang, options.task, timestamps=timestamps) for lang in languages]
    start = len(rows[0])
    prefix = decoder.prompt_prefix(options, ())
    limits = [max(1, min(b, n_ctx // 2, n_ctx - start - len(prefix))) for b in budgets]
    logits, cache = sessions.prefill_batch(encoded, np.array([prefix + r for r in rows]))
    no_speech = np.zeros(len(rows))
    if tok.no_speech is not None:
        no_speech = np.exp(log_softmax(logits[:, len(prefix)])[:, tok.no_speech])
    last = logits[:, -1]
    rules = decoder.rules(options, sample_begin=start)
    lps: list[list[float]] = [[] for _ in rows]
    sums = np.zeros(len(rows))
    bonus = np.zeros(len(rows))  # what the word list added (see WindowDecoder.decode)
    slots: list[int | None] = list(range(len(rows)))  # cache row -> row (None: finished)
    step = 0
    while True:
        live = [i for i, r in enumerate(slots) if r is not None]
        live_rows = [rows[slots[i]] for i in live]  # type: ignore[index]
        processed = rules.apply(last[live], live_rows)
        logprobs = log_softmax(processed)
        biased = rules.biased(processed, live_rows)
        chosen = biased.argmax(axis=-1)
        biased_lps = logprobs if biased is processed else log_softmax(biased)
        feed = np.full(len(slots), tok.eot, dtype=np.int64)
        for j, i in enumerate(live):
            r = slots[i]
            assert r is not None
            lp = float(logprobs[j, chosen[j]])
            sums[r] += lp
            bonus[r] += float(biased_lps[j, chosen[j]]) - lp
            if chosen[j] == tok.eot:
                slots[i] = None
                continue
            rows[r].append(int(chosen[j]))
            lps[r].append(lp)
            if step == limits[r] - 1:
                slots[i] = None
            else:
                feed[i] = chosen[j]
        live = [i for i, r in enumerate(slots) if r is not None]
        if not live:
            break
        if len(live) <= len(slots) // 2:
            cache = sessions.select(cache, live)
            feed, slots = feed[live], [slots[i] for i in live]
        last, cache = sessions.step(cache, feed)
        step += 1
    results = []
    for r, row in enumerate(rows):
        tokens = row[start:]
        text = tok.decode(tokens)
        results.append(
            DecodingResult(
                tokens=tuple(tokens),
                token_logprobs=tuple(lps[r]),
                sum_logprob=float(sums[r]),
                avg_logprob=float(sums[r] + bonus[r]) / (len(tokens) + 1),
                no_speech_prob=float(no_speech[r]),
                temperature=0.0,
                compression_ratio=compression_ratio(text),
                text=text,
                language=languages[r],
                steps=max(1, len(tokens)),
            )
        )
    return results


def batched_segments(
    engine: WhisperOnnx,
    audio: np.ndarray,
    chunks: list[SpeechChunk],
    run: WindowRun,
    language: str,
    detect: bool,
    first: tuple[tuple[int, int, Any], dict[str, float]] | None,
) -> Iterator[Segment]:
    """The segments of ``chunks``, their first windows decoded ``engine.batch_size`` at a time.

    ``language`` is the forced one unless ``detect``; ``first`` is chunk 0's
    encoded first window and detected languages, worked out eagerly.
    """
    options = run.options
    n_samples = engine.mel.config.n_samples
    hop = engine.mel.config.hop_length
    limit = engine.settings.max_target_positions // 2
    index = 0
    while index < len(chunks):
        if run.previous:  # an initial prompt not used yet: this chunk goes alone
            chunk, cached = chunks[index], None
            lang = language
            if detect:
                detected = first if index == 0 and first is not None else None
                cached, probs = detected or engine._detect_chunk(audio, chunk)
                lang = next(iter(probs))
            yield from engine._chunk_segments(audio, chunk, run, lang, cached=cached)
            index += 1
            continue
        group: list[tuple[int, SpeechChunk]] = []
        while index < len(chunks) and len(group) < engine.batch_size:
            if chunks[index].end - chunks[index].start >= hop:  # else: no window to decode
                group.append((index, chunks[index]))
            index += 1
        if not group:
            continue
        sizes = [min(n_samples, c.end - c.start) for _, c in group]
        features = np.stack(
            [
                engine.mel(audio[c.start : c.start + n])
                for (_, c), n in zip(group, sizes, strict=True)
            ]
        )
        encoded = engine.sessions.encode(features)
        languages = [language] * len(group)
        if detect:
            probs = detect_languages(engine.decoder, encoded, len(group))
            if group[0][0] == 0 and first is not None:
                probs[0] = first[1]  # what the info reports: keep it consistent
            languages = [next(iter(p)) for p in probs]
        budgets = [options.token_budget(n / SAMPLE_RATE, limit) for n in sizes]
        results = greedy_batch(engine.decoder, encoded, options, languages, budgets)
        for row, (_, chunk) in enumerate(group):
            row_encoded = engine.sessions.row(encoded, row)
            result = engine.decoder.decode_with_fallback(
                row_encoded, options, language=languages[row], max_new_tokens=budgets[row],
                rng=run.rng, first_attempt=results[row],
            )  # fmt: skip
            yield from engine._chunk_segments(
                audio, chunk, run, languages[row], decoded=(row_encoded, result)
            )
