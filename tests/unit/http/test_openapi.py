"""The OpenAPI document ``create_app()`` serves: complete where FastAPI alone is not."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from collections import Counter
from typing import Any

import pytest

from vidhost.app.main import create_app
from vidhost.core.error_codes import CATALOGUE, codes_for, statuses
from vidhost.providers.mux.errors import MUX_ERROR_SCHEMA

METHODS = {"get", "put", "post", "delete", "options", "head", "patch"}


@pytest.fixture(scope="module")
def spec() -> dict[str, Any]:
    return create_app().openapi()


def operations(spec: dict[str, Any]) -> list[tuple[str, str, dict[str, Any]]]:
    return [
        (path, method, op)
        for path, item in spec["paths"].items()
        for method, op in item.items()
        if method in METHODS
    ]


def test_operation_ids_are_unique(spec: dict[str, Any]) -> None:
    ids = Counter(op["operationId"] for _, _, op in operations(spec))
    assert [i for i, n in ids.items() if n > 1] == []


def test_every_path_parameter_is_declared(spec: dict[str, Any]) -> None:
    for path, method, op in operations(spec):
        declared = {p["name"] for p in op.get("parameters", []) if p["in"] == "path"}
        assert set(re.findall(r"{([^}]+)}", path)) == declared, (method, path)


def test_errors_are_400_with_codes_never_422(spec: dict[str, Any]) -> None:
    for path, method, op in operations(spec):
        responses = op["responses"]
        assert "422" not in responses, (method, path)
        if op.get("parameters") or "requestBody" in op:
            assert "400" in responses, (method, path)
        for status, response in responses.items():
            if int(status) >= 400:
                schema = response["content"]["application/json"]["schema"]
                if schema == MUX_ERROR_SCHEMA:  # the Mux surface: Mux's shape, vidhost's code
                    continue
                assert schema == {"$ref": f"#/components/schemas/Error{status}"}, (method, path)


def test_per_status_error_schemas_enumerate_the_catalogue(spec: dict[str, Any]) -> None:
    schemas = spec["components"]["schemas"]
    assert schemas["ErrorBody"]["properties"]["code"]["enum"] == list(CATALOGUE)
    for status in statuses():
        assert schemas[f"Error{status}"]["allOf"][1]["properties"]["code"]["enum"] == codes_for(
            status
        )
    assert [e["code"] for e in spec["x-error-codes"]] == list(CATALOGUE)
    # The docs open with the endpoints: the catalogue has its own page (issue 24).
    assert "`file_too_large`" not in spec["info"]["description"]
    assert "(/docs/errors)" in spec["info"]["description"]


def test_authenticated_routes_say_so(spec: dict[str, Any]) -> None:
    assert spec["components"]["securitySchemes"]["bearer"]["scheme"] == "bearer"
    ops = {(m, p): op for p, m, op in operations(spec)}
    for key in [("get", "/api/videos"), ("patch", "/api/v1/videos/tus/{upload_id}")]:
        assert ops[key]["security"] == [{"bearer": []}] and "401" in ops[key]["responses"]
    for key in [("get", "/stream/ready"), ("get", "/healthz"), ("options", "/api/v1/videos/tus")]:
        assert "security" not in ops[key] and "401" not in ops[key]["responses"]


def test_media_types_of_stored_bytes(spec: dict[str, Any]) -> None:
    paths = spec["paths"]

    def types(path: str, method: str = "get", status: str = "200") -> set[str]:
        return set(paths[path][method]["responses"][status].get("content", {}))

    assert types("/stream/{video_id}/segment/{segment_id}") == {
        "video/iso.segment",
        "video/mp4",
        "video/MP2T",
    }
    assert types("/stream/{video_id}/manifest", "head") == {"application/vnd.apple.mpegurl"}
    assert types("/stream/{video_id}/poster.jpg") == {"image/jpeg"}
    assert types("/api/videos/{video_id}/thumbnail.{fmt}") == {
        "image/jpeg",
        "image/png",
        "image/webp",
    }
    assert types("/api/v1/videos/tus/{upload_id}", "head") == set()
    headers = {
        p["name"] for p in paths["/stream/{video_id}/segment/{segment_id}"]["get"]["parameters"]
    }
    assert {"Range", "If-None-Match", "If-Range"} <= headers


def test_the_document_is_the_same_in_every_process() -> None:
    """A GET+HEAD route's methods are a set: two processes with different hash seeds must still
    write one document, method order included (pytest-xdist workers compare what they collect
    from it, and clients diff it)."""
    script = (
        "import json; from vidhost.app.main import create_app;"
        " print(json.dumps(create_app().openapi()))"
    )
    documents = {
        subprocess.run(
            [sys.executable, "-c", script],
            env={**os.environ, "PYTHONHASHSEED": seed},
            capture_output=True,
            text=True,
            check=True,
        ).stdout
        for seed in ("1", "2")
    }
    assert len(documents) == 1
