"""The lake as the Python worker reaches it: a folder (CONVEYOR_LAKE_DIR), or an S3 bucket
(CONVEYOR_LAKE_URL, `s3://bucket/prefix`, with the AWS SDK's variables: AWS_ENDPOINT_URL_S3 or
AWS_ENDPOINT_URL, AWS_REGION, AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, as Conveyor's TypeScript
processes read them). On S3, a step's inputs are fetched into a folder of its own and its outputs put
back under the same lake-relative keys: no folder is shared with the TypeScript worker.
"""
from __future__ import annotations

import os
from pathlib import Path
from urllib.parse import urlparse


def lake_url() -> str | None:
    return os.environ.get("CONVEYOR_LAKE_URL") or None


def _filesystem():  # type: ignore[no-untyped-def]
    from pyarrow import fs

    endpoint = os.environ.get("AWS_ENDPOINT_URL_S3") or os.environ.get("AWS_ENDPOINT_URL")
    options: dict[str, object] = {"region": os.environ.get("AWS_REGION") or os.environ.get("AWS_DEFAULT_REGION") or "us-east-1"}
    if endpoint:
        parsed = urlparse(endpoint)
        options["endpoint_override"] = parsed.netloc or parsed.path
        options["scheme"] = parsed.scheme or "https"
    if os.environ.get("AWS_ACCESS_KEY_ID") and os.environ.get("AWS_SECRET_ACCESS_KEY"):
        options["access_key"] = os.environ["AWS_ACCESS_KEY_ID"]
        options["secret_key"] = os.environ["AWS_SECRET_ACCESS_KEY"]
        if os.environ.get("AWS_SESSION_TOKEN"):
            options["session_token"] = os.environ["AWS_SESSION_TOKEN"]
    return fs.S3FileSystem(**options)


def _object(url: str, relative: str) -> str:
    """`bucket/prefix/relative`: where a lake-relative file is in the bucket."""
    parsed = urlparse(url)
    prefix = parsed.path.strip("/")
    return "/".join(p for p in (parsed.netloc, prefix, relative.lstrip("/")) if p)


def fetch(url: str, relatives: list[str], into: Path) -> None:
    """Copy lake-relative files from the bucket into `into`, under the same relative paths."""
    from pyarrow import fs

    s3 = _filesystem()
    for relative in relatives:
        target = into / relative
        target.parent.mkdir(parents=True, exist_ok=True)
        fs.copy_files(_object(url, relative), str(target), source_filesystem=s3, destination_filesystem=fs.LocalFileSystem())


def put(url: str, local: Path, relative: str) -> None:
    """Copy a file from `local` into the bucket at the lake-relative `relative`."""
    from pyarrow import fs

    fs.copy_files(str(local), _object(url, relative), source_filesystem=fs.LocalFileSystem(), destination_filesystem=_filesystem())
