"""A small client for the admin HTTP API (standard library only).

It works against an emulator in the same process (the pytest plugin's) or anywhere else::

    api = AdminClient("http://127.0.0.1:8180")
    api.reset()
    api.load_scenario(Path("scenarios/flaky-archive.yaml"))
    ...  # run the client under test
    api.wait_for(service="C-STORE", status=0x0000, count=10, timeout=30)

Errors the API answers are raised as :class:`AdminError` with its status, error and detail.
"""

from __future__ import annotations

import json
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterable
from pathlib import Path
from typing import Any


class AdminError(Exception):
    """An error answer of the admin API."""

    def __init__(self, status: int, error: str, detail: str, body: dict[str, Any]) -> None:
        super().__init__(f"{status} {error}: {detail}" if detail else f"{status} {error}")
        self.status, self.error, self.detail, self.body = status, error, detail, body


class AdminClient:
    """The admin API at *base_url*; *token* is sent as a bearer token when given."""

    def __init__(self, base_url: str, token: str | None = None, timeout: float = 30) -> None:
        self.base_url = base_url.rstrip("/")
        self.token = token
        self.timeout = timeout

    # -- plumbing ---------------------------------------------------------------------------

    def request(
        self,
        method: str,
        path: str,
        body: bytes | str | dict[str, Any] | list[Any] | None = None,
        query: dict[str, Any] | None = None,
        content_type: str | None = None,
        timeout: float | None = None,
    ) -> Any:
        """Send one request; the decoded JSON answer (None for 204, bytes for DICOM)."""
        url = self.base_url + path
        if query:
            url += "?" + urllib.parse.urlencode({k: v for k, v in query.items() if v is not None})
        headers = {"Accept": "application/json"}
        data: bytes | None = None
        if isinstance(body, (dict, list)):
            data, headers["Content-Type"] = json.dumps(body).encode(), "application/json"
        elif isinstance(body, str):
            data, headers["Content-Type"] = body.encode(), "application/yaml"
        elif isinstance(body, bytes):
            data = body
        if content_type:
            headers["Content-Type"] = content_type
        if self.token:
            headers["Authorization"] = f"Bearer {self.token}"
        request = urllib.request.Request(url, data=data, method=method, headers=headers)
        try:
            with urllib.request.urlopen(request, timeout=timeout or self.timeout) as response:
                raw = response.read()
                kind = response.headers.get_content_type()
        except urllib.error.HTTPError as error:
            raw = error.read()
            try:
                answer = json.loads(raw)
            except ValueError:
                answer = {"error": error.reason, "detail": raw.decode(errors="replace")}
            raise AdminError(
                error.code, str(answer.get("error", "")), str(answer.get("detail", "")), answer
            ) from None
        if not raw:
            return None
        return raw if kind == "application/dicom" else json.loads(raw)

    # -- the emulator -------------------------------------------------------------------------

    def health(self) -> dict[str, Any]:
        return dict(self.request("GET", "/api/health"))

    def reset(self, keep: Iterable[str] = ()) -> dict[str, Any]:
        """Back to a clean archive, keeping the parts named (see POST /api/reset)."""
        return dict(self.request("POST", "/api/reset", {"keep": list(keep)}))

    # -- scenario -------------------------------------------------------------------------------

    def load_scenario(self, scenario: str | Path | dict[str, Any]) -> dict[str, Any]:
        """Activate a scenario: YAML or JSON text, a file, or a dict."""
        if isinstance(scenario, Path):
            scenario = scenario.read_text(encoding="utf-8")
        return dict(self.request("PUT", "/api/scenario", scenario))

    def scenario(self) -> dict[str, Any] | None:
        """The scenario in force, or None."""
        try:
            return dict(self.request("GET", "/api/scenario"))
        except AdminError as exc:
            if exc.status == 404:
                return None
            raise

    def add_rule(self, rule: str | dict[str, Any], at: str = "start") -> str:
        """Add one rule (YAML text or a dict); its id."""
        return str(self.request("POST", "/api/scenario/rules", rule, {"at": at})["id"])

    def remove_rules(self, rule_id: str | None = None, label: str | None = None) -> list[str]:
        """Remove a rule by id, or the rules with a label; the ids removed."""
        if rule_id is not None:
            self.request("DELETE", f"/api/scenario/rules/{urllib.parse.quote(rule_id)}")
            return [rule_id]
        return list(
            self.request("DELETE", "/api/scenario/rules", query={"label": label})["removed"]
        )

    def clear_scenario(self) -> None:
        self.request("DELETE", "/api/scenario")

    # -- journal --------------------------------------------------------------------------------

    def journal(self, kind: str = "message", **filters: Any) -> list[dict[str, Any]]:
        """Every journal entry of *kind* matching *filters* (``service``, ``status``, ...)."""
        entries: list[dict[str, Any]] = []
        since = 0
        while True:
            page = self.request(
                "GET",
                "/api/journal",
                query={"kind": kind, "since": since, "limit": 1000, **filters},
            )
            entries += page["entries"]
            if page["next"] is None:
                return entries
            since = page["next"]

    def count(self, kind: str = "message", **filters: Any) -> int:
        return int(
            self.request("GET", "/api/journal/count", query={"kind": kind, **filters})["count"]
        )

    def wait_for(
        self, count: int = 1, timeout: float = 5.0, kind: str = "message", **filters: Any
    ) -> int:
        """Wait until at least *count* entries match; raises TimeoutError saying how many did."""
        body = {"kind": kind, "pattern": filters, "count": count, "timeout_ms": int(timeout * 1000)}
        try:
            answer = self.request("POST", "/api/journal/wait", body, timeout=timeout + 10)
        except AdminError as exc:
            if exc.status == 408:
                raise TimeoutError(f"{exc.detail} (waiting for {filters or 'any entry'})") from None
            raise
        return int(answer["count"])

    def clear_journal(self) -> None:
        self.request("DELETE", "/api/journal")

    # -- data -----------------------------------------------------------------------------------

    def fabricate(self, **fields: Any) -> dict[str, Any]:
        """Fabricate studies (``seed``, ``patients``, ``modalities``...); what was created."""
        return dict(self.request("POST", "/api/fabricate", fields))

    def studies(self, **filters: Any) -> list[dict[str, Any]]:
        return list(self.request("GET", "/api/studies", query=filters)["studies"])

    def study(self, study_uid: str) -> dict[str, Any]:
        return dict(self.request("GET", f"/api/studies/{study_uid}"))

    def upload(self, *files: bytes | Path) -> list[dict[str, Any]]:
        """Store Part 10 files as C-STORE would; what was stored."""
        stored = []
        for item in files:
            data = item.read_bytes() if isinstance(item, Path) else item
            answer = self.request("POST", "/api/instances", data, content_type="application/dicom")
            stored += answer["stored"]
        return stored

    def instance(self, sop_instance_uid: str) -> bytes:
        """An instance as a Part 10 file."""
        return bytes(self.request("GET", f"/api/instances/{sop_instance_uid}"))

    def put_remote_ae(self, name: str, ae_title: str, host: str, port: int, **options: Any) -> None:
        """Register a C-MOVE destination or commitment callback."""
        body = {"ae_title": ae_title, "host": host, "port": port, **options}
        self.request("PUT", f"/api/remote-aes/{name}", body)

    def delete_remote_ae(self, name: str) -> None:
        self.request("DELETE", f"/api/remote-aes/{name}")
