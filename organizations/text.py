"""Values from identity providers inside our own sentences (activity, audit trail, messages).

A userName or group name may hold right-to-left letters or explicit bidirectional controls (U+202E
RIGHT-TO-LEFT OVERRIDE and the like). Put into a sentence as it is, it reorders the words after it:
"Created user x‮, linked to …" shows the rest of the sentence backwards, and a crafted name can
make an entry read as something else. Such a value goes into the sentence as a bidi isolate, which
the Unicode bidirectional algorithm keeps from affecting anything outside it. HTML attributes and
elements that show one value alone are isolated by the style sheet (`unicode-bidi: isolate`)."""

from __future__ import annotations

import re
import unicodedata

FIRST_STRONG_ISOLATE = "\u2068"
POP_DIRECTIONAL_ISOLATE = "\u2069"

# Bidirectional classes that can reorder the text around a value: explicit embeddings, overrides
# and isolates, right-to-left letters, and paragraph separators (U+2029, which ends an isolate).
_REORDERING = frozenset({"LRE", "RLE", "LRO", "RLO", "PDF", "LRI", "RLI", "FSI", "PDI", "R", "AL", "B"})
# Inside the value, isolate marks are dropped (a stray PDI would close our isolate early) and line
# and paragraph separators become spaces (a paragraph break ends it).
_ISOLATE_MARKS = {**dict.fromkeys(map(ord, "\u2066\u2067\u2068\u2069")), 0x2028: " ", 0x2029: " "}


def isolated(value) -> str:
    """`value` as text that cannot reorder the sentence around it. A value with nothing that could
    (nearly every one) comes back unchanged."""
    text = str(value)
    if not any(unicodedata.bidirectional(char) in _REORDERING for char in text):
        return text
    return f"{FIRST_STRONG_ISOLATE}{text.translate(_ISOLATE_MARKS)}{POP_DIRECTIONAL_ISOLATE}"


# Invisible characters that change how text around them is shown: the bidi embeddings, overrides
# and isolates, the directional marks, zero-width characters, and line and paragraph separators.
_INVISIBLE_FORMATTING = re.compile("[\u061c\u200b-\u200f\u2028-\u202e\u2060\u2066-\u2069\ufeff]")


def with_visible_controls(text: str) -> str:
    """`text` (an error message quoting what a client sent) with its invisible formatting
    characters written out as <U+202E>: a message that quotes a path or value holding one must
    read as written, and the admin troubleshooting it learns the character is there."""
    return _INVISIBLE_FORMATTING.sub(lambda match: f"<U+{ord(match.group()):04X}>", text)


def has_invisible_formatting(text: str) -> bool:
    """Whether `text` holds one of those characters: no address a person signs in with does."""
    return _INVISIBLE_FORMATTING.search(text) is not None


def shown(text: str) -> str:
    """`text`, or "" when nothing of it would show (only spaces and invisible characters): a name
    like that falls back to the next one (the email), instead of an empty row with nothing to
    click."""
    return text if _INVISIBLE_FORMATTING.sub("", text).strip() else ""
