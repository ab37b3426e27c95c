"""Master posts API (editors write, all staff read)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, File, Form, Response, UploadFile, status
from pydantic import TypeAdapter, ValidationError

from service.access import PostEditor
from service.deps import CurrentStaff, RuntimeDep, SessionDep
from service.errors import NotFound, Unprocessable
from service.posts import service, versions
from service.posts.deps import PostDep
from service.posts.schemas import (
    MAX_IMAGE_BYTES,
    MAX_IMAGES,
    AlternativesRead,
    AlternativesUpdate,
    FrameLines,
    Particles,
    PostCreate,
    PostRead,
    SentenceIn,
    SentencesRequest,
    VoiceUpdate,
)
from service.routing import CredentialsFirst
from service.storage import media_type
from service.text import parse
from service.uploads import read_limited

router = APIRouter(prefix="/api/posts", tags=["posts"], route_class=CredentialsFirst)


def read_uploads(images: list[UploadFile]) -> list[service.Upload]:
    """Files with content, each within the size limit (checked before decoding)."""
    files = [image for image in images if image.filename or image.size]
    if len(files) > MAX_IMAGES:
        raise Unprocessable(
            f"{len(files)} images; WeChat allows at most {MAX_IMAGES}", code="too_many_images"
        )
    return [
        service.Upload(
            filename=file.filename or f"image {number}",
            data=read_limited(file, MAX_IMAGE_BYTES, what=f"image {number} ({file.filename})"),
        )
        for number, file in enumerate(files, start=1)
    ]


_SENTENCES = TypeAdapter(list[SentenceIn])


def read_sentences(raw: str | None) -> list[SentenceIn] | None:
    """The `sentences` form field: JSON as the alternatives editor sends it; empty: none."""
    if not raw or not raw.strip():
        return None
    try:
        return _SENTENCES.validate_json(raw)
    except ValidationError as exc:
        raise Unprocessable(
            f"改写数据格式不正确：{exc.errors()[0]['msg']}", code="invalid_sentences"
        ) from None


@router.post("/sentences")
def split_sentences(data: SentencesRequest, editor: PostEditor) -> AlternativesRead:
    """The text's sentences, with `sentences`' alternatives checked, and the distinct bodies."""
    return versions.preview(
        data.text.replace("\r\n", "\n").strip("\n"), data.protected, data.sentences
    )


@router.post("", status_code=status.HTTP_201_CREATED)
def create_post(
    editor: PostEditor,
    session: SessionDep,
    runtime: RuntimeDep,
    title: Annotated[str, Form(max_length=200)],
    text: Annotated[str, Form()] = "",
    images: Annotated[list[UploadFile], File()] = [],  # noqa: B006 (FastAPI copies defaults)
    protected: Annotated[list[str], Form()] = [],  # noqa: B006
    article: Annotated[str | None, Form()] = None,
    frame_lines: Annotated[FrameLines | None, Form()] = None,
    particles: Annotated[Particles | None, Form()] = None,
    sentences: Annotated[str | None, Form()] = None,
) -> PostRead:
    """Multipart: `title`, `text`, `images` (0-9, repeated), `protected` (repeated), `article`,
    `frame_lines` and `particles` (empty: the organisation's voice), `sentences` (JSON: each
    sentence with its alternatives, as `POST /api/posts/sentences` gives them)."""
    fields = {
        "title": title,
        "text": text,
        "protected": protected,
        "article": article,
        "frame_lines": frame_lines,
        "particles": particles,
        "sentences": read_sentences(sentences),
    }
    data = parse(PostCreate, fields, code="invalid_text")
    post = service.create(
        session,
        runtime.storage,
        org_id=editor.org_id,
        author_id=editor.id,
        data=data,
        uploads=read_uploads(images),
    )
    return service.to_read(post)


@router.get("")
def list_posts(staff: CurrentStaff, session: SessionDep) -> list[PostRead]:
    return [service.to_read(post) for post in service.list_(session, org_id=staff.org_id)]


@router.get("/{post_id}")
def get_post(post: PostDep) -> PostRead:
    return service.to_read(post)


@router.get("/{post_id}/alternatives")
def get_alternatives(post: PostDep, session: SessionDep) -> AlternativesRead:
    """The current version's sentences and alternatives."""
    return versions.to_read(session, post)


@router.put("/{post_id}/alternatives")
def set_alternatives(
    post: PostDep, data: AlternativesUpdate, editor: PostEditor, session: SessionDep
) -> AlternativesRead:
    """A new version; copies issued before keep their text, new ones use this version."""
    versions.save(
        session, post, data.sentences, author_id=editor.id, base_version=data.base_version
    )
    return versions.to_read(session, post)


@router.put("/{post_id}/voice")
def set_voice(
    post: PostDep, data: VoiceUpdate, editor: PostEditor, session: SessionDep
) -> PostRead:
    return service.to_read(service.set_voice(session, post, data))


@router.get("/{post_id}/images/{position}", response_class=Response)
def master_image(post: PostDep, position: int, runtime: RuntimeDep) -> Response:
    image = next((image for image in post.images if image.position == position), None)
    if image is None:
        raise NotFound(f"post {post.id} has no image {position}", code="image_not_found")
    return Response(
        runtime.storage.get(image.storage_key),
        media_type=media_type(image.storage_key),
        headers={"Cache-Control": "private, max-age=86400"},
    )
