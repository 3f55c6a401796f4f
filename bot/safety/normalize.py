"""Text normalisation shared by phrase lists and incoming messages.

``normalize`` is the human-readable step (casefold, accents, quotes, leetspeak,
spaced-out letters, whitespace).  ``tokens`` turns normalised text into the
matching keys used by the phrase trie; phrase files go through the very same
pipeline, so both sides always agree.
"""

from __future__ import annotations

import re
import unicodedata

BREAK = "|"  # hard clause break (. ! ? ; :) - phrases and negation never cross it
COMMA = ","  # soft break - phrases may span it, negation scanning stops at it

_QUOTES = str.maketrans(
    {
        "\u2019": "'",
        "\u2018": "'",
        "\u201b": "'",
        "\u02bc": "'",
        "\u02b9": "'",
        "`": "'",
        "\u00b4": "'",
        "\u2032": "'",
        "\uff07": "'",
        "\u201c": '"',
        "\u201d": '"',
        "\u201e": '"',
        "\u201f": '"',
        "\u00ab": '"',
        "\u00bb": '"',
        "\u2033": '"',
        "\uff02": '"',
    }
)
_COMBINING = re.compile(r"[\u0300-\u036f\u1ab0-\u1aff\u1dc0-\u1dff\u20d0-\u20ff\ufe20-\ufe2f]")
_LEET = str.maketrans(
    {"0": "o", "1": "i", "3": "e", "4": "a", "5": "s", "7": "t", "@": "a", "$": "s"}
)
_LEET_CHARS = frozenset("013457@$")
_LEET_WORD = re.compile(r"(?<![\w@$])[\w@$]*[013457@$][\w@$]*")
_LETTER = re.compile(r"[^\W\d_]")
_SPACED = re.compile(r"\b[a-z][ .*_-][a-z][ .*_-](?:[a-z][ .*_-])*[a-z]\b")
_SPACED_SEP = re.compile(r"[ .\-_*]")
_TWO = re.compile(r"(?<=[a-z] )2(?= [a-z])")  # "want 2 die"

_CONTRACTION = re.compile(r"'(?=(?:t|m|s|re|ve|ll|d)\b)")
_ELLIPSIS = re.compile(r"\.{2,}")
_REPEAT = re.compile(r"([a-z])\1+")
_DIGRAPH = re.compile(r"([aou])e")  # German ae/oe/ue spelling of umlauts
_TOKEN = re.compile(r"[^\W_]+|[.!?;:]|,")

_CANON_SRC = {
    "cannot": "cant",
    "can not": "cant",
    "do not": "dont",
    "does not": "doesnt",
    "did not": "didnt",
    "will not": "wont",
    "would not": "wouldnt",
    "is not": "isnt",
    "are not": "arent",
    "was not": "wasnt",
    "have not": "havent",
    "i am": "im",
    "wanna": "want to",
    "gonna": "going to",
}


def _squash(text: str) -> str:
    """Fold runs of one ASCII letter and ae/oe/ue digraphs to a single letter."""
    return _DIGRAPH.sub(r"\1", _REPEAT.sub(r"\1", text))


_CANON = {_squash(k): _squash(v) for k, v in _CANON_SRC.items()}
_CANON_RE = re.compile(r"\b(?:" + "|".join(re.escape(k) for k in _CANON) + r")\b")


def _unspace(match: re.Match[str]) -> str:
    """Join letters written with separators ("k i l l", "s.u.i.c.i.d.e")."""
    return _SPACED_SEP.sub("", match.group(0))


def _unleet(match: re.Match[str]) -> str:
    """Map digits/symbols to letters in a word that also contains letters."""
    word = match.group(0)
    return word.translate(_LEET) if _LETTER.search(word) else word


def _elide(match: re.Match[str]) -> str:
    """Drop an English contraction apostrophe ("don't" -> "dont") after a letter."""
    start = match.start()
    return "" if start and match.string[start - 1].isalpha() else " "


def normalize(text: str) -> str:
    """Casefold, strip accents, unify quotes, undo cheap leetspeak/spacing, collapse spaces."""
    text = unicodedata.normalize("NFKD", text)
    if not text.isascii():
        text = _COMBINING.sub("", text)
    text = text.casefold().translate(_QUOTES)
    text = " ".join(text.split())
    if not _LEET_CHARS.isdisjoint(text):
        text = _LEET_WORD.sub(_unleet, text)
    if " 2 " in text:
        text = _TWO.sub("to", text)
    return _SPACED.sub(_unspace, text)


def tokens(normalized: str) -> list[str]:
    """Split normalised text into matching keys plus BREAK/COMMA markers."""
    text = _CONTRACTION.sub(_elide, normalized) if "'" in normalized else normalized
    if ".." in text:
        text = _ELLIPSIS.sub(" ", text)
    text = _CANON_RE.sub(lambda m: _CANON[m.group(0)], _squash(text))
    out = _TOKEN.findall(text)
    return [BREAK if t in ".!?;:" else t for t in out]


def keys(text: str) -> list[str]:
    """Normalise and tokenise in one step."""
    return tokens(normalize(text))
