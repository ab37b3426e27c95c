"""Fold risk: will WeChat collapse the pasted post to one grey line, and where to split it.

WeChat folds long *pasted* Moments text (reported: more than about 6 lines or ~100 characters;
the criteria are unpublished). Rewording cannot avoid it; a short body with the rest in the
first comment can.

We count what the post shows on screen:
- lines: every line break starts a line, blank lines included (they take a line on screen);
  trailing whitespace and line breaks show nothing and are not counted. A long line that wraps
  is caught by the character limit instead.
- characters: user-perceived characters except line breaks; spaces count. An emoji sequence
  (👨‍👩‍👧, 👍🏻, 1️⃣, 🇨🇳) or a letter with combining marks counts once.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from variation.text._types import FoldRisk, Span

_BREAK = re.compile(r"\r\n|[\n\r\u2028\u2029]")
_PIC = (
    r"[\u00A9\u00AE\u203C\u2049\u2122\u2139\u2190-\u21FF\u2300-\u23FF\u2600-\u27BF"
    r"\u2B00-\u2BFF\u3030\u303D\u3297\u3299\U0001F000-\U0001FAFF]"
)
# Marks that never start a character: combining marks, variation selectors, keycap, skin
# tones, tag characters (subdivision flags).
_EXTEND = (
    r"[\u0300-\u036F\u1AB0-\u1AFF\u1DC0-\u1DFF\u20D0-\u20FF\uFE00-\uFE0F\uFE20-\uFE2F"
    r"\U0001F3FB-\U0001F3FF\U000E0020-\U000E007F\U000E0100-\U000E01EF]"
)
# One user-perceived character; a ZWJ always stays with what precedes it and pulls in the
# pictograph after it, so 👨‍👩‍👧 is one match.
_GRAPHEME = re.compile(
    rf"\r\n|[\n\r\u2028\u2029]|[\U0001F1E6-\U0001F1FF]{{2}}"
    rf"|[^\n\r\u2028\u2029](?:{_EXTEND}|\u200D{_PIC}?)*"
)
# A `~` before a digit is a range (9:00~18:00, 3～5天), not the end of a sentence.
_SENTENCE_END = re.compile(r"(?:[。！？!?…]|[～~](?![0-9０-９]))+[”’」』）)】》\"']*")
_CLAUSE_END = re.compile(r"[，、；;]|,(?![0-9])")
_SENTENCE, _CLAUSE, _WORD, _ANYWHERE = range(4)


def fold_risk(
    text: str, *, max_lines: int = 6, max_chars: int = 100, protected: Sequence[Span] = ()
) -> FoldRisk:
    """Whether `text` is over either limit, why (in Chinese, for editors), and a split.

    Not at risk: body is `text` and first_comment is empty. At risk: body is the longest
    opening that fits both limits and ends at a sentence end or line break; failing that, at
    a clause break (，、；), then anywhere but inside a Latin word or number, then anywhere.
    It never ends inside a protected span (offsets into `text`) or a character sequence such
    as an emoji. If no opening fits (the post starts with an unbreakable stretch over the
    limits), body is the shortest opening that ends at the best kind of break there is; if
    the text cannot be cut at all, body is the whole text. first_comment is the rest, with
    the whitespace at the cut dropped: text == body + whitespace + first_comment.
    """
    _check(text, max_lines, max_chars, protected)
    tally = _tally(text)
    lines, chars = _measure(tally, len(text.rstrip()))
    reasons = []
    if lines > max_lines:
        reasons.append(f"共 {lines} 行，超过 {max_lines} 行会被折叠")
    if chars > max_chars:
        reasons.append(f"共 {chars} 字，超过 {max_chars} 字会被折叠")
    if not reasons:
        return FoldRisk(False, (), lines, chars, text, "")
    cut = _best_cut(text, tally, protected, max_lines=max_lines, max_chars=max_chars)
    return FoldRisk(True, tuple(reasons), lines, chars, text[:cut], text[cut:].lstrip())


def _check(text: str, max_lines: int, max_chars: int, protected: Sequence[Span]) -> None:
    if max_lines < 1 or max_chars < 1:
        raise ValueError(f"fold limits must be at least 1, got {max_lines} and {max_chars}")
    for span in protected:
        if not 0 <= span.start <= span.end <= len(text) or text[span.start : span.end] != span.text:
            raise ValueError(
                f"protected span {span.text!r} at {span.start}:{span.end} does not match the text"
            )


def _tally(text: str) -> dict[int, tuple[int, int]]:
    """At every character boundary: the characters (line breaks excluded) and breaks before it."""
    tally = {0: (0, 0)}
    chars = breaks = 0
    for match in _GRAPHEME.finditer(text):
        if _BREAK.fullmatch(match.group()):
            breaks += 1
        else:
            chars += 1
        tally[match.end()] = (chars, breaks)
    return tally


def _measure(tally: dict[int, tuple[int, int]], end: int) -> tuple[int, int]:
    """Lines and characters of text[:end], which is empty or ends in a non-space character."""
    chars, breaks = tally[end]
    return (breaks + 1 if end else 0), chars


def _best_cut(
    text: str,
    tally: dict[int, tuple[int, int]],
    protected: Sequence[Span],
    *,
    max_lines: int,
    max_chars: int,
) -> int:
    # A cut right after a non-space character keeps text[:cut] free of trailing whitespace;
    # a cut at the end of the content would split nothing off.
    end = len(text.rstrip())
    cuts = [
        cut
        for cut in tally
        if 0 < cut < end
        and not text[cut - 1].isspace()
        and not any(span.start < cut < span.end for span in protected)
    ]
    ranks = _ranks(text)
    fitting = [cut for cut in cuts if _fits(_measure(tally, cut), max_lines, max_chars)]
    for pool, choose in ((fitting, max), (cuts, min)):
        for rank in (_SENTENCE, _CLAUSE, _WORD, _ANYWHERE):
            chosen = choose((cut for cut in pool if _rank(text, ranks, cut) <= rank), default=None)
            if chosen is not None:
                return chosen
    return len(text)


def _fits(measure: tuple[int, int], max_lines: int, max_chars: int) -> bool:
    lines, chars = measure
    return lines <= max_lines and chars <= max_chars


def _ranks(text: str) -> dict[int, int]:
    """Cuts at sentence ends, before line breaks (after the line's last non-space character)
    and after clause breaks."""
    ranks = {match.end(): _CLAUSE for match in _CLAUSE_END.finditer(text)}
    ranks.update({match.end(): _SENTENCE for match in _SENTENCE_END.finditer(text)})
    for match in _BREAK.finditer(text):
        ranks[len(text[: match.start()].rstrip())] = _SENTENCE
    return ranks


def _rank(text: str, ranks: dict[int, int], cut: int) -> int:
    if cut in ranks:
        return ranks[cut]
    inside_word = (
        cut < len(text)
        and text[cut - 1].isascii()
        and text[cut - 1].isalnum()
        and text[cut].isascii()
        and text[cut].isalnum()
    )
    return _ANYWHERE if inside_word else _WORD
