"""Getting a feed source's file: a path on this server, or a download over HTTP(S)."""

import contextlib
import tempfile
from pathlib import Path

from sharing.catalogue.feed_import.read import FeedError
from sharing.catalogue.models import FeedSource

MAX_DOWNLOAD_BYTES = 500 * 1024 * 1024


@contextlib.contextmanager
def local_copy(source: FeedSource):
    if not source.is_remote:
        path = Path(source.location)
        if not path.is_file():
            raise FeedError(f"找不到文件：{source.location}")
        yield path
        return
    import httpx  # only remote feeds need it: not imported by every process at start

    suffix = ".xlsx" if source.location.lower().split("?")[0].endswith(".xlsx") else ".csv"
    with tempfile.NamedTemporaryFile(suffix=suffix) as handle:
        size = 0
        try:
            with httpx.stream("GET", source.location, timeout=60, follow_redirects=True) as reply:
                reply.raise_for_status()
                for chunk in reply.iter_bytes(1 << 16):
                    size += len(chunk)
                    if size > MAX_DOWNLOAD_BYTES:
                        raise FeedError("下载的文件超过 500 MB")
                    handle.write(chunk)
        except httpx.HTTPError as exc:
            raise FeedError(f"下载失败：{exc}") from None
        handle.flush()
        yield Path(handle.name)
