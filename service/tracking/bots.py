"""Which user agents are not people: headless browsers, crawlers, link previewers, scripts."""

from __future__ import annotations

import re

# WeChat's own link-preview fetcher says "MicroMessenger" too, but never runs the tracker, so
# a bot that slips through here still sends no beacons.
_BOT = re.compile(
    r"headless|phantomjs|electron|puppeteer|playwright|selenium|webdriver|lighthouse"
    r"|bot\b|bot/|crawl|spider|slurp|archiver|facebookexternalhit|embedly|preview"
    r"|python-|python/|curl/|wget/|httpie|okhttp|go-http-client|java/|libwww|scrapy|axios/",
    re.IGNORECASE,
)


def is_bot(user_agent: str | None) -> bool:
    """True for an empty user agent or one that names a robot or an automation tool."""
    return not user_agent or len(user_agent) < 12 or bool(_BOT.search(user_agent))
