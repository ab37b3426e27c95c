"""The text engine's language data: synonym groups, emoji classes, particles, openers,
closers and the blocklist, read once from the package's `data/` directory.

Every file is UTF-8, one record per line; blank lines and lines starting with `#` are
ignored. Each file documents its own format in its header. A malformed file is a bug in the
release, so loading fails loudly with a ValueError naming `file:line`.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from importlib import resources
from importlib.abc import Traversable
from pathlib import Path
from types import MappingProxyType

DOMAINS = (
    "general", "retail", "beauty", "baby", "education",
    "property", "insurance", "food", "fitness",
)  # fmt: skip
# What each opener or closer phrase does, in the order phrases are strung together.
OPENER_SLOTS = ("greet", "lead", "nudge")
CLOSER_SLOTS = ("ask", "share", "thanks")
# Fact-bearing characters no synonym, opener or closer may contain: a swap must never
# introduce or change a number (十分 or 一起 would also look like a protected quantity).
_NUMERALS = re.compile(
    r"[0-9０-９〇一二三四五六七八九十百千万亿两零壹贰叁肆伍陆柒捌玖拾佰仟半双俩仨]"
)
_VERSION = re.compile(r"^#\s*version:\s*(\S+)\s*$")
# Emoji blocks, minus regional indicators (flags need two) and skin-tone modifiers.
_SINGLE_EMOJI = re.compile(
    "[\U0001f000-\U0001f1e5\U0001f200-\U0001f3fa\U0001f400-\U0001faff\u2190-\u21ff"
    "\u2300-\u23ff\u25a0-\u27bf\u2900-\u297f\u2b00-\u2bff\u3030\u303d\u3297\u3299"
    "\u203c\u2049]\ufe0f?"
)


@dataclass(frozen=True, slots=True)
class Particles:
    """Sentence-final particle rules (see data/particles.txt for the reasoning).

    A particle is only ever placed right before a sentence's final punctuation (one of
    `terminals`) or at the end of a line, never before `？`/`?`.
    - `addable`: may be appended to a sentence that ends in a Han character which is not
      itself a particle (`blockers`) and whose tail is not a question word (`question_words`).
    - `swappable`: when a sentence already ends in one of these, it may become another one.
    - `le_forms`: sentence-final 了 and these forms (啦, 咯) are interchangeable, unless
      the text before 了 ends with one of `le_not_after` (受不了, 没完没了, 为了 ...).
    """

    addable: tuple[str, ...]
    swappable: tuple[str, ...]
    le_forms: tuple[str, ...]
    le_not_after: tuple[str, ...]
    blockers: tuple[str, ...]
    question_words: tuple[str, ...]
    terminals: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Lexicon:
    """All language data, validated. Index-aligned tuples; mappings are read-only.

    `emoji_class_of` also maps the bare form of an entry listed with U+FE0F (❤ as well as
    ❤️), since masters are written both ways.
    """

    version: str
    groups: tuple[tuple[str, ...], ...]
    domains: tuple[str, ...]
    group_of: Mapping[str, int]
    emoji_classes: tuple[tuple[str, ...], ...]
    emoji_class_of: Mapping[str, int]
    particles: Particles
    openers: Mapping[str, tuple[str, ...]]
    closers: Mapping[str, tuple[str, ...]]
    frame_slot: Mapping[str, str]
    blocklist: tuple[re.Pattern[str], ...]
    domain_words: Mapping[str, tuple[str, ...]]
    frame_unfit: Mapping[str, re.Pattern[str]]
    fixed: frozenset[str]

    def words(self) -> tuple[str, ...]:
        """Every lexicon word, in file order (for the private jieba dictionary)."""
        return tuple(word for group in self.groups for word in group)

    def segmentation_words(self) -> tuple[str, ...]:
        """Lexicon words and fixed phrases: what the private jieba dictionary adds."""
        return (*self.words(), *sorted(self.fixed))


@functools.cache
def load_lexicon() -> Lexicon:
    """The lexicon shipped as package data of `variation.text`, loaded once."""
    return load_lexicon_from(resources.files("variation.text") / "data")


def load_lexicon_from(directory: Traversable | Path) -> Lexicon:
    """Read and validate the nine data files in `directory`.

    Raises ValueError naming `file:line` on a malformed line, a word in two groups, a group
    of fewer than 2 or more than 5 words or with a word inside another of the group, an
    unknown or empty domain, a digit or Chinese numeral in a word or line, an invalid regex,
    or a word/opener/closer that the blocklist itself rejects, an opener or closer without a
    known slot or listed twice.
    """
    blocklist = _read_blocklist(directory)
    groups, domains, version = _read_groups(directory, blocklist)
    emoji_classes = _read_emoji(directory)
    openers, opener_slots = _read_lines(directory, "openers.txt", blocklist, OPENER_SLOTS)
    closers, closer_slots = _read_lines(directory, "closers.txt", blocklist, CLOSER_SLOTS)
    if repeated := opener_slots.keys() & closer_slots.keys():
        raise ValueError(f"openers.txt and closers.txt both list {sorted(repeated)}")
    return Lexicon(
        version=version,
        groups=groups,
        domains=domains,
        group_of=_index(groups),
        emoji_classes=emoji_classes,
        emoji_class_of=_emoji_index(emoji_classes),
        particles=_read_particles(directory),
        openers=openers,
        closers=closers,
        frame_slot=MappingProxyType(opener_slots | closer_slots),
        blocklist=blocklist,
        domain_words=_read_domain_words(directory),
        frame_unfit=_read_frame_unfit(directory),
        fixed=frozenset(text.strip() for _, text in _records(directory, "fixed.txt")),
    )


def _records(directory: Traversable | Path, name: str) -> Iterator[tuple[str, str]]:
    """(`file:line`, text) of each non-blank, non-comment line."""
    text = (directory / name).read_text(encoding="utf-8")
    for number, line in enumerate(text.splitlines(), start=1):
        if line.strip() and not line.startswith("#"):
            yield f"{name}:{number}", line


def _split_tab(where: str, line: str, count: int) -> list[str]:
    fields = line.split("\t")
    if len(fields) != count or not all(field.strip() for field in fields):
        raise ValueError(f"{where}: expected {count} non-empty TAB-separated fields: {line!r}")
    return fields


def _read_groups(
    directory: Traversable | Path, blocklist: tuple[re.Pattern[str], ...]
) -> tuple[tuple[tuple[str, ...], ...], tuple[str, ...], str]:
    text = (directory / "lexicon.txt").read_text(encoding="utf-8")
    versions = [m.group(1) for m in map(_VERSION.match, text.splitlines()) if m]
    if len(versions) != 1:
        raise ValueError("lexicon.txt: expected exactly one '# version: X' header line")
    groups: list[tuple[str, ...]] = []
    domains: list[str] = []
    seen: dict[str, str] = {}
    for where, line in _records(directory, "lexicon.txt"):
        domain, words_field = _split_tab(where, line, 2)
        if domain not in DOMAINS:
            raise ValueError(f"{where}: unknown domain {domain!r}; expected one of {DOMAINS}")
        words = tuple(words_field.split("|"))
        _check_group(where, words, blocklist)
        for word in words:
            if word in seen:
                raise ValueError(f"{where}: {word!r} is already in a group at {seen[word]}")
            seen[word] = where
        groups.append(words)
        domains.append(domain)
    return tuple(groups), tuple(domains), versions[0]


def _check_group(
    where: str, words: tuple[str, ...], blocklist: tuple[re.Pattern[str], ...]
) -> None:
    if not 2 <= len(words) <= 5:
        raise ValueError(f"{where}: a group needs 2 to 5 words, got {len(words)}")
    if any(a != b and a in b for a in words for b in words):
        raise ValueError(f"{where}: a word is part of another word of its group (or repeated)")
    for word in words:
        if not word or not all("\u4e00" <= char <= "\u9fff" for char in word):
            raise ValueError(f"{where}: {word!r} is not a run of Chinese characters")
        _check_text(where, word, blocklist)


def _check_text(where: str, text: str, blocklist: tuple[re.Pattern[str], ...]) -> None:
    if _NUMERALS.search(text):
        raise ValueError(f"{where}: {text!r} contains a digit or numeral")
    for pattern in blocklist:
        if pattern.search(text):
            raise ValueError(f"{where}: {text!r} matches blocklist pattern {pattern.pattern!r}")


def _read_emoji(directory: Traversable | Path) -> tuple[tuple[str, ...], ...]:
    classes: list[tuple[str, ...]] = []
    seen: set[str] = set()
    for where, line in _records(directory, "emoji.txt"):
        _, members = _split_tab(where, line, 2)
        emoji = tuple(members.split(" "))
        if len(emoji) < 2 or len(set(emoji)) != len(emoji):
            raise ValueError(f"{where}: a class needs at least 2 distinct emoji")
        for item in emoji:
            if not is_single_emoji(item) or item in seen:
                raise ValueError(f"{where}: {item!r} is not a single new emoji (+ optional FE0F)")
            seen.add(item)
        classes.append(emoji)
    return tuple(classes)


def is_single_emoji(text: str) -> bool:
    """One emoji code point, optionally followed by VARIATION SELECTOR-16."""
    return _SINGLE_EMOJI.fullmatch(text) is not None


def _read_particles(directory: Traversable | Path) -> Particles:
    fields: dict[str, tuple[str, ...]] = {}
    for where, line in _records(directory, "particles.txt"):
        key, values = _split_tab(where, line, 2)
        if key not in Particles.__slots__ or key in fields:
            raise ValueError(f"{where}: unknown or repeated particle rule {key!r}")
        fields[key] = tuple(values.split(" "))
    missing = set(Particles.__slots__) - set(fields)
    if missing:
        raise ValueError(f"particles.txt: missing rules {sorted(missing)}")
    return Particles(**fields)


def _read_lines(
    directory: Traversable | Path,
    name: str,
    blocklist: tuple[re.Pattern[str], ...],
    slots: tuple[str, ...],
) -> tuple[Mapping[str, tuple[str, ...]], dict[str, str]]:
    """Lines by domain, and each line's slot (`DOMAIN:SLOT<TAB>line`)."""
    lines: dict[str, list[str]] = {}
    slot_of: dict[str, str] = {}
    for where, line in _records(directory, name):
        label, text = _split_tab(where, line, 2)
        domain, _, slot = label.partition(":")
        if domain != "any" and domain not in DOMAINS:
            raise ValueError(f"{where}: unknown domain {domain!r}")
        _check_text(where, text, blocklist)
        if slot not in slots:
            raise ValueError(f"{where}: expected DOMAIN:SLOT with SLOT one of {slots}")
        if text in slot_of:
            raise ValueError(f"{where}: {text!r} is listed twice")
        lines.setdefault(domain, []).append(text)
        slot_of[text] = slot
    return MappingProxyType({d: tuple(texts) for d, texts in lines.items()}), slot_of


def _read_domain_words(directory: Traversable | Path) -> Mapping[str, tuple[str, ...]]:
    found: dict[str, tuple[str, ...]] = {}
    for where, line in _records(directory, "domains.txt"):
        domain, words = _split_tab(where, line, 2)
        if domain not in DOMAINS or domain in found:
            raise ValueError(f"{where}: unknown or repeated domain {domain!r}")
        found[domain] = tuple(words.split())
    return MappingProxyType(found)


def _read_frame_unfit(directory: Traversable | Path) -> Mapping[str, re.Pattern[str]]:
    """`KIND<TAB>regex<TAB># reason`: phrases never added to posts of a domain or kind."""
    found: dict[str, re.Pattern[str]] = {}
    for where, line in _records(directory, "frame_fit.txt"):
        kind, pattern, why = _split_tab(where, line, 3)
        if (kind not in DOMAINS and kind != "promotion") or kind in found:
            raise ValueError(f"{where}: unknown or repeated kind {kind!r}")
        if not why.startswith("#"):
            raise ValueError(f"{where}: the third field must be a '# reason' comment")
        found[kind] = _compile(where, pattern)
    return MappingProxyType(found)


def _read_blocklist(directory: Traversable | Path) -> tuple[re.Pattern[str], ...]:
    patterns = []
    for where, line in _records(directory, "blocklist.txt"):
        pattern, why = _split_tab(where, line, 2)
        if not why.startswith("#"):
            raise ValueError(f"{where}: the second field must be a '# reason' comment")
        patterns.append(_compile(where, pattern))
    return tuple(patterns)


def _compile(where: str, pattern: str) -> re.Pattern[str]:
    try:
        return re.compile(pattern)
    except re.error as error:
        raise ValueError(f"{where}: invalid regex {pattern!r}: {error}") from None


def _index(classes: tuple[tuple[str, ...], ...]) -> Mapping[str, int]:
    return MappingProxyType({item: i for i, members in enumerate(classes) for item in members})


def _emoji_index(classes: tuple[tuple[str, ...], ...]) -> Mapping[str, int]:
    index = {item.rstrip("\ufe0f"): i for i, members in enumerate(classes) for item in members}
    return MappingProxyType(index | dict(_index(classes)))
