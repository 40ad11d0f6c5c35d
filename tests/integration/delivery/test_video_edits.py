"""Edits without loss (issue 24): ``PATCH /api/videos/{id}``, ``PATCH`` and ``PUT
.../metadata`` change only the fields they are given, on the real app and database."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from vidhost.app.main import build_container, create_app
from vidhost.app.settings import Settings

FULL = {
    "title": "First cut",
    "description": "A long description",
    "tags": ["one", "two"],
    "visibility": "unlisted",
}


class Api:
    """The app under its lifespan (Starlette's test client), on a real SQLite database."""

    def __init__(self, app: FastAPI, client: TestClient) -> None:
        self.app = app
        self.client = client

    def call(self, method: str, path: str, json: Any = None) -> httpx.Response:
        return self.client.request(method, path, json=json)

    def new_video(self) -> str:
        r = self.call("POST", "/api/videos/init", {})
        assert r.status_code == 200, r.text
        video_id = str(r.json()["videoId"])
        r = self.call("PUT", f"/api/videos/{video_id}/metadata", FULL)
        assert r.status_code == 200 and r.json() == {"message": "Metadata accepted"}, r.text
        return video_id

    def details(self, video_id: str) -> dict[str, Any]:
        r = self.call("GET", f"/api/videos/{video_id}")
        assert r.status_code == 200, r.text
        body = r.json()
        return {k: body[k] for k in FULL}


@pytest.fixture(scope="module")
def api(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Api]:
    data = tmp_path_factory.mktemp("edits") / "data"
    container = build_container(Settings(data_dir=Path(data), auth="none", embedded_worker=False))
    app = create_app(container=container)
    try:
        with TestClient(app) as client:
            yield Api(app, client)
    finally:
        container.close()


@pytest.mark.parametrize(
    ("sent", "changed"),
    [
        ({"visibility": "public"}, {"visibility": "public"}),
        ({"title": "T2", "visibility": "private"}, {"title": "T2", "visibility": "private"}),
        ({"description": ""}, {"description": ""}),
        ({"tags": []}, {"tags": []}),
        ({"title": "T3", "description": None}, {"title": "T3"}),
        ({}, {}),
    ],
)
@pytest.mark.parametrize(
    "route",
    ["PATCH /api/videos/{id}", "PATCH /api/videos/{id}/metadata", "PUT /api/videos/{id}/metadata"],
)
def test_only_the_fields_given_change(
    api: Api, route: str, sent: dict[str, Any], changed: dict[str, Any]
) -> None:
    video_id = api.new_video()
    method, path = route.split(" ")
    r = api.call(method, path.format(id=video_id), sent)
    assert r.status_code == 200, r.text
    if path.endswith("metadata"):  # the seed's answer, unchanged
        assert r.json() == {"message": "Metadata accepted"}
    else:  # the video, as GET answers it
        assert {k: r.json()[k] for k in FULL} == {**FULL, **changed}
    assert api.details(video_id) == {**FULL, **changed}


@pytest.mark.parametrize(
    "sent",
    [
        {"title": ""},
        {"title": "x" * 201},
        {"visibility": "secret"},
        {"tags": ["  "]},
        {"colour": "red"},  # PATCH names what it does not know instead of dropping it
    ],
)
@pytest.mark.parametrize("path", ["/api/videos/{id}", "/api/videos/{id}/metadata"])
def test_patch_refuses_bad_fields_and_changes_nothing(
    api: Api, path: str, sent: dict[str, Any]
) -> None:
    video_id = api.new_video()
    r = api.call("PATCH", path.format(id=video_id), sent)
    assert r.status_code == 400 and r.json()["code"] == "invalid_request", r.text
    assert api.details(video_id) == FULL


def test_put_ignores_unknown_fields_as_the_seed_allows(api: Api) -> None:
    video_id = api.new_video()
    r = api.call("PUT", f"/api/videos/{video_id}/metadata", {"colour": "red", "title": "T"})
    assert r.status_code == 200, r.text
    assert api.details(video_id) == {**FULL, "title": "T"}


def test_patch_of_an_unknown_video_is_404(api: Api) -> None:
    r = api.call("PATCH", "/api/videos/nope", {"title": "T"})
    assert r.status_code == 404 and r.json()["code"] == "video_not_found"


def test_openapi_says_a_field_left_out_keeps_its_value(api: Api) -> None:
    spec = api.app.openapi()
    assert "patch" in spec["paths"]["/api/videos/{video_id}"]
    assert "patch" in spec["paths"]["/api/videos/{video_id}/metadata"]
    put = spec["paths"]["/api/videos/{video_id}/metadata"]["put"]
    assert "keeps its value" in put["description"]
    fields = spec["components"]["schemas"]["MetadataRequest"]
    assert "required" not in fields
    assert "keeps its value" in fields["properties"]["title"]["description"]
