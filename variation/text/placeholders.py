"""Protect → placeholders → restore: what a rewriting model may see of a sentence.

    masked = mask_protected("原价¥399，到手价¥269！", protected=("澜蔻",))
    masked.text              # '原价⟦1⟧，⟦2⟧！'  (what is sent to the model)
    masked.values            # ('¥399', '到手价¥269')
    restore_placeholders(masked, "⟦2⟧，比原价⟦1⟧省不少！")   # the model's answer, restored

Every span `find_protected` finds (prices, phones, links, dates, numbers, quotes, Latin
words, hashtags) and every editor term becomes `⟦n⟧`, numbered from 1 in reading order; a
value that occurs twice gets two placeholders. Nothing is sent that a model could change
into a wrong fact. Check a candidate with `variation.text.gates.rewrite_rejections` before
restoring it.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from variation._errors import PlaceholderError
from variation.text._protect import find_protected

# The placeholder form: brackets a Chinese text never holds and models copy through intact.
PLACEHOLDER = re.compile(r"⟦(\d+)⟧")
# A bracket left over from a placeholder the model broke (⟦1, 1⟧, ⟦ 1 ⟧ ...).
PLACEHOLDER_DEBRIS = re.compile(r"[⟦⟧]")


@dataclass(frozen=True, slots=True)
class Masked:
    """A sentence with its protected spans replaced by `⟦1⟧`, `⟦2⟧`, ...

    `text` is what may be sent out; `values[n - 1]` is what `⟦n⟧` stands for; `original`
    is the sentence as written.
    """

    original: str
    text: str
    values: tuple[str, ...]

    def placeholders(self) -> tuple[str, ...]:
        """The placeholders of `text`, in order (`⟦1⟧` … `⟦n⟧`)."""
        return tuple(placeholder(n) for n in range(1, len(self.values) + 1))


def placeholder(number: int) -> str:
    """The placeholder for the `number`-th protected span (1-based)."""
    return f"⟦{number}⟧"


def mask_protected(sentence: str, *, protected: Sequence[str] = ()) -> Masked:
    """`sentence` with every protected span (found automatically, plus the editor's
    `protected` terms) replaced by a numbered placeholder. Pure; never fails.

    A sentence that already contains `⟦` or `⟧` keeps them as written; such a sentence's
    candidates are rejected by the gate (debris), so nothing is ever mis-restored.
    """
    spans = find_protected(sentence, tuple(protected))
    parts: list[str] = []
    at = 0
    for number, span in enumerate(spans, start=1):
        parts += [sentence[at : span.start], placeholder(number)]
        at = span.end
    parts.append(sentence[at:])
    return Masked(sentence, "".join(parts), tuple(span.text for span in spans))


def restore_placeholders(masked: Masked, candidate: str) -> str:
    """`candidate` (a rewrite of `masked.text`) with each `⟦n⟧` put back as `masked.values`.

    Raises PlaceholderError unless every placeholder of `masked` occurs exactly once and no
    other placeholder or bracket debris does; run the gate first to learn why and log it.
    """
    found = [int(m.group(1)) for m in PLACEHOLDER.finditer(candidate)]
    if sorted(found) != list(range(1, len(masked.values) + 1)):
        raise PlaceholderError(
            f"placeholders {found} do not match the sentence's {len(masked.values)}"
        )
    restored = PLACEHOLDER.sub(lambda m: masked.values[int(m.group(1)) - 1], candidate)
    if PLACEHOLDER_DEBRIS.search(PLACEHOLDER.sub("", candidate)):
        raise PlaceholderError("a placeholder bracket was left broken")
    return restored


def mask_like(masked: Masked, plain: str) -> str:
    """A plain rewrite of `masked.original` (from the local engine or typed by an editor)
    in placeholder form: each protected value replaced by its placeholder, so the same gate
    judges it. Values are matched longest first, each occurrence once, in reading order.
    """
    order = sorted(range(len(masked.values)), key=lambda i: -len(masked.values[i]))
    parts = [plain]  # even indices: plain text; odd: placeholders already put in
    for i in order:
        value = masked.values[i]
        for at in range(0, len(parts), 2):
            if value and value in parts[at]:
                before, _, after = parts[at].partition(value)
                parts[at : at + 1] = [before, placeholder(i + 1), after]
                break
    return "".join(parts)
