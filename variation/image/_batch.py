"""Copies for an ordered list of reps: each clears the master and its own team's copies.

Most draws of a late rep in a team fail, so each draw climbs three rungs and stops at the
first it fails: a screen (rendered on a master box-reduced to a short side of about 128 px,
no colour step, pHash and dHash only), a check on all three detectors at the hashing
reduction (about 270×360 for a 1080×1440 master, colour included), and only then the full
render, hashed and measured for fidelity. A copy therefore costs about one full render
however many draws it took.
"""

from __future__ import annotations

import dataclasses
import heapq
import random
from collections import defaultdict
from collections.abc import Callable, Sequence

from PIL import Image

from variation._errors import DiversityError
from variation.image._badge import apply_badge
from variation.image._hashes import hashes_of_reduced, image_hashes, phash_dhash, reduction
from variation.image._master import PreparedMaster
from variation.image._transforms import render, scaled
from variation.image._types import (
    DEFAULT_OPTIONS,
    ImageHashes,
    ImageOptions,
    ImageVariant,
    IssuedImage,
    RepBadge,
    VariantParams,
)
from variation.image._vary import draw_params_for, finish, prepare

# Halton indices of a rep's re-draws sit this far apart, so they never reuse a neighbour's.
_REDRAW_STRIDE = 7919
_SCREEN_SIDE = 128
# Two more bits against the master than between copies: matching the master is never allowed,
# and a JPEG round trip re-hashed at full resolution moves a 64-bit hash by up to 2 bits
# (seen: one 08-poster-sale copy in 1,000 was 1 bit inside after the round trip with 1).
_MASTER_EXTRA = 2
# After this share of the attempts, draws failing the pHash/dHash screen are checked at the
# hashing reduction anyway, to find a fallback clear of the master and of the team on PDQ.
_LATE = 2 / 3
# A rep with no draw clearing its team gets the best of this many near misses, judged in full.
_FINALISTS = 3
Nearest = tuple[int, int, int]
Score = tuple[bool, bool, int]  # clears the master, no PDQ match in the team, worst margin
Finalist = tuple[Score, int, VariantParams]  # a near miss: its score, -attempt, its draw
Judged = tuple[Score, ImageVariant, Nearest, Nearest]  # a rendered copy and its distances


def _nearest(hashes: ImageHashes, others: Sequence[ImageHashes], *, pdq: bool = True) -> Nearest:
    near = [64, 64, 256]
    for other in others:
        near[0] = min(near[0], (hashes.phash ^ other.phash).bit_count())
        near[1] = min(near[1], (hashes.dhash ^ other.dhash).bit_count())
        if pdq:
            near[2] = min(near[2], (hashes.pdq ^ other.pdq).bit_count())
    return near[0], near[1], near[2]


def _margin(near: Nearest, options: ImageOptions, *, extra: int = 0) -> int:
    """How far the nearest distances lie beyond threshold + margin + `extra` (> 0: clear); PDQ
    in quarters, since its 256 bits move about four times as far as the 64-bit hashes."""
    return min(
        near[0] - options.phash_threshold - options.hash_margin - extra,
        near[1] - options.dhash_threshold - options.hash_margin - extra,
        (near[2] - options.pdq_threshold - options.pdq_margin) // 4 - extra,
    )


def _score(to_master: Nearest, to_team: Nearest, options: ImageOptions) -> Score:
    """Rank full draws: clear of the master, then no PDQ match in the team (both hard
    requirements), then the worst margin (pHash/dHash team matches must only be rare)."""
    master = _margin(to_master, options, extra=_MASTER_EXTRA)
    pdq_clear = to_team[2] > options.pdq_threshold + options.pdq_margin
    return master > 0, pdq_clear, min(master, _margin(to_team, options))


def _rank(
    variant: ImageVariant, to_master: Nearest, to_team: Nearest, options: ImageOptions
) -> Score:
    """`_score`, where a copy outside the fidelity bounds counts as not clearing anything."""
    score = _score(to_master, to_team, options)
    return score if variant.fidelity.within_bounds else (False, False, score[2])


class _Team:
    """The hashes a new copy must clear: the master's and its team's copies so far."""

    def __init__(self, master: ImageHashes, copies: list[ImageHashes]) -> None:
        self.master, self.copies = master, copies

    def nearest(self, hashes: ImageHashes, *, pdq: bool = True) -> tuple[Nearest, Nearest]:
        return _nearest(hashes, [self.master], pdq=pdq), _nearest(hashes, self.copies, pdq=pdq)


def issue_image_copies(
    image: Image.Image,
    rep_keys: Sequence[str],
    *,
    seed_prefix: str,
    teams: Sequence[str] | None = None,
    issued: Sequence[IssuedImage] = (),
    options: ImageOptions = DEFAULT_OPTIONS,
    badges: Sequence[RepBadge | None] | None = None,
    progress: Callable[[int], None] | None = None,
) -> list[ImageVariant]:
    """One copy of `image` (never modified) per rep key, in order, clear of master and team.

    Rep i's copy is re-drawn (seeds `{seed_prefix}:{key}:{attempt}`) until its pHash, dHash
    and PDQ distances to the master and to every copy already issued to team `teams[i]`
    (None: one team for all), including `issued`, exceed the thresholds plus margins of
    `options`, and its fidelity is within bounds. Issued copies never change, so reps added
    later pass `issued`. When `options.max_attempts` run out, the most distinct draw is issued
    with `clears_batch=False`. `badges[i]` overrides `options.rep_badge` for rep i.
    """
    for name, values in (("teams", teams), ("badges", badges)):
        if values is not None and len(values) != len(rep_keys):
            raise ValueError(f"{name} must give one entry per rep key")
    master = prepare(image)
    rungs = _Rungs(master)
    master_hashes = hashes_of_reduced(rungs.mid.image)  # = image_hashes(master.image)
    by_team: defaultdict[str | None, list[ImageHashes]] = defaultdict(list)
    for copy in issued:
        by_team[copy.team].append(copy.hashes)
    copies = []
    for i, key in enumerate(rep_keys):
        team_name = teams[i] if teams is not None else None
        badge = badges[i] if badges is not None else options.rep_badge
        team = _Team(master_hashes, by_team[team_name])
        variant = _issue_one(rungs, f"{seed_prefix}:{key}", options, len(team.copies), badge, team)
        by_team[team_name].append(variant.hashes)
        copies.append(variant)
        if progress is not None:
            progress(len(copies))
    return copies


class _Rungs:
    """The master at the three sizes a draw is judged at: screen, hashing reduction, full."""

    def __init__(self, master: PreparedMaster) -> None:
        self.master = master
        self.screen_factor = max(1, min(master.size) // _SCREEN_SIDE)
        self.mid_factor = reduction(master.size)
        self.screen = self._reduced(self.screen_factor)
        self.mid = self._reduced(self.mid_factor)

    def _reduced(self, factor: int) -> PreparedMaster:
        return PreparedMaster(self.master.image.reduce(factor)) if factor > 1 else self.master

    def render_small(
        self, params: VariantParams, badge: RepBadge | None, *, mid: bool
    ) -> Image.Image:
        """The draw rendered at the screen size (no colour) or at the hashing reduction."""
        proxy, factor = (self.mid, self.mid_factor) if mid else (self.screen, self.screen_factor)
        small = scaled(params, factor, proxy.size)
        image = render(proxy, small, colour=mid)
        if badge is not None and small.badge_box is not None:
            apply_badge(image, badge, small.badge_box)
        return image


def _screen(
    rungs: _Rungs, params: VariantParams, badge: RepBadge | None, team: _Team, options: ImageOptions
) -> tuple[bool, int]:
    """(clears the master?, worst margin) of a draw judged on the proxy by pHash and dHash."""
    phash, dhash = phash_dhash(rungs.render_small(params, badge, mid=False))
    to_master, to_team = team.nearest(ImageHashes(phash, dhash, 0), pdq=False)
    master_margin = _margin(to_master, options, extra=_MASTER_EXTRA)
    return master_margin > 0, min(master_margin, _margin(to_team, options))


def _may_improve(screen_margin: int, finalists: list[Finalist]) -> bool:
    """Whether a late draw that failed the screen is still worth a check: until a fallback
    clears the master and the team on PDQ, any is; after that, only one whose screened
    margin is as good as the best fallback's, so the fallbacks improve at a screen's cost."""
    if not finalists or not _acceptable(finalists[0][0]):
        return True
    return screen_margin >= finalists[0][0][2]


def _loosened(options: ImageOptions) -> ImageOptions:
    """The margins at the hashing reduction: a render made small differs from a full render
    made small by a bit or two, so a draw on the edge goes on to the full render to decide."""
    return dataclasses.replace(
        options, hash_margin=max(0, options.hash_margin - 1), pdq_margin=options.pdq_margin // 2
    )


def _acceptable(score: Score) -> bool:
    """The hard requirements a fallback must meet: clear of the master, no PDQ match."""
    return score[0] and score[1]


def _clears(score: Score) -> bool:
    return _acceptable(score) and score[2] > 0


def _issue_one(
    rungs: _Rungs,
    seed: str,
    options: ImageOptions,
    slot: int,
    badge: RepBadge | None,
    team: _Team,
) -> ImageVariant:
    """The first draw that clears the team in full; else the best one seen, marked as such."""
    master, mid_options = rungs.master, _loosened(options)
    best_screen: tuple[tuple[bool, int], VariantParams] | None = None
    finalists: list[Finalist] = []
    best: Judged | None = None
    for attempt in range(1, options.max_attempts + 1):
        draw_seed = f"{seed}:{attempt - 1}"
        params = draw_params_for(
            master,
            random.Random(draw_seed),
            draw_seed,
            options,
            slot=slot + (attempt - 1) * _REDRAW_STRIDE,
            badge=badge,
        )
        screened = _screen(rungs, params, badge, team, options)
        late = (
            attempt > options.max_attempts * _LATE
            and screened[0]
            and _may_improve(screened[1], finalists)
        )
        if screened[1] <= 0 and not late:
            if best_screen is None or screened > best_screen[0]:
                best_screen = (screened, params)
            continue
        mid = _score(
            *team.nearest(hashes_of_reduced(rungs.render_small(params, badge, mid=True))),
            mid_options,
        )
        if not _clears(mid):
            finalists = heapq.nlargest(_FINALISTS, [*finalists, (mid, -attempt, params)])
            continue
        variant = _full(master, params, badge, options)
        to_master, to_team = team.nearest(variant.hashes)
        score = _rank(variant, to_master, to_team, options)
        if _clears(score):
            return _issued(variant, attempt, to_master, to_team, clears=True)
        if best is None or score > best[0]:
            best = (score, variant, to_master, to_team)
    if finalists:
        finalist = _best_in_full(master, [p for _, _, p in finalists], badge, team, options)
        if best is None or finalist[0] > best[0]:
            best = finalist
    if best is None or not _acceptable(best[0]):
        best = _clear_of_master(master, seed, options, badge, team, best_screen, best)
    _, variant, to_master, to_team = best
    clears = _score(to_master, to_team, options)[2] > 0
    return _issued(
        variant,
        options.max_attempts,
        to_master,
        to_team,
        clears=clears and variant.fidelity.within_bounds,
    )


def _clear_of_master(
    master: PreparedMaster,
    seed: str,
    options: ImageOptions,
    badge: RepBadge | None,
    team: _Team,
    screened: tuple[tuple[bool, int], VariantParams] | None,
    best: Judged | None,
) -> Judged:
    """When the team cannot be cleared: a further draw clear of the master and of the team on
    PDQ, else the best one clear of the master (the master is never matched)."""
    candidates = [] if screened is None else [screened[1]]
    for extra in range(options.max_attempts):
        draw_seed = f"{seed}:master:{extra}"
        candidates.append(
            draw_params_for(
                master, random.Random(draw_seed), draw_seed, options, slot=None, badge=badge
            )
        )
        variant = _full(master, candidates.pop(0), badge, options)
        to_master, to_team = team.nearest(variant.hashes)
        score = _rank(variant, to_master, to_team, options)
        if best is None or score > best[0]:
            best = (score, variant, to_master, to_team)
        if _acceptable(score):
            return best
    if best is not None and best[0][0]:
        return best
    raise DiversityError(
        "no copy of this image clears the master on all three hashes; "
        "widen ImageOptions (lower min_scale, allow rotation)"
    )


def _best_in_full(
    master: PreparedMaster,
    candidates: list[VariantParams],
    badge: RepBadge | None,
    team: _Team,
    options: ImageOptions,
) -> Judged:
    """The near miss that does best when rendered in full (the reduction is a bit or two off);
    fidelity is measured for that one only."""
    judged: list[tuple[Score, int, Image.Image, ImageHashes, VariantParams, Nearest, Nearest]]
    judged = []
    for params in candidates:
        image = _rendered(master, params, badge)
        hashes = image_hashes(image)
        to_master, to_team = team.nearest(hashes)
        score = _score(to_master, to_team, options)
        judged.append((score, -len(judged), image, hashes, params, to_master, to_team))
    *_, image, hashes, params, to_master, to_team = max(judged)
    variant = finish(master, params, image, options, hashes)
    return _rank(variant, to_master, to_team, options), variant, to_master, to_team


def _rendered(master: PreparedMaster, params: VariantParams, badge: RepBadge | None) -> Image.Image:
    image = render(master, params)
    if badge is not None and params.badge_box is not None:
        apply_badge(image, badge, params.badge_box)
    return image


def _full(
    master: PreparedMaster, params: VariantParams, badge: RepBadge | None, options: ImageOptions
) -> ImageVariant:
    return finish(master, params, _rendered(master, params, badge), options)


def _issued(
    variant: ImageVariant, attempts: int, to_master: Nearest, to_team: Nearest, *, clears: bool
) -> ImageVariant:
    nearest = (
        min(to_master[0], to_team[0]),
        min(to_master[1], to_team[1]),
        min(to_master[2], to_team[2]),
    )
    return dataclasses.replace(variant, attempts=attempts, nearest=nearest, clears_batch=clears)
