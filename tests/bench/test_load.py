"""The load benchmark's own arithmetic and HTTP reading (bench/bench_load.py), without servers."""

from __future__ import annotations

import asyncio

import pytest

from bench.bench_load import Answer, memory_rows, pct, read_answer, request_bytes, slope_per_minute


def answer_of(raw: bytes) -> Answer:
    async def read() -> Answer:
        reader = asyncio.StreamReader()
        reader.feed_data(raw)
        reader.feed_eof()
        return await read_answer(reader)

    return asyncio.run(read())


def test_slope_is_per_minute_and_flat_for_constant_memory() -> None:
    assert slope_per_minute([(t, 100.0) for t in range(0, 600, 10)]) == 0.0
    assert slope_per_minute([(t, 100 + t / 30) for t in range(0, 600, 10)]) == pytest.approx(2.0)
    assert slope_per_minute([(5.0, 1.0)]) == 0.0


def test_percentiles_of_a_known_list() -> None:
    values = [float(v) for v in range(1, 101)]
    assert pct(values, 0.5) == 51.0  # nearest rank on 0..n-1
    assert pct(values, 0.99) == 99.0
    assert pct([], 0.99) == 0.0


def test_memory_rows_compare_first_and_last_windows() -> None:
    samples = [(float(t), {"server": 100 * 1024 + t * 1024 // 60}, 0) for t in range(0, 601, 10)]
    (row,) = memory_rows(samples, 600.0)
    cells = [cell.strip() for cell in row.strip("|").split("|")]
    assert cells[0] == "server"
    assert cells[4] == "+1.00 MB/min"  # one MB a minute, found by the fit
    assert float(cells[2].split()[0]) > float(cells[1].split()[0])


def test_reads_a_redirect_with_its_cookie_then_the_next_answer() -> None:
    raw = (
        b"HTTP/1.1 302 Found\r\nlocation: /s/abc?h=x\r\nset-cookie: mc_viewer=c1; Path=/\r\n"
        b"content-length: 0\r\n\r\n"
    )
    found = answer_of(raw)
    assert (found.status, found.headers["location"], found.cookies) == (
        302,
        "/s/abc?h=x",
        ["mc_viewer=c1; Path=/"],
    )


def test_reads_chunked_and_sized_bodies() -> None:
    chunked = (
        b"HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\n3\r\nabc\r\n2\r\nde\r\n0\r\n\r\n"
    )
    assert answer_of(chunked).body == b"abcde"
    sized = b"HTTP/1.1 204 No Content\r\ncontent-length: 0\r\n\r\n"
    assert answer_of(sized).status == 204


def test_a_beacon_request_declares_its_length() -> None:
    raw = request_bytes("POST", "/t", agent="phone", body=b'{"t":"x"}')
    head, body = raw.split(b"\r\n\r\n")
    assert b"Content-Length: 9" in head and body == b'{"t":"x"}'
