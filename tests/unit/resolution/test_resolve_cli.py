"""`icefloe resolve` end to end on small files: CSV and Parquet in, entities out, clear errors."""

import duckdb
import pytest
from typer.testing import CliRunner

from icefloe.cli import app

CSV = """contact_id,fname,lname,mail,tel,zip,origin
001,Anna,Rossi,anna.rossi@gmail.com,(415) 555-2671,02139,hubspot
002,anna,ROSSI,annarossi+shop@gmail.com,,02139,shopify
003,Bruno,Costa,bruno@costa.pt,+351 21 123 4567,,stripe
"""


@pytest.fixture()
def crm(tmp_path):
    path = tmp_path / "crm.csv"
    path.write_text(CSV)
    return path


def run(*args):
    return CliRunner().invoke(app, ["resolve", *args])


def test_a_csv_export_with_some_fields_mapped_resolves_into_entities(crm, tmp_path):
    out = tmp_path / "entities.parquet"
    links = tmp_path / "links.csv"
    res = run("--input", str(crm), "--map", "id=contact_id,source=origin,first_name=fname,last_name=lname,"
              "email=mail,phone=tel,postcode=zip", "--output", str(out), "--links", str(links))
    assert res.exit_code == 0, res.output
    rows = duckdb.sql(f"SELECT source, id, entity_id, match_confidence FROM '{out}' ORDER BY id").fetchall()
    assert [r[1] for r in rows] == ["001", "002", "003"]  # ids keep their leading zeros
    assert rows[0][2] == rows[1][2] != rows[2][2]
    assert rows[0][3] > 0.99 and rows[2][3] is None
    assert "email=exact" in links.read_text()


def test_parquet_input_works_too(crm, tmp_path):
    pq = tmp_path / "crm.parquet"
    duckdb.sql(f"COPY (SELECT * FROM read_csv('{crm}', all_varchar=true)) TO '{pq}' (FORMAT PARQUET)")
    out = tmp_path / "e.csv"
    res = run("-i", str(pq), "-m", "id=contact_id,email=mail", "-o", str(out))
    assert res.exit_code == 0, res.output
    assert len(out.read_text().splitlines()) == 4


@pytest.mark.parametrize(("mapping", "message"), [
    ("email=mail", "--map needs id="),
    ("id=contact_id,mail=mail", "unknown field 'mail'"),
    ("id=contact_id,email=e_mail", "has no column 'e_mail'"),
    ("id=contact_id,email", "is not field=column"),
    ("id=contact_id", "maps no field to compare"),
])
def test_a_bad_map_is_refused_with_the_fix(crm, tmp_path, mapping, message):
    res = run("--input", str(crm), "--map", mapping, "--output", str(tmp_path / "o.parquet"))
    assert res.exit_code == 2
    assert message in " ".join(res.output.split())


def test_an_unknown_input_format_is_refused(tmp_path):
    bad = tmp_path / "x.xlsx"
    bad.write_text("x")
    res = run("--input", str(bad), "--map", "id=a,email=b", "--output", str(tmp_path / "o.parquet"))
    assert res.exit_code == 2 and "use .parquet or .csv" in " ".join(res.output.split())
