"""Kazakh and Russian word lists for word-level language tags.

The lists are Debian's Hunspell dictionaries (``hunspell-kk``: 54k Kazakh
stems, ``hunspell-ru``: 146k Russian stems, each with suffix rules). A word is
checked by stripping each suffix rule that could have produced it and looking
the stem up (the dictionaries use suffixes only, no prefixes or compounds), so
no C library and no expanded form list is needed. Loading both takes about a
second; a loaded pair is cached for the process.

Without the dictionaries the tagger still works from letters and
:data:`RU_COMMON` / :data:`KK_COMMON` (frequent words), and
:attr:`Lexicon.warning` says so.
"""

from __future__ import annotations

import os
import re
import threading
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

DICT_DIRS = ("/usr/share/hunspell", "/usr/share/myspell/dicts", "/usr/share/myspell")
"""Where Debian and most Linux systems put Hunspell dictionaries."""

DIR_ENV = "JAZBA_HUNSPELL_DIR"
"""An extra folder to look in first (macOS, Windows, a portable install)."""


def _word_set(text: str) -> frozenset[str]:
    return frozenset(text.split())


PACKAGES = {"Kazakh": "hunspell-kk", "Russian": "hunspell-ru"}
"""The Debian package of each word list."""

KK_NAME = "kk_KZ"
RU_NAME = "ru_RU"

RU_COMMON = _word_set(
    """и в во не на я быть он с со что а по это она этот к ко но они мы как из у который то за
    свой весь год от так о об для ты же все всё тот мочь вы человек такой его сказать только или
    ещё еще бы себя один когда уже до время если сам другой вот говорить наш мой знать стать при
    чтобы дело жизнь кто первый очень два день её ее новый рука даже во раз где там под можно
    ну какой после их работа без самый потом надо хотеть ли слово идти большой должен место иметь
    ничего сейчас тоже стоять друг дом теперь можно конечно короче типа просто вообще значит
    давай ладно хорошо спасибо пожалуйста нет да был была было были есть буду будет меня мне
    тебя тебе нас вам вас ему ей им них нам почему зачем тогда здесь тут сегодня завтра вчера
    потому поэтому кстати правда точно например что-то как-то кто-то где-то нибудь может
    блин понял поняла знаешь слушай смотри говорю говорит сказал сказала хочу хочешь будем
    нормально много мало больше меньше всегда никогда иногда опять снова сразу"""
)
"""Frequent Russian words (the whole list when the Russian dictionary is missing)."""

KK_COMMON = _word_set(
    """мен сен сіз ол біз сендер сіздер олар бұл осы сол ана мына және мен бен пен де да та те
    ма ме ба бе па пе ғой ғана қана екен емес еді деп деді дейді керек бар жоқ иә жақсы рахмет
    сау бол болды болады болып енді сосын сонда кейін бірақ ал тек өте әлі қазір бүгін ертең
    кеше неге қалай қайда кім не нені неше бір екі үш төрт бес алты жеті сегіз тоғыз он жүз
    мың үй бала адам жер су күн уақыт жұмыс келді келеді барды барады айтты айтады жатыр отыр
    тұр жүр мысалы яғни сияқты туралы үшін арқылы дейін бастап қарай сосын менің сенің оның
    біздің олардың маған саған оған бізге оларға мені сені оны бізді оларды"""
)
"""Frequent Kazakh words (the whole list when the Kazakh dictionary is missing)."""


def fold(word: str) -> str:
    """The form words are compared in: lower case, ``ё`` as ``е`` (people type
    either), typographic apostrophes as ``'``."""
    return word.lower().replace("ё", "е").replace("’", "'")


@dataclass
class _Rule:
    flag: str
    strip: str
    cond: re.Pattern[str]


class HunspellWords:
    """Membership test over one Hunspell ``.dic``/``.aff`` pair (suffix rules only)."""

    def __init__(self, dic: Path, aff: Path) -> None:
        self.stems: dict[str, str] = {}
        self._by_add: dict[str, list[_Rule]] = {}
        self._memo: dict[str, bool] = {}
        self._lock = threading.Lock()
        self._read_aff(aff)
        self._read_dic(dic)

    def _read_aff(self, aff: Path) -> None:
        conds: dict[str, re.Pattern[str]] = {}
        for line in _lines(aff):
            parts = line.split()
            if len(parts) < 4 or parts[0] != "SFX" or parts[2] in ("Y", "N"):
                continue  # not a rule, or a rule group's header
            flag, strip, add = parts[1], parts[2], parts[3].split("/")[0]
            cond = parts[4] if len(parts) > 4 else "."
            strip = "" if strip == "0" else fold(strip)
            add = "" if add == "0" else fold(add)
            cond = fold(cond)
            if cond not in conds:
                conds[cond] = re.compile(f"(?:{cond})$")
            self._by_add.setdefault(add, []).append(_Rule(flag, strip, conds[cond]))

    def _read_dic(self, dic: Path) -> None:
        lines = _lines(dic)
        next(lines, None)  # the word count
        stems = self.stems
        for line in lines:
            word, _, flags = line.partition("\t")[0].partition("/")
            word = fold(word.strip())
            if word:
                stems[word] = stems.get(word, "") + flags.strip()

    def __contains__(self, word: object) -> bool:
        if not isinstance(word, str):
            return False
        w = fold(word)
        hit = self._memo.get(w)
        if hit is None:
            hit = self._check(w)
            with self._lock:
                if len(self._memo) > 500_000:
                    self._memo.clear()
                self._memo[w] = hit
        return hit

    def _check(self, w: str) -> bool:
        if w in self.stems:
            return True
        for i in range(len(w) - 1, 0, -1):  # every suffix the word could end in
            rules = self._by_add.get(w[i:])
            if not rules:
                continue
            head = w[:i]
            for rule in rules:
                stem = head + rule.strip
                flags = self.stems.get(stem)
                if flags and rule.flag in flags and rule.cond.search(stem):
                    return True
        for rule in self._by_add.get("", ()):  # rules that only strip
            stem = w + rule.strip
            flags = self.stems.get(stem)
            if flags and rule.flag in flags and rule.cond.search(stem):
                return True
        return False

    def __len__(self) -> int:
        return len(self.stems)


def _lines(path: Path) -> Iterable[str]:
    with path.open(encoding="utf-8-sig", errors="replace") as fh:
        for line in fh:
            line = line.rstrip("\r\n")
            if line and not line.startswith("#"):
                yield line


@dataclass
class Lexicon:
    """The Kazakh and the Russian word lists, either of which may be missing."""

    kk: HunspellWords | None = None
    ru: HunspellWords | None = None
    missing: tuple[str, ...] = field(default=())

    def in_kk(self, word: str) -> bool:
        return fold(word) in KK_COMMON or (self.kk is not None and word in self.kk)

    def in_ru(self, word: str) -> bool:
        return fold(word) in RU_COMMON or (self.ru is not None and word in self.ru)

    @property
    def warning(self) -> str | None:
        """What a user should know when a word list is missing (None when both are here)."""
        if not self.missing:
            return None
        names = " and ".join(self.missing)
        packages = " and ".join(PACKAGES.get(m, m) for m in self.missing)
        plural = len(self.missing) > 1
        return (
            f"The {names} word list{'s are' if plural else ' is'} not installed "
            f"(Debian package{'s' if plural else ''} {packages}): word languages come from letters "
            "and a short list of common words only, so more words are guessed from their "
            "neighbours."
        )


def find_dictionary(
    name: str, dirs: Iterable[str | Path] | None = None
) -> tuple[Path, Path] | None:
    """The ``.dic`` and ``.aff`` of ``name`` (``kk_KZ``) in the first folder holding both."""
    if dirs is None:
        extra = os.environ.get(DIR_ENV)
        dirs = ([extra] if extra else []) + list(DICT_DIRS)
    for d in dirs:
        dic, aff = Path(d) / f"{name}.dic", Path(d) / f"{name}.aff"
        if dic.is_file() and aff.is_file():
            return dic, aff
    return None


_CACHE: dict[tuple[str, ...], Lexicon] = {}
_CACHE_LOCK = threading.Lock()


def load_lexicon(dirs: Iterable[str | Path] | None = None) -> Lexicon:
    """Load (once per process and folder list) the Kazakh and Russian word lists."""
    key = tuple(str(d) for d in dirs) if dirs is not None else ()
    with _CACHE_LOCK:
        cached = _CACHE.get(key)
        if cached is not None:
            return cached
        found = {
            lang: find_dictionary(name, dirs) for lang, name in (("kk", KK_NAME), ("ru", RU_NAME))
        }
        words = {lang: HunspellWords(*paths) if paths else None for lang, paths in found.items()}
        missing = tuple(
            label for lang, label in (("kk", "Kazakh"), ("ru", "Russian")) if words[lang] is None
        )
        lexicon = Lexicon(kk=words["kk"], ru=words["ru"], missing=missing)
        _CACHE[key] = lexicon
        return lexicon
