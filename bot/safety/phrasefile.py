"""Parser for the phrase-list text format (see the header of phrases/en.txt)."""

from __future__ import annotations

from dataclasses import dataclass, field

from bot.safety.normalize import BREAK, COMMA, keys

WILDCARD = "*"
_WILD_PLACEHOLDER = "qxwildcardqx"


class PhraseFileError(ValueError):
    """Raised for malformed phrase lines or directives."""


@dataclass(frozen=True)
class Phrase:
    """One risk phrase (or exclusion) as written, with its matching keys."""

    text: str
    language: str
    category: str
    keys: tuple[str, ...]
    exclude: bool = False


@dataclass
class LangRules:
    """Negation vocabulary for one language (all stored as matching keys)."""

    negators: set[str] = field(default_factory=set)
    bridges: set[str] = field(default_factory=set)
    exempt: set[tuple[str, ...]] = field(default_factory=set)

    def merge(self, other: LangRules) -> None:
        """Add another rule set's words to this one."""
        self.negators |= other.negators
        self.bridges |= other.bridges
        self.exempt |= other.exempt


def phrase_keys(text: str) -> tuple[str, ...]:
    """Matching keys for a phrase; ``*`` becomes WILDCARD, punctuation is dropped."""
    spaced = " ".join(_WILD_PLACEHOLDER if w == WILDCARD else w for w in text.split())
    out = tuple(
        WILDCARD if k == _WILD_PLACEHOLDER else k for k in keys(spaced) if k not in (BREAK, COMMA)
    )
    if not out or all(k == WILDCARD for k in out):
        raise PhraseFileError(f"phrase has no words: {text!r}")
    if out[0] == WILDCARD or out[-1] == WILDCARD:
        raise PhraseFileError(f"'*' may not start or end a phrase: {text!r}")
    return out


def _words(arg: str) -> set[str]:
    """Matching keys of a whitespace-separated word list."""
    return {k for k in keys(arg) if k not in (BREAK, COMMA)}


def parse(
    text: str, language: str, category: str = "unspecified"
) -> tuple[list[Phrase], dict[str, LangRules]]:
    """Parse phrase-file text into phrases and per-language negation rules."""
    phrases: list[Phrase] = []
    rules: dict[str, LangRules] = {}
    for lineno, raw in enumerate(text.splitlines(), 1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        if line.startswith("@"):
            name, _, arg = line[1:].partition(" ")
            arg = arg.strip()
            rule = rules.setdefault(language, LangRules())
            if name == "language" and arg:
                language = arg
            elif name == "category" and arg:
                category = arg
            elif name == "negators":
                rule.negators |= _words(arg)
            elif name == "bridges":
                rule.bridges |= _words(arg)
            elif name == "not-negation" and arg:
                rule.exempt.add(phrase_keys(arg))
            else:
                raise PhraseFileError(f"line {lineno}: unknown directive {line!r}")
            continue
        exclude = line.startswith("!")
        body = line[1:].strip() if exclude else line
        try:
            found = phrase_keys(body)
        except PhraseFileError as exc:
            raise PhraseFileError(f"line {lineno}: {exc}") from None
        phrases.append(Phrase(body, language, category, found, exclude))
    return phrases, rules
