"""The outside probe's edge findings (issue 15), replayed against a real `momentcast run`:

- 2: request bodies bounded however they are framed (chunked too), and refused before
  authentication would read them; the server stops reading (bytes it took, its memory).
- 13: connections that never finish their headers, and bodies sent at 1 byte/s, are closed.
- 3: only the image formats WeChat shows reach a decoder; Ghostscript is never started.
- 8: hostile query values on every GET route are a 4xx or a 2xx, never a 5xx.
"""

from __future__ import annotations

import io
import json
import os
import select
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from PIL import Image

from service.app import BODY_RULES
from service.auth import service as auth_service
from service.db import unit_of_work
from service.models import Role
from service.orgs import service as orgs_service
from service.routing import CredentialsFirst, credential_check
from service.runtime import Runtime
from service.settings import Settings
from tests.live import free_port
from tests.robustness.test_authorisation_matrix import PHONE_UA, RULES, World, app_routes, world
from tests.service.conftest import PASSWORD, jpeg_bytes

ROOT = Path(__file__).resolve().parents[2]
MB = 1024 * 1024
IDLE_TIMEOUT = 2  # the test server's MOMENTCAST_HTTP_IDLE_TIMEOUT_SECONDS
BODY_TIMEOUT = 2  # ... and MOMENTCAST_HTTP_BODY_TIMEOUT_SECONDS
# What loopback socket buffers (the client's send buffer, the server's receive buffer) may
# hold beyond what the server itself read.
BUFFERS = 32 * MB

__all__ = ["world"]  # the authorisation matrix's fixture, used by the GET walk below


@dataclass
class Server:
    port: int
    pid: int
    editor: dict[str, str]
    admin: dict[str, str]
    gs_log: Path

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def peak_rss(self) -> int:
        """The most resident memory the server process has used so far, in bytes."""
        status = Path(f"/proc/{self.pid}/status").read_text()
        line = next(line for line in status.splitlines() if line.startswith("VmHWM:"))
        return int(line.split()[1]) * 1024


def fake_ghostscript(bin_dir: Path, log: Path) -> None:
    """A `gs` that records being started: Pillow runs it to render EPS (and PS) files."""
    bin_dir.mkdir()
    script = bin_dir / "gs"
    script.write_text(f'#!/bin/sh\necho "gs $*" >> "{log}"\nexit 1\n')
    script.chmod(0o755)


def staff_headers(runtime: Runtime) -> dict[Role, dict[str, str]]:
    with unit_of_work(runtime.sessions) as session:
        org = orgs_service.ensure_org(session, slug="probe-edge")
        headers = {}
        for role in (Role.ADMIN, Role.EDITOR):
            staff = orgs_service.create_staff(
                session, org_id=org.id, email=f"{role}@probe.test", password=PASSWORD, role=role
            )
            token = auth_service.start(session, runtime.signer, staff)
            headers[role] = {"Authorization": f"Bearer {token}"}
    return headers


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    with running_server(tmp_path_factory.mktemp("probe-edge")) as running:
        yield running


@contextmanager
def running_server(data_dir: Path) -> Iterator[Server]:
    """`momentcast run` in its own process, as an operator starts it (uvicorn's options
    included), on a SQLite database under `data_dir`."""
    port = free_port()
    settings = Settings(
        env="test",
        data_dir=data_dir,
        secret_key="probe-edge-test-key",
        base_url=f"http://127.0.0.1:{port}",
        http_idle_timeout_seconds=IDLE_TIMEOUT,
        http_body_timeout_seconds=BODY_TIMEOUT,
    )
    runtime = Runtime.build(settings)
    runtime.migrate()
    headers = staff_headers(runtime)
    runtime.engine.dispose()
    gs_log = data_dir / "gs-started.log"
    fake_ghostscript(data_dir / "bin", gs_log)
    env = {
        **os.environ,
        **settings.environment(),
        "PATH": f"{data_dir / 'bin'}:{os.environ.get('PATH', '')}",
        "PYTHONPATH": str(ROOT),
    }
    command = [sys.executable, "-c", "from service.cli import main; main()", "run"]
    command += ["--no-demo", "--no-worker", "--port", str(port)]
    log = (data_dir / "server.log").open("wb")
    process = subprocess.Popen(command, env=env, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT)
    try:
        wait_until_up(process, port)
        yield Server(port, process.pid, headers[Role.EDITOR], headers[Role.ADMIN], gs_log)
    finally:
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
        log.close()


def wait_until_up(process: subprocess.Popen[bytes], port: int) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        assert process.poll() is None, "momentcast run exited"
        try:
            if httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=2).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.2)
    raise AssertionError("momentcast run did not come up")


@dataclass
class Outcome:
    """What the server answered to a streamed body, and how much of it the server took."""

    status: int | None
    body: bytes
    sent: int  # body bytes the connection accepted before the answer (or the close)

    def json(self) -> Any:
        return json.loads(self.body)


def head(method: str, path: str, headers: dict[str, str]) -> bytes:
    headers = {"Host": "127.0.0.1", "User-Agent": PHONE_UA, **headers}
    lines = [f"{method} {path} HTTP/1.1", *(f"{k}: {v}" for k, v in headers.items())]
    return ("\r\n".join(lines) + "\r\n\r\n").encode()


def complete(response: bytes) -> bool:
    """True once `response` holds a whole HTTP response with a Content-Length body."""
    if b"\r\n\r\n" not in response:
        return False
    top, body = response.split(b"\r\n\r\n", 1)
    for line in top.split(b"\r\n")[1:]:
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-length":
            return len(body) >= int(value)
    return False


def parse(response: bytes) -> tuple[int | None, bytes]:
    if not response.startswith(b"HTTP/"):
        return None, b""
    return int(response.split(b" ", 2)[1]), response.split(b"\r\n\r\n", 1)[-1]


def stream(
    port: int,
    path: str,
    headers: dict[str, str],
    *,
    total: int,
    preamble: bytes = b"",
    method: str = "POST",
) -> Outcome:
    """Send `preamble` and then `total` bytes of chunked body as fast as the server takes
    them, until it answers, closes, or the body is all sent."""
    chunk = b"x" * MB
    frames = [preamble] * bool(preamble) + [chunk] * (total // MB)
    sock = socket.create_connection(("127.0.0.1", port))
    sock.sendall(head(method, path, {**headers, "Transfer-Encoding": "chunked"}))
    sock.setblocking(False)
    response, sent, pending = b"", 0, b""
    try:
        while not complete(response):
            if not pending and frames:
                data = frames.pop(0)
                pending = b"%x\r\n%s\r\n" % (len(data), data) + (b"" if frames else b"0\r\n\r\n")
            readable, writable, _ = select.select([sock], [sock] if pending else [], [], 30)
            if not readable and not writable:
                break
            if readable:
                data = sock.recv(65536)
                if not data:
                    break
                response += data
            elif writable:
                taken = sock.send(pending)
                sent, pending = sent + taken, pending[taken:]
    except (BrokenPipeError, ConnectionResetError):
        pass
    finally:
        sock.close()
    status, body = parse(response)
    return Outcome(status, body, sent)


UPLOAD_PREAMBLE = (
    b'--b\r\nContent-Disposition: form-data; name="title"\r\n\r\nt\r\n'
    b'--b\r\nContent-Disposition: form-data; name="images"; filename="a.jpg"\r\n'
    b"Content-Type: image/jpeg\r\n\r\n"
)
MULTIPART = {"Content-Type": "multipart/form-data; boundary=b"}


class TestChunkedBodies:
    """Finding 2: 600 MB chunked to /api/posts without credentials was spooled, then 401."""

    def test_anonymous_upload_is_401_before_its_body_is_read(self, server: Server) -> None:
        before = server.peak_rss()
        outcome = stream(
            server.port, "/api/posts", MULTIPART, total=200 * MB, preamble=UPLOAD_PREAMBLE
        )
        assert outcome.status == 401
        assert outcome.json()["error"] == "not_authenticated"
        assert outcome.sent < BUFFERS, f"the server took {outcome.sent / MB:.0f} MB"
        assert server.peak_rss() - before < 50 * MB

    def test_forged_token_upload_is_401_before_its_body_is_read(self, server: Server) -> None:
        headers = {**MULTIPART, "Authorization": "Bearer WzEsMSwiYWJjIl0.forged"}
        outcome = stream(
            server.port, "/api/posts", headers, total=200 * MB, preamble=UPLOAD_PREAMBLE
        )
        assert (outcome.status, outcome.sent < BUFFERS) == (401, True)

    def test_anonymous_page_upload_is_refused_before_its_body_is_read(self, server: Server) -> None:
        outcome = stream(
            server.port, "/admin/posts", MULTIPART, total=200 * MB, preamble=UPLOAD_PREAMBLE
        )
        assert (outcome.status, outcome.sent < BUFFERS) == (401, True)

    def test_editor_upload_is_413_once_past_95_mb(self, server: Server) -> None:
        before = server.peak_rss()
        headers = {**MULTIPART, **server.editor}
        outcome = stream(
            server.port, "/api/posts", headers, total=200 * MB, preamble=UPLOAD_PREAMBLE
        )
        assert outcome.status == 413
        assert outcome.json()["error"] == "payload_too_large"
        assert "上限" in outcome.json()["message"]
        assert outcome.sent < 95 * MB + BUFFERS, f"the server took {outcome.sent / MB:.0f} MB"
        assert server.peak_rss() - before < 50 * MB

    @pytest.mark.parametrize(
        ("path", "method", "limit", "code"),
        [
            ("/t", "POST", 4096, "beacon_too_large"),
            ("/admin/login", "POST", MB, "payload_too_large"),
            ("/api/tracking/rules", "PUT", MB, "payload_too_large"),
        ],
    )
    def test_small_bodies_are_413_once_past_their_limit(
        self, server: Server, path: str, method: str, limit: int, code: str
    ) -> None:
        before = server.peak_rss()
        headers = {"Content-Type": "application/json", **server.admin}
        outcome = stream(server.port, path, headers, total=200 * MB, method=method)
        assert outcome.status == 413
        assert outcome.json()["error"] == code
        assert outcome.sent < limit + BUFFERS, f"the server took {outcome.sent / MB:.0f} MB"
        assert server.peak_rss() - before < 50 * MB


def read_until_closed(sock: socket.socket, *, wait: float) -> bytes:
    """Everything the server sends until it closes; fails if it is still open after `wait`."""
    sock.settimeout(wait)
    received = b""
    try:
        while data := sock.recv(65536):
            received += data
    except ConnectionResetError:
        pass
    except TimeoutError:
        raise AssertionError(f"the connection is still open after {wait} s") from None
    return received


class TestSlowClients:
    """Finding 13: partial-header connections were never timed out."""

    def test_half_a_request_line_is_closed(self, server: Server) -> None:
        with socket.create_connection(("127.0.0.1", server.port)) as sock:
            sock.sendall(b"GET /heal")
            read_until_closed(sock, wait=IDLE_TIMEOUT + 10)

    def test_headers_sent_a_byte_at_a_time_are_closed(self, server: Server) -> None:
        with socket.create_connection(("127.0.0.1", server.port)) as sock:
            sock.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\n")
            try:
                for _ in range((IDLE_TIMEOUT + 10) * 2):
                    sock.sendall(b"X")
                    time.sleep(0.5)
            except (BrokenPipeError, ConnectionResetError):
                return
            read_until_closed(sock, wait=1)

    def test_a_kept_alive_connection_that_starts_a_second_request_is_closed(
        self, server: Server
    ) -> None:
        with socket.create_connection(("127.0.0.1", server.port)) as sock:
            sock.sendall(head("GET", "/healthz", {}))
            first = b""
            while not complete(first):
                first += sock.recv(65536)
            assert parse(first)[0] == 200
            sock.sendall(b"GET /he")
            read_until_closed(sock, wait=IDLE_TIMEOUT + 10)

    def test_a_body_sent_at_one_byte_a_second_is_cut_off(self, server: Server) -> None:
        with socket.create_connection(("127.0.0.1", server.port)) as sock:
            sock.sendall(head("POST", "/t", {"Content-Length": "1000"}))
            sock.setblocking(False)
            response = b""
            for _ in range(BODY_TIMEOUT + 20):
                readable, _, _ = select.select([sock], [], [], 1)
                if readable:
                    break
                sock.send(b"{")
            sock.setblocking(True)
            response = read_until_closed(sock, wait=5)
        status, body = parse(response)
        assert status == 408
        assert json.loads(body)["error"] == "request_timeout"


class TestEveryRouteIsCovered:
    def test_routes_with_credentials_and_a_body_check_them_first(self, app: FastAPI) -> None:
        unchecked = [
            f"{sorted(context.methods)} {context.path}"
            for context in route_contexts(app)
            if context.body_field is not None
            and credential_check(context.dependant) is not None
            and not isinstance(context.original_route, CredentialsFirst)
        ]
        assert unchecked == []

    def test_every_body_rule_names_a_route(self, app: FastAPI) -> None:
        routes = {(method, path) for method, path, _module in app_routes(app)}
        assert sorted(set(BODY_RULES) - routes) == []


def route_contexts(app: FastAPI) -> Iterator[Any]:
    for route in app.routes:
        yield from getattr(route, "effective_route_contexts", list)()


def saved(fmt: str, **options: Any) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (64, 48), (200, 40, 40)).save(out, fmt, **options)
    return out.getvalue()


def animated_gif() -> bytes:
    frames = [Image.new("RGB", (32, 32), colour) for colour in ("red", "green", "blue")]
    out = io.BytesIO()
    frames[0].save(out, "GIF", save_all=True, append_images=frames[1:], duration=100, loop=0)
    return out.getvalue()


# PostScript that loops forever once Ghostscript interprets it (the probe's 26 s at 96% CPU).
EPS = b"%!PS-Adobe-3.0 EPSF-3.0\n%%BoundingBox: 0 0 64 48\n{ } loop\nshowpage\n%%EOF\n"


def eps_with_dos_header() -> bytes:
    """The binary EPS wrapper (C5 D0 D3 C6, offsets of the PostScript section)."""
    header = b"\xc5\xd0\xd3\xc6" + (30).to_bytes(4, "little") + len(EPS).to_bytes(4, "little")
    return header + bytes(18) + EPS


def psd() -> bytes:
    """A 4×4 RGB Photoshop file: header, empty sections, raw planes."""
    header = b"8BPS" + (1).to_bytes(2, "big") + bytes(6) + (3).to_bytes(2, "big")
    header += (4).to_bytes(4, "big") * 2 + (8).to_bytes(2, "big") + (3).to_bytes(2, "big")
    return header + bytes(4) * 3 + bytes(2) + bytes([120]) * 48


SVG = b'<svg xmlns="http://www.w3.org/2000/svg" width="64" height="48"><rect width="64"/></svg>'
REFUSED_FORMATS: dict[str, Any] = {
    "EPS": lambda: EPS,
    "EPS with a DOS binary header": eps_with_dos_header,
    "PostScript": lambda: EPS.replace(b" EPSF-3.0", b""),
    "PDF": lambda: saved("PDF"),
    "TIFF": lambda: saved("TIFF"),
    "BMP": lambda: saved("BMP"),
    "ICO": lambda: saved("ICO"),
    "PCX": lambda: saved("PCX"),
    "TGA": lambda: saved("TGA"),
    "PPM": lambda: saved("PPM"),
    "SGI": lambda: saved("SGI"),
    "PSD": psd,
    "SVG": lambda: SVG,
    "animated GIF": animated_gif,
}


def upload(server: Server, data: bytes, *, filename: str = "photo.jpg") -> httpx.Response:
    files = {"images": (filename, data, "image/jpeg")}
    return httpx.post(
        f"{server.base}/api/posts",
        headers=server.editor,
        data={"title": "新品"},
        files=files,
        timeout=20,
    )


class TestImageFormats:
    """Finding 3: EPS (and every Pillow format) was decoded; EPS reached Ghostscript."""

    @pytest.mark.parametrize("name", sorted(REFUSED_FORMATS))
    def test_a_format_wechat_does_not_show_is_refused_undecoded(
        self, server: Server, name: str
    ) -> None:
        response = upload(server, REFUSED_FORMATS[name]())
        assert response.status_code == 422, response.text
        body = response.json()
        assert body["error"] == "invalid_image"
        assert "JPEG、PNG、WebP、静态 GIF 或 HEIC" in body["message"], body
        assert not server.gs_log.exists(), server.gs_log.read_text()

    @pytest.mark.parametrize(
        "data",
        [
            lambda: jpeg_bytes(),
            lambda: jpeg_bytes(fmt="PNG"),
            lambda: saved("WEBP"),
            lambda: saved("GIF"),
            lambda: saved("HEIF"),
        ],
        ids=["JPEG", "PNG", "WebP", "still GIF", "HEIC"],
    )
    def test_the_formats_wechat_shows_are_accepted(self, server: Server, data: Any) -> None:
        assert upload(server, data()).status_code == 201


class TestHostileQueryValues:
    """Finding 8: `?q=²` was a 500 (`int()` after `isdigit()`) on the viewers API and page."""

    VALUES = ("²", "①", "٣", "\x00", "x" * 10_000, "%", "%%", "😀", "-1", "9" * 30, "1e309")

    def test_no_get_route_answers_5xx(self, client: TestClient, world: World) -> None:
        failures = []
        for path, params in get_routes(client.app, world):  # type: ignore[arg-type]
            for name in params:  # one at a time: the others' defaults keep the route running
                for value in self.VALUES:
                    response = client.get(path, params={name: value}, headers=world.org.admin)
                    if response.status_code >= 500:
                        failures.append(f"{path}?{name}={value!r:.20}: {response.status_code}")
        assert failures == []


def get_routes(app: FastAPI, world: World) -> Iterator[tuple[str, list[str]]]:
    """(path with the world's ids, its query parameters, or `q`) of every GET route."""
    for route in app.routes:
        if not hasattr(route, "effective_route_contexts") and "GET" in getattr(
            route, "methods", ()
        ):
            yield str(getattr(route, "path", "")), ["q"]  # the docs, /healthz, the redirect
    for context in route_contexts(app):
        if "GET" not in (getattr(context, "methods", None) or ()):
            continue
        dependant = getattr(context, "dependant", None)
        names = sorted({param.alias for param in flat_query_params(dependant)}) or ["q"]
        rule = RULES.get(("GET", context.path))
        token = world.share_token if rule and rule.who == "share_link" else world.rep_token
        path = context.path.format(
            post_id=world.post_id,
            rep_id=world.rep_id,
            viewer_id=world.viewer_id,
            position=0,
            table="reps",
            token=token,
        )
        yield path, names


def flat_query_params(dependant: Any) -> Iterator[Any]:
    if dependant is None:
        return
    yield from dependant.query_params
    for sub in dependant.dependencies:
        yield from flat_query_params(sub)
