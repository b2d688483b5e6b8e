"""What a piece of text in a request may hold: the rules docs/api.md calls "Text".

Names and titles are one line; a description may have line breaks and tabs. Neither may hold
what can never be meant as text and only hides or spoofs it:

- control characters (C0, DEL and C1: NUL, ESC and the terminal escapes it starts), besides tab
  and line breaks in a description;
- lone UTF-16 surrogates (JSON can spell `"\\ud800"`, which is no character: it cannot even be
  encoded as UTF-8, so the table would refuse it);
- Unicode noncharacters (U+FDD0..U+FDEF and the last two code points of every plane);
- the bidirectional embeddings, overrides and isolates (U+202A..U+202E, U+2066..U+2069), which
  make a name display as other text than it is ("Trojan Source");
- in a line of text, the line and paragraph separators.

Text is blank when nothing in it is visible: only white space, format characters (zero-width
space and joiners, the byte order mark, direction marks, word joiner, tag characters),
variation selectors, the combining grapheme joiner and the Hangul fillers. Emoji sequences and
scripts that need joiners still pass, because the joiners sit beside visible characters.
"""

from __future__ import annotations

import unicodedata

import marshmallow as ma

# For the OpenAPI document: what the schema's type and length cannot say.
LINE_OF_TEXT = (
    "One line of readable text, not blank: no control characters, lone surrogates, "
    "noncharacters, bidirectional overrides or line separators (docs/api.md, Input rules)."
)
BLOCK_OF_TEXT = (
    "Readable text: tabs and line breaks allowed; no other control characters, lone "
    "surrogates, noncharacters or bidirectional overrides (docs/api.md, Input rules)."
)

_BIDI_CONTROLS = frozenset(map(chr, [*range(0x202A, 0x202F), *range(0x2066, 0x206A)]))
_LINE_BREAKS_ALLOWED = frozenset("\t\n\r")
_INVISIBLE_LETTERS = frozenset("\u034f\u115f\u1160\u3164\uffa0")


def _is_noncharacter(code: int) -> bool:
    return 0xFDD0 <= code <= 0xFDEF or (code & 0xFFFE) == 0xFFFE


_KINDS = {"Cc": "a control character", "Cs": "a lone surrogate"}


def _describe(character: str) -> str:
    code = f"U+{ord(character):04X}"
    name = unicodedata.name(character, "") or _KINDS.get(unicodedata.category(character))
    return f"{code} ({name or 'a noncharacter'})"


def _refused(character: str, *, multiline: bool) -> bool:
    category = unicodedata.category(character)
    if category == "Cc":
        return not (multiline and character in _LINE_BREAKS_ALLOWED)
    if category == "Cs" or _is_noncharacter(ord(character)):
        return True
    if character in _BIDI_CONTROLS:
        return True
    return category in ("Zl", "Zp") and not multiline


def _is_invisible(character: str) -> bool:
    if character.isspace() or character in _INVISIBLE_LETTERS:
        return True
    if unicodedata.category(character) == "Cf":
        return True
    code = ord(character)
    return 0xFE00 <= code <= 0xFE0F or 0xE0100 <= code <= 0xE01EF


def _check_characters(value: str, *, multiline: bool) -> None:
    refused = sorted({c for c in value if _refused(c, multiline=multiline)})
    if refused:
        listed = ", ".join(_describe(c) for c in refused[:5])
        raise ma.ValidationError(f"Must not contain {listed}.")


def line_of_text(value: str) -> None:
    """A name or a title: one line of allowed characters."""
    _check_characters(value, multiline=False)


def block_of_text(value: str) -> None:
    """A description: allowed characters, with tabs and line breaks."""
    _check_characters(value, multiline=True)


def not_blank(value: str) -> None:
    if all(_is_invisible(character) for character in value):
        raise ma.ValidationError("Must not be blank.")


class CalendarDate(ma.fields.Date):
    """A date exactly as `YYYY-MM-DD`. Python's date.fromisoformat, which marshmallow uses,
    also reads `20261231` and ISO week dates such as `2026-W01-1`."""

    _SHAPE = frozenset("0123456789")

    def __init__(self, **kwargs):
        metadata = {"pattern": "^[0-9]{4}-[0-9]{2}-[0-9]{2}$", **kwargs.pop("metadata", {})}
        super().__init__(metadata=metadata, **kwargs)

    def _deserialize(self, value, attr, data, **kwargs):
        if not (
            isinstance(value, str)
            and len(value) == 10
            and value[4] == value[7] == "-"
            and set(value[:4] + value[5:7] + value[8:]) <= self._SHAPE
        ):
            raise self.make_error("invalid")
        return super()._deserialize(value, attr, data, **kwargs)
