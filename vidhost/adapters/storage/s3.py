"""S3 implementation of the ``Storage`` port (AWS, MinIO, SeaweedFS, R2 ...).

Also provides the optional capabilities: pre-signed PUT/GET and multipart uploads with
pre-signed part URLs. botocore's "not found" errors become ``FileNotFoundError`` here, at
the boundary, so no caller ever sees a vendor exception for a missing key.
"""

from __future__ import annotations

import builtins
import logging
import os
import tempfile
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import boto3
from boto3.s3.transfer import TransferConfig
from botocore.config import Config
from botocore.exceptions import ClientError

from vidhost.adapters.storage.keys import check_key
from vidhost.core.ports import IncompleteUpload, ObjectInfo, PresignedRequest, StorageCapabilities

log = logging.getLogger(__name__)

_MISSING = {"NoSuchKey", "404", "NotFound", "NoSuchUpload"}


@dataclass(frozen=True)
class S3Config:
    bucket: str
    endpoint_url: str | None = None
    public_endpoint_url: str | None = None
    """Endpoint written into pre-signed URLs, when clients reach the store by another name."""
    region: str = "us-east-1"
    access_key_id: str | None = None
    secret_access_key: str | None = None
    create_bucket: bool = True
    multipart_threshold: int = 64 * 1024 * 1024
    part_size: int = 16 * 1024 * 1024


def _missing(exc: ClientError) -> bool:
    error = exc.response.get("Error", {})
    status = exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode")
    return str(error.get("Code")) in _MISSING or status == 404


@contextmanager
def _not_found(key: str) -> Iterator[None]:
    """A missing object, bucket or multipart upload becomes ``FileNotFoundError(key)``."""
    try:
        yield
    except ClientError as exc:
        if _missing(exc):
            raise FileNotFoundError(key) from None
        raise


def _etag(value: str) -> str:
    return value.strip('"')


def s3_client(
    config: S3Config, endpoint: str | None, *, timeout: float | None = None, attempts: int = 3
) -> Any:
    """The boto3 client of ``config`` at ``endpoint`` (path-style, SigV4); ``timeout`` bounds
    connecting and reading (``vidhost check-config``)."""
    timeouts = {"connect_timeout": timeout, "read_timeout": timeout} if timeout else {}
    return boto3.client(
        "s3",
        endpoint_url=endpoint,
        region_name=config.region,
        aws_access_key_id=config.access_key_id,
        aws_secret_access_key=config.secret_access_key,
        config=Config(
            signature_version="s3v4",
            s3={"addressing_style": "path"},
            retries={"max_attempts": attempts, "mode": "standard"},
            request_checksum_calculation="when_required",
            response_checksum_validation="when_required",
            **timeouts,
        ),
    )


class S3Storage:
    def __init__(self, config: S3Config, tmp_dir: Path) -> None:
        self.config = config
        self.bucket = config.bucket
        self.tmp_dir = tmp_dir
        self.client = self._client(config.endpoint_url)
        self.signer = (
            self._client(config.public_endpoint_url) if config.public_endpoint_url else self.client
        )
        self.transfer = TransferConfig(
            multipart_threshold=config.multipart_threshold,
            multipart_chunksize=config.part_size,
        )
        if config.create_bucket:
            self.ensure_bucket()

    def _client(self, endpoint: str | None) -> Any:
        return s3_client(self.config, endpoint)

    def ensure_bucket(self) -> None:
        """Create the bucket when it does not exist yet."""
        try:
            self.client.head_bucket(Bucket=self.bucket)
            return
        except ClientError as exc:
            if not _missing(exc):
                raise
        kwargs: dict[str, Any] = {"Bucket": self.bucket}
        if self.config.region != "us-east-1":
            kwargs["CreateBucketConfiguration"] = {"LocationConstraint": self.config.region}
        try:
            self.client.create_bucket(**kwargs)
            log.info("created bucket %s", self.bucket)
        except ClientError as exc:
            code = exc.response.get("Error", {}).get("Code")
            if code not in ("BucketAlreadyOwnedByYou", "BucketAlreadyExists"):
                raise

    # --- Storage port ---------------------------------------------------------------------

    def put_file(
        self, key: str, path: Path, *, move: bool = False, content_type: str | None = None
    ) -> ObjectInfo:
        extra = {"ExtraArgs": {"ContentType": content_type}} if content_type else {}
        self.client.upload_file(
            str(path), self.bucket, check_key(key), Config=self.transfer, **extra
        )
        if move:
            path.unlink(missing_ok=True)
        return self.stat(key)

    def put_bytes(self, key: str, data: bytes, *, content_type: str | None = None) -> ObjectInfo:
        extra = {"ContentType": content_type} if content_type else {}
        self.client.put_object(Bucket=self.bucket, Key=check_key(key), Body=data, **extra)
        return self.stat(key)

    def get_bytes(self, key: str) -> bytes:
        with _not_found(key):
            response = self.client.get_object(Bucket=self.bucket, Key=check_key(key))
        data: bytes = response["Body"].read()
        return data

    def stat(self, key: str) -> ObjectInfo:
        with _not_found(key):
            head = self.client.head_object(Bucket=self.bucket, Key=check_key(key))
        return ObjectInfo(
            key=key,
            size=int(head["ContentLength"]),
            modified=head["LastModified"].astimezone(UTC),
            etag=_etag(head.get("ETag", "")),
        )

    def iter_range(
        self, key: str, start: int = 0, end: int | None = None, *, chunk_size: int = 256 * 1024
    ) -> Iterator[bytes]:
        kwargs: dict[str, Any] = {"Bucket": self.bucket, "Key": check_key(key)}
        if start or end is not None:
            kwargs["Range"] = f"bytes={start}-{'' if end is None else end}"
        with _not_found(key):
            response = self.client.get_object(**kwargs)
        body = response["Body"]
        try:
            while chunk := body.read(chunk_size):
                yield chunk
        finally:
            body.close()

    @contextmanager
    def local_copy(self, key: str) -> Iterator[Path]:
        self.tmp_dir.mkdir(parents=True, exist_ok=True)
        fd, name = tempfile.mkstemp(dir=self.tmp_dir, prefix="s3-")
        os.close(fd)
        path = Path(name)
        try:
            with _not_found(key):
                self.client.download_file(self.bucket, check_key(key), name, Config=self.transfer)
            yield path
        finally:
            path.unlink(missing_ok=True)

    def delete(self, key: str) -> None:
        self.client.delete_object(Bucket=self.bucket, Key=check_key(key))

    def delete_prefix(self, prefix: str) -> int:
        keys = [info.key for info in self.list(prefix)]
        for i in range(0, len(keys), 1000):
            batch = [{"Key": k} for k in keys[i : i + 1000]]
            self.client.delete_objects(Bucket=self.bucket, Delete={"Objects": batch, "Quiet": True})
        return len(keys)

    def list(self, prefix: str = "") -> Iterator[ObjectInfo]:
        paginator = self.client.get_paginator("list_objects_v2")
        for page in paginator.paginate(Bucket=self.bucket, Prefix=prefix):
            for item in page.get("Contents", []):
                yield ObjectInfo(
                    key=item["Key"],
                    size=int(item["Size"]),
                    modified=item["LastModified"].astimezone(UTC),
                    etag=_etag(item.get("ETag", "")),
                )

    # --- PresignedUploads / PresignedDownloads ---------------------------------------------

    def capabilities(self) -> StorageCapabilities:
        """Pre-signed PUTs and GETs and multipart uploads, all served by S3 itself."""
        return StorageCapabilities(presigned_uploads=self, presigned_downloads=self, multipart=self)

    def presign_put(
        self,
        key: str,
        *,
        expires_in: int,
        content_type: str | None = None,
        max_size: int | None = None,
    ) -> PresignedRequest:
        """A pre-signed PUT. ``max_size`` is enforced after upload (S3 PUTs cannot cap it)."""
        params: dict[str, Any] = {"Bucket": self.bucket, "Key": check_key(key)}
        headers: dict[str, str] = {}
        if content_type:
            params["ContentType"] = content_type
            headers["Content-Type"] = content_type
        url = self.signer.generate_presigned_url(
            "put_object", Params=params, ExpiresIn=expires_in, HttpMethod="PUT"
        )
        return PresignedRequest(url, "PUT", headers, _expiry(expires_in))

    def presign_get(
        self,
        key: str,
        *,
        expires_in: int,
        content_type: str | None = None,
        content_disposition: str | None = None,
    ) -> str:
        params = {"Bucket": self.bucket, "Key": check_key(key)}
        # S3's response-content-* overrides: signed into the URL, answered as headers.
        if content_type is not None:
            params["ResponseContentType"] = content_type
        if content_disposition is not None:
            params["ResponseContentDisposition"] = content_disposition
        url: str = self.signer.generate_presigned_url(
            "get_object", Params=params, ExpiresIn=expires_in
        )
        return url

    # --- MultipartUploads ---------------------------------------------------------------------

    def create_multipart(self, key: str, *, content_type: str | None = None) -> str:
        extra = {"ContentType": content_type} if content_type else {}
        response = self.client.create_multipart_upload(
            Bucket=self.bucket, Key=check_key(key), **extra
        )
        upload_id: str = response["UploadId"]
        return upload_id

    def presign_part(
        self, key: str, upload_id: str, part_number: int, *, expires_in: int
    ) -> PresignedRequest:
        url = self.signer.generate_presigned_url(
            "upload_part",
            Params={
                "Bucket": self.bucket,
                "Key": check_key(key),
                "UploadId": upload_id,
                "PartNumber": part_number,
            },
            ExpiresIn=expires_in,
            HttpMethod="PUT",
        )
        return PresignedRequest(url, "PUT", {}, _expiry(expires_in))

    def complete_multipart(
        self, key: str, upload_id: str, parts: Sequence[tuple[int, str]]
    ) -> ObjectInfo:
        with _not_found(key):
            self.client.complete_multipart_upload(
                Bucket=self.bucket,
                Key=check_key(key),
                UploadId=upload_id,
                MultipartUpload={
                    "Parts": [
                        {"PartNumber": n, "ETag": f'"{_etag(etag)}"'} for n, etag in sorted(parts)
                    ]
                },
            )
        return self.stat(key)

    def upload_part(
        self, key: str, upload_id: str, part_number: int, body: bytes | bytearray
    ) -> str:
        """Store one part (server-side); its ETag. A missing multipart upload is
        ``FileNotFoundError``."""
        with _not_found(key):
            response = self.client.upload_part(
                Bucket=self.bucket,
                Key=check_key(key),
                UploadId=upload_id,
                PartNumber=part_number,
                Body=body,
            )
        return _etag(response["ETag"])

    def copy_part(
        self,
        key: str,
        upload_id: str,
        part_number: int,
        source_key: str,
        byte_range: tuple[int, int] | None = None,
    ) -> str:
        """UploadPartCopy: a part made of (a range of) another object, copied server-side."""
        kwargs: dict[str, Any] = {
            "Bucket": self.bucket,
            "Key": check_key(key),
            "UploadId": upload_id,
            "PartNumber": part_number,
            "CopySource": {"Bucket": self.bucket, "Key": check_key(source_key)},
        }
        if byte_range is not None:
            kwargs["CopySourceRange"] = f"bytes={byte_range[0]}-{byte_range[1]}"
        with _not_found(source_key):
            response = self.client.upload_part_copy(**kwargs)
        return _etag(response["CopyPartResult"]["ETag"])

    def abort_multipart(self, key: str, upload_id: str) -> None:
        try:
            self.client.abort_multipart_upload(
                Bucket=self.bucket, Key=check_key(key), UploadId=upload_id
            )
        except ClientError as exc:
            if not _missing(exc):
                raise

    def list_multipart(self, prefix: str = "") -> builtins.list[IncompleteUpload]:
        found: builtins.list[IncompleteUpload] = []
        paginator = self.client.get_paginator("list_multipart_uploads")
        for page in paginator.paginate(Bucket=self.bucket, Prefix=prefix):
            for item in page.get("Uploads", []) or []:
                found.append(
                    IncompleteUpload(
                        key=item["Key"],
                        upload_id=item["UploadId"],
                        initiated=item["Initiated"].astimezone(UTC),
                    )
                )
        return found


def _expiry(expires_in: int) -> datetime:
    return datetime.now(UTC).replace(microsecond=0) + timedelta(seconds=expires_in)
