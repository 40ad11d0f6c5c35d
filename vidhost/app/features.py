"""The features of vidhost, in the order they are installed (ADR 0074, ADR 0076).

A feature is one ``feature.py`` in its own folder exposing ``FEATURE = Feature(...)`` (see
``vidhost.app.feature``) and one line below; the entry points (``vidhost.app.main``) hand
this tuple to the builder and to the app. Order matters three ways: ``install`` runs in
this order (a feature may use what an earlier one installed), routers are included in this
order (an earlier route wins a path both match), and background jobs start in this order
and stop in reverse.
"""

from __future__ import annotations

from vidhost.app.feature import Background, Feature, Job
from vidhost.delivery import feature as videos
from vidhost.delivery.captions import feature as captions
from vidhost.delivery.downloads import feature as downloads
from vidhost.delivery.originals import feature as originals
from vidhost.delivery.posts import feature as posts
from vidhost.delivery.thumbnails import feature as thumbnails
from vidhost.http import metrics_feature as metrics
from vidhost.ingest.clips import feature as clips
from vidhost.ingest.presigned import feature as direct_uploads
from vidhost.ingest.tus import feature as resumable
from vidhost.notify.events import feature as events
from vidhost.notify.realtime import feature as realtime
from vidhost.notify.webhooks import feature as webhooks
from vidhost.processing import feature as processing
from vidhost.processing import sweepers_feature as cleanup
from vidhost.providers.cloudflare import feature as cloudflare
from vidhost.providers.mux import feature as mux
from vidhost.web import feature as web

FEATURES: tuple[Feature, ...] = (
    videos.FEATURE,
    downloads.FEATURE,  # after videos (its plan cache); before processing (the remux task)
    captions.FEATURE,  # after videos (its plan cache); before processing, mux, cloudflare
    direct_uploads.FEATURE,
    resumable.FEATURE,
    clips.FEATURE,  # before mux and cloudflare, whose clips it makes
    posts.FEATURE,
    thumbnails.FEATURE,
    originals.FEATURE,
    realtime.FEATURE,
    webhooks.FEATURE,
    events.FEATURE,  # after the hub and the dispatcher listen to the bus it feeds
    metrics.FEATURE,
    processing.FEATURE,
    cleanup.FEATURE,  # runs every sweeper in container.sweepers, whoever added it
    web.FEATURE,  # the HTML pages and /static after every API route
    # surfaces whose paths start with a parameter (``/{playback_id}.m3u8``) go here, last
    mux.FEATURE,
    cloudflare.FEATURE,
)

__all__ = ["FEATURES", "Background", "Feature", "Job"]
