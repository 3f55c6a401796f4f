"""Risk-language detection over free text (phrase trie + simple negation).

Negation rule (per language, vocabulary from the ``@negators``/``@bridges``
directives of the phrase files): a match is cancelled when

* a negator word stands within the 3 words before it, in the same clause, and
  every word between the negator and the match is a "bridge" word
  (auxiliaries/adverbs such as "going to", "really", "ever", "feeling") -
  so "I'm not going to hurt myself" is negated but "I'm not sure I want to
  die" is not (the hedge "sure"/"I" is not a bridge); or
* a ``*`` slot of the phrase was filled by a negator ("mich nie umbringen").

A negator inside an ``@not-negation`` sequence ("de plus en plus", "not sure"),
or shortly after one in the same clause ("not sure I'm not suicidal"), does not
count: hedges keep the message a hit.  Phrases that contain a negator
themselves ("don't want to live", "can't go on", "no reason to live") are never
cancelled, and a match that lies inside a longer match is judged only through
the longer one.
Exclusion lines ("!cut myself shaving") cancel matches lying inside them.
Texts are never logged or stored; only the matched phrase is reported.
"""

from __future__ import annotations

import functools
import os
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

from bot.safety.normalize import BREAK, COMMA, keys, normalize
from bot.safety.phrasefile import WILDCARD, LangRules, Phrase, parse

__all__ = ["RiskDetector", "RiskMatch", "detector_from_env", "load_detector", "normalize"]

_WINDOW = 3


@dataclass(frozen=True)
class RiskMatch:
    """A non-negated hit: the phrase as written in the list, its language and category."""

    phrase: str
    language: str
    category: str


class _Node:
    """Token-trie node; ``wild`` is the child for a ``*`` slot."""

    __slots__ = ("children", "ends", "wild")

    def __init__(self) -> None:
        """Create an empty node."""
        self.children: dict[str, _Node] = {}
        self.wild: _Node | None = None
        self.ends: list[Phrase] = []

    def add(self, phrase: Phrase) -> None:
        """Insert a phrase below this node."""
        node = self
        for key in phrase.keys:
            if key == WILDCARD:
                node.wild = node.wild or _Node()
                node = node.wild
            else:
                node = node.children.setdefault(key, _Node())
        node.ends.append(phrase)


_Hit = tuple[Phrase, int, int, tuple[int, ...]]  # phrase, start, end, wildcard positions


def _scan(root: _Node, toks: list[str]) -> Iterator[_Hit]:
    """Yield every phrase occurrence in the token list (overlaps included)."""
    n = len(toks)
    first = root.children
    for i, tok in enumerate(toks):
        node0 = first.get(tok)
        if node0 is None:
            continue
        stack: list[tuple[_Node, int, tuple[int, ...]]] = [(node0, i + 1, ())]
        while stack:
            node, j, wilds = stack.pop()
            for phrase in node.ends:
                yield phrase, i, j, wilds
            while j < n and toks[j] == COMMA:
                j += 1
            if j >= n or toks[j] == BREAK:
                continue
            child = node.children.get(toks[j])
            if child is not None:
                stack.append((child, j + 1, wilds))
            if node.wild is not None:
                stack.append((node.wild, j + 1, (*wilds, j)))


def _exempt_at(toks: list[str], idx: int, rules: LangRules) -> bool:
    """True if the negator at ``idx`` is inside, or follows a hedge like, a not-negation seq."""
    for seq in rules.exempt:
        for k, key in enumerate(seq):
            lo = idx - k
            if key == toks[idx] and lo >= 0 and tuple(toks[lo : lo + len(seq)]) == seq:
                return True
    for end in range(idx - 1, max(idx - 1 - _WINDOW, -1), -1):
        if toks[end] in (BREAK, COMMA):
            break
        for seq in rules.exempt:
            lo = end + 1 - len(seq)
            if lo >= 0 and tuple(toks[lo : end + 1]) == seq:
                return True
    return False


def _negated(toks: list[str], hit: _Hit, rules: LangRules) -> bool:
    """Apply the negation rule described in the module docstring."""
    phrase, start, _end, wilds = hit
    neg = rules.negators
    if any(k in neg for k in phrase.keys):
        return False
    if any(toks[w] in neg for w in wilds):
        return True
    for idx in range(start - 1, max(start - 1 - _WINDOW, -1), -1):
        tok = toks[idx]
        if tok in neg and not _exempt_at(toks, idx, rules):
            return True
        if tok not in rules.bridges:
            return False
    return False


class RiskDetector:
    """Precompiled phrase matcher; build with ``default``/``from_files``/``from_phrases``."""

    def __init__(self, phrases: Iterable[Phrase], rules: Mapping[str, LangRules]) -> None:
        """Compile phrases into tries; ``rules`` maps language -> negation vocabulary."""
        self._phrases = tuple(phrases)
        self._rules = {lang: _copy(r) for lang, r in rules.items()}
        self._fallback = LangRules()
        for r in list(self._rules.values()) + list(_builtin_rules().values()):
            self._fallback.merge(r)
        self._risk = _Node()
        self._exclude = _Node()
        for p in self._phrases:
            (self._exclude if p.exclude else self._risk).add(p)

    @classmethod
    def default(cls) -> RiskDetector:
        """Detector over all packaged languages (cached, immutable)."""
        return _default_detector()

    @classmethod
    def from_files(cls, paths: Iterable[str | os.PathLike[str]]) -> RiskDetector:
        """Detector from phrase files; the file stem ("en.txt" -> "en") is the language."""
        phrases: list[Phrase] = []
        rules: dict[str, LangRules] = {}
        for path in paths:
            p = Path(path)
            _add(phrases, rules, *parse(p.read_text(encoding="utf-8"), p.stem))
        return cls(phrases, rules)

    @classmethod
    def from_phrases(
        cls, phrases: Iterable[str], language: str = "custom", category: str = "custom"
    ) -> RiskDetector:
        """Detector from plain phrase strings (file syntax per line, directives allowed)."""
        found, rules = parse("\n".join(phrases), language, category)
        return cls(found, rules)

    def extended(self, other: RiskDetector) -> RiskDetector:
        """A new detector holding this detector's phrases and rules plus ``other``'s."""
        rules = {lang: _copy(r) for lang, r in self._rules.items()}
        _add([], rules, [], other._rules)
        return RiskDetector(self._phrases + other._phrases, rules)

    @property
    def phrases(self) -> tuple[Phrase, ...]:
        """All compiled phrases, exclusions included."""
        return self._phrases

    @property
    def languages(self) -> frozenset[str]:
        """Languages that have at least one risk phrase."""
        return frozenset(p.language for p in self._phrases if not p.exclude)

    def check(self, text: str) -> RiskMatch | None:
        """First non-negated risk match in ``text``, or None."""
        return next(self._matches(text), None)

    def find_all(self, text: str) -> list[RiskMatch]:
        """All non-negated risk matches, in text order."""
        return list(self._matches(text))

    def _rules_for(self, language: str) -> LangRules:
        """Rules of a language (own, else packaged), or the union of all known ones."""
        for table in (self._rules, _builtin_rules()):
            found = table.get(language)
            if found is not None and found.negators:
                return found
        return self._fallback

    def _matches(self, text: str) -> Iterator[RiskMatch]:
        """Generate matches that survive containment, exclusion and negation."""
        toks = keys(text)
        hits = list(_scan(self._risk, toks))
        if not hits:
            return
        spans = [(h[1], h[2]) for h in hits]
        excl = [(h[1], h[2]) for h in _scan(self._exclude, toks)]
        for hit in sorted(hits, key=lambda h: (h[1], -h[2])):
            s, e = hit[1], hit[2]
            if any(a <= s and e <= b and (a, b) != (s, e) for a, b in spans):
                continue
            if any(a <= s and e <= b for a, b in excl):
                continue
            phrase = hit[0]
            if not _negated(toks, hit, self._rules_for(phrase.language)):
                yield RiskMatch(phrase.text, phrase.language, phrase.category)


def _copy(rules: LangRules) -> LangRules:
    """Independent copy of a rule set."""
    out = LangRules()
    out.merge(rules)
    return out


def _add(
    phrases: list[Phrase],
    rules: dict[str, LangRules],
    new_phrases: list[Phrase],
    new_rules: Mapping[str, LangRules],
) -> None:
    """Accumulate parsed phrases and merge rules per language."""
    phrases.extend(new_phrases)
    for lang, r in new_rules.items():
        rules.setdefault(lang, LangRules()).merge(r)


def _packaged_files() -> list[tuple[str, str]]:
    """(language, text) of every packaged ``phrases/*.txt`` via importlib.resources."""
    folder = resources.files("bot.safety").joinpath("phrases")
    out = []
    for item in sorted(folder.iterdir(), key=lambda t: t.name):
        if item.name.endswith(".txt"):
            out.append((item.name[:-4], item.read_text(encoding="utf-8")))
    return out


@functools.cache
def _builtin() -> tuple[tuple[Phrase, ...], dict[str, LangRules]]:
    """Parsed packaged phrase lists (cached)."""
    phrases: list[Phrase] = []
    rules: dict[str, LangRules] = {}
    for lang, text in _packaged_files():
        _add(phrases, rules, *parse(text, lang))
    return tuple(phrases), rules


def _builtin_rules() -> dict[str, LangRules]:
    """Negation rules of the packaged languages."""
    return _builtin()[1]


@functools.cache
def _default_detector() -> RiskDetector:
    """The packaged detector, built once."""
    phrases, rules = _builtin()
    return RiskDetector(phrases, rules)


def load_detector(extra_file: str | None, replace: bool) -> RiskDetector:
    """Default detector, extended by (or, with ``replace``, replaced by) ``extra_file``."""
    if extra_file is None:
        return RiskDetector.default()
    extra = RiskDetector.from_files([extra_file])
    return extra if replace else RiskDetector.default().extended(extra)


def detector_from_env(environ: Mapping[str, str] | None = None) -> RiskDetector:
    """Build from RISK_PHRASES_FILE and RISK_PHRASES_REPLACE (true/false, default false)."""
    env = os.environ if environ is None else environ
    path = env.get("RISK_PHRASES_FILE", "").strip() or None
    raw = env.get("RISK_PHRASES_REPLACE", "").strip().lower()
    if raw not in {"", "1", "true", "yes", "on", "0", "false", "no", "off"}:
        raise ValueError("RISK_PHRASES_REPLACE must be true or false")
    return load_detector(path, replace=raw in {"1", "true", "yes", "on"})
