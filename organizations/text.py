"""Values from identity providers inside our own sentences (activity, audit trail, messages).

A userName or group name may hold right-to-left letters or explicit bidirectional controls (U+202E
RIGHT-TO-LEFT OVERRIDE and the like). Put into a sentence as it is, it reorders the words after it:
"Created user x‮, linked to …" shows the rest of the sentence backwards, and a crafted name can
make an entry read as something else. Such a value goes into the sentence as a bidi isolate, which
the Unicode bidirectional algorithm keeps from affecting anything outside it. HTML attributes and
elements that show one value alone are isolated by the style sheet (`unicode-bidi: isolate`)."""

from __future__ import annotations

import unicodedata

FIRST_STRONG_ISOLATE = "\u2068"
POP_DIRECTIONAL_ISOLATE = "\u2069"

# Bidirectional classes that can reorder the text around a value: explicit embeddings, overrides
# and isolates, and right-to-left letters.
_REORDERING = frozenset({"LRE", "RLE", "LRO", "RLO", "PDF", "LRI", "RLI", "FSI", "PDI", "R", "AL"})
# Isolate marks inside the value are dropped first: a stray PDI there would close our isolate early.
_ISOLATE_MARKS = dict.fromkeys(map(ord, "\u2066\u2067\u2068\u2069"))


def isolated(value) -> str:
    """`value` as text that cannot reorder the sentence around it. A value with nothing that could
    (nearly every one) comes back unchanged."""
    text = str(value)
    if not any(unicodedata.bidirectional(char) in _REORDERING for char in text):
        return text
    return f"{FIRST_STRONG_ISOLATE}{text.translate(_ISOLATE_MARKS)}{POP_DIRECTIONAL_ISOLATE}"
