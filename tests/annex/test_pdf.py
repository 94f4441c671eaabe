"""The annex as LibreOffice lays it out: the page count the layout promises, so every fiche fits its page.

Layout: page 1 holds the heading and the summary table; each fiche starts a new page and must fit
on it. The five seed fiches therefore make 1 + 5 pages; one more page means a fiche overflowed.
This test needs LibreOffice (soffice) and poppler (pdfinfo); CI installs them (.ci/run).
"""

from __future__ import annotations

import re
import shutil
import subprocess

import pytest
from typer.testing import CliRunner

from refcli.cli.commands import app
from tests.conftest import SEED_IDS


@pytest.mark.slow
def test_libreoffice_renders_one_summary_page_and_one_page_per_fiche(tmp_path, confirmed_missions):
    # The confirmed library: every fiche has its grid of components, the longest layout.
    soffice, pdfinfo = shutil.which("soffice"), shutil.which("pdfinfo")
    assert soffice, "LibreOffice (soffice) is needed to check the annex's layout: apt-get install libreoffice-writer"
    assert pdfinfo, "poppler's pdfinfo is needed to count the annex's pages: apt-get install poppler-utils"
    out = tmp_path / "annexe.docx"
    result = CliRunner().invoke(app, ["build-bid", "-q", "--data", str(confirmed_missions), "--ids", ",".join(SEED_IDS),
                                      "--title", "Marché de test", "--out", str(out)])
    assert result.exit_code == 0, result.stderr
    profile = tmp_path / "libreoffice-profile"  # private, so parallel runs do not share a profile
    subprocess.run(
        [soffice, f"-env:UserInstallation={profile.as_uri()}", "--headless", "--convert-to", "pdf",
         "--outdir", str(tmp_path), str(out)],
        check=True, capture_output=True, timeout=180,
    )
    pdf = tmp_path / "annexe.pdf"
    assert pdf.exists(), "LibreOffice did not write the PDF"
    info = subprocess.run([pdfinfo, str(pdf)], check=True, capture_output=True, text=True).stdout
    pages = int(re.search(r"^Pages:\s+(\d+)", info, re.MULTILINE).group(1))
    assert pages == 1 + len(SEED_IDS)
    if shutil.which("pdftotext"):
        # Each fiche's page starts with its title, under the header: no fiche spilled onto the next page.
        for number, mission_id in enumerate(SEED_IDS, start=2):
            text = subprocess.run(["pdftotext", "-f", str(number), "-l", str(number), str(pdf), "-"],
                                  check=True, capture_output=True, text=True).stdout
            assert "Type de mission" in text, f"page {number} is not {mission_id}'s fiche"
            assert "composantes de la mission" in text.casefold()  # the heading style sets capitals
