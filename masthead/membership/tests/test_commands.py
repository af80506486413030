"""``import_members`` and ``export_members``: in process, and as an operator runs them."""

from __future__ import annotations

import csv
import io
import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from masthead.membership.factories import LabelFactory, MemberFactory, TierFactory
from masthead.membership.models import Member, MemberStatus

pytestmark = pytest.mark.django_db

GOOD_CSV = (
    "email,name,labels,complimentary_plan,tiers\n"
    "ann@example.org,Ann,press,false,\n"
    'ben@example.org,Ben,"press,vip",true,Supporter\n'
)


def run_command(name: str, *args: str) -> tuple[str, str]:
    out, err = io.StringIO(), io.StringIO()
    call_command(name, *args, stdout=out, stderr=err, verbosity=0)
    return out.getvalue(), err.getvalue()


def test_import_members_imports_a_file_and_a_second_run_changes_nothing(tmp_path):
    TierFactory(name="Supporter")
    path = tmp_path / "members.csv"
    path.write_text(GOOD_CSV, encoding="utf-8")

    out, _ = run_command("import_members", str(path))

    assert "New members: 2." in out
    assert "Complimentary memberships given: 1." in out
    assert Member.objects.get(email="ben@example.org").status == MemberStatus.COMPED

    out, _ = run_command("import_members", str(path))
    assert "New members: 0. Updated: 0. Already up to date: 2." in out


def test_import_members_lists_rejected_rows_and_exits_2(tmp_path):
    path = tmp_path / "members.csv"
    path.write_text("email,name\nann@example.org,Ann\nnot-an-address,X\n", encoding="utf-8")

    with pytest.raises(CommandError) as error:
        run_command("import_members", str(path))

    assert error.value.returncode == 2
    assert "Rows not imported: 1" in str(error.value)
    assert Member.objects.filter(email="ann@example.org").exists()


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        pytest.param(None, "no such file", id="missing"),
        pytest.param(b"\x89PNG\r\n\x1a\n\x00\x00", "not a CSV file", id="binary"),
        pytest.param(b"name,note\nAnn,hi\n", "no email column", id="no-email-column"),
        pytest.param(b"", "The file is empty", id="empty"),
    ],
)
def test_import_members_refuses_bad_input_with_one_clear_line(tmp_path, content, expected):
    path = tmp_path / "members.csv"
    if content is not None:
        path.write_bytes(content)

    with pytest.raises(CommandError) as error:
        run_command("import_members", str(path))

    message = str(error.value)
    assert expected in message
    assert "\n" not in message
    assert error.value.returncode == 1
    assert not Member.objects.exists()


def test_export_members_writes_ghost_csv_to_a_file_or_standard_output(tmp_path):
    MemberFactory(email="ann@example.org", labels=[LabelFactory(name="press")])
    MemberFactory(email="ben@example.org", comped_tier=TierFactory(name="Supporter"))
    path = tmp_path / "out.csv"

    out, _ = run_command("export_members", "-o", str(path))

    assert f"Wrote 2 members to {path}." in out
    rows = list(csv.DictReader(path.open(encoding="utf-8", newline="")))
    assert [(r["email"], r["labels"], r["complimentary_plan"]) for r in rows] == [
        ("ann@example.org", "press", "false"),
        ("ben@example.org", "", "true"),
    ]

    out, _ = run_command("export_members")
    assert out.splitlines()[0].startswith("id,email,name,note,subscribed_to_emails")
    assert len(out.splitlines()) == 3


def test_export_members_refuses_a_folder(tmp_path):
    with pytest.raises(CommandError, match="is a folder"):
        run_command("export_members", "-o", str(tmp_path))


def _cli(args: list[str], env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "masthead.cli", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
    )


def test_exit_statuses_as_an_operator_sees_them(tmp_path: Path):
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("MASTHEAD_", "DJANGO_"))}
    env = {
        **clean,
        "MASTHEAD_DATA_DIR": str(tmp_path / "var"),
        "DJANGO_SETTINGS_MODULE": "masthead.settings.base",
    }
    assert _cli(["migrate", "--noinput", "-v0"], env).returncode == 0
    good = tmp_path / "good.csv"
    good.write_text("email,name\nann@example.org,Ann\n", encoding="utf-8")
    bad_rows = tmp_path / "bad-rows.csv"
    bad_rows.write_text("email\nben@example.org\nnope\n", encoding="utf-8")
    no_email = tmp_path / "names.csv"
    no_email.write_text("name\nAnn\n", encoding="utf-8")

    ok = _cli(["import_members", str(good), "-v0"], env)
    assert ok.returncode == 0, ok.stderr
    assert "New members: 1." in ok.stdout

    missing = _cli(["import_members", str(tmp_path / "nope.csv")], env)
    assert missing.returncode == 1
    assert missing.stderr.strip().count("\n") == 0
    assert "no such file" in missing.stderr
    assert "Traceback" not in missing.stderr

    no_column = _cli(["import_members", str(no_email)], env)
    assert no_column.returncode == 1
    assert "no email column" in no_column.stderr

    partial = _cli(["import_members", str(bad_rows), "-v0"], env)
    assert partial.returncode == 2
    assert "bad-rows.csv:3: " in partial.stderr and "not a valid email" in partial.stderr

    exported = _cli(["export_members", "-o", str(tmp_path / "out.csv"), "-v0"], env)
    assert exported.returncode == 0
    assert "ben@example.org" in (tmp_path / "out.csv").read_text(encoding="utf-8")
