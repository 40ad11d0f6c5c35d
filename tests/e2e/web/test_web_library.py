"""The web app's rough edges of issue 24, item 5, in Debian's Chromium over a real
``vidhost serve`` (its own server: this module creates over a hundred videos): the live
count, paging past 100 videos through the API's limit/offset, dates and visibility badges,
no Delete on cards, display titles of Mux and Cloudflare videos, failed uploads in the
library with the upload page's message, a private embed's message in view, the same rung
names in the quality menu and the renditions table for vertical video, the upload row in
view at 1280x900, and the video page's edit form (keyboard only, changes only what was
edited)."""

from __future__ import annotations

import json
import re
from pathlib import Path

import httpx
import mux_python
import pytest
from cloudflare import Cloudflare
from playwright.sync_api import Browser, Page

from tests.clips import make_clip
from tests.e2e.helpers import SECRET, set_visibility, upload, wait_for_state
from tests.e2e.mux_helpers import access_token, sdk
from tests.e2e.web.browsing import USER, axe, new_page, signed_in
from tests.server import ServerProcess
from vidhost.http.auth.tokens import issue_token

pytestmark = pytest.mark.e2e


def create(server: ServerProcess, filename: str) -> str:
    """A video record without bytes (``POST /api/videos/init``): cheap, and listed."""
    r = httpx.post(
        f"{server.url}/api/videos/init", json={"filename": filename}, headers=USER, timeout=30
    )
    assert r.status_code == 200, r.text
    return str(r.json()["videoId"])


def api_total(server: ServerProcess) -> int:
    r = httpx.get(f"{server.url}/api/videos", params={"limit": 1}, headers=USER)
    return int(r.json()["total"])


def open_library(page: Page, server: ServerProcess) -> None:
    page.goto(server.url + "/")
    page.locator("#library-grid[aria-busy=false]").wait_for(state="attached")


def shown_count(page: Page) -> int:
    text = page.locator("#library-summary").inner_text()
    found = re.match(r"(\d+) videos?", text)
    assert found, text
    return int(found.group(1))


def wait_count(page: Page, n: int) -> None:
    page.wait_for_function(
        "n => (parseInt(document.querySelector('#library-summary').textContent) || 0) === n",
        arg=n,
        timeout=15_000,
    )


def test_paging_past_100_videos_through_the_api(
    server: ServerProcess, browser: Browser, shots: Path
) -> None:
    ids = [create(server, f"paged-{i:03}.mp4") for i in range(105)]
    total = api_total(server)
    assert total >= 105
    context, page, watch = signed_in(browser)
    pages: list[dict[str, str]] = []
    page.on(
        "request",
        lambda r: (
            pages.append(dict(re.findall(r"(limit|offset)=(\d+)", r.url)))
            if "/api/videos?" in r.url and "limit=1&" not in r.url
            else None
        ),
    )
    open_library(page, server)
    cards = page.locator(".video-card")
    assert cards.count() == 50
    assert page.locator("#library-summary").inner_text() == f"{total} videos · showing 50"
    more = page.get_by_role("button", name="Show more videos")
    while more.is_visible():
        before = cards.count()
        more.click()
        page.wait_for_function(
            "n => document.querySelectorAll('.video-card').length > n", arg=before
        )
        page.locator("#library-grid[aria-busy=false]").wait_for(state="attached")
    shown = page.eval_on_selector_all(".video-card", "cs => cs.map((c) => c.dataset.videoId)")
    assert len(shown) == len(set(shown)) == total  # every video once, the oldest included
    assert set(ids) <= set(shown)
    assert shown[-1] == ids[0] and page.locator("#library-summary").inner_text() == (
        f"{total} videos"
    )
    assert pages[:3] == [
        {"limit": "50", "offset": "0"},
        {"limit": "50", "offset": "50"},
        {"limit": "50", "offset": "100"},
    ]
    page.screenshot(path=shots / "library-paged.png", full_page=False)
    watch.check()
    context.close()


def test_the_count_follows_a_delete_and_a_live_add(server: ServerProcess, browser: Browser) -> None:
    first = create(server, "count-a.mp4")
    context, page, watch = signed_in(browser)
    open_library(page, server)
    start = api_total(server)
    assert shown_count(page) == start
    # added elsewhere while the library is open: the card and the count
    added = create(server, "count-b.mp4")
    page.locator(f'.video-card[data-video-id="{added}"]').wait_for()
    wait_count(page, start + 1)
    # deleted elsewhere: the card goes, the count follows
    assert httpx.delete(f"{server.url}/api/videos/{first}", headers=USER).status_code == 200
    page.locator(f'.video-card[data-video-id="{first}"]').wait_for(state="detached")
    wait_count(page, start)
    # deleted here, on its page, then back in the library
    page.locator(f'.video-card[data-video-id="{added}"] a.card-link').click()
    page.get_by_role("button", name="Delete video").click()
    page.get_by_role("dialog").get_by_role("button", name="Delete").click()
    page.wait_for_url(f"{server.url}/")
    page.locator("#library-grid[aria-busy=false]").wait_for(state="attached")
    wait_count(page, start - 1)
    assert api_total(server) == start - 1
    watch.check()
    context.close()


def test_cards_show_date_and_visibility_and_carry_no_delete(
    server: ServerProcess, browser: Browser, tmp_path: Path
) -> None:
    public = create(server, "badge-public.mp4")
    private = create(server, "badge-private.mp4")
    set_visibility(server.url, private, "private", USER)
    created = httpx.get(f"{server.url}/api/videos/{public}", headers=USER).json()["createdAt"]
    context, page, watch = signed_in(browser)
    open_library(page, server)
    card = page.locator(f'.video-card[data-video-id="{public}"]')
    assert card.locator(".badge.visibility").inner_text() == "Public"
    date = card.locator("time.date")
    assert date.get_attribute("datetime") == created
    assert date.inner_text().strip() == page.evaluate(
        "d => new Intl.DateTimeFormat(undefined, {dateStyle: 'medium'}).format(new Date(d))",
        created,
    )
    other = page.locator(f'.video-card[data-video-id="{private}"]')
    assert other.locator(".badge.visibility").inner_text() == "Private"
    assert page.locator(".video-card button").count() == 0  # no Delete (nor other button)
    watch.check()
    context.close()


def test_mux_and_cloudflare_videos_show_their_title_never_their_id(
    server: ServerProcess, browser: Browser
) -> None:
    uploads = mux_python.DirectUploadsApi(sdk(server.url, access_token(server, "anonymous")))

    def newest() -> set[str]:
        r = httpx.get(f"{server.url}/api/videos", params={"limit": 5}, headers=USER)
        return {v["id"] for v in r.json()["videos"]}

    def mux_upload(**settings: object) -> str:
        """The video a Mux direct upload creates (its asset id comes with the bytes)."""
        before = newest()
        request = mux_python.CreateAssetRequest(playback_policy=["public"], **settings)
        uploads.create_direct_upload(
            mux_python.CreateUploadRequest(cors_origin="*", new_asset_settings=request)
        )
        (made,) = newest() - before
        return made

    titled = mux_upload(meta=mux_python.AssetMetadata(title="Ocean at dusk"))
    untitled = mux_upload()
    cf = Cloudflare(
        api_token=issue_token(SECRET, "anonymous"),
        base_url=f"{server.url}/client/v4",
        max_retries=0,
    )
    named = cf.stream.direct_upload.create(
        account_id="anonymous", max_duration_seconds=60, meta={"name": "Harbour walk"}
    )
    assert named is not None and named.uid
    listed = {
        v["id"]: v
        for v in httpx.get(f"{server.url}/api/videos", params={"limit": 10}, headers=USER).json()[
            "videos"
        ]
    }
    assert listed[titled]["displayTitle"] == "Ocean at dusk"
    assert listed[named.uid]["displayTitle"] == "Harbour walk"
    assert listed[untitled]["displayTitle"] == "Untitled video"
    context, page, watch = signed_in(browser)
    open_library(page, server)
    for vid, title in (
        (titled, "Ocean at dusk"),
        (named.uid, "Harbour walk"),
        (untitled, "Untitled video"),
    ):
        assert page.locator(f'.video-card[data-video-id="{vid}"] .title').inner_text() == title
    page.goto(f"{server.url}/videos/{titled}")
    assert page.get_by_role("heading", level=1).inner_text() == "Ocean at dusk"
    watch.check()
    context.close()


def test_an_edit_made_elsewhere_shows_in_the_open_library_and_as_the_mux_title(
    server: ServerProcess, browser: Browser, tmp_path: Path
) -> None:
    """Issue 24, beyond: a native ``PATCH`` of the title is the Mux asset's ``meta.title``;
    an edit on any surface reaches an open library over ``/api/events`` (another tab)."""
    client = sdk(server.url, access_token(server, "anonymous"))
    uploads, assets = mux_python.DirectUploadsApi(client), mux_python.AssetsApi(client)
    settings = mux_python.CreateAssetRequest(
        playback_policy=["public"],
        passthrough="p-1",
        meta=mux_python.AssetMetadata(title="Before the edit", creator_id="c-7"),
    )
    created = uploads.create_direct_upload(
        mux_python.CreateUploadRequest(cors_origin="*", new_asset_settings=settings)
    ).data
    clip = make_clip(tmp_path / "edit.mp4", duration=1, width=160, height=120)
    assert httpx.put(created.url, content=clip.read_bytes(), timeout=60).status_code == 200
    vid = uploads.get_direct_upload(created.id).data.asset_id
    assert vid  # the Mux asset is the video
    context, page, watch = signed_in(browser)
    open_library(page, server)
    title = page.locator(f'.video-card[data-video-id="{vid}"] .title')
    assert title.inner_text() == "Before the edit"

    r = httpx.patch(
        f"{server.url}/api/videos/{vid}",
        json={"title": "After the edit", "description": "kept"},
        headers=USER,
    )
    assert r.status_code == 200, r.text
    page.wait_for_function(
        "([sel, t]) => document.querySelector(sel)?.textContent === t",
        arg=[f'.video-card[data-video-id="{vid}"] .title', "After the edit"],
        timeout=15_000,
    )
    asset = assets.get_asset(vid).data
    assert (asset.meta.title, asset.meta.creator_id, asset.passthrough) == (
        "After the edit",
        "c-7",
        "p-1",
    )

    assets.update_asset(
        vid, mux_python.UpdateAssetRequest(meta=mux_python.AssetMetadata(title="From Mux"))
    )
    page.wait_for_function(
        "([sel, t]) => document.querySelector(sel)?.textContent === t",
        arg=[f'.video-card[data-video-id="{vid}"] .title', "From Mux"],
        timeout=15_000,
    )
    native = httpx.get(f"{server.url}/api/videos/{vid}", headers=USER).json()
    assert (native["title"], native["description"]) == ("From Mux", "kept")
    watch.check()
    context.close()


def test_a_failed_upload_shows_the_upload_pages_message_in_the_library(
    server: ServerProcess, browser: Browser, shots: Path, tmp_path: Path
) -> None:
    notes = tmp_path / "notes.mp4"
    notes.write_text("these are my holiday notes, not a video\n" * 200)
    context, page, watch = signed_in(browser)
    page.goto(f"{server.url}/upload")
    page.set_input_files("#files", str(notes))
    row = page.locator(".upload-row", has_text="notes.mp4")
    status = row.locator(".row-status")
    status.filter(has_text="not a video").wait_for(timeout=60_000)
    said = status.inner_text()
    video_id = row.get_attribute("data-video-id")
    assert video_id
    stored = wait_for_state(server.url, video_id, USER, {"failed"}, details=True)
    open_library(page, server)
    card = page.locator(f'.video-card[data-video-id="{video_id}"]')
    assert card.locator('.badge[data-state="failed"]').is_visible()
    assert card.locator(".error-text").inner_text() == said
    raw = stored["error"]["message"]
    assert raw and raw not in card.inner_text()  # the server's words stay on the video page
    page.screenshot(path=shots / "library-failed.png", full_page=False)
    page.goto(f"{server.url}/videos/{video_id}")
    assert page.locator("#processing-status").inner_text() == f"Failed: {said}"
    page.get_by_text("Technical details").click()
    page.get_by_text(raw, exact=False).wait_for()
    watch.check()
    context.close()


@pytest.mark.parametrize("size", [(1280, 900), (390, 700)])
def test_a_private_embed_without_a_token_says_so_in_view(
    server: ServerProcess, browser: Browser, shots: Path, tmp_path: Path, size: tuple[int, int]
) -> None:
    video_id = upload(server.url, make_clip(tmp_path / "hidden.mp4", duration=2), USER)
    set_visibility(server.url, video_id, "private", USER)
    wait_for_state(server.url, video_id, USER, {"ready"})
    width, height = size
    context, page, _ = new_page(browser, viewport={"width": width, "height": height})
    page.goto(f"{server.url}/embed/{video_id}")
    message = page.locator(".player-message", has_text="private")
    message.wait_for()
    box = message.bounding_box()
    assert box
    assert box["y"] >= 0 and box["y"] + box["height"] <= height, box  # in the viewport
    assert box["x"] >= 0 and box["x"] + box["width"] <= width, box
    on_top = page.evaluate(
        "([x, y]) => document.elementFromPoint(x, y)?.closest('.player-message') !== null",
        [box["x"] + box["width"] / 2, box["y"] + box["height"] / 2],
    )
    assert on_top  # nothing covers it
    page.screenshot(path=shots / f"embed-private-{width}.png")
    assert axe(page) == []
    context.close()


def test_vertical_video_has_the_same_rung_names_in_menu_and_table(
    server: ServerProcess, browser: Browser, shots: Path, tmp_path: Path
) -> None:
    clip = make_clip(tmp_path / "tall.mp4", duration=3, width=360, height=640)
    video_id = upload(server.url, clip, USER)
    wait_for_state(server.url, video_id, USER, {"ready"})
    context, page, watch = signed_in(browser)
    page.goto(f"{server.url}/videos/{video_id}")
    page.wait_for_function("() => document.querySelectorAll('select.quality option').length === 3")
    menu = page.get_by_label("Quality").locator("option").all_inner_texts()[1:]
    table = page.locator("table.renditions tbody tr td:first-child").all_inner_texts()
    assert menu == ["360p", "240p"]  # the short side, not 640p/426p
    assert sorted(table) == sorted(menu)
    times = "\N{MULTIPLICATION SIGN}"
    sizes = page.locator("table.renditions tbody tr td:nth-child(2)").all_inner_texts()
    assert f"360{times}640" in sizes
    page.screenshot(path=shots / "video-vertical.png", full_page=True)
    watch.check()
    context.close()


def test_the_upload_row_is_in_view_at_1280x900(
    server: ServerProcess, browser: Browser, tmp_path: Path
) -> None:
    clip = make_clip(tmp_path / "inview.mp4", duration=1)
    context, page, watch = signed_in(browser)
    page.goto(f"{server.url}/upload")
    page.locator("#dropzone").wait_for()
    page.set_input_files("#files", str(clip))
    row = page.locator(".upload-row", has_text="inview.mp4")
    row.wait_for()
    assert page.evaluate("scrollY") == 0  # in view without scrolling
    box = row.locator("progress").bounding_box()
    assert box and box["y"] + box["height"] <= 900, box
    row.locator(".row-status", has_text="Ready").wait_for(timeout=90_000)
    watch.check()
    context.close()


def test_the_edit_form_changes_only_what_was_edited_from_the_keyboard(
    server: ServerProcess, browser: Browser, shots: Path, tmp_path: Path
) -> None:
    video_id = create(server, "edit.mp4")
    r = httpx.put(
        f"{server.url}/api/videos/{video_id}/metadata",
        json={"title": "Before", "description": "Kept as it was", "tags": ["a", "b"]},
        headers=USER,
        timeout=30,
    )
    assert r.status_code == 200, r.text
    context, page, watch = signed_in(browser)
    sent: list[dict] = []
    page.on(
        "request",
        lambda r: sent.append(json.loads(r.post_data or "{}")) if r.method == "PATCH" else None,
    )
    page.goto(f"{server.url}/videos/{video_id}")
    page.get_by_role("button", name="Edit details").wait_for()
    for _ in range(80):  # Tab to the button, as a keyboard user would
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement.id") == "edit-open":
            break
    else:
        raise AssertionError("Tab never reached Edit details")
    page.keyboard.press("Enter")
    assert page.evaluate("document.activeElement.id") == "edit-title"  # focus moved in
    page.keyboard.type("After")  # the title was selected: typing replaces it
    page.keyboard.press("Tab")  # description: untouched
    page.keyboard.press("Tab")  # tags: untouched
    page.keyboard.press("Tab")  # visibility
    assert page.evaluate("document.activeElement.id") == "edit-visibility"
    page.keyboard.press("ArrowDown")  # public -> unlisted
    assert page.locator("#edit-visibility").input_value() == "unlisted"
    page.screenshot(path=shots / "video-edit-form.png", full_page=True)
    page.keyboard.press("Tab")  # Save
    page.keyboard.press("Enter")
    page.locator("#edit-message", has_text="Saved").wait_for()
    assert sent == [{"title": "After", "visibility": "unlisted"}]  # only what was edited
    after = httpx.get(f"{server.url}/api/videos/{video_id}", headers=USER).json()
    assert after["title"] == "After" and after["visibility"] == "unlisted"
    assert after["description"] == "Kept as it was" and after["tags"] == ["a", "b"]
    assert page.get_by_role("heading", level=1).inner_text() == "After"
    assert page.evaluate("document.activeElement.id") == "edit-open"  # focus given back
    # Escape closes without saving
    page.keyboard.press("Enter")
    page.keyboard.type("Not saved")
    page.keyboard.press("Escape")
    assert page.locator("#edit-form").is_hidden()
    assert len(sent) == 1
    watch.check()
    context.close()


def test_making_a_playing_video_private_in_the_edit_form_keeps_it_playing(
    server: ServerProcess, browser: Browser, tmp_path: Path
) -> None:
    clip = make_clip(tmp_path / "soon-private.mp4", duration=3)
    with open(clip, "rb") as fh:
        r = httpx.post(
            f"{server.url}/upload",
            files={"file": (clip.name, fh, "video/mp4")},
            headers=USER,
            timeout=60,
        )
    assert r.status_code == 201, r.text
    video_id = r.json()["videoId"]
    wait_for_state(server.url, video_id, USER, {"ready"})
    context, page, watch = signed_in(browser)
    page.goto(f"{server.url}/videos/{video_id}")
    page.get_by_role("button", name="Edit details").click()
    page.get_by_label("Visibility").select_option("private")
    manifests: list[str] = []
    page.on(
        "request",
        lambda r: manifests.append(r.url) if ".m3u8" in r.url or "manifest" in r.url else None,
    )
    page.get_by_role("button", name="Save").click()
    page.locator("#edit-message", has_text="Saved: visibility").wait_for()
    assert httpx.get(f"{server.url}/stream/{video_id}/manifest").status_code == 403
    # the player was rebuilt on signed URLs, and the share box offers a signed link
    page.get_by_label("Signed link").wait_for()
    page.get_by_role("button", name="Play").click()
    page.wait_for_function("() => document.querySelector('video').currentTime > 0.5")
    assert manifests and all("token=" in url for url in manifests), manifests
    assert page.locator(".player").count() == 1
    facts = page.locator("#video-facts").inner_text()
    assert "Private" in facts
    watch.check()
    context.close()
