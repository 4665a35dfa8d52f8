"""The admin API's OpenAPI 3 document, built from the route table (``GET /api/openapi.json``).

Each route declared in :data:`emulator.admin.app.ROUTES` is an operation; what its request
takes and its success answers are declared here per route, every error answer is the one
error shape (``default``). A spec runs schemathesis against the live API with it.
"""

from __future__ import annotations

import re
from typing import Any

from emulator.admin.auth import ROLES
from emulator.version import __version__
from storage.fabrication_spec import PROFILES

Json = dict[str, Any]

OBJECT: Json = {"type": "object"}
JSON_OBJECT: Json = {"application/json": {"schema": OBJECT}}
TEXT: Json = {"type": "string"}
SCENARIO_BODY: Json = {"application/yaml": {"schema": TEXT}, "application/json": {"schema": OBJECT}}
INTEGER: Json = {"type": "integer", "minimum": 0}
PAGING = [("limit", {"type": "integer", "minimum": 1, "maximum": 1000}), ("after", INTEGER)]
JOURNAL_FILTERS = [
    ("kind", {"type": "string", "enum": ["message", "association", "http"]}),
    ("service", TEXT),
    ("calling_ae", TEXT),
    ("called_ae", TEXT),
    ("peer", TEXT),
    ("status", TEXT),
    ("outcome", TEXT),
    ("fault", TEXT),
    ("method", TEXT),
    ("path", TEXT),
]
STUDY_FILTERS = [
    (name, TEXT)
    for name in ("patient_id", "patient_name", "accession_number", "study_uid", "modality")
]
RESET_PARTS = ["received", "fabricated", "worklist", "mpps", "commitments", "journal"]
RESET_PARTS += ["scenario", "associations"]

# (method, path) → {"body": content, "query": [(name, schema)], "ok": {status: content}}
OPERATIONS: dict[tuple[str, str], Json] = {
    ("POST", "/api/reset"): {
        "body": {
            "application/json": {
                "schema": {
                    "type": "object",
                    "properties": {
                        "keep": {"type": "array", "items": {"type": "string", "enum": RESET_PARTS}}
                    },
                }
            }
        }
    },
    ("PUT", "/api/remote-aes/{name}"): {
        "body": {
            "application/json": {
                "schema": {
                    "type": "object",
                    "required": ["ae_title", "host", "port"],
                    "properties": {
                        "ae_title": {"type": "string", "minLength": 1, "maxLength": 16},
                        "host": {"type": "string", "minLength": 1},
                        "port": {"type": "integer", "minimum": 1, "maximum": 65535},
                        "tls": {"type": "boolean"},
                        "commitment_mode": {"type": "string", "enum": ["auto", "same", "new"]},
                        "commitment_delay": {"type": "number", "minimum": 0},
                    },
                }
            }
        }
    },
    ("GET", "/api/worklist"): {"query": PAGING},
    ("POST", "/api/worklist"): {"body": JSON_OBJECT, "ok": {"201": JSON_OBJECT}},
    ("POST", "/api/worklist/{id}/acquire"): {
        "body": {
            "application/json": {
                "schema": {
                    "type": "object",
                    "properties": {"send_to": TEXT, "commit": {"type": "boolean"}},
                    "additionalProperties": False,
                }
            }
        },
        "ok": {"201": JSON_OBJECT},
    },
    ("GET", "/api/mpps"): {"query": PAGING},
    ("GET", "/api/commitments"): {"query": PAGING},
    ("POST", "/api/hl7"): {"body": {"text/plain": {"schema": TEXT}}},
    ("PUT", "/api/scenario"): {"body": SCENARIO_BODY},
    ("POST", "/api/scenario/validate"): {"body": SCENARIO_BODY},
    ("POST", "/api/scenario/rules"): {
        "body": SCENARIO_BODY,
        "query": [("at", {"type": "string", "enum": ["start", "end"]})],
        "ok": {"201": JSON_OBJECT},
    },
    ("DELETE", "/api/scenario/rules"): {"query": [("label", TEXT)]},
    ("GET", "/api/journal"): {"query": [*JOURNAL_FILTERS, ("since", INTEGER), PAGING[0]]},
    ("GET", "/api/journal/count"): {"query": JOURNAL_FILTERS},
    ("GET", "/api/journal/stream"): {
        "query": [*JOURNAL_FILTERS, ("since", INTEGER)],
        "ok": {"200": {"text/event-stream": {"schema": TEXT}}},
    },
    ("POST", "/api/journal/wait"): {
        "body": {
            "application/json": {
                "schema": {
                    "type": "object",
                    "properties": {
                        "kind": {"type": "string", "enum": ["message", "association", "http"]},
                        "pattern": OBJECT,
                        "count": INTEGER,
                        "timeout_ms": {"type": "integer", "minimum": 0, "maximum": 300000},
                    },
                }
            }
        }
    },
    ("GET", "/api/studies"): {"query": [*STUDY_FILTERS, *PAGING]},
    ("POST", "/api/instances"): {
        "body": {
            "application/dicom": {"schema": {"type": "string", "format": "binary"}},
            "multipart/related": {"schema": {"type": "string", "format": "binary"}},
        },
        "ok": {"201": JSON_OBJECT},
    },
    ("GET", "/api/instances/{uid}"): {
        "query": [("format", {"type": "string", "enum": ["dicom", "json"]})],
        "ok": {
            "200": {
                "application/dicom": {"schema": {"type": "string", "format": "binary"}},
                "application/json": {"schema": OBJECT},
            }
        },
    },
    ("POST", "/api/fabricate"): {
        "body": {
            "application/json": {
                "schema": {
                    "type": "object",
                    "properties": {
                        "seed": INTEGER,
                        "patients": {"type": "integer", "minimum": 1},
                        "studies_per_patient": {"type": "integer", "minimum": 1},
                        "series_per_study": {"type": "integer", "minimum": 1},
                        "instances_per_series": {"type": "integer", "minimum": 1},
                        "modalities": {"type": "array", "items": TEXT},
                        "matrix": {"type": "integer", "minimum": 8, "maximum": 4096},
                        "anchor": {"type": "string", "pattern": "^[0-9]{8}$"},
                        "window_days": INTEGER,
                        "transfer_syntaxes": {"type": "array", "items": TEXT},
                        "profile": {"type": "string", "enum": list(PROFILES)},
                        "enhanced": {"type": "boolean"},
                        "materialize": {"type": "boolean"},
                        "worklist": INTEGER,
                        "stations": {"type": "array", "items": TEXT},
                        "replace": {"type": "boolean"},
                        "background": {"type": "boolean"},
                    },
                    "additionalProperties": False,
                }
            }
        },
        "ok": {"201": JSON_OBJECT},
    },
    ("POST", "/api/shutdown"): {"ok": {"202": JSON_OBJECT}},
    ("POST", "/api/users"): {"body": JSON_OBJECT, "ok": {"201": JSON_OBJECT}},
    ("PUT", "/api/users/{name}"): {"body": JSON_OBJECT},
    ("POST", "/api/login"): {
        "body": {
            "application/json": {
                "schema": {
                    "type": "object",
                    "required": ["name", "password"],
                    "properties": {"name": TEXT, "password": TEXT},
                }
            }
        }
    },
}
NO_CONTENT = frozenset(
    {
        ("DELETE", "/api/worklist/{id}"),
        ("DELETE", "/api/scenario"),
        ("DELETE", "/api/scenario/rules/{id}"),
        ("DELETE", "/api/journal"),
        ("DELETE", "/api/studies/{uid}"),
        ("DELETE", "/api/remote-aes/{name}"),
        ("POST", "/api/logout"),
        ("DELETE", "/api/users/{name}"),
    }
)


def _operation(method: str, path: str, summary: str, role: str) -> Json:
    spec = OPERATIONS.get((method, path), {})
    parameters = [
        {"name": name, "in": "path", "required": True, "schema": TEXT}
        for name in re.findall(r"{(\w+)}", path)
    ]
    parameters += [
        {"name": name, "in": "query", "required": False, "schema": schema}
        for name, schema in spec.get("query", [])
    ]
    if (method, path) in NO_CONTENT:
        ok: Json = {"204": {"description": "done"}}
    else:
        ok = {
            status: {"description": "success", "content": content}
            for status, content in spec.get("ok", {"200": JSON_OBJECT}).items()
        }
    operation: Json = {
        "summary": summary,
        "description": f"Needs the {role} role when tokens are configured.",
        "operationId": f"{method.lower()}{re.sub(r'[^A-Za-z0-9]+', '_', path)}",
        "parameters": parameters,
        "responses": {**ok, "default": {"$ref": "#/components/responses/Error"}},
    }
    if "body" in spec:
        operation["requestBody"] = {"required": method != "POST", "content": spec["body"]}
    return operation


def document(routes: list[tuple[str, str, Any, str]], role_of: Any) -> Json:
    """The OpenAPI 3.0 document of *routes*; *role_of(method, path)* is each one's role."""
    paths: Json = {}
    for method, path, _, summary in routes:
        paths.setdefault(path, {})[method.lower()] = _operation(
            method, path, summary, role_of(method, path)
        )
    return {
        "openapi": "3.0.3",
        "info": {
            "title": "DICOM Fabricator admin API",
            "version": __version__,
            "description": "Control and verify the DICOM test server emulator. Roles: "
            + ", ".join(ROLES)
            + ".",
        },
        "paths": paths,
        "components": {
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}},
            "responses": {
                "Error": {
                    "description": "an error, with a message a person can act on",
                    "content": {
                        "application/json": {
                            "schema": {
                                "type": "object",
                                "required": ["error", "detail", "status"],
                                "properties": {
                                    "error": {"type": "string"},
                                    "detail": {"type": "string"},
                                    "status": {"type": "integer"},
                                },
                            }
                        }
                    },
                }
            },
        },
        "security": [{}, {"bearer": []}],
    }
