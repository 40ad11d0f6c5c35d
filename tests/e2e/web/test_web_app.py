"""The web app in a real browser (Playwright driving Debian's Chromium) over a real
``vidhost serve``: sign in with the printed one-time link, upload through the file input,
watch the state go ready live, play, hover the storyboard, post, delete; resume an upload
cut halfway; every page screenshotted, free of console errors and axe violations."""

from __future__ import annotations

import base64
import contextlib
import re
import time
from pathlib import Path
from typing import Any

import httpx
import pytest
from playwright.sync_api import Browser, Page

from tests.clips import make_clip
from tests.e2e.helpers import wait_for_ladder, wait_for_state
from tests.e2e.web.browsing import MAX_SIZE, USER, Watch, axe, new_page, signed_in
from tests.server import ServerProcess

pytestmark = pytest.mark.e2e


def test_sign_in_upload_watch_play_storyboard_post_delete(
    server: ServerProcess, sign_in_link: str, browser: Browser, shots: Path, tmp_path: Path
) -> None:
    clip = make_clip(tmp_path / "beach.mp4", duration=5, width=320, height=240)
    context, page, watch = new_page(browser)

    # Sign in with the one-time link: the code goes (fragment) and a token is stored.
    assert "#code=" in sign_in_link
    page.goto(sign_in_link)
    page.wait_for_url(f"{server.url}/")
    page.get_by_role("heading", name="Library").wait_for()
    assert "code" not in page.url
    assert page.evaluate("localStorage.getItem('vidhost.token')")
    code = sign_in_link.split("#code=")[1]
    again = httpx.post(f"{server.url}/api/auth/sign-in", json={"code": code})
    assert again.status_code == 401 and again.json()["code"] == "sign_in_code_invalid"
    assert code not in server.log_path.read_text().split(sign_in_link, 1)[1]  # never logged

    # Upload through the file input, with a title; see it go ready without a reload.
    page.get_by_role("navigation").get_by_role("link", name="Upload").click()
    page.get_by_label("Title").fill("Beach day")
    page.get_by_label("Tags").fill("sea, sun")
    page.evaluate("window.__sameDocument = true")
    page.set_input_files("#files", str(clip))
    row = page.locator(".upload-row", has_text="beach.mp4")
    row.locator(".row-status", has_text="Ready").wait_for(timeout=90_000)
    assert page.evaluate("window.__sameDocument") is True  # live over the socket, no reload
    page.screenshot(path=shots / "upload.png", full_page=True)
    video_id = row.get_attribute("data-video-id")
    assert video_id
    details = httpx.get(f"{server.url}/api/videos/{video_id}", headers=USER).json()
    assert details["title"] == "Beach day" and details["tags"] == ["sea", "sun"]

    # The library: poster, title, duration, state.
    page.get_by_role("navigation").get_by_role("link", name="Library").click()
    card = page.locator(f'.video-card[data-video-id="{video_id}"]')
    card.locator('.badge[data-state="ready"]').wait_for()
    assert card.locator(".title").inner_text() == "Beach day"
    assert card.locator(".duration").inner_text() == "0:05"
    card.locator("img.poster").evaluate("img => img.decode()")
    page.get_by_label("Search by title").fill("beach")
    page.wait_for_function("() => document.querySelectorAll('.video-card').length === 1")
    page.get_by_label("Search by title").fill("no such title")
    page.locator("#library-summary", has_text="No video matches").wait_for()
    page.get_by_label("Search by title").fill("")
    card.wait_for()
    page.screenshot(path=shots / "library.png", full_page=True)

    # Play past 2 s, then hover the seek bar and see a storyboard tile.
    card.locator("a.card-link").click()
    page.wait_for_url(f"**/videos/{video_id}")
    page.get_by_role("button", name="Play").click()
    page.wait_for_function("() => document.querySelector('video').currentTime > 2", timeout=30_000)
    assert page.locator("select.quality option").count() >= 2  # Auto + each rendition
    page.get_by_role("button", name="Pause").click()
    with page.expect_response(lambda r: "storyboard.jpg" in r.url) as sprite:
        seek = page.get_by_role("slider", name="Seek")
        box = seek.bounding_box()
        assert box
        page.mouse.move(box["x"] + box["width"] * 0.7, box["y"] + box["height"] / 2)
        page.locator(".preview").wait_for(state="visible")
        page.mouse.move(box["x"] + box["width"] * 0.75, box["y"] + box["height"] / 2)
    assert sprite.value.status == 200
    style = page.locator(".preview-img").get_attribute("style") or ""
    assert "storyboard.jpg" in style and "background-position" in style
    page.locator("#histogram").wait_for()
    assert (
        page.locator("#embed-code")
        .input_value()
        .startswith(f'<iframe src="{server.url}/embed/{video_id}"')
    )
    page.screenshot(path=shots / "video.png", full_page=True)

    # The embed page plays the public video on its own.
    embed = context.new_page()
    embed_watch = Watch(embed)
    embed.goto(f"{server.url}/embed/{video_id}")
    embed.get_by_role("button", name="Play").click()
    embed.wait_for_function("() => document.querySelector('video').currentTime > 0.5")
    embed.screenshot(path=shots / "embed.png")
    embed_watch.check()
    embed.close()

    # Create a post with it; it plays inline.
    page.get_by_role("navigation").get_by_role("link", name="Posts").click()
    page.get_by_label("What do you want to say?").fill("Look at the sea")
    page.get_by_label("Video").select_option(video_id)
    page.get_by_role("button", name="Publish").click()
    post = page.locator("article.post", has_text="Look at the sea")
    post.locator("video").wait_for()
    page.wait_for_function("() => document.querySelector('article.post video').readyState >= 1")
    page.screenshot(path=shots / "posts.png", full_page=True)
    posts = httpx.get(f"{server.url}/api/posts", headers=USER).json()["posts"]
    assert posts[0]["media"]["videoId"] == video_id

    # Delete it from its page (the library's cards carry no Delete), confirming in the dialog.
    page.get_by_role("navigation").get_by_role("link", name="Library").click()
    assert card.get_by_role("button").count() == 0
    card.locator("a.card-link").click()
    page.wait_for_url(f"**/videos/{video_id}")
    page.get_by_role("button", name="Delete video").click()
    page.get_by_role("dialog").get_by_role("button", name="Delete").click()
    page.wait_for_url(f"{server.url}/")
    page.locator("#library-grid[aria-busy=false]").wait_for(state="attached")
    assert card.count() == 0
    gone = httpx.get(f"{server.url}/api/videos/{video_id}", headers=USER)
    assert gone.status_code == 404
    watch.check()
    assert any("hls.min.js" in url for url, _ in watch.assets)
    context.close()


def test_a_video_uploaded_elsewhere_appears_in_the_open_library_and_goes_ready(
    server: ServerProcess, browser: Browser, shots: Path, tmp_path: Path
) -> None:
    from tests.e2e.helpers import upload

    context, page, watch = signed_in(browser)
    page.goto(server.url + "/")
    page.locator("#library-grid[aria-busy=false]").wait_for(state="attached")
    page.evaluate("window.__sameDocument = true")
    # uploaded by the API (as the CLI or another tab would) while the library is open
    clip = make_clip(tmp_path / "elsewhere.mp4", duration=2)
    video_id = upload(server.url, clip, USER)
    card = page.locator(f'.video-card[data-video-id="{video_id}"]')
    card.wait_for(timeout=30_000)
    card.locator('.badge[data-state="ready"]').wait_for(timeout=90_000)
    assert card.locator(".duration").inner_text() == "0:02"
    # ready = plays now; the card follows the ladder (the API's figure) to 100, then hides it
    shown = float(card.get_attribute("data-progress") or "nan")
    assert 0 <= shown <= 100
    if shown < 100:
        assert card.locator(".ladder").inner_text().startswith("Playable")
    ladder = wait_for_ladder(server.url, video_id, USER)
    assert ladder["progress"] == 100
    page.wait_for_function(  # a function with an argument: the page's CSP allows no eval
        'id => document.querySelector(`.video-card[data-video-id="${id}"]`)'
        "?.dataset.progress === '100'",
        arg=video_id,
    )
    assert card.locator("progress").is_hidden() and card.locator(".ladder").is_hidden()
    page.screenshot(path=shots / "library-live.png", full_page=True)
    # deleted elsewhere: the card goes
    assert httpx.delete(f"{server.url}/api/videos/{video_id}", headers=USER).status_code < 300
    card.wait_for(state="detached", timeout=30_000)
    assert page.evaluate("window.__sameDocument") is True  # never reloaded
    watch.check()
    context.close()


def test_the_quality_menu_lists_each_rendition_and_switches_the_level(
    server: ServerProcess, browser: Browser, shots: Path, tmp_path: Path
) -> None:
    from tests.e2e.helpers import upload

    clip = make_clip(tmp_path / "wide.mp4", duration=4, width=640, height=360)
    video_id = upload(server.url, clip, USER)
    wait_for_state(server.url, video_id, USER, {"ready"})
    context, page, watch = signed_in(browser)
    page.goto(f"{server.url}/videos/{video_id}")
    quality = page.get_by_label("Quality")
    page.wait_for_function("() => document.querySelectorAll('select.quality option').length === 3")
    options = quality.locator("option").all_inner_texts()
    assert options[1:] == ["360p", "240p"] and options[0].startswith("Auto")
    # The details: resolution, codecs, size, and one row per rendition.
    times = "\N{MULTIPLICATION SIGN}"
    facts = dict(
        zip(
            page.locator("dl.facts dt").all_inner_texts(),
            page.locator("dl.facts dd").all_inner_texts(),
            strict=True,
        )
    )
    assert facts["Resolution"] == f"640{times}360" and facts["Codecs"].startswith("h264")
    assert facts["Size"].endswith(("KiB", "MiB"))  # binary units (ADR 0078)
    rows = page.locator("table.renditions tbody tr td:nth-child(2)").all_inner_texts()
    assert sorted(rows) == [f"426{times}240", f"640{times}360"]
    page.get_by_role("button", name="Play").click()
    page.wait_for_function("() => document.querySelector('video').currentTime > 0.2")
    figure = page.locator(".player[data-level]")
    figure.wait_for()
    for height in ("240", "360"):
        with page.expect_request(lambda r, h=height: f"{h}p" in r.url or f"/{h}/" in r.url):
            quality.select_option(label=f"{height}p")
            page.wait_for_function(
                "h => document.querySelector('.player[data-level]').dataset.level === h", arg=height
            )
    quality.select_option(value="-1")
    page.screenshot(path=shots / "video-quality.png", full_page=True)
    watch.check()
    context.close()


def test_the_renditions_table_shows_measured_bit_rates_and_vmaf(
    server: ServerProcess, browser: Browser, tmp_path: Path
) -> None:
    """Once the ladder is stored and measured (ADR 0045), each row shows the measured average
    and peak bit rates (no "≈": not planned) and the VMAF (mean, p5) the API reports."""
    from tests.e2e.helpers import upload

    clip = make_clip(tmp_path / "measured.mp4", duration=4, width=640, height=360)
    video_id = upload(server.url, clip, USER)
    wait_for_ladder(server.url, video_id, USER)
    deadline = time.monotonic() + 120
    while True:
        body = httpx.get(f"{server.url}/api/videos/{video_id}", headers=USER, timeout=10).json()
        if body["renditions"] and all(r["vmaf"] for r in body["renditions"]):
            break
        assert time.monotonic() < deadline, body["renditions"]
        time.sleep(0.5)
    context, page, watch = signed_in(browser)
    page.goto(f"{server.url}/videos/{video_id}")
    table = page.locator("table.renditions")
    table.wait_for()
    headers = table.locator("thead th").all_inner_texts()
    assert headers == ["Name", "Size", "Bitrate", "Peak", "VMAF"]
    rows = {
        cells[0]: cells
        for cells in (
            row.locator("td").all_inner_texts() for row in table.locator("tbody tr").all()
        )
    }
    for r in body["renditions"]:
        _, _, average, peak, vmaf = rows[r["name"]]
        assert average == f"{int(r['averageBitrate'] / 1000 + 0.5)} kb/s"  # Math.round
        assert peak == f"{int(r['peakBitrate'] / 1000 + 0.5)} kb/s"
        assert vmaf == f"{r['vmaf']['mean']:.1f} (p5 {r['vmaf']['p5']:.1f})"
    watch.check()
    context.close()


def test_drop_several_files_on_the_drop_zone(
    server: ServerProcess, browser: Browser, tmp_path: Path
) -> None:
    clips = {
        name: base64.b64encode(make_clip(tmp_path / name, duration=1).read_bytes()).decode()
        for name in ("dropped-a.mp4", "dropped-b.mp4")
    }
    context, page, watch = signed_in(browser)
    page.goto(server.url + "/upload")
    zone = page.locator("#dropzone")
    zone.wait_for()
    # A real drop: a DataTransfer holding Files built in the page, dragged over and dropped.
    page.evaluate(
        """clips => {
          const data = new DataTransfer();
          for (const [name, b64] of Object.entries(clips)) {
            const bytes = Uint8Array.from(atob(b64), (c) => c.charCodeAt(0));
            data.items.add(new File([bytes], name, { type: "video/mp4" }));
          }
          const zone = document.getElementById("dropzone");
          const init = { dataTransfer: data, bubbles: true, cancelable: true };
          zone.dispatchEvent(new DragEvent("dragover", init));
          zone.dispatchEvent(new DragEvent("drop", init));
        }""",
        clips,
    )
    ids = []
    for name in clips:
        row = page.locator(".upload-row", has_text=name)
        row.locator(".row-status", has_text="Ready").wait_for(timeout=90_000)
        ids.append(row.get_attribute("data-video-id"))
    for video_id, name in zip(ids, clips, strict=True):
        details = httpx.get(f"{server.url}/api/videos/{video_id}", headers=USER).json()
        assert details["state"] == "ready" and details["filename"] == name
    assert "over" not in (zone.get_attribute("class") or "")
    watch.check()
    context.close()


def test_upload_resumes_from_the_server_offset_after_a_cut_and_a_reload(
    server: ServerProcess, browser: Browser, shots: Path, tmp_path: Path
) -> None:
    clip = make_clip(
        tmp_path / "long.mp4", duration=6, width=640, height=360, extra_args=["-b:v", "3M"]
    )
    size = clip.stat().st_size
    chunk = 256 * 1024
    assert size > 6 * chunk
    context, page, watch = signed_in(browser)
    context.add_init_script(f"localStorage.setItem('vidhost.uploadChunkSize', '{chunk}')")
    patches: list[tuple[int, int]] = []  # (Upload-Offset, body bytes) the server was sent
    cut = {"done": False, "down": False, "refused": 0}

    def on_patch(route: Any) -> None:
        request = route.request
        offset = int(request.headers["upload-offset"])
        if not cut["done"] and offset >= size // 2:
            cut["done"] = cut["down"] = True  # the connection drops halfway ...
        if cut["down"]:
            cut["refused"] += 1  # ... and stays down (tus-js-client's retries fail too)
            route.abort("connectionreset")
            return
        patches.append((offset, len(request.post_data_buffer or b"")))
        route.continue_()

    page.route(
        re.compile(r".*/api/v1/videos/tus/.+"),
        lambda route: on_patch(route) if route.request.method == "PATCH" else route.continue_(),
    )
    page.goto(f"{server.url}/upload")
    page.set_input_files("#files", str(clip))
    row = page.locator(".upload-row", has_text="long.mp4")
    row.locator(".row-status", has_text="connection dropped").wait_for(timeout=30_000)
    assert cut["refused"] > 1  # the first try and the retries
    before = sum(n for _, n in patches)
    assert 0 < before < size
    head = httpx.head(_stored_url(page), headers={**USER, "Tus-Resumable": "1.0.0"})
    assert int(head.headers["Upload-Offset"]) == before  # what the server has

    video_id = row.get_attribute("data-video-id")
    assert video_id

    # The library, open in another tab while the upload waits: it will follow the video live.
    library = context.new_page()
    library_watch = Watch(library)
    library.goto(f"{server.url}/")
    card = library.locator(f'.video-card[data-video-id="{video_id}"]')
    card.locator('.badge[data-state="uploading"]').wait_for()
    library.evaluate(
        """(id) => {
          window.__sameDocument = true;
          window.__states = [];
          new MutationObserver(() => {
            const badge = document.querySelector(`[data-video-id="${id}"] .badge[data-state]`);
            if (badge) window.__states.push(badge.dataset.state);
          }).observe(document.body, {subtree: true, childList: true, attributes: true});
        }""",
        video_id,
    )

    cut["down"] = False
    page.reload()
    page.get_by_role("heading", name="Interrupted uploads").wait_for()
    page.screenshot(path=shots / "upload-interrupted.png", full_page=True)
    sent_before = len(patches)
    page.set_input_files("#files", str(clip))
    row.locator(".row-status", has_text=re.compile("Processing|Ready|Checking")).wait_for(
        timeout=60_000
    )
    after = patches[sent_before:]
    assert after[0][0] == before  # resumed at the server's offset, not at 0
    assert before + sum(n for _, n in after) == size  # the rest, not the whole file twice
    assert row.get_attribute("data-video-id") == video_id

    # The library tab saw it go processing, then ready: live, without a reload.
    card.locator('.badge[data-state="ready"]').wait_for(timeout=90_000)
    assert library.evaluate("window.__sameDocument") is True
    states = library.evaluate("window.__states")
    assert "processing" in states and states[-1] == "ready", states
    card.locator("img.poster").evaluate("img => img.decode()")
    library.screenshot(path=shots / "library-live.png", full_page=True)
    library_watch.check()
    stored = wait_for_state(server.url, video_id, USER, {"ready"})
    assert stored["state"] == "ready"
    source = server.data_dir / "storage" / "videos" / video_id / "source"
    assert source.read_bytes() == clip.read_bytes()  # byte-identical after the resume
    watch.check(expected="net::ERR_CONNECTION_RESET")  # the cut this test made, nothing else
    context.close()


def test_pause_and_resume_an_upload(
    server: ServerProcess, browser: Browser, tmp_path: Path
) -> None:
    clip = make_clip(tmp_path / "pause.mp4", duration=3, extra_args=["-b:v", "2M"])
    chunk = 128 * 1024
    context, page, watch = signed_in(browser)
    context.add_init_script(f"localStorage.setItem('vidhost.uploadChunkSize', '{chunk}')")
    offsets: list[int] = []
    held: list[Any] = []

    def on_patch(route: Any) -> None:
        if route.request.method != "PATCH":
            route.continue_()
            return
        offset = int(route.request.headers["upload-offset"])
        if offset >= 2 * chunk and not held:
            held.append(route)  # this PATCH hangs: the upload is in flight when paused
            return
        offsets.append(offset)
        route.continue_()

    page.route(re.compile(r".*/api/v1/videos/tus/.+"), on_patch)
    page.goto(f"{server.url}/upload")
    page.set_input_files("#files", str(clip))
    row = page.locator(".upload-row", has_text="pause.mp4")
    deadline = time.monotonic() + 30
    while not held and time.monotonic() < deadline:
        page.wait_for_timeout(50)
    assert held
    row.get_by_role("button", name="Pause pause.mp4").click()
    row.locator(".stats", has_text="Paused at").wait_for()
    offsets.append(-1)  # from here on nothing is held
    with contextlib.suppress(Exception):
        held[0].abort()  # the paused request went away with the pause
    row.get_by_role("button", name="Resume pause.mp4").click()
    row.locator(".row-status", has_text=re.compile("Checking|Processing|Ready")).wait_for()
    resumed = offsets[offsets.index(-1) + 1 :]
    assert resumed and resumed[0] == 2 * chunk  # where the server stood, not 0
    watch.check(expected="net::ERR_FAILED")  # the request the pause aborted
    context.close()


def test_a_private_video_plays_from_signed_urls_only(
    server: ServerProcess, browser: Browser, shots: Path, tmp_path: Path
) -> None:
    from tests.e2e.helpers import set_visibility

    clip = make_clip(tmp_path / "secret.mp4", duration=4)
    with open(clip, "rb") as fh:
        r = httpx.post(
            f"{server.url}/upload",
            files={"file": (clip.name, fh, "video/mp4")},
            data={"enhance": "light"},
            headers=USER,
            timeout=60,  # a loaded machine: the probe runs before the answer
        )
    assert r.status_code == 201, r.text
    video_id = r.json()["videoId"]
    set_visibility(server.url, video_id, "private", USER)
    wait_for_state(server.url, video_id, USER, {"ready"})
    deadline = time.monotonic() + 60
    while not httpx.get(f"{server.url}/api/videos/{video_id}", headers=USER).json()["enhancedUrl"]:
        assert time.monotonic() < deadline, "the enhancement did not complete"
        time.sleep(0.3)
    assert httpx.get(f"{server.url}/stream/{video_id}/manifest").status_code == 403

    context, page, watch = signed_in(browser)
    page.goto(f"{server.url}/videos/{video_id}")
    page.get_by_role("button", name="Play").click()
    page.wait_for_function("() => document.querySelector('video').currentTime > 1")
    box = page.get_by_role("slider", name="Seek").bounding_box()
    assert box
    with page.expect_response(lambda r: "storyboard.jpg" in r.url) as sprite:
        page.mouse.move(box["x"] + box["width"] * 0.5, box["y"] + box["height"] / 2)
    assert sprite.value.status == 200 and "token=" in sprite.value.url
    link = page.get_by_label("Signed link").input_value()
    assert link.startswith(f"{server.url}/embed/{video_id}?token=")
    assert "token=" in page.locator("#embed-code").input_value()
    enhanced = page.locator("#enhanced-link")
    page.wait_for_function("() => document.querySelector('#enhanced-link').href.includes('token=')")
    download = httpx.get(str(enhanced.get_attribute("href")))  # no bearer: the token suffices
    assert download.status_code == 200 and len(download.content) > 1000
    page.screenshot(path=shots / "video-private.png", full_page=True)
    watch.check()
    context.close()

    # Someone without an account opens the signed link: it plays; the bare link does not.
    context, page, watch = new_page(browser)
    page.goto(link)
    page.get_by_role("button", name="Play").click()
    page.wait_for_function("() => document.querySelector('video').currentTime > 0.5")
    watch.check()
    bare, bare_page, _ = new_page(browser)
    bare_page.goto(f"{server.url}/embed/{video_id}")
    bare_page.locator(".player-message", has_text="private").wait_for()
    bare.close()
    context.close()


def test_the_download_menu_prepares_an_mp4_and_links_it_for_a_private_video(
    server: ServerProcess, browser: Browser, shots: Path, tmp_path: Path
) -> None:
    from tests.e2e.download_checks import produced
    from tests.e2e.helpers import set_visibility, upload

    duration = 4.0
    clip = make_clip(tmp_path / "holiday.mp4", duration=duration, width=640, height=360)
    video_id = upload(server.url, clip, USER)
    silent_id = upload(
        server.url, make_clip(tmp_path / "silent.mp4", duration=2, audio=False), USER
    )
    set_visibility(server.url, video_id, "private", USER)
    for vid in (video_id, silent_id):
        assert wait_for_state(server.url, vid, USER, {"ready", "failed"})["state"] == "ready"

    context, page, watch = signed_in(browser)
    page.goto(f"{server.url}/videos/{video_id}")
    menu = page.get_by_role("button", name="Download", exact=True)
    assert menu.get_attribute("aria-expanded") == "false"
    page.evaluate(
        """() => {
            window.statuses = [];
            const el = document.querySelector('#download-status');
            new MutationObserver(() => window.statuses.push(el.textContent))
                .observe(el, {childList: true, characterData: true, subtree: true});
        }"""
    )
    menu.click()
    assert menu.get_attribute("aria-expanded") == "true"
    choices = page.locator("#download-choices button")
    assert choices.all_inner_texts() == ["MP4 (highest quality)", "Audio (M4A)"]
    page.get_by_role("button", name="MP4 (highest quality)").click()
    link = page.locator("#download-highest")
    link.wait_for()
    statuses = page.evaluate("window.statuses")
    assert statuses[0] == "Preparing MP4 (highest quality)…", statuses
    assert statuses[-1] == "MP4 (highest quality) is ready.", statuses
    href = str(link.get_attribute("href"))
    assert href.startswith(f"{server.url}/stream/{video_id}/downloads/highest.mp4?token=")
    assert httpx.get(href.split("?")[0]).status_code == 403  # private: the token opens it
    r = httpx.get(href)  # no bearer: the link's playback token suffices
    assert r.status_code == 200, r.text
    assert r.headers["content-type"] == "video/mp4"
    assert r.headers["content-disposition"].startswith('attachment; filename="holiday-highest.mp4"')
    page.screenshot(path=shots / "video-downloads.png", full_page=True)
    with page.expect_download() as got:
        link.click()
    assert got.value.suggested_filename == "holiday-highest.mp4"
    saved = tmp_path / "saved.mp4"
    got.value.save_as(saved)
    assert saved.read_bytes() == r.content
    media = produced(saved)
    assert media.height == 360 and media.video_seconds is not None
    assert abs(media.video_seconds - duration) <= 1 / 25, media
    watch.check()

    # A video without audio offers the MP4 only.
    page.goto(f"{server.url}/videos/{silent_id}")
    page.get_by_role("button", name="Download", exact=True).click()
    assert page.locator("#download-choices button").all_inner_texts() == ["MP4 (highest quality)"]
    watch.check()
    context.close()


def test_captions_menu_and_the_owner_panel(
    server: ServerProcess, browser: Browser, shots: Path, tmp_path: Path
) -> None:
    """The player's captions menu lists the tracks and shows a cue; the owner uploads,
    downloads and deletes tracks on the video page (ADR 0068)."""
    from tests.e2e.delivery.test_captions import upload  # a timeout for a busy machine

    clip = make_clip(tmp_path / "talk.mp4", duration=4, width=640, height=360)
    video_id = upload(server.url, clip, USER)
    wait_for_state(server.url, video_id, USER, {"ready"})
    vtt = b"WEBVTT\n\n00:00:00.000 --> 00:00:04.000\nBonjour <i>le monde</i>\n"
    r = httpx.post(
        f"{server.url}/api/videos/{video_id}/captions",
        files={"file": ("fr.vtt", vtt, "text/vtt")},
        data={"language": "fr", "name": "Français"},
        headers=USER,
    )
    assert r.status_code == 201, r.text
    context, page, watch = signed_in(browser)
    page.goto(f"{server.url}/videos/{video_id}")
    menu = page.get_by_label("Captions", exact=True)
    page.wait_for_function("() => document.querySelectorAll('select.captions option').length === 2")
    assert menu.locator("option").all_inner_texts() == ["Captions off", "Français"]
    menu.select_option(label="Français")
    page.get_by_role("button", name="Play").click()
    page.wait_for_function(
        """() => Array.from(document.querySelector('video').textTracks).some(
            (t) => t.language === 'fr' && t.mode === 'showing' && t.cues
                && Array.from(t.cues).some((c) => c.text.includes('Bonjour')))"""
    )
    panel = page.locator("#caption-list")
    panel.locator("[data-language=fr] a", has_text="Download").wait_for()
    srt = tmp_path / "en.srt"
    srt.write_bytes(b"1\n00:00:01,000 --> 00:00:02,000\nHello\n")
    page.set_input_files("#caption-file", str(srt))
    page.fill("#caption-language", "en")
    page.fill("#caption-name", "English")
    page.check("#caption-cc")
    page.get_by_role("button", name="Upload captions").click()
    panel.locator("[data-language=en]").wait_for()
    assert "captions" in panel.locator("[data-language=en]").inner_text()
    assert axe(page) == []
    page.screenshot(path=shots / "video-captions.png", full_page=True)
    page.get_by_role("button", name="Delete the English track").click()
    panel.locator("[data-language=en]").wait_for(state="detached")
    tracks = httpx.get(f"{server.url}/api/videos/{video_id}/captions").json()
    assert [t["language"] for t in tracks] == ["fr"]
    watch.check()
    context.close()


def test_upload_explains_a_file_too_large_and_a_file_that_is_not_a_video(
    server: ServerProcess, browser: Browser, shots: Path, tmp_path: Path
) -> None:
    big = tmp_path / "huge.mp4"
    with open(big, "wb") as fh:
        fh.truncate(MAX_SIZE + 1)
    text = tmp_path / "notes.mp4"
    text.write_text("these are my holiday notes, not a video\n" * 200)
    context, page, watch = signed_in(browser)
    page.goto(f"{server.url}/upload")
    page.set_input_files("#files", [str(big), str(text)])
    too_large = page.locator(".upload-row", has_text="huge.mp4").locator(".row-status")
    too_large.filter(has_text="too large").wait_for()
    assert "the limit is 16,777,216 bytes" in too_large.inner_text()  # from Tus-Max-Size
    not_video = page.locator(".upload-row", has_text="notes.mp4").locator(".row-status")
    not_video.filter(has_text="not a video").wait_for(timeout=30_000)
    page.screenshot(path=shots / "upload-refused.png", full_page=True)
    watch.check()
    context.close()


def test_webhook_secret_shown_once_rotated_and_deliveries_listed(
    server: ServerProcess, browser: Browser, shots: Path
) -> None:
    context, page, watch = signed_in(browser)
    page.goto(f"{server.url}/webhooks")
    page.get_by_label("URL").fill("http://127.0.0.1:9/hooks/vidhost")
    page.get_by_label("video.asset.ready").check()
    page.get_by_role("button", name="Add endpoint").click()
    secret = page.get_by_label("Signing secret")
    first = secret.input_value()
    assert first.startswith("whsec_")
    endpoint = page.locator("article.endpoint", has_text="127.0.0.1:9/hooks/vidhost")
    assert "video.asset.ready" in endpoint.inner_text()
    assert first not in endpoint.inner_text()  # the list never shows it
    endpoint.get_by_role("button", name="Rotate secret").click()
    page.get_by_role("dialog").get_by_role("button", name="Rotate").click()
    page.locator("#hook-message", has_text="Secret rotated").wait_for()
    assert page.get_by_label("Signing secret").input_value() not in ("", first)
    endpoint.get_by_role("button", name="Deliveries").click()
    endpoint.get_by_text("No deliveries yet").wait_for()
    page.screenshot(path=shots / "webhooks-added.png", full_page=True)
    page.reload()
    page.locator("article.endpoint").first.wait_for()
    assert page.get_by_label("Signing secret").count() == 0  # shown once: gone after a reload
    watch.check()
    context.close()


def _stored_url(page: Page) -> str:
    """The upload URL tus-js-client stored for resuming (its urlStorage in localStorage)."""
    return str(
        page.evaluate(
            "() => JSON.parse(Object.entries(localStorage)"
            ".find(([k]) => k.startsWith('tus::'))[1]).uploadUrl"
        )
    )


@pytest.mark.parametrize("width", [1280, 390])
def test_every_page_is_accessible_and_loads_cleanly(
    server: ServerProcess, browser: Browser, shots: Path, tmp_path: Path, width: int
) -> None:
    from tests.e2e.helpers import upload

    video_id = upload(server.url, make_clip(tmp_path / "a11y.mp4", duration=3), USER)
    wait_for_state(server.url, video_id, USER, {"ready"})
    httpx.post(f"{server.url}/api/posts", json={"content": "hi", "videoId": video_id}, headers=USER)
    context, page, watch = signed_in(browser)
    page.set_viewport_size({"width": width, "height": 900})
    pages = {
        "library": "/",
        "upload": "/upload",
        "video": f"/videos/{video_id}",
        "posts": "/posts",
        "webhooks": "/webhooks",
    }
    pages["embed"] = f"/embed/{video_id}"
    found = {}
    for name, path in pages.items():
        page.goto(server.url + path)
        page.locator("main h1" if name != "embed" else "main video").first.wait_for()
        page.wait_for_load_state("networkidle")
        page.screenshot(path=shots / f"{name}-{width}.png", full_page=True)
        found[name] = axe(page)
        if name == "video":  # and with its edit form open
            page.get_by_role("button", name="Edit details").click()
            page.locator("#edit-title").wait_for()
            page.screenshot(path=shots / f"video-edit-{width}.png", full_page=True)
            found["video-edit"] = axe(page)
        if width < 500:  # phone width: nothing wider than the screen
            assert page.evaluate("document.documentElement.scrollWidth <= innerWidth + 1"), name
        # Pages load fast: no asset the page fetched is over 200 KB but the vendored player.
        big = page.evaluate(
            """() => performance.getEntriesByType("resource")
                 .filter((e) => e.decodedBodySize > 200000 && !e.name.includes("/hls.min.js"))
                 .map((e) => e.name)"""
        )
        assert big == [], (name, big)
    assert found == {name: [] for name in [*pages, "video-edit"]}
    # Keyboard only: tab from the top reaches the nav, and focus is visible.
    page.goto(server.url + "/upload")
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.textContent") == "Skip to content"
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.textContent") == "vidhost"
    assert page.evaluate("getComputedStyle(document.activeElement).outlineStyle") != "none"
    _keyboard_only_play_and_cancel_a_delete(page, server, video_id)
    watch.check()
    context.close()

    # Signed out: the sign-in page.
    context, page, watch = new_page(browser)
    page.goto(server.url + "/")
    page.get_by_label("Bearer token").wait_for()
    page.screenshot(path=shots / f"sign-in-{width}.png", full_page=True)
    assert axe(page) == []
    watch.check()
    context.close()


def _tab_to(page: Page, label: str, limit: int = 60) -> None:
    """Press Tab until the focused element's accessible label is ``label``."""
    for _ in range(limit):
        page.keyboard.press("Tab")
        focused = page.evaluate(
            "() => document.activeElement.getAttribute('aria-label')"
            " || document.activeElement.textContent.trim()"
        )
        if focused == label:
            assert page.evaluate("getComputedStyle(document.activeElement).outlineStyle") != "none"
            return
    raise AssertionError(f"Tab never reached {label!r}")


def _keyboard_only_play_and_cancel_a_delete(page: Page, server: ServerProcess, vid: str) -> None:
    """The keyboard alone plays and seeks a video, and opens and cancels a delete."""
    page.goto(f"{server.url}/videos/{vid}")
    page.get_by_role("button", name="Play").wait_for()
    _tab_to(page, "Play")
    page.keyboard.press("Enter")
    page.wait_for_function("() => document.querySelector('video').currentTime > 0.3")
    _tab_to(page, "Pause")
    page.keyboard.press("Space")
    page.wait_for_function("() => document.querySelector('video').paused")
    _tab_to(page, "Seek")
    before = page.evaluate("document.querySelector('video').currentTime")
    page.keyboard.press("ArrowRight")
    page.wait_for_function(
        "t => document.querySelector('video').currentTime > t + 0.5", arg=before, timeout=10_000
    )
    _tab_to(page, "Delete video")
    page.keyboard.press("Enter")
    dialog = page.get_by_role("dialog")
    dialog.wait_for()
    assert page.evaluate("document.activeElement.closest('dialog') !== null")  # focus inside
    page.keyboard.press("Escape")
    dialog.wait_for(state="hidden")
    assert httpx.get(f"{server.url}/api/videos/{vid}", headers=USER).status_code == 200


def test_api_docs_load_offline_from_vendored_assets(
    server: ServerProcess, browser: Browser
) -> None:
    context, page, watch = new_page(browser)
    external: list[str] = []
    context.route(
        re.compile(r"^https?://(?!127\.0\.0\.1).*"),
        lambda route: (external.append(route.request.url), route.abort()),
    )
    page.goto(server.url + "/docs")
    page.locator(".swagger-ui .information-container").wait_for()
    page.goto(server.url + "/redoc")
    page.get_by_role("heading", name=re.compile("vidhost")).first.wait_for()
    page.get_by_text("upload", exact=False).first.wait_for()
    assert external == []
    watch.check(expected="cdn.redoc.ly")  # ReDoc's logo, refused by the page's CSP
    context.close()


def test_no_app_asset_is_over_200_kb_except_the_vendored_ones() -> None:
    static = Path(__file__).resolve().parents[3] / "vidhost" / "web" / "static"
    big = [
        str(p.relative_to(static))
        for p in static.rglob("*")
        if p.is_file() and "vendor" not in p.parts and p.stat().st_size > 200_000
    ]
    assert big == []


def test_without_tokens_the_app_needs_no_sign_in(
    browser: Browser, tmp_path_factory: pytest.TempPathFactory
) -> None:
    proc = ServerProcess(tmp_path_factory.mktemp("noauth"), env={"VIDHOST_AUTH": "none"}).start()
    try:
        context, page, watch = new_page(browser)
        page.goto(proc.url + "/")
        page.get_by_role("heading", name="Library").wait_for()
        page.locator("#library-summary", has_text="No videos yet").wait_for()
        assert page.get_by_role("button", name="Sign out").is_hidden()
        watch.check()
        context.close()
    finally:
        proc.stop()
