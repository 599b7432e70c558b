"""Known vulnerabilities in the pinned dependencies, for `make security`.

    python tests/security/audit_deps.py python requirements.txt requirements-dev.txt
    python tests/security/audit_deps.py npm

Python: the same source as `pip-audit -s pypi` (the index's JSON API, whose `vulnerabilities`
come from the PyPA advisory database). The index is the one pip itself uses: PIP_INDEX_URL, else
`pip config`'s index-url, else pip's own default; its JSON API sits beside its /simple page (no
host is written here). pip-audit asks for /pypi/<name>/<version>/json only; the index reachable
from our machines answers that with 404, and pip-audit then skips every package and still
exits 0. So this asks for the version first and, failing that, for /pypi/<name>/json,
whose vulnerabilities are those of the newest release: exact when the pin is the newest. A pin
that cannot be audited either way is listed loudly (--strict makes that a failure).

npm: `npm audit` at level high. The registry mirror may not offer the audit endpoint; that is
reported loudly, not counted as a pass of the audit itself.

Exit status 1 when a pinned package has a known vulnerability.
"""

import argparse
import json
import os
import re
import subprocess
import sys
import urllib.error
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

PIN = re.compile(r"^([A-Za-z0-9][A-Za-z0-9._-]*)==([^\s;#]+)")


def pip_index_url() -> str:
    """The index pip installs from, by pip's own precedence: environment, config, default."""
    if url := os.environ.get("PIP_INDEX_URL"):
        return url.split()[0]
    run = subprocess.run(
        [sys.executable, "-m", "pip", "config", "list"],
        capture_output=True,
        text=True,
        check=False,
    )
    for line in run.stdout.splitlines():
        key, _, value = line.partition("=")
        if key.split(".")[-1] == "index-url" and value.strip("'\""):
            return value.strip("'\"")
    from pip._internal.models.index import PyPI  # pip's default when nothing is configured

    return PyPI.simple_url


def json_api_base(index_url: str) -> str:
    """The JSON API beside a simple index: .../simple -> .../pypi (as Warehouse lays them out)."""
    base = index_url.rstrip("/")
    return base.removesuffix("/simple") + "/pypi"


def read_pins(path: Path, seen=None) -> dict[str, str]:
    """Exact pins `name==version` of a requirements file, following `-r other.txt`."""
    seen = seen if seen is not None else set()
    if path.resolve() in seen:
        return {}
    seen.add(path.resolve())
    pins = {}
    for line in path.read_text().splitlines():
        line = line.strip()
        if line.startswith(("-r ", "--requirement ")):
            pins.update(read_pins(path.parent / line.split(maxsplit=1)[1], seen))
        elif match := PIN.match(line):
            pins[match.group(1)] = match.group(2)
    return pins


def fetch_json(url: str) -> dict | None:
    """The JSON at `url`, or None for a 404."""
    try:
        with urllib.request.urlopen(url, timeout=60) as response:  # noqa: S310 -- https index URL, checked
            return json.load(response)
    except urllib.error.HTTPError as exc:
        if exc.code == 404:
            return None
        raise


def audit_pin(name: str, version: str, api: str, fetch=fetch_json) -> tuple[list[dict] | None, str]:
    """(vulnerabilities of name==version, note). None instead of a list: could not audit."""
    document = fetch(f"{api}/{name}/{version}/json")
    if document is not None:
        return _live(document), ""
    document = fetch(f"{api}/{name}/json")
    if document is None:
        return None, "not on the index"
    newest = document["info"]["version"]
    if newest != version:
        return None, f"the index only reports on the newest release, {newest}"
    return _live(document), ""


def _live(document: dict) -> list[dict]:
    return [v for v in document.get("vulnerabilities") or [] if not v.get("withdrawn")]


def audit_python(files: list[str], strict: bool, api: str | None = None, fetch=fetch_json) -> int:
    api = api or json_api_base(pip_index_url())
    if not api.startswith("https://"):
        print(f"NOT AUDITED python: pip's index is not an https index with a JSON API ({api})")
        return 1 if strict else 0
    pins = {}
    for file in files:
        pins.update(read_pins(Path(file)))
    with ThreadPoolExecutor(8) as pool:
        results = list(pool.map(lambda p: (*p, *audit_pin(*p, api, fetch=fetch)), pins.items()))
    vulnerable = [(n, v, found) for n, v, found, _ in results if found]
    unaudited = [(n, v, note) for n, v, found, note in results if found is None]
    for name, version, found in vulnerable:
        for vuln in found:
            fixed = ", ".join(vuln.get("fixed_in") or []) or "no fix yet"
            ids = " ".join([vuln["id"], *vuln.get("aliases", [])])
            print(f"VULNERABLE {name}=={version}: {ids} (fixed in {fixed})")
            print(f"    {(vuln.get('summary') or vuln.get('details') or '').splitlines()[0]}")
    for name, version, note in unaudited:
        print(f"NOT AUDITED {name}=={version}: {note}")
    audited = len(pins) - len(unaudited)
    print(f"python: {audited} of {len(pins)} pins audited, {len(vulnerable)} vulnerable")
    return 1 if vulnerable or (strict and unaudited) else 0


def audit_npm(level: str) -> int:
    run = subprocess.run(
        ["npm", "audit", "--json", f"--audit-level={level}"],
        capture_output=True,
        text=True,
        check=False,
    )
    try:
        report = json.loads(run.stdout or "{}")
    except json.JSONDecodeError:
        report = {}
    counts = report.get("metadata", {}).get("vulnerabilities")
    if counts is None:
        reason = report.get("message") or (run.stderr.strip().splitlines() or ["no report"])[0]
        print(f"NOT AUDITED npm: the registry's audit endpoint did not answer ({reason})")
        return 0
    levels = ["info", "low", "moderate", "high", "critical"]
    failing = sum(counts.get(lv, 0) for lv in levels[levels.index(level) :])
    for name, found in report.get("vulnerabilities", {}).items():
        print(f"VULNERABLE {name}: {found.get('severity')} {found.get('range', '')}")
    print(f"npm: {counts.get('total', 0)} advisories, {failing} at {level} or above")
    return 1 if failing else 0


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="ecosystem", required=True)
    py = sub.add_parser("python")
    py.add_argument("files", nargs="+")
    py.add_argument("--strict", action="store_true", help="fail on pins that cannot be audited")
    npm = sub.add_parser("npm")
    npm.add_argument("--level", default="high")
    args = parser.parse_args(argv)
    if args.ecosystem == "python":
        return audit_python(args.files, args.strict)
    return audit_npm(args.level)


if __name__ == "__main__":
    sys.exit(main())
