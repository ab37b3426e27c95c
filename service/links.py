"""Signed values of read tracking: share links and page-view tokens (shared plumbing: copies
build share links, tracking reads them; like service.security, it knows no domain).

A share token carries (org, post, rep, parent viewer); a viewer's child link is the same with
the viewer as parent, so a re-share tells us who shared to whom. Share links are not tied to
the rep's link nonce: a rotated rep link must not break what customers already received.
A view token carries (page view id, opened-at second): the beacon endpoint trusts nothing else.

A hop token rides on the redirect from someone else's link to the viewer's own (WeChat on iOS
shares the landing URL, ignoring client-side rewrites, so the landing URL itself must be the
viewer's); it says who the first link came from and expires in two minutes, so a shared copy
of the URL is soon ignored.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

from itsdangerous import BadSignature, URLSafeSerializer, URLSafeTimedSerializer

from service.security import TokenError
from service.settings import Settings

HOP_MAX_AGE_SECONDS = 120


@dataclass(frozen=True)
class ShareLink:
    org_id: int
    post_id: int
    rep_id: int
    parent_viewer_id: int | None = None


MAX_SECTIONS = 64  # what a view token issued before sections were counted may report


@dataclass(frozen=True)
class ViewToken:
    page_view_id: int
    opened_at: int  # unix seconds, as the server saw the opening
    sections: int = MAX_SECTIONS  # the article's sections: ids s1..sN (and "copy") are real

    def section_ids(self) -> frozenset[str]:
        """The only section ids a beacon of this page view may report."""
        count = min(self.sections, MAX_SECTIONS)
        return frozenset({"copy", *(f"s{n}" for n in range(1, count + 1))})


class TrackingSigner:
    """Keys oldest first, as in service.security.Signer: the last signs, all verify."""

    def __init__(self, secret_keys: str | tuple[str, ...]) -> None:
        keys = [secret_keys] if isinstance(secret_keys, str) else list(secret_keys)
        self._share = URLSafeSerializer(keys, salt="momentcast.share")
        self._view = URLSafeSerializer(keys, salt="momentcast.view")
        self._hop = URLSafeTimedSerializer(keys, salt="momentcast.hop")

    def share_token(self, link: ShareLink) -> str:
        return self._share.dumps(
            [link.org_id, link.post_id, link.rep_id, link.parent_viewer_id or 0]
        )

    def read_share_token(self, token: str) -> ShareLink:
        try:
            org_id, post_id, rep_id, parent = self._share.loads(token)
            return ShareLink(int(org_id), int(post_id), int(rep_id), int(parent) or None)
        except (BadSignature, ValueError, TypeError):
            raise TokenError("this share link is not valid") from None

    def view_token(self, view: ViewToken) -> str:
        return self._view.dumps([view.page_view_id, view.opened_at, view.sections])

    def read_view_token(self, token: str) -> ViewToken:
        """Two fields from tokens issued before the section count was added, three since."""
        try:
            page_view_id, opened_at, *rest = self._view.loads(token)
            sections = int(rest[0]) if rest else MAX_SECTIONS
            return ViewToken(int(page_view_id), int(opened_at), max(0, sections))
        except (BadSignature, ValueError, TypeError, IndexError):
            raise TokenError("the tracking token is not valid") from None

    def hop_token(self, parent_viewer_id: int | None) -> str:
        return self._hop.dumps(parent_viewer_id or 0)

    def read_hop_token(self, token: str) -> int | None:
        """The parent the viewer arrived through (None: the rep); TokenError when stale."""
        try:
            return int(self._hop.loads(token, max_age=HOP_MAX_AGE_SECONDS)) or None
        except (BadSignature, ValueError, TypeError):
            raise TokenError("the hop token is not valid or has expired") from None


def share_path(signer: TrackingSigner, link: ShareLink) -> str:
    return f"/s/{signer.share_token(link)}"


@lru_cache(maxsize=8)
def signer_for(secret_keys: str | tuple[str, ...]) -> TrackingSigner:
    return TrackingSigner(secret_keys)


def share_url(settings: Settings, link: ShareLink) -> str:
    """The absolute link a rep shares (or a viewer re-shares)."""
    return settings.base_url + share_path(signer_for(settings.secret_keys), link)
