"""Image files left without a row by a killed process are deleted after a grace period;
files that a post or a copy names are never touched."""

from __future__ import annotations

import os
import time
from pathlib import Path
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import select

from service import orphans
from service.db import unit_of_work
from service.models import Copy, ImageCopy, PostImage
from service.runtime import Runtime
from tests.service.conftest import Org
from tests.service.test_copies import published_post

HOURS = 3600.0


def test_old_unreferenced_files_go_and_everything_a_row_names_stays(
    client: TestClient, org: Org, add_reps: Any, runtime: Runtime
) -> None:
    ((_, path),) = add_reps(org, ["张三"])
    post_id = published_post(client, org, images=2)
    assert client.get(path).status_code == 200  # the rep page makes the copy
    with unit_of_work(runtime.sessions) as session:
        named = list(
            session.scalars(select(PostImage.storage_key).where(PostImage.post_id == post_id))
        )
        named += session.scalars(
            select(ImageCopy.storage_key).join(Copy).where(Copy.post_id == post_id)
        )
    assert len(named) == 4
    store = runtime.storage
    left_behind = [
        f"copies/{post_id}/99999-0-killedworker.jpg",  # written, then the worker died
        f"posts/{post_id}/master-5-killedupload.jpg",  # written, then the API died
        f"copies/{post_id}/.tmp-half-written",  # the worker died inside put()
    ]
    just_written = f"copies/{post_id}/99998-0-stillcommitting.jpg"
    for key in [*left_behind, just_written]:
        store.put(key, b"\xff\xd8 not really a jpeg")
    now = time.time()
    media = runtime.settings.media_dir
    for key in [*named, *left_behind]:  # everything old enough but the one in flight
        os.utime(media / key, (now - 2 * HOURS, now - 2 * HOURS))

    removed = orphans.remove_orphans(runtime.sessions, store, now=now)

    assert removed >= len(left_behind)
    assert not any(Path(media / key).exists() for key in left_behind)
    assert all(store.exists(key) for key in [*named, just_written])
    assert client.get(path).status_code == 200  # the rep's images are all still served
