"""How titles are searched: by the start of words, ignoring case and accents, in any script
(docs/api.md, "q"; docs/data-model.md, "Search").

Folding. Text is case-folded (Unicode's full case folding: `ß` is `ss`), decomposed with
compatibility mappings (NFKD: ligatures, full-width and half-width forms, superscripts become
the plain characters), stripped of accents, and composed again (NFC: Hangul syllables and kana
with their voicing marks come back whole). Accents are the combining diacritical marks that
Latin, Greek and Cyrillic letters decompose into, Hebrew points and Arabic harakat: the marks a
person leaves out when typing a search. Marks that spell a syllable in Brahmic and Southeast
Asian scripts (Devanagari or Thai vowel signs) and the kana voicing marks are kept: `ガ` is not
`カ`.

Words. A word is a run of letters, marks and digits; anything else separates words (spaces,
punctuation, symbols, apostrophes: `l'équipe` holds `l` and `equipe`, as a French reader
expects). Scripts written without spaces between words (Han, Hiragana, Katakana, Bopomofo,
Thai, Lao, Khmer, Myanmar) have no word boundary a program can find without a dictionary, so
there every character starts a word: `会議` finds `定例会議`, as in a browser's find-in-page.
A run of such characters is one token; it ends where another script begins (`ABC会議` holds
`abc` and `会議`).

A title's `search_text` is its tokens, each after a space: ` weekly reunion 定例会議`. A query
word matches where ` word` occurs in it (the word starts a token), or, for a word in a
spaceless script, where `word` occurs at all. DynamoDB's `contains()` says the same in a
FilterExpression, so a filtered read and a check in memory agree.

A title's `search_terms` are the keys of its word entries (docs/data-model.md): each word,
at most TERM_CHARS characters, and in a spaceless run the SPACELESS_TERM_CHARS characters from
each position. A query word is looked up by the same cut, with `begins_with`, and checked whole
against the title afterwards.
"""

from __future__ import annotations

import unicodedata
from functools import lru_cache

# A word entry's key holds at most this many characters of the word (a longer query word is
# looked up by its start and checked whole).
TERM_CHARS = 24
# In a spaceless run, the entry at each position holds this many characters: enough to make a
# lookup selective (two Han characters already are), few enough to keep entries small.
SPACELESS_TERM_CHARS = 4

_ACCENT_RANGES = (
    (0x0300, 0x036F),  # combining diacritical marks (Latin, Greek, Cyrillic)
    (0x0483, 0x0489),  # Cyrillic titlo and the like
    (0x0591, 0x05BD),  # Hebrew cantillation and points
    (0x05BF, 0x05BF),
    (0x05C1, 0x05C2),
    (0x05C4, 0x05C5),
    (0x05C7, 0x05C7),
    (0x0610, 0x061A),  # Arabic marks
    (0x064B, 0x065F),  # Arabic harakat
    (0x0670, 0x0670),
    (0x06D6, 0x06DC),
    (0x06DF, 0x06E4),
    (0x06E7, 0x06E8),
    (0x06EA, 0x06ED),
    (0x1AB0, 0x1AFF),  # combining diacritical marks, extended
    (0x1DC0, 0x1DFF),  # combining diacritical marks, supplement
    (0x20D0, 0x20FF),  # combining marks for symbols
    (0xFE20, 0xFE2F),  # combining half marks
)

_SPACELESS_RANGES = (
    (0x0E00, 0x0EFF),  # Thai, Lao
    (0x1000, 0x109F),  # Myanmar
    (0x1780, 0x17FF),  # Khmer
    (0x19E0, 0x19FF),  # Khmer symbols
    (0x2E80, 0x2FDF),  # CJK and Kangxi radicals
    (0x3005, 0x3007),  # iteration mark, closing mark, ideographic zero
    (0x3021, 0x3029),  # Hangzhou numerals
    (0x3031, 0x3035),  # kana repeat marks
    (0x303B, 0x303C),
    (0x3040, 0x30FF),  # Hiragana, Katakana
    (0x3100, 0x312F),  # Bopomofo
    (0x31A0, 0x31FF),  # Bopomofo extended, CJK strokes, Katakana extensions
    (0x3400, 0x4DBF),  # CJK extension A
    (0x4E00, 0x9FFF),  # CJK unified ideographs
    (0xA9E0, 0xA9FF),  # Myanmar extended-B
    (0xAA60, 0xAA7F),  # Myanmar extended-A
    (0xF900, 0xFAFF),  # CJK compatibility ideographs
    (0xFF66, 0xFF9F),  # half-width Katakana (NFKD makes them full-width)
    (0x1B000, 0x1B16F),  # kana supplement and extended
    (0x20000, 0x323AF),  # CJK extensions B to H
)


def _in(ranges: tuple[tuple[int, int], ...], character: str) -> bool:
    code = ord(character)
    return any(low <= code <= high for low, high in ranges)


@lru_cache(maxsize=4096)
def _is_accent(character: str) -> bool:
    return _in(_ACCENT_RANGES, character)


@lru_cache(maxsize=8192)
def _kind(character: str) -> int:
    """0: separates words; 1: part of a word; 2: part of a spaceless run."""
    if unicodedata.category(character)[0] not in "LMN":
        return 0
    return 2 if _in(_SPACELESS_RANGES, character) else 1


def fold(text: str) -> str:
    """Case and accents gone, compatibility forms made plain."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    kept = "".join(c for c in decomposed if not _is_accent(c))
    return unicodedata.normalize("NFC", kept)


def tokens(text: str) -> list[str]:
    """The folded words of `text`, and its spaceless runs, in order."""
    found: list[str] = []
    current: list[str] = []
    current_kind = 0
    for character in fold(text):
        kind = _kind(character)
        # A mark continues whatever it follows; anything else of another kind starts anew.
        if kind != current_kind and not (current and unicodedata.category(character)[0] == "M"):
            if current:
                found.append("".join(current))
            current = []
            current_kind = kind
        if kind:
            current.append(character)
    if current:
        found.append("".join(current))
    return found


def is_spaceless(token: str) -> bool:
    return bool(token) and _kind(token[0]) == 2


@lru_cache(maxsize=256)
def search_text(title: str) -> str:
    """What a title is searched in: its tokens, each after a space. (Cached: a task's write
    puts it on three items, and a list checks it for each task it reads from entries.)"""
    return "".join(" " + token for token in tokens(title))


def needles(query: str) -> list[str]:
    """What `search_text` must contain for a title to match `query`: every query word at the
    start of a token, or anywhere in a spaceless run. No words (only punctuation or symbols):
    no condition."""
    return list(dict.fromkeys(t if is_spaceless(t) else " " + t for t in tokens(query)))


def matches(text: str, wanted: list[str]) -> bool:
    """`text` is a search_text; `wanted` the needles of a query."""
    return all(needle in text for needle in wanted)


def search_terms(title: str) -> list[str]:
    """The keys of a title's word entries, each once, in order of appearance."""
    return list(_search_terms(title))


@lru_cache(maxsize=256)
def _search_terms(title: str) -> tuple[str, ...]:
    terms: dict[str, None] = {}
    for token in tokens(title):
        if not is_spaceless(token):
            terms[token[:TERM_CHARS]] = None
            continue
        # From every position, marks too: a query may start anywhere in the run.
        for start in range(len(token)):
            terms[token[start : start + SPACELESS_TERM_CHARS]] = None
    return tuple(terms)


def lookup_term(needle: str) -> str:
    """The word-entry key prefix that every title matching `needle` has an entry under."""
    word = needle.lstrip(" ")
    return word[: SPACELESS_TERM_CHARS if is_spaceless(word) else TERM_CHARS]
