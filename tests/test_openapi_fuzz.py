"""Schemathesis fuzzes every operation of /api/v1/openapi.json against a real server.

It checks that nothing answers 5xx and that every status, content type, header and body conforms to
the document, with a local government's token and (``ignored_auth``) without one. One check stays
off: ``positive_data_acceptance``. It expects every schema-valid application to be accepted. But
acceptance depends on who asks (a local government files only for its own province) and on what
exists (zone names are unique), and a schema cannot say that.
"""

import json
import os
import subprocess
import urllib.request
from pathlib import Path

from tests.conftest import PASSWORD, application
from tests.server import BIN, served
from workflow import openapi

CHECKS = "all"
EXCLUDED = "positive_data_acceptance"
REVOKE = "DELETE /token"


def _post(url: str, body: dict, token: str | None = None) -> dict:
    headers = {"Content-Type": "application/json", **({"Authorization": f"Bearer {token}"} if token else {})}
    request = urllib.request.Request(url, data=json.dumps(body).encode(), headers=headers)  # noqa: S310
    with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310 - our own http URL
        return json.loads(response.read())


def _fuzz(base: str, token: str, tmp_path: Path, *selection: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [BIN / "schemathesis", "run", f"{base}/api/v1/openapi.json", "--url", f"{base}/api/v1",
         "-H", f"Authorization: Bearer {token}", "--checks", CHECKS, "--exclude-checks", EXCLUDED,
         "--max-examples", os.environ.get("WORKFLOW_FUZZ_EXAMPLES", "40"), "--workers", "1",
         "--seed", os.environ.get("WORKFLOW_FUZZ_SEED", "262"), "--suppress-health-check", "all",
         "--warnings", "off", "--report", "junit", "--report-dir", str(tmp_path / "report"), *selection],
        capture_output=True, text=True, timeout=600, cwd=tmp_path,
    )


def test_api_conforms_to_its_openapi_document(tmp_path: Path):
    """Revoking the token runs on its own, with a token of its own, so it cannot end the others' token midway."""
    # Schemathesis leaves out the document's own operation.
    operations = sum(len(methods) for path, methods in openapi.document()["paths"].items() if path != "/openapi.json")
    with served(f"sqlite:///{tmp_path / 'fuzz.sqlite3'}") as base:
        token = _post(base + "/api/v1/token", {"username": "henan.gov", "password": PASSWORD})["token"]
        _post(base + "/api/v1/zones", application(), token)
        result = _fuzz(base, token, tmp_path, "--exclude-name", REVOKE)
        revoking = _post(base + "/api/v1/token", {"username": "henan.bureau", "password": PASSWORD})["token"]
        revoked = _fuzz(base, revoking, tmp_path, "--include-name", REVOKE)
    for run, selected in ((result, f"{operations - 1} selected / {operations} total"),
                          (revoked, f"1 selected / {operations} total")):
        summary = run.stdout[-4000:]
        assert run.returncode == 0, summary
        assert selected in run.stdout, "every operation was fuzzed"
        assert "No issues found" in run.stdout, summary
