"""Server-rendered SVG charts: no JavaScript, no external library; every text is escaped."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from markupsafe import Markup, escape

from service.dashboard.post_detail import Spread
from service.dashboard.schemas import Bucket, CompletionPoint, SectionHeat

ACCENT, MUTED, LINE = "#07c160", "#6b7280", "#e5e7eb"
KIND_COLOURS = {"rep": "#1677ff", "koc": "#cf1322", "sharer": "#fa8c16", "readers": "#bfbfbf"}


def _svg(width: int, height: int, body: str, label: str, *, natural: bool = False) -> Markup:
    """`natural`: drawn at its own size (a wide tree scrolls) instead of scaled to fit."""
    size = (
        f'class="chart natural" width="{width}" height="{height}"' if natural else 'class="chart"'
    )
    return Markup(
        f'<svg {size} viewBox="0 0 {width} {height}" role="img" '
        f'aria-label="{escape(label)}" xmlns="http://www.w3.org/2000/svg" '
        f'font-size="12" font-family="inherit">{body}</svg>'
    )


def bars(buckets: Sequence[Bucket], *, label: str = "阅读时长分布") -> Markup:
    """Vertical bars, one per bucket, with the count above and the bucket under each."""
    width, height, top, bottom = 360, 170, 18, 24
    step = width / max(1, len(buckets))
    most = max((b.viewers for b in buckets), default=0) or 1
    parts = [
        f'<line x1="0" y1="{height - bottom}" x2="{width}" y2="{height - bottom}" stroke="{LINE}"/>'
    ]
    for i, bucket in enumerate(buckets):
        h = (height - top - bottom) * bucket.viewers / most
        x, y = i * step + step * 0.15, height - bottom - h
        parts.append(
            f'<rect x="{x:.1f}" y="{y:.1f}" width="{step * 0.7:.1f}" height="{h:.1f}" '
            f'fill="{ACCENT}" rx="2"><title>{escape(bucket.label)}: {bucket.viewers}</title></rect>'
            f'<text x="{x + step * 0.35:.1f}" y="{y - 4:.1f}" text-anchor="middle" '
            f'data-bucket="{i}">{bucket.viewers}</text>'
            f'<text x="{x + step * 0.35:.1f}" y="{height - 7}" text-anchor="middle" '
            f'fill="{MUTED}">{escape(bucket.label)}</text>'
        )
    return _svg(width, height, "".join(parts), label)


def curve(points: Sequence[CompletionPoint], *, label: str = "滚动完成率") -> Markup:
    """Share of viewers (y, %) who scrolled at least to each depth (x, %)."""
    width, height, left, bottom, top = 360, 170, 34, 22, 10
    plot_w, plot_h = width - left - 8, height - top - bottom

    def xy(point: CompletionPoint) -> tuple[float, float]:
        x = left + plot_w * point.depth_percent / 100
        return x, top + plot_h * (1 - point.viewers_percent / 100)

    parts = []
    for tick in (0, 50, 100):
        y = top + plot_h * (1 - tick / 100)
        parts.append(
            f'<line x1="{left}" y1="{y:.1f}" x2="{width - 8}" y2="{y:.1f}" stroke="{LINE}"/>'
            f'<text x="{left - 4}" y="{y + 4:.1f}" text-anchor="end" fill="{MUTED}">{tick}%</text>'
        )
    for tick, anchor in ((0, "start"), (50, "middle"), (100, "end")):
        x = left + plot_w * tick / 100
        parts.append(
            f'<text x="{x:.1f}" y="{height - 6}" text-anchor="{anchor}" fill="{MUTED}">'
            f"{'页首' if tick == 0 else ('页尾' if tick == 100 else '50%')}</text>"
        )
    coords = " ".join(f"{x:.1f},{y:.1f}" for x, y in map(xy, points))
    parts.append(f'<polyline points="{coords}" fill="none" stroke="{ACCENT}" stroke-width="2.5"/>')
    for point in points:
        x, y = xy(point)
        parts.append(
            f'<circle cx="{x:.1f}" cy="{y:.1f}" r="3" fill="{ACCENT}">'
            f"<title>{point.depth_percent}%: {point.viewers_percent}%</title></circle>"
        )
    return _svg(width, height, "".join(parts), label)


def strip(sections: Sequence[SectionHeat], *, label: str = "各部分阅读热度") -> Markup:
    """One cell per part of the page, darker where readers spent more of their time."""
    width, height = 360, 54
    step = width / max(1, len(sections))
    most = max((s.seconds for s in sections), default=0) or 1
    parts = []
    for i, section in enumerate(sections):
        alpha = 0.08 + 0.92 * section.seconds / most
        short = "文案" if section.id == "copy" else str(i if sections[0].id == "copy" else i + 1)
        ink = "#fff" if alpha > 0.55 else "#1f2329"
        parts.append(
            f'<rect x="{i * step:.1f}" y="0" width="{step - 2:.1f}" height="36" rx="3" '
            f'fill="#fa541c" fill-opacity="{alpha:.2f}" data-section="{escape(section.id)}">'
            f"<title>{escape(section.title)}: {section.seconds} 秒 ({section.share_percent}%)"
            f"</title></rect>"
            f'<text x="{i * step + step / 2:.1f}" y="23" text-anchor="middle" fill="{ink}">'
            f"{section.share_percent:.0f}%</text>"
            f'<text x="{i * step + step / 2:.1f}" y="50" text-anchor="middle" fill="{MUTED}">'
            f"{escape(short)}</text>"
        )
    return _svg(width, height, "".join(parts), label)


@dataclass
class Box:
    """One drawn node: a rep, a viewer who forwarded, or "+N 位读者" who did not."""

    text: str
    kind: str
    children: list[Box] = field(default_factory=list)


def tree_boxes(
    spread: Spread,
    rep_names: dict[int, str],
    *,
    kocs: set[int],
    max_reps: int = 12,
    max_rows: int = 60,
) -> list[Box]:
    """The reps whose links spread furthest, each with its forwarding viewers expanded and
    the readers who forwarded to nobody folded into one box per parent."""
    budget = [max_rows]

    def under(parent: int | None, rep_id: int) -> list[Box]:
        kids = [k for k in spread.children.get(parent, []) if spread.nodes[k].rep_id == rep_id]
        boxes = []
        for kid in sorted(kids, key=lambda k: (-spread.nodes[k].downstream, k)):
            if budget[0] <= 0:
                break
            budget[0] -= 1
            node = spread.nodes[kid]
            text = f"{node.label or f'读者#{kid}'} · 带来{node.downstream}人"
            kind = "koc" if kid in kocs else "sharer"
            boxes.append(Box(text, kind, under(kid, rep_id)))
        everyone = spread.roots.get(rep_id, 0) if parent is None else spread.nodes[parent].direct
        if everyone > len(boxes):
            budget[0] -= 1
            boxes.append(Box(f"+{everyone - len(boxes)} 位读者", "readers"))
        return boxes

    ranked = sorted(spread.reach, key=lambda r: (-spread.reach[r], r))[:max_reps]
    boxes = []
    for rep_id in ranked:
        budget[0] -= 1
        name = rep_names.get(rep_id, f"销售#{rep_id}")
        boxes.append(Box(f"{name} · {spread.reach[rep_id]}人", "rep", under(None, rep_id)))
    return boxes


def tree(boxes: Sequence[Box], *, label: str = "转发传播图") -> Markup:
    """Depth runs left to right; each leaf takes one row and a parent sits beside the middle
    of its children."""
    row_h, col_w, pad = 26, 150, 8
    placed: list[tuple[Box, int, float]] = []  # box, depth, y
    edges: list[tuple[int, float, int, float]] = []
    rows = [0]

    def place(box: Box, depth: int) -> float:
        if not box.children:
            y = pad + rows[0] * row_h + row_h / 2
            rows[0] += 1
        else:
            ys = [place(child, depth + 1) for child in box.children]
            y = (ys[0] + ys[-1]) / 2
            edges.extend((depth, y, depth + 1, child_y) for child_y in ys)
        placed.append((box, depth, y))
        return y

    for box in boxes:
        place(box, 0)
    depth = max((d for _, d, _ in placed), default=0)
    longest = max((len(box.text) for box, d, _ in placed if d == depth), default=0)
    width = depth * col_w + 30 + 13 * longest  # room for the deepest labels
    height = max(row_h, rows[0] * row_h + 2 * pad)
    parts = []
    for d1, y1, d2, y2 in edges:
        x1, x2 = pad + d1 * col_w, pad + d2 * col_w
        mid = (x1 + x2) / 2
        parts.append(
            f'<path d="M{x1},{y1:.1f} C{mid},{y1:.1f} {mid},{y2:.1f} {x2},{y2:.1f}" '
            f'fill="none" stroke="{LINE}" stroke-width="1.5"/>'
        )
    for box, d, y in placed:
        x, colour = pad + d * col_w, KIND_COLOURS.get(box.kind, MUTED)
        shape = (
            f'<rect x="{x - 6}" y="{y - 6:.1f}" width="12" height="12" rx="2" fill="{colour}"/>'
            if box.kind == "rep"
            else f'<circle cx="{x}" cy="{y:.1f}" r="{7 if box.kind == "koc" else 5}" '
            f'fill="{colour}"/>'
        )
        weight = ' font-weight="600"' if box.kind in {"rep", "koc"} else ""
        parts.append(
            f'<g class="node {box.kind}">{shape}<text x="{x + 10}" y="{y + 4:.1f}"{weight}>'
            f"{escape(box.text)}</text></g>"
        )
    if not placed:
        parts.append(f'<text x="8" y="18" fill="{MUTED}">还没有人打开分享链接</text>')
    return _svg(width, height, "".join(parts), label, natural=True)
