"""A post's sentence alternatives, versioned: every edit adds a version, nothing is changed.

New copies are made from the post's current version and record its number; copies already
issued keep the text they were given. Every alternative, approved or not, passes the same
fidelity gate as the engine's rewrites (prices, phones, links and protected terms exactly as
in the sentence), so a ticked box can never put a wrong price in front of a customer.
"""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy.orm import Session

from service import engines
from service.db import lock_row
from service.errors import Conflict, Unprocessable
from service.models import Post, PostTextVersion
from service.posts import repository, sentences
from service.posts.reasons import describe
from service.posts.schemas import AlternativeIn, AlternativesRead, SentenceIn, SentenceRead


def current_sentences(session: Session, post: Post) -> list[sentences.Sentence]:
    """The current version's sentences; a post without saved alternatives gets its text's
    (inline choices as alternatives)."""
    row = _current(session, post)
    if row is None or not row.sentences:
        return sentences.split_or_whole(post.text, protected=post.protected)
    return [_from_json(item) for item in row.sentences]


def engine_master(session: Session, post: Post) -> str:
    """What the engine varies: the text with ticked alternatives as spintax; the text as
    written (inline spintax included) while no alternatives were saved."""
    row = _current(session, post)
    if row is None or not row.sentences:
        return post.text
    return sentences.to_spintax([_from_json(item) for item in row.sentences])


def _current(session: Session, post: Post) -> PostTextVersion | None:
    return repository.version(session, post_id=post.id, version=post.text_version)


def first_version(
    session: Session, post: Post, given: Sequence[SentenceIn] | None, *, author_id: int | None
) -> PostTextVersion:
    post.text_version = 1
    chosen = _checked(post, given) if given is not None else []
    return repository.add_version(
        session,
        PostTextVersion(post_id=post.id, version=1, author_id=author_id, sentences=chosen),
    )


def save(
    session: Session,
    post: Post,
    given: Sequence[SentenceIn],
    *,
    author_id: int | None,
    base_version: int | None,
) -> PostTextVersion:
    """A new version holding `given`; refused when another edit was saved since
    `base_version` (the editor would otherwise overwrite it unseen)."""
    lock_row(session, Post, post.id)
    session.refresh(post, ["text_version"])
    if base_version is not None and base_version != post.text_version:
        raise Conflict(
            f"版本 {post.text_version} 已由他人保存，请刷新后再编辑"
            f"（你的编辑基于版本 {base_version}）",
            code="version_conflict",
        )
    chosen = _checked(post, given) if given else []
    post.text_version += 1
    return repository.add_version(
        session,
        PostTextVersion(
            post_id=post.id, version=post.text_version, author_id=author_id, sentences=chosen
        ),
    )


def to_read(session: Session, post: Post) -> AlternativesRead:
    return _read(post.text_version, current_sentences(session, post))


def _read(version: int, shown: Sequence[sentences.Sentence]) -> AlternativesRead:
    """`shown` sentences (with their alternatives) as the API and the editor read them."""
    return AlternativesRead(
        version=version,
        sentences=[
            SentenceRead(
                text=s.text,
                tail=s.tail,
                alternatives=[
                    AlternativeIn(text=a.text, approved=a.approved) for a in s.alternatives
                ],
            )
            for s in shown
        ],
        distinct_bodies=sentences.distinct_bodies(shown),
    )


def preview(
    text: str, protected: Sequence[str], given: Sequence[SentenceIn] | None
) -> AlternativesRead:
    """The sentences of a text not yet saved (the new-post form), with `given` checked."""
    split = sentences.split(text, protected=protected)
    chosen = [_from_json(item) for item in _match(split, given, protected)] if given else split
    return _read(0, chosen)


def _checked(post: Post, given: Sequence[SentenceIn]) -> list[dict[str, object]]:
    split = sentences.split(post.text, protected=post.protected)
    return _match(split, given, post.protected)


def _match(
    split: Sequence[sentences.Sentence], given: Sequence[SentenceIn], protected: Sequence[str]
) -> list[dict[str, object]]:
    """The split sentences with the alternatives `given` for them (by position; each
    sentence's text must be the one split from the post, or the editor saw another text)."""
    if [s.text for s in given] != [s.text for s in split]:
        raise Conflict(
            "句子与文案不一致：文案已修改，请重新分句后再保存改写",
            code="sentences_changed",
        )
    out: list[dict[str, object]] = []
    for number, (sentence, item) in enumerate(zip(split, given, strict=True), start=1):
        alternatives = [
            a for a in item.alternatives if a.text.strip() not in {"", sentence.text.strip()}
        ]
        written = {a.text for a in sentence.alternatives}  # the text's own inline choices
        for alternative in alternatives:
            if alternative.text.strip() not in written:
                _check(number, sentence.text, alternative.text.strip(), protected)
        out.append(
            {
                "text": sentence.text,
                "tail": sentence.tail,
                "alternatives": [
                    {"text": a.text.strip(), "approved": a.approved} for a in alternatives
                ],
            }
        )
    return out


def _check(number: int, sentence: str, alternative: str, protected: Sequence[str]) -> None:
    rejections = engines.plain_rejections(sentence, alternative, protected)
    if rejections:
        raise Unprocessable(
            f"第 {number} 句的改写「{alternative}」不能使用：{describe(rejections)}",
            code="alternative_rejected",
        )


def _from_json(item: dict[str, object]) -> sentences.Sentence:
    alternatives = item.get("alternatives") or []
    assert isinstance(alternatives, list)
    return sentences.Sentence(
        text=str(item["text"]),
        tail=str(item.get("tail", "")),
        alternatives=tuple(
            sentences.Alternative(str(a["text"]), bool(a.get("approved", True)))
            for a in alternatives
        ),
    )
