"""Editors' pages: the post list, the upload form, the alternatives editor (the preview and
publishing: service/plans/pages.py)."""

from __future__ import annotations

import json
from typing import Annotated, Any

from fastapi import APIRouter, File, Form, Request, UploadFile
from fastapi.responses import HTMLResponse, Response
from sqlalchemy.orm import Session

from service.access import EDIT_POSTS, PagePostEditor, can
from service.deps import RuntimeDep, SessionDep
from service.errors import AppError, FormRejected, NotFound, Unprocessable
from service.models import Post, Staff
from service.orgs.voice import FRAME_LINE_LABELS, PARTICLE_LABELS
from service.posts import service, versions
from service.posts.deps import PostDep
from service.posts.router import read_sentences, read_uploads
from service.posts.schemas import PostCreate, VoiceUpdate
from service.routing import CredentialsFirst
from service.text import parse
from service.web import CsrfForm, PageStaff, redirect, render

router = APIRouter(prefix="/admin", include_in_schema=False, route_class=CredentialsFirst)


@router.get("", response_class=HTMLResponse)
def post_list(request: Request, staff: PageStaff, session: SessionDep) -> HTMLResponse:
    return render(
        request,
        "posts.html",
        posts=service.list_(session, org_id=staff.org_id),
        can_edit=can(staff, EDIT_POSTS),
    )


VOICE_CHOICES: dict[str, Any] = {
    "frame_labels": FRAME_LINE_LABELS,
    "particle_labels": PARTICLE_LABELS,
}


@router.get("/posts/new", response_class=HTMLResponse)
def new_post(request: Request, staff: PageStaff) -> HTMLResponse:
    empty = {
        "title": "",
        "text": "",
        "protected": "",
        "article": "",
        "frame_lines": "",
        "particles": "",
        "sentences": "",
    }
    return render(request, "post_new.html", form=empty, error=None, **VOICE_CHOICES)


def _choice(value: str, allowed: dict[str, str]) -> str | None:
    """A select's value: "" is the organisation's default; anything unknown is refused."""
    if not value:
        return None
    if value not in allowed:
        raise Unprocessable(f"未知的选项 {value!r}", code="invalid_voice")
    return value


@router.post("/posts", response_class=HTMLResponse, response_model=None)
def create_post(
    request: Request,
    _csrf: CsrfForm,
    staff: PagePostEditor,
    session: SessionDep,
    runtime: RuntimeDep,
    title: Annotated[str, Form()],
    text: Annotated[str, Form()] = "",
    protected: Annotated[str, Form()] = "",
    article: Annotated[str, Form()] = "",
    frame_lines: Annotated[str, Form()] = "",
    particles: Annotated[str, Form()] = "",
    sentences: Annotated[str, Form()] = "",
    images: Annotated[list[UploadFile], File()] = [],  # noqa: B006
) -> Response:
    terms = [term for line in protected.splitlines() for term in line.split("，")]
    try:
        fields = {
            "title": title,
            "text": text,
            "protected": terms,
            "article": article,
            "frame_lines": _choice(frame_lines, FRAME_LINE_LABELS),
            "particles": _choice(particles, PARTICLE_LABELS),
            "sentences": read_sentences(sentences),
        }
        data = parse(PostCreate, fields, code="invalid_text")
        post = service.create(
            session,
            runtime.storage,
            org_id=staff.org_id,
            author_id=staff.id,
            data=data,
            uploads=read_uploads(images),
        )
    except AppError as exc:
        form = {
            "title": title,
            "text": text,
            "protected": protected,
            "article": article,
            "frame_lines": frame_lines,
            "particles": particles,
            "sentences": sentences,
        }
        error, status_code = exc.message or exc.detail, exc.status_code
        raise FormRejected(
            exc,
            lambda session, staff: render(
                request,
                "post_new.html",
                status_code=status_code,
                form=form,
                error=error,
                **VOICE_CHOICES,
            ),
        ) from exc
    return redirect(f"/admin/posts/{post.id}")


@router.get("/posts/{post_id}/alternatives", response_class=HTMLResponse)
def alternatives_page(
    request: Request, staff: PageStaff, post: PostDep, session: SessionDep
) -> HTMLResponse:
    return _alternatives(request, post, session, error=None)


def _reload(session: Session, staff: Staff, post_id: int) -> Post:
    """The post again, in the session that renders a refused form."""
    post = service.get(session, org_id=staff.org_id, post_id=post_id)
    if post is None:
        raise NotFound(f"no post {post_id}", code="post_not_found")
    return post


def _alternatives(
    request: Request, post: PostDep, session: SessionDep, *, error: str | None, status: int = 200
) -> HTMLResponse:
    current = versions.to_read(session, post)
    return render(
        request,
        "post_alternatives.html",
        status_code=status,
        post=post,
        current=current,
        sentences_json=json.dumps(
            [s.model_dump(include={"text", "alternatives"}) for s in current.sentences],
            ensure_ascii=False,
        ),
        error=error,
        **VOICE_CHOICES,
    )


@router.post("/posts/{post_id}/alternatives", response_class=HTMLResponse, response_model=None)
def save_alternatives(
    request: Request,
    _csrf: CsrfForm,
    post: PostDep,
    staff: PagePostEditor,
    session: SessionDep,
    sentences: Annotated[str, Form()] = "",
    base_version: Annotated[int | None, Form()] = None,
    frame_lines: Annotated[str, Form()] = "",
    particles: Annotated[str, Form()] = "",
) -> Response:
    """A new version of the alternatives (and the post's voice) from the editor's form."""
    try:
        given = read_sentences(sentences) or []
        voice = VoiceUpdate.model_validate(
            {
                "frame_lines": _choice(frame_lines, FRAME_LINE_LABELS),
                "particles": _choice(particles, PARTICLE_LABELS),
            }
        )
        service.set_voice(session, post, voice)
        versions.save(session, post, given, author_id=staff.id, base_version=base_version)
    except AppError as exc:
        error, status, post_id = exc.detail, exc.status_code, post.id
        raise FormRejected(
            exc,
            lambda session, staff: _alternatives(
                request, _reload(session, staff, post_id), session, error=error, status=status
            ),
        ) from exc
    return redirect(f"/admin/posts/{post.id}")
