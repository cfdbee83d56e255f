"""Links that open a podcast app on a feed: the apps' documented subscribe addresses."""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import quote


@dataclass(frozen=True)
class AppLink:
    """A link that opens a podcast app on the feed: the app's name and its address."""

    name: str
    href: str


def app_links(feed_url: str, title: str) -> list[AppLink]:
    """The apps' subscribe addresses for this feed; the plain address stays the fallback.

    Apple Podcasts and Pocket Casts take the address without its scheme (`podcast://`,
    `pktc://subscribe/`), Overcast an encoded one (`overcast://x-callback-url/add?url=`), and
    AntennaPod a web deep link that shows its own page when the app is missing.
    """
    bare = feed_url.split("://", 1)[-1]
    encoded = quote(feed_url, safe="")
    return [
        AppLink("Apple Podcasts", f"podcast://{bare}"),
        AppLink(
            "AntennaPod",
            f"https://antennapod.org/deeplink/subscribe?url={encoded}&title={quote(title)}",
        ),
        AppLink("Pocket Casts", f"pktc://subscribe/{bare}"),
        AppLink("Overcast", f"overcast://x-callback-url/add?url={encoded}"),
    ]
