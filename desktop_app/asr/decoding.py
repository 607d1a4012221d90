"""Our own Whisper decoding loop over the ONNX sessions.

One window (≤ 30 s) is encoded once; the decoder then runs with a KV cache,
one token per step. Logits go through, in this order (Hugging Face's order):
repetition penalty, no-repeat n-gram ban, ``begin_suppress_tokens`` at the
first step, ``suppress_tokens``, and Whisper's timestamp rules. Greedy search,
sampling (for temperature fallback, ``best_of`` samples) and beam search
(:mod:`desktop_app.asr.beam`) share these rules. The window is decoded again at
higher temperatures while the text looks repetitive (zlib compression ratio)
or improbable (average log-probability).

A word list (``options.bias``, :mod:`desktop_app.asr.bias`) adds a prompt of
its words before the start sequence and a capped bonus to their tokens
(:meth:`LogitRules.biased`). The bonus steers the choice; the token
log-probabilities recorded (word and segment confidence) stay the model's
own, a candidate's bonus is kept apart (:attr:`Candidate.bonus`), and the
fallback judges a window by the biased average it was decoded with (else a
listed word the model found unlikely would send every window to sampling).
"""

from __future__ import annotations

import json
import zlib
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import numpy as np

from desktop_app.asr.beam import Candidate, beam_search, log_softmax
from desktop_app.asr.bias import BiasOptions, TokenBoost, prompt_tokens
from desktop_app.asr.options import DecodeOptions
from desktop_app.asr.ort_session import WhisperSessions
from desktop_app.asr.tokenizer import TIME_PRECISION, WhisperTokenizer
from desktop_app.core.errors import ModelError

NEG_INF = -np.inf


def compression_ratio(text: str) -> float:
    """Bytes of ``text`` over bytes of its zlib compression (high = repetitive)."""
    data = text.encode("utf-8")
    return len(data) / len(zlib.compress(data)) if data else 0.0


def _read_json(path: Path, required: bool) -> dict[str, Any]:
    if not path.is_file():
        if required:
            raise ModelError(f"The model file '{path.name}' is missing in {path.parent}.")
        return {}
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ModelError(f"Cannot read '{path.name}': {exc}") from exc
    if not isinstance(data, dict):
        raise ModelError(f"Cannot read '{path.name}': expected a JSON object.")
    return data


@dataclass(frozen=True)
class ModelSettings:
    """What decoding needs from ``config.json`` and ``generation_config.json``."""

    suppress_tokens: tuple[int, ...] = ()
    begin_suppress_tokens: tuple[int, ...] = ()
    lang_to_id: dict[str, int] | None = None
    alignment_heads: tuple[tuple[int, int], ...] = ()
    max_target_positions: int = 448
    num_mel_bins: int = 80

    @classmethod
    def from_model_dir(cls, model_dir: str | Path) -> ModelSettings:
        model_dir = Path(model_dir)
        config = _read_json(model_dir / "config.json", required=True)
        gen = _read_json(model_dir / "generation_config.json", required=False)
        langs = gen.get("lang_to_id")
        lang_to_id = {k.strip("<|>"): int(v) for k, v in langs.items()} if langs else None
        return cls(
            suppress_tokens=tuple(int(t) for t in gen.get("suppress_tokens") or ()),
            begin_suppress_tokens=tuple(int(t) for t in gen.get("begin_suppress_tokens") or ()),
            lang_to_id=lang_to_id,
            alignment_heads=tuple(tuple(h) for h in gen.get("alignment_heads") or ()),  # type: ignore[misc]
            max_target_positions=int(config.get("max_target_positions", 448)),
            num_mel_bins=int(config.get("num_mel_bins", 80)),
        )


@dataclass(frozen=True)
class DecodingResult:
    """The chosen hypothesis for one window at one temperature."""

    tokens: tuple[int, ...]  # generated tokens (text and timestamps), without <|endoftext|>
    token_logprobs: tuple[float, ...]  # the model's own (a word list's bonus left out)
    sum_logprob: float
    avg_logprob: float  # with a word list: of the biased log-probabilities the choice followed
    no_speech_prob: float
    temperature: float
    compression_ratio: float
    text: str
    language: str | None
    attempts: int = 1
    steps: int = 0  # decoder runs this attempt took (the cost the fallback budget counts)
    loop_truncated: bool = False  # a repetition loop was cut off (see truncate_loop)


@dataclass
class LogitRules:
    """Everything that reshapes the next-token logits before a choice is made."""

    tokenizer: WhisperTokenizer
    sample_begin: int  # index of the first generated token in each row
    suppress: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))
    begin_suppress: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))
    timestamps: bool = True
    max_initial_timestamp_index: int | None = 50
    repetition_penalty: float = 1.0
    no_repeat_ngram_size: int = 0
    boost: TokenBoost | None = None  # listed words' token bonuses (options.bias)

    def biased(self, processed: np.ndarray, rows: list[list[int]]) -> np.ndarray:
        """``processed`` logits with the word-list bonuses; the same array when there are none."""
        if self.boost is None or not self.boost:
            return processed
        return self.boost.apply(processed, rows, self.sample_begin)

    def apply(self, logits: np.ndarray, rows: list[list[int]]) -> np.ndarray:
        """Processed logits (a new array); ``rows`` are prompt + generated tokens."""
        out = np.array(logits, dtype=np.float32, copy=True)
        for b, row in enumerate(rows):
            if self.repetition_penalty != 1.0 and row:
                ids = np.unique(np.asarray(row, dtype=np.int64))
                vals = out[b, ids]
                penalty = self.repetition_penalty
                out[b, ids] = np.where(vals < 0, vals * penalty, vals / penalty)
            if self.no_repeat_ngram_size > 0:
                banned = _banned_ngram_tokens(row, self.no_repeat_ngram_size)
                if banned:
                    out[b, banned] = NEG_INF
        if len(rows[0]) == self.sample_begin and self.begin_suppress.size:
            out[:, self.begin_suppress] = NEG_INF
        if self.suppress.size:
            out[:, self.suppress] = NEG_INF
        if self.timestamps:
            self._timestamp_rules(out, rows)
        return out

    def _timestamp_rules(self, out: np.ndarray, rows: list[list[int]]) -> None:
        """OpenAI's ApplyTimestampRules: timestamps in pairs, never decreasing."""
        tok = self.tokenizer
        tb, eot = tok.timestamp_begin, tok.eot
        out[:, tok.no_timestamps] = NEG_INF
        for b, row in enumerate(rows):
            seq = row[self.sample_begin :]
            last_ts = len(seq) >= 1 and seq[-1] >= tb
            penultimate_ts = len(seq) < 2 or seq[-2] >= tb
            if last_ts:
                if penultimate_ts:
                    out[b, tb:] = NEG_INF  # a pair was just closed: text must follow
                else:
                    out[b, :eot] = NEG_INF  # an open timestamp: another one or the end
            stamps = [t for t in seq if t >= tb]
            if stamps:
                last = stamps[-1] if (last_ts and not penultimate_ts) else stamps[-1] + 1
                out[b, tb:last] = NEG_INF
        if len(rows[0]) == self.sample_begin:
            out[:, :tb] = NEG_INF  # the first token is a timestamp
            if self.max_initial_timestamp_index is not None:
                out[:, tb + self.max_initial_timestamp_index + 1 :] = NEG_INF
        logprobs = log_softmax(out)
        with np.errstate(divide="ignore", invalid="ignore"):
            stamp_mass = np.logaddexp.reduce(logprobs[:, tb:], axis=-1)
        best_text = logprobs[:, :tb].max(axis=-1)
        out[stamp_mass > best_text, :tb] = NEG_INF


def _banned_ngram_tokens(row: list[int], n: int) -> list[int]:
    """Tokens that would repeat an n-gram already in ``row`` (Hugging Face semantics)."""
    if len(row) + 1 < n:
        return []
    prefix = tuple(row[len(row) - n + 1 :]) if n > 1 else ()
    banned = []
    for i in range(len(row) - n + 1):
        if tuple(row[i : i + n - 1]) == prefix:
            banned.append(row[i + n - 1])
    return banned


class WindowDecoder:
    """Decodes one encoded window into tokens, with temperature fallback."""

    def __init__(
        self, sessions: WhisperSessions, tokenizer: WhisperTokenizer, settings: ModelSettings
    ) -> None:
        self.sessions = sessions
        self.tokenizer = tokenizer
        self.settings = settings
        self._bias: dict[BiasOptions, tuple[list[int], TokenBoost]] = {}

    def bias_parts(self, bias: BiasOptions | None) -> tuple[list[int], TokenBoost | None]:
        """The prompt tokens and token boost of a word list (built once per list)."""
        if bias is None or not bias:
            return [], None
        if bias not in self._bias:
            if len(self._bias) > 8:
                self._bias.clear()
            prompt = prompt_tokens(self.tokenizer, bias) if self.tokenizer.sot_prev else []
            self._bias[bias] = (prompt, TokenBoost(self.tokenizer, bias))
        return self._bias[bias]

    def prompt_prefix(self, options: DecodeOptions, previous_tokens: tuple[int, ...]) -> list[int]:
        """``<|startofprev|>``, the word list's prompt, then the previous text (the most recent
        last, nearest the start sequence), within half the text context; empty when neither."""
        tok = self.tokenizer
        bias_prompt, _ = self.bias_parts(options.bias)
        if tok.sot_prev is None or not (bias_prompt or previous_tokens):
            return []
        room = self.settings.max_target_positions // 2 - 1
        bias_prompt = bias_prompt[:room]
        previous = (
            list(previous_tokens[-(room - len(bias_prompt)) :]) if room > len(bias_prompt) else []
        )
        return [tok.sot_prev, *bias_prompt, *previous]

    # --------------------------------------------------------------- language
    def detect_language(self, encoder_out: Any) -> dict[str, float]:
        """Language probabilities from the logits after ``<|startoftranscript|>``."""
        tok = self.tokenizer
        if not tok.is_multilingual:
            return {next(iter(tok.languages), "en"): 1.0}
        logits, _ = self.sessions.prefill(encoder_out, np.array([tok.sot]))
        codes = list(tok.languages)
        ids = np.array([tok.languages[c] for c in codes])
        probs = np.exp(log_softmax(logits[0, ids]))
        order = np.argsort(-probs)
        return {codes[i]: float(probs[i]) for i in order}

    # ----------------------------------------------------------------- decode
    def rules(self, options: DecodeOptions, sample_begin: int) -> LogitRules:
        tok = self.tokenizer
        suppress: set[int] = set()
        if options.suppress_tokens:
            for t in options.suppress_tokens:
                suppress.update(self.settings.suppress_tokens if t == -1 else (t,))
        specials = (tok.transcribe, tok.translate, tok.sot, tok.sot_prev, tok.sot_lm, tok.no_speech)
        suppress.update(t for t in specials if t is not None)
        begin = set(self.settings.begin_suppress_tokens) if options.suppress_blank else set()
        max_initial = None
        if options.max_initial_timestamp is not None:
            max_initial = round(options.max_initial_timestamp / TIME_PRECISION)
        return LogitRules(
            tokenizer=tok,
            sample_begin=sample_begin,
            suppress=np.array(sorted(suppress), dtype=np.int64),
            begin_suppress=np.array(sorted(begin), dtype=np.int64),
            timestamps=not options.without_timestamps,
            max_initial_timestamp_index=max_initial,
            repetition_penalty=options.repetition_penalty,
            no_repeat_ngram_size=options.no_repeat_ngram_size,
            boost=self.bias_parts(options.bias)[1],
        )

    def decode(
        self,
        encoder_out: Any,
        options: DecodeOptions,
        *,
        language: str | None,
        temperature: float = 0.0,
        max_new_tokens: int = 224,
        previous_tokens: tuple[int, ...] = (),
        rng: np.random.Generator | None = None,
    ) -> DecodingResult:
        """One decoding of one window at one temperature."""
        tok = self.tokenizer
        n_ctx = self.settings.max_target_positions
        sot_seq = tok.sot_sequence(
            language, options.task, timestamps=not options.without_timestamps
        )
        prefix = self.prompt_prefix(options, previous_tokens)
        prompt = prefix + sot_seq
        budget = max(1, min(max_new_tokens, n_ctx // 2, n_ctx - len(prompt)))
        logits, cache = self.sessions.prefill(encoder_out, np.array(prompt))
        no_speech_prob = 0.0
        if tok.no_speech is not None:
            no_speech_prob = float(np.exp(log_softmax(logits[len(prefix)])[tok.no_speech]))
        rules = self.rules(options, sample_begin=len(sot_seq))
        if temperature == 0.0 and options.beam_size > 1:
            candidates = beam_search(
                self.sessions, rules, cache, logits[-1], sot_seq,
                beam_size=options.beam_size, patience=options.patience,
                max_new_tokens=budget, eot=tok.eot,
            )  # fmt: skip
        else:
            n = options.best_of if temperature > 0.0 else 1
            candidates = self._sample(
                rules, cache, logits[-1], sot_seq, n, temperature, budget,
                rng if rng is not None else np.random.default_rng(options.seed),
            )  # fmt: skip
        best = max(candidates, key=lambda c: c.score(options.length_penalty))
        text = tok.decode(best.tokens)
        n_scored = len(best.tokens) + 1
        steps = max(1, *(len(c.tokens) for c in candidates))
        return DecodingResult(
            tokens=tuple(best.tokens),
            token_logprobs=tuple(best.logprobs),
            sum_logprob=best.sum_logprob,
            avg_logprob=(best.sum_logprob + best.bonus) / n_scored,
            no_speech_prob=no_speech_prob,
            temperature=temperature,
            compression_ratio=compression_ratio(text),
            text=text,
            language=language,
            steps=steps,
        )

    def _sample(
        self,
        rules: LogitRules,
        cache: Any,
        first_logits: np.ndarray,
        sot_seq: list[int],
        n: int,
        temperature: float,
        budget: int,
        rng: np.random.Generator,
    ) -> list[Candidate]:
        """Greedy search (``temperature == 0``) or ``n`` parallel samples."""
        eot = self.tokenizer.eot
        cache = self.sessions.expand(cache, n)
        logits = np.repeat(first_logits[None], n, axis=0)
        rows = [list(sot_seq) for _ in range(n)]
        lps: list[list[float]] = [[] for _ in range(n)]
        sums = np.zeros(n)
        done = np.zeros(n, dtype=bool)
        bonus = np.zeros(n)
        for step in range(budget):
            processed = rules.apply(logits, rows)
            logprobs = log_softmax(processed)
            biased = rules.biased(processed, rows)
            if temperature == 0.0:
                chosen = biased.argmax(axis=-1)
            else:
                probs = np.exp(log_softmax(biased / temperature))
                draws = rng.random(n)[:, None]
                chosen = np.minimum(
                    (probs.cumsum(axis=-1) < draws).sum(axis=-1), probs.shape[1] - 1
                )
            for b in range(n):
                if done[b]:
                    chosen[b] = eot
                    continue
                lp = float(logprobs[b, chosen[b]])
                sums[b] += lp
                if biased is not processed:
                    bonus[b] += float(log_softmax(biased[b])[chosen[b]]) - lp
                if chosen[b] == eot:
                    done[b] = True
                else:
                    rows[b].append(int(chosen[b]))
                    lps[b].append(lp)
            if done.all() or step == budget - 1:
                break
            logits, cache = self.sessions.step(cache, chosen)
        start = len(sot_seq)
        return [
            Candidate(rows[b][start:], lps[b], float(sums[b]), float(bonus[b])) for b in range(n)
        ]

    def decode_with_fallback(
        self,
        encoder_out: Any,
        options: DecodeOptions,
        *,
        language: str | None,
        max_new_tokens: int,
        previous_tokens: tuple[int, ...] = (),
        rng: np.random.Generator | None = None,
        first_attempt: DecodingResult | None = None,
    ) -> DecodingResult:
        """Decode at each temperature in turn until the result passes both checks.

        ``first_attempt`` is the decoding at ``options.temperatures[0]`` when it
        was already done elsewhere (a batch of chunks, :mod:`desktop_app.asr.batching`);
        it is checked as if this method had decoded it.

        The cost is capped: with ``options.truncate_loops`` a result that is a
        repetition loop ("астан астан астан…") is cut after the first copy of
        the repeated part and kept, without resampling, when the rest passes
        the checks; and the fallback attempts together may run the decoder at
        most ``options.fallback_budget`` times ``max_new_tokens`` steps (an
        attempt only starts when a full-length one fits). If no attempt
        passes, the one with the best average log-probability among those
        under the compression threshold (else among all) is returned.
        """
        rng = rng if rng is not None else np.random.default_rng(options.seed)
        attempts: list[DecodingResult] = []
        spent = 0
        budget = (
            None if options.fallback_budget is None else options.fallback_budget * max_new_tokens
        )
        result: DecodingResult | None = None
        for i, temperature in enumerate(options.temperatures):
            if i > 0 and budget is not None and budget - spent < max_new_tokens:
                break  # no room for another full attempt
            if i == 0 and first_attempt is not None:
                attempt = first_attempt
            else:
                attempt = self.decode(
                    encoder_out, options, language=language, temperature=temperature,
                    max_new_tokens=max_new_tokens, previous_tokens=previous_tokens, rng=rng,
                )  # fmt: skip
            spent += attempt.steps if i > 0 else 0
            attempts.append(attempt)
            if not _needs_fallback(attempt, options):
                result = attempt
                break
            if options.truncate_loops and _is_loop(attempt, options):
                cut = self.truncate_loop(attempt)
                if cut is not None:
                    attempts.append(cut)
                    if not _needs_fallback(cut, options):
                        result = cut
                        break
        if result is None:
            passing = [
                r
                for r in attempts
                if options.compression_ratio_threshold is None
                or r.compression_ratio <= options.compression_ratio_threshold
            ]
            result = max(passing or attempts, key=lambda r: r.avg_logprob)
        return replace(result, attempts=sum(1 for a in attempts if not a.loop_truncated))

    def truncate_loop(self, result: DecodingResult) -> DecodingResult | None:
        """``result`` cut after the first copy of a trailing repetition; ``None`` if none."""
        tb = self.tokenizer.timestamp_begin
        positions = [i for i, t in enumerate(result.tokens) if t < tb]
        cut = find_loop([result.tokens[i] for i in positions])
        if cut is None:
            return None
        end = positions[cut]  # first token of the second copy
        tokens = result.tokens[:end]
        logprobs = result.token_logprobs[:end]
        text = self.tokenizer.decode(tokens)
        total = float(sum(logprobs))
        return replace(
            result,
            tokens=tokens,
            token_logprobs=logprobs,
            sum_logprob=total,
            avg_logprob=total / (len(tokens) + 1),
            compression_ratio=compression_ratio(text),
            text=text,
            loop_truncated=True,
        )


def find_loop(
    tokens: list[int] | tuple[int, ...], max_period: int = 40, min_repeats: int = 3
) -> int | None:
    """Where the first repeat starts when ``tokens`` end in a loop, else ``None``.

    A loop is a tail made of at least ``min_repeats`` copies of a unit of at
    most ``max_period`` tokens (the last copy may be partial). Of all units
    the one whose loop starts earliest wins; the index returned is that start
    plus one unit, i.e. what to keep is ``tokens[:index]``.
    """
    n = len(tokens)
    best: tuple[int, int] | None = None  # (loop start, period)
    for period in range(1, min(max_period, n // min_repeats) + 1):
        start = n - period
        while start > 0 and tokens[start - 1] == tokens[start - 1 + period]:
            start -= 1
        if n - start >= min_repeats * period and (best is None or start < best[0]):
            best = (start, period)
    return None if best is None else best[0] + best[1]


def is_silence(result: DecodingResult, options: DecodeOptions) -> bool:
    """Whisper's no-speech rule: high ``<|nospeech|>`` probability and low confidence."""
    if options.no_speech_threshold is None or result.no_speech_prob <= options.no_speech_threshold:
        return False
    return options.log_prob_threshold is None or result.avg_logprob < options.log_prob_threshold


def _is_loop(result: DecodingResult, options: DecodeOptions) -> bool:
    cr = options.compression_ratio_threshold
    return cr is not None and result.compression_ratio > cr


def _needs_fallback(result: DecodingResult, options: DecodeOptions) -> bool:
    if is_silence(result, options) and options.log_prob_threshold is not None:
        return False  # silence: a hotter decode will not help
    cr = options.compression_ratio_threshold
    if cr is not None and result.compression_ratio > cr:
        return True
    lp = options.log_prob_threshold
    return lp is not None and result.avg_logprob < lp
