"""issue_image_copies: every copy clears the master; inside a team, copies clear each other."""

from __future__ import annotations

import itertools
from typing import Any

import pytest

from variation.image import (
    ImageOptions,
    ImageVariant,
    IssuedImage,
    RepBadge,
    encode_image,
    image_hashes,
    issue_image_copies,
)

from ._image_builders import sample

REPS = [f"rep-{n:04d}" for n in range(1, 61)]
TEAMS = [f"team-{n // 20}" for n in range(60)]


@pytest.fixture(scope="module", params=["01", "08"])
def batch(request: pytest.FixtureRequest) -> tuple[str, list[ImageVariant]]:
    name = request.param
    return name, issue_image_copies(sample(name), REPS, seed_prefix=f"post:{name}", teams=TEAMS)


def team_pairs(copies: list[ImageVariant]) -> list[tuple[int, int, int]]:
    return [
        copies[a].hashes.distances(copies[b].hashes)
        for a, b in itertools.combinations(range(len(copies)), 2)
        if TEAMS[a] == TEAMS[b]
    ]


class TestBatchDiversity:
    def test_every_copy_clears_the_master_on_all_three(self, batch: tuple[str, list]) -> None:
        name, copies = batch
        master = image_hashes(sample(name))
        distances = [c.hashes.distances(master) for c in copies]
        assert all(p > 8 and d > 8 and q > 31 for p, d, q in distances)

    def test_no_pdq_pair_inside_a_team(self, batch: tuple[str, list]) -> None:
        assert [q for _, _, q in team_pairs(batch[1]) if q <= 31] == []

    def test_phash_dhash_pairs_inside_a_team_are_rare(self, batch: tuple[str, list]) -> None:
        pairs = team_pairs(batch[1])
        matching = sum(p <= 8 or d <= 8 for p, d, _ in pairs)
        assert matching <= 0.02 * len(pairs)

    def test_every_copy_is_within_the_fidelity_bounds(self, batch: tuple[str, list]) -> None:
        assert all(c.fidelity.within_bounds and c.fidelity.visible >= 0.97 for c in batch[1])

    def test_cleared_copies_say_so(self, batch: tuple[str, list]) -> None:
        assert sum(c.clears_batch for c in batch[1]) >= 57
        assert all(1 <= c.attempts <= ImageOptions().max_attempts for c in batch[1])


class TestIssuedLater:
    def test_reps_added_later_clear_the_issued_copies(self) -> None:
        master = sample("09")
        first = issue_image_copies(master, REPS[:15], seed_prefix="p")
        issued = [IssuedImage(c.hashes) for c in first]
        later = issue_image_copies(master, REPS[15:25], seed_prefix="p", issued=issued)
        again = issue_image_copies(master, REPS[:15], seed_prefix="p")
        assert [c.hashes for c in again] == [c.hashes for c in first], "issued copies never change"
        for copy in later:
            assert all(copy.hashes.distances(old.hashes)[2] > 31 for old in issued)

    def test_other_teams_do_not_constrain(self) -> None:
        master = sample("09")
        issued = [IssuedImage(image_hashes(master), team="elsewhere")] * 3
        alone = issue_image_copies(master, REPS[:3], seed_prefix="q", teams=["t"] * 3)
        beside = issue_image_copies(
            master, REPS[:3], seed_prefix="q", teams=["t"] * 3, issued=issued
        )
        assert [c.hashes for c in alone] == [c.hashes for c in beside]


class TestBatchContract:
    def test_same_inputs_same_bytes(self) -> None:
        master = sample("02", width=240)
        runs = [issue_image_copies(master, REPS[:4], seed_prefix="s") for _ in range(2)]
        assert [encode_image(c.image) for c in runs[0]] == [encode_image(c.image) for c in runs[1]]

    def test_per_rep_badges(self) -> None:
        badges = [RepBadge(name="小王"), None]
        copies = issue_image_copies(
            sample("02", width=240), REPS[:2], seed_prefix="b", badges=badges
        )
        assert copies[0].params.badge_box is not None and copies[1].params.badge_box is None

    @pytest.mark.parametrize("field", ["teams", "badges"])
    def test_lengths_must_match_reps(self, field: str) -> None:
        with pytest.raises(ValueError, match="one entry per rep"):
            options: dict[str, Any] = {field: [None]}
            issue_image_copies(sample("02", width=120), REPS[:3], seed_prefix="x", **options)

    def test_progress_is_reported(self) -> None:
        seen: list[int] = []
        issue_image_copies(sample("02", width=160), REPS[:3], seed_prefix="x", progress=seen.append)
        assert seen == [1, 2, 3]
