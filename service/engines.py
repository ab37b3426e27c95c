"""The one seam between the service and the variation engines.

Everything the service stores about a copy (text, image bytes, the image's hashes and
parameters) passes through here, so the engines' types never leak into models or schemas.
"""

from __future__ import annotations

import dataclasses
import logging
import os
import threading
from collections import OrderedDict
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

from variation.image import (
    DecodedImage,
    ImageHashes,
    ImageOptions,
    ImageVariant,
    IssuedImage,
    configure_process,
    decode_image,
    encode_image,
    issue_image_copies,
)
from variation.text import (
    DetectorReport,
    IssuedText,
    Masked,
    TextOptions,
    Voice,
    base_tokenizer,
    batch_clears,
    copy_body,
    detector_report,
    fold_risk,
    issue_text_copies,
    mask_protected,
    plain_rewrite_rejections,
    restore_placeholders,
    rewrite_rejections,
    vary_text,
)

TEXT_OPTIONS = TextOptions()
IMAGE_OPTIONS = ImageOptions()

MAX_PIXELS = 40_000_000


@dataclass(frozen=True)
class Master:
    data: bytes
    width: int
    height: int
    fmt: str  # "JPEG", or "PNG" for flat-colour posters and transparent sources

    @property
    def suffix(self) -> str:
        return ".png" if self.fmt == "PNG" else ".jpg"


@dataclass(frozen=True)
class ImageCopyResult:
    data: bytes
    fmt: str
    params: dict[str, Any]

    @property
    def suffix(self) -> str:
        return ".png" if self.fmt == "PNG" else ".jpg"


def normalise_master(data: bytes, *, max_pixels: int = MAX_PIXELS) -> Master:
    """Decode (refusing bombs, over `max_pixels`, truncated and animated files), re-encode
    without metadata (EXIF/GPS, ICC, comments)."""
    decoded = decode_image(data, max_pixels=max_pixels)
    fmt = "PNG" if decoded.needs_png else "JPEG"
    image = decoded.image
    return Master(
        data=encode_image(image, fmt=fmt), width=image.width, height=image.height, fmt=fmt
    )


def warm_up() -> None:
    """Once per serving process (the API's lifespan, each worker process): the image engine's
    process settings (one BLAS thread, Pillow's block cache), and the text engine's
    dictionary loaded now, so no rep's first open pays for it."""
    configure_process()
    logging.getLogger("jieba").setLevel(logging.WARNING)
    base_tokenizer()


def fold_risk_of(text: str) -> dict[str, Any]:
    risk = fold_risk(text)
    return {
        "at_risk": risk.at_risk,
        "reasons": list(risk.reasons),
        "lines": risk.lines,
        "chars": risk.chars,
        "body": risk.body,
        "first_comment": risk.first_comment,
    }


def text_copy(
    master: str,
    rep_key: str,
    *,
    seed_prefix: str,
    protected: Sequence[str],
    issued: Sequence[str | IssuedText],
    voice: Voice | None = None,
) -> tuple[str, dict[str, Any]]:
    """One rep's text, clearing every copy already issued for the post (pass issued copies
    as IssuedText(text, body) when their body is stored, so the rule judges bodies).
    `master` may hold the editor's alternatives as spintax: rep n gets combination n."""
    if not master.strip():
        return master, {}
    variant = issue_text_copies(
        master,
        [rep_key],
        seed_prefix=seed_prefix,
        protected=protected,
        issued=issued,
        options=TEXT_OPTIONS,
        voice=voice or Voice(),
    )[0]
    return variant.text, {
        "seed": variant.seed,
        "attempts": variant.attempts,
        "clears_batch": variant.clears_batch,
        "edits": [e.kind for e in variant.edits],
        "lexicon_version": variant.lexicon_version,
        "body": variant.body,
        "voice": {"frame_lines": variant.voice.frame_lines, "particles": variant.voice.particles},
    }


def issued_texts(texts: Sequence[str], bodies: Sequence[str | None]) -> list[IssuedText]:
    """Issued copies as the batch rule takes them (a None body: recovered from the text)."""
    return [IssuedText(text, body) for text, body in zip(texts, bodies, strict=True)]


def simulated_bodies(
    master: str,
    rep_keys: Sequence[str],
    *,
    seed_prefix: str,
    protected: Sequence[str],
    issued: Sequence[str | IssuedText],
    voice: Voice,
) -> list[str]:
    """The bodies the copies of `rep_keys` would have after `issued`: made now, stored
    nowhere (the diversity meter's simulation before publishing)."""
    if not master.strip() or not rep_keys:
        return []
    copies = issue_text_copies(
        master,
        list(rep_keys),
        seed_prefix=seed_prefix,
        protected=protected,
        issued=issued,
        options=TEXT_OPTIONS,
        voice=voice,
    )
    return [copy.body for copy in copies]


def recovered_body(text: str, master: str) -> str:
    """The body of a copy issued before bodies were stored."""
    return copy_body(text, master)


def detector_figures(bodies: Sequence[str], master: str) -> DetectorReport:
    """What a standard near-duplicate detector makes of a batch's bodies (the engine's
    detector_report, with a hash key the engine does not use)."""
    return detector_report(list(bodies), master, bodies=list(bodies))


@dataclass(frozen=True)
class Rejection:
    code: str
    detail: str


def mask(sentence: str, protected: Sequence[str]) -> Masked:
    """`sentence` with prices, phones, links and protected terms as ⟦n⟧ placeholders."""
    return mask_protected(sentence, protected=tuple(protected))


def masked_text(masked: Masked) -> str:
    return masked.text


def candidate_rejections(masked: Masked, candidate: str) -> list[Rejection]:
    """The engine's fidelity gate for a rewrite in placeholder form."""
    return [Rejection(r.code, r.detail) for r in rewrite_rejections(masked, candidate)]


def restore(masked: Masked, candidate: str) -> str:
    return restore_placeholders(masked, candidate)


def plain_rejections(sentence: str, candidate: str, protected: Sequence[str]) -> list[Rejection]:
    """The same gate for a rewrite written out in full (an editor's or the local engine's)."""
    return [
        Rejection(r.code, r.detail)
        for r in plain_rewrite_rejections(sentence, candidate, protected=tuple(protected))
    ]


# Word-level rewrites only: no added lines, emoji, particles or reordering in a suggestion.
_SUGGESTION_OPTIONS = dataclasses.replace(
    TEXT_OPTIONS,
    synonym_rate=0.9,
    punctuation_rate=0.0,
    particle_rate=0.0,
    emoji_rate=0.0,
    reorder=False,
    opener_rate=0.0,
    closer_rate=0.0,
)


# A sentence the lexicon has no synonym for still gets something to choose from: the same
# draws again with sentence-final particles.
_PARTICLE_SUGGESTIONS = dataclasses.replace(_SUGGESTION_OPTIONS, particle_rate=0.5)
_SUGGESTION_PASSES = (
    (_SUGGESTION_OPTIONS, Voice(frame_lines="off", particles="none")),
    (_PARTICLE_SUGGESTIONS, Voice(frame_lines="off", particles="normal")),
)


def local_rewrites(sentence: str, *, protected: Sequence[str], count: int) -> list[str]:
    """Up to `count` different rewrites of `sentence` by the local engine (synonyms, then
    particles), each passing the rewrite gate; deterministic: same sentence, same list."""
    found: list[str] = []
    for options, voice in _SUGGESTION_PASSES:
        for draw in range(count * 4):
            text = vary_text(
                sentence, seed=f"suggest:{draw}", protected=protected, options=options, voice=voice
            ).text
            if text not in found and not plain_rejections(sentence, text, protected):
                found.append(text)
                if len(found) == count:
                    return found
    return found


def text_clears(
    text: str,
    others: Sequence[str | IssuedText],
    *,
    body: str | None = None,
    master: str | None = None,
) -> bool:
    """The batch rule (variation.text.batch_clears) for `text` against `others`."""
    return batch_clears(IssuedText(text, body), others, master=master, options=TEXT_OPTIONS)


def image_clears(params: dict[str, Any], others: Sequence[dict[str, Any]]) -> bool:
    """The batch's hard rule for an image copy against `others` of the same team: no PDQ match.
    (pHash/dHash matches inside a team are allowed to be rare, not absent; see variation.image.)"""
    pdq = issued_from_json(params).hashes.pdq
    team = params.get("team")
    return all(
        (pdq ^ issued_from_json(other).hashes.pdq).bit_count() > IMAGE_OPTIONS.pdq_threshold
        for other in others
        if other.get("team") == team
    )


def image_copy(
    load_master: Callable[[], bytes],
    rep_key: str,
    *,
    master_key: str,
    seed_prefix: str,
    team: str,
    issued: Sequence[dict[str, Any]],
) -> ImageCopyResult:
    """One rep's copy of one image, clearing the master and the copies already issued.

    `master_key` names the stored master: decoded masters are cached under it (they never
    change), so `load_master` runs only on a cache miss.
    """
    decoded = _decoded(master_key, load_master)
    variant = issue_image_copies(
        decoded.image,
        [rep_key],
        seed_prefix=seed_prefix,
        teams=[team],
        issued=[issued_from_json(params) for params in issued],
    )[0]
    fmt = "PNG" if decoded.needs_png else "JPEG"
    return ImageCopyResult(
        data=encode_image(variant.image, fmt=fmt), fmt=fmt, params=issued_to_json(variant, team)
    )


@dataclass(frozen=True)
class ImageRequest:
    """One image of one rep's copy, as `image_copy` takes it."""

    load_master: Callable[[], bytes]
    master_key: str
    seed_prefix: str
    issued: Sequence[dict[str, Any]]


def image_copies(
    requests: Sequence[ImageRequest], *, rep_key: str, team: str
) -> list[ImageCopyResult]:
    """Every image of one rep's copy, in order, made side by side on a small thread pool
    (Pillow and NumPy release the GIL for the heavy parts)."""
    return list(
        _pool.map(
            lambda r: image_copy(
                r.load_master,
                rep_key,
                master_key=r.master_key,
                seed_prefix=r.seed_prefix,
                team=team,
                issued=r.issued,
            ),
            requests,
        )
    )


def issued_to_json(variant: ImageVariant, team: str) -> dict[str, Any]:
    """What is stored per image copy; `hashes` and `team` are what later batches need."""
    return {
        "hashes": variant.hashes.as_hex(),
        "team": team,
        "params": dataclasses.asdict(variant.params),
        "fidelity": dataclasses.asdict(variant.fidelity),
        "attempts": variant.attempts,
        "clears_batch": variant.clears_batch,
    }


def issued_from_json(params: dict[str, Any]) -> IssuedImage:
    hashes = params["hashes"]
    return IssuedImage(
        ImageHashes(
            phash=int(hashes["phash"], 16),
            dhash=int(hashes["dhash"], 16),
            pdq=int(hashes["pdq"], 16),
        ),
        team=params.get("team"),
    )


_pool = ThreadPoolExecutor(max_workers=max(2, os.cpu_count() or 2), thread_name_prefix="image-copy")


def set_image_threads(threads: int) -> None:
    """Threads per process for one copy's images (0: one per core). Worker processes that
    already run one per core use 1, so they do not fight over the cores."""
    global _pool
    wanted = threads or max(2, os.cpu_count() or 2)
    if wanted != _pool._max_workers:
        _pool.shutdown(wait=False)
        _pool = ThreadPoolExecutor(max_workers=wanted, thread_name_prefix="image-copy")


# Decoded masters, newest last; a 9-image post stays decoded between its reps' first opens.
_cache: OrderedDict[str, DecodedImage] = OrderedDict()
_cache_lock = threading.Lock()
_CACHE_SIZE = 18


def _decoded(key: str, load: Callable[[], bytes]) -> DecodedImage:
    with _cache_lock:
        if key in _cache:
            _cache.move_to_end(key)
            return _cache[key]
    image = decode_image(load())
    with _cache_lock:
        _cache[key] = image
        while len(_cache) > _CACHE_SIZE:
            _cache.popitem(last=False)
    return image
