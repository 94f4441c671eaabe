"""The template's contract: a .docx that defines every required style, checked before anything is written."""

from __future__ import annotations

import shutil
import zipfile
from pathlib import Path

import docx
import pytest
from docx.enum.style import WD_STYLE_TYPE

from refcli.annex.template import PLACEHOLDER, REQUIRED_STYLES, find_template, open_template
from refcli.errors import UserError
from tests.conftest import TEMPLATE


def test_shipped_template_meets_the_contract_and_holds_the_placeholder():
    template = open_template(TEMPLATE)
    assert [p.text for p in template.document.paragraphs] == [PLACEHOLDER]
    assert template.document.core_properties.author == "Perspectives Urbaines et Sociales"


def test_default_template_is_the_shipped_one(monkeypatch):
    monkeypatch.delenv("REFCLI_TEMPLATE", raising=False)
    assert find_template(None).resolve() == TEMPLATE.resolve()
    monkeypatch.setenv("REFCLI_TEMPLATE", "/elsewhere/firm.docx")
    assert find_template(None) == Path("/elsewhere/firm.docx")
    assert find_template(Path("x.docx")) == Path("x.docx")


def test_missing_template(tmp_path):
    with pytest.raises(UserError, match=r"nope\.docx: the template does not exist"):
        open_template(tmp_path / "nope.docx")


def test_folder_as_template(tmp_path):
    with pytest.raises(UserError, match="is a folder"):
        open_template(tmp_path)


def test_text_file_is_not_a_docx(tmp_path):
    path = tmp_path / "notes.docx"
    path.write_text("hello", encoding="utf-8")
    with pytest.raises(UserError, match=r"notes\.docx: the template is not a \.docx file"):
        open_template(path)


def test_old_word_file_is_named_as_such(tmp_path):
    path = tmp_path / "old.doc"
    path.write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 100)
    with pytest.raises(UserError, match=r"old binary Word file \(\.doc\)"):
        open_template(path)


def test_truncated_docx_is_corrupt(tmp_path):
    path = tmp_path / "cut.docx"
    path.write_bytes(TEMPLATE.read_bytes()[:5000])
    with pytest.raises(UserError, match=r"cut\.docx: the template is (not a \.docx|a corrupt)"):
        open_template(path)


def test_damaged_member_is_corrupt(tmp_path):
    path = tmp_path / "damaged.docx"
    data = bytearray(TEMPLATE.read_bytes())
    with zipfile.ZipFile(TEMPLATE) as archive:
        info = archive.getinfo("word/document.xml")
    middle = info.header_offset + 30 + len(info.filename) + info.compress_size // 2
    data[middle] ^= 0xFF
    path.write_bytes(bytes(data))
    with pytest.raises(UserError, match=r"damaged\.docx: the template is a corrupt \.docx"):
        open_template(path)


def test_zip_that_is_not_a_word_document(tmp_path):
    path = tmp_path / "archive.docx"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("readme.txt", "hello")
    with pytest.raises(UserError, match="a zip file but not a Word document"):
        open_template(path)


def rewrite_member(path: Path, member: str, change) -> Path:
    """Copy the shipped template to path with one member's bytes changed."""
    with zipfile.ZipFile(TEMPLATE) as source, zipfile.ZipFile(path, "w") as target:
        for item in source.infolist():
            data = source.read(item.filename)
            target.writestr(item, change(data) if item.filename == member else data)
    return path


def test_ill_formed_xml_is_corrupt(tmp_path):
    path = rewrite_member(tmp_path / "bad-xml.docx", "word/document.xml", lambda data: b"<w:document")
    with pytest.raises(UserError, match=r"bad-xml\.docx: the template is a corrupt \.docx"):
        open_template(path)


def test_every_missing_style_is_named_in_one_error(tmp_path):
    path = tmp_path / "plain.docx"
    docx.Document().save(str(path))
    with pytest.raises(UserError) as caught:
        open_template(path)
    message = str(caught.value)
    assert message.startswith(f"{path}: the template does not meet refcli's contract: missing style(s) ")
    for name, _kind in REQUIRED_STYLES:
        assert repr(name) in message
    assert "\n" not in message


def test_a_style_of_the_wrong_type_is_named(tmp_path):
    document = docx.Document(str(TEMPLATE))
    document.styles["Ref Summary Table"].delete()
    document.styles.add_style("Ref Summary Table", WD_STYLE_TYPE.PARAGRAPH)
    document.styles["Ref Caption"].delete()
    path = tmp_path / "wrong.docx"
    document.save(str(path))
    with pytest.raises(UserError, match=r"missing style\(s\) 'Ref Caption'; 'Ref Summary Table' is a paragraph "
                                        r"style, expected a table style"):
        open_template(path)


def test_a_word_template_dotx_is_accepted(tmp_path):
    path = rewrite_member(tmp_path / "firm.dotx", "[Content_Types].xml",
                          lambda data: data.replace(b"document.main+xml", b"template.main+xml"))
    assert open_template(path).document.paragraphs[0].text == PLACEHOLDER


def test_make_template_regenerates_an_equivalent_template(tmp_path):
    import subprocess
    import sys

    script = TEMPLATE.with_name("make_template.py")
    output = tmp_path / "regenerated.docx"
    subprocess.run([sys.executable, str(script), str(output)], check=True, capture_output=True)
    with zipfile.ZipFile(output) as fresh, zipfile.ZipFile(TEMPLATE) as shipped:
        for part in ("word/styles.xml", "word/document.xml", "word/numbering.xml"):
            assert fresh.read(part) == shipped.read(part), f"{part}: re-run templates/make_template.py"
    shutil.rmtree(tmp_path, ignore_errors=True)


def _moved_placeholder(tmp_path: Path, where: str) -> Path:
    document = docx.Document(str(TEMPLATE))
    for paragraph in document.paragraphs:
        if PLACEHOLDER in paragraph.text:
            paragraph.text = "Annexe"
    if where == "cell":
        document.add_table(rows=1, cols=1).cell(0, 0).text = PLACEHOLDER
    elif where == "sentence":
        document.add_paragraph(f"Voir {PLACEHOLDER} ci-après")
    elif where == "twice":
        document.add_paragraph(PLACEHOLDER)
        document.add_paragraph(PLACEHOLDER)
    elif where == "header":
        document.add_paragraph(PLACEHOLDER)
        document.sections[0].header.add_paragraph(PLACEHOLDER)
    elif where == "header and sentence":  # both said at once: one move in Word, not one per run
        document.add_paragraph(f"Voir {PLACEHOLDER} ci-après")
        document.sections[0].header.add_paragraph(PLACEHOLDER)
    path = tmp_path / f"{where}.docx"
    document.save(str(path))
    return path


@pytest.mark.parametrize(("where", "said"), [("cell", "inside a table or a sentence"),
                                             ("sentence", "inside a table or a sentence"),
                                             ("twice", "there 2 times"), ("header", "in a header, a footer or a note"),
                                             ("header and sentence",
                                              "in a header, a footer or a note, and inside a table or a sentence")])
def test_a_placeholder_the_annex_would_leave_as_written_is_refused(tmp_path, where, said):
    # It was submitted as "{{ANNEXE_REFERENCES}}" in the buyer's copy, and template check said "found".
    from typer.testing import CliRunner

    from refcli.cli.commands import app

    path = _moved_placeholder(tmp_path, where)
    with pytest.raises(UserError, match=f"{PLACEHOLDER} must stand once, as a paragraph of its own in the body: it "
                                        f"is {said}, where the annex would leave it as written"):
        open_template(path)
    checked = CliRunner().invoke(app, ["template", "check", str(path)])
    assert checked.exit_code == 1
    assert f"placeholder: {PLACEHOLDER} is {said}: it must stand once" in checked.stdout
