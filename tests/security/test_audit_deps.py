"""The dependency audit of `make security` decides from the index's answers (faked, offline)."""

from tests.security.audit_deps import audit_pin, audit_python, json_api_base, read_pins

VULN = {"id": "PYSEC-2099-1", "aliases": ["CVE-2099-1"], "fixed_in": ["2.0.1"], "summary": "bad"}


API = "https://index.example/pypi"


def fake_pypi(documents):
    return lambda url: documents.get(url.removeprefix(API + "/"))


def test_the_json_api_is_found_beside_the_simple_index_pip_uses():
    assert json_api_base("https://index.example/simple/") == API
    assert json_api_base("https://mirror.example/repo/simple") == "https://mirror.example/repo/pypi"


def test_reads_exact_pins_and_follows_includes(tmp_path):
    (tmp_path / "base.txt").write_text("Flask==3.1.3\n# a comment\nrequests>=2\n")
    (tmp_path / "dev.txt").write_text("-r base.txt\npytest==9.2.0  # tests\n")
    assert read_pins(tmp_path / "dev.txt") == {"Flask": "3.1.3", "pytest": "9.2.0"}


def test_a_vulnerable_pin_fails_and_withdrawn_advisories_do_not(tmp_path, capsys):
    (tmp_path / "r.txt").write_text("lib==2.0.0\nok==1.0\n")
    withdrawn = {**VULN, "id": "PYSEC-2099-2", "withdrawn": "2099-01-01"}
    fetch = fake_pypi(
        {
            "lib/2.0.0/json": {"info": {"version": "2.0.0"}, "vulnerabilities": [VULN]},
            "ok/1.0/json": {"info": {"version": "1.0"}, "vulnerabilities": [withdrawn]},
        }
    )
    assert audit_python([str(tmp_path / "r.txt")], strict=False, api=API, fetch=fetch) == 1
    out = capsys.readouterr().out
    assert "VULNERABLE lib==2.0.0: PYSEC-2099-1 CVE-2099-1 (fixed in 2.0.1)" in out
    assert "ok==" not in out.split("python:")[0]


def test_without_the_version_endpoint_the_newest_release_is_still_audited():
    fetch = fake_pypi({"lib/json": {"info": {"version": "2.0.0"}, "vulnerabilities": [VULN]}})
    assert audit_pin("lib", "2.0.0", API, fetch=fetch) == ([VULN], "")


def test_an_older_pin_that_cannot_be_audited_is_reported_and_fails_when_strict(tmp_path, capsys):
    (tmp_path / "r.txt").write_text("lib==1.0.0\n")
    fetch = fake_pypi({"lib/json": {"info": {"version": "2.0.0"}, "vulnerabilities": []}})
    assert audit_python([str(tmp_path / "r.txt")], strict=False, api=API, fetch=fetch) == 0
    assert "NOT AUDITED lib==1.0.0" in capsys.readouterr().out
    assert audit_python([str(tmp_path / "r.txt")], strict=True, api=API, fetch=fetch) == 1
