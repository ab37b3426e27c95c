"""`momentcast vary-image`: numbered copies in rep order, a report, one-line errors."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner

from service.commands.vary_image import vary_image_command
from variation.image import encode_image

from ._image_builders import sample


def run(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(vary_image_command, list(args))
    return result.exit_code, result.output


class TestVaryImageCommand:
    def test_writes_copies_in_rep_order_and_a_report(self, tmp_path: Path) -> None:
        master = tmp_path / "master.jpg"
        master.write_bytes(encode_image(sample("09", width=240)))
        code, _ = run(
            str(master),
            "--reps",
            "4",
            "--team-size",
            "2",
            "--out",
            str(tmp_path / "out"),
            "--badge-name",
            "小王",
        )
        assert code == 0
        report = json.loads((tmp_path / "out" / "report.json").read_text(encoding="utf-8"))
        assert [c["file"] for c in report["copies"]] == [
            "0001.jpg",
            "0002.jpg",
            "0003.jpg",
            "0004.jpg",
        ]
        assert [c["team"] for c in report["copies"]] == ["team-1", "team-1", "team-2", "team-2"]
        first = report["copies"][0]
        assert {"params", "hashes", "fidelity", "attempts"} <= first.keys()
        assert first["params"]["badge_box"] is not None
        assert all((tmp_path / "out" / c["file"]).stat().st_size > 0 for c in report["copies"])

    def test_bad_input_is_one_line_without_traceback(self, tmp_path: Path) -> None:
        bad = tmp_path / "bad.jpg"
        bad.write_bytes(encode_image(sample(width=120))[:300])
        code, output = run(str(bad), "--reps", "2", "--out", str(tmp_path / "out"))
        assert code != 0
        assert output.strip().startswith("Error: ") and "Traceback" not in output
        assert len(output.strip().splitlines()) == 1
