"""The tracking domain's dependencies: the one way a route loads a viewer, and the viewer
list's filters (one definition for the API, the dashboard's pages and the segments)."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Query

from service.deps import CurrentStaff, SessionDep
from service.models.tracking import Viewer
from service.tracking import viewers as tracking_viewers


def get_viewer(viewer_id: int, staff: CurrentStaff, session: SessionDep) -> Viewer:
    """The viewer in the caller's organisation; any other id is 404, whoever it belongs to."""
    return tracking_viewers.get(session, org_id=staff.org_id, viewer_id=viewer_id)


ViewerDep = Annotated[Viewer, Depends(get_viewer)]
ViewerSearch = Annotated[
    str, Query(max_length=100, description="a label a rep gave, or a viewer's number (#123)")
]
ViewerTags = Annotated[
    list[str], Query(alias="tag", max_length=10, description="tags all present; repeat `tag`")
]
SeenDays = Annotated[int | None, Query(description="seen in the last N days (1-3660)")]
