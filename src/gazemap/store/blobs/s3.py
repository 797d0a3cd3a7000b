"""Blobs as objects in an S3-compatible bucket: ``s3://bucket/prefix/sha256/ab/cd/<hex>``.

Works with AWS S3 and compatible stores (MinIO, Ceph, Garage) through boto3; the
endpoint comes from ``GAZEMAP_S3_ENDPOINT_URL`` and credentials from boto3's usual
chain (environment, profile, instance role). boto3 is imported only when a store is
built. Single PUTs are atomic in S3, and every ``put`` rewrites the object, which
refreshes ``LastModified`` for the garbage collector's grace period.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC
from typing import IO, Any

from gazemap.errors import InvalidInputError, NotFoundError, StorageError
from gazemap.store.blobs.base import KEY_PATTERN, BlobInfo, BlobStore

__all__ = ["S3BlobStore"]

_MISSING = {"404", "NoSuchKey", "NotFound"}


class S3BlobStore(BlobStore):
    """Blob store in an S3 bucket under a key prefix.

    Parameters
    ----------
    bucket:
        Bucket name; it must exist.
    prefix:
        Key prefix inside the bucket (``""`` for the bucket root); slashes at either
        end are ignored.
    endpoint_url:
        Endpoint of an S3-compatible service; ``None`` for AWS.
    client:
        A ready boto3 S3 client (tests, custom sessions); built from
        ``endpoint_url`` when ``None``.
    """

    def __init__(
        self, bucket: str, prefix: str = "", *, endpoint_url: str | None = None, client: Any = None
    ) -> None:
        if not bucket:
            raise InvalidInputError("S3 bucket name must not be empty", field="blob_url")
        self.bucket = bucket
        self.prefix = prefix.strip("/")
        if client is None:
            import boto3  # only deployments that use S3 pay for importing boto3

            client = boto3.client("s3", endpoint_url=endpoint_url)
        self.client = client
        from botocore.exceptions import BotoCoreError, ClientError

        self._errors: tuple[type[Exception], ...] = (BotoCoreError, ClientError)
        self._client_error = ClientError

    def __repr__(self) -> str:
        return f"S3BlobStore(bucket={self.bucket!r}, prefix={self.prefix!r})"

    def _object(self, key: str) -> str:
        return f"{self.prefix}/{key}" if self.prefix else key

    def _missing(self, exc: Exception) -> bool:
        if not isinstance(exc, self._client_error):
            return False
        code = str(exc.response.get("Error", {}).get("Code", ""))
        return code in _MISSING

    def _fail(self, action: str, key: str, exc: Exception) -> Exception:
        if self._missing(exc):
            return NotFoundError(f"blob {key} not found")
        return StorageError(
            f"cannot {action} blob {key} in s3://{self.bucket}/{self.prefix}: {exc}"
        )

    def _write_bytes(self, key: str, data: bytes) -> None:
        try:
            self.client.put_object(Bucket=self.bucket, Key=self._object(key), Body=data)
        except self._errors as exc:
            raise self._fail("write", key, exc) from exc

    def _write_file(self, key: str, file: IO[bytes]) -> None:
        try:
            # multipart above boto3's threshold; the object appears only when complete
            self.client.upload_fileobj(file, self.bucket, self._object(key))
        except self._errors as exc:
            raise self._fail("write", key, exc) from exc

    def _read(self, key: str) -> bytes:
        try:
            body = self.client.get_object(Bucket=self.bucket, Key=self._object(key))["Body"]
            with body:
                return bytes(body.read())
        except self._errors as exc:
            raise self._fail("read", key, exc) from exc

    def _stream(self, key: str, chunk_size: int) -> Iterator[bytes]:
        try:
            body = self.client.get_object(Bucket=self.bucket, Key=self._object(key))["Body"]
        except self._errors as exc:
            raise self._fail("read", key, exc) from exc

        def chunks() -> Iterator[bytes]:
            with body:
                try:
                    yield from body.iter_chunks(chunk_size)
                except self._errors as exc:
                    raise self._fail("read", key, exc) from exc

        return chunks()

    def _head(self, key: str) -> dict[str, Any]:
        try:
            head: dict[str, Any] = self.client.head_object(
                Bucket=self.bucket, Key=self._object(key)
            )
        except self._errors as exc:
            raise self._fail("stat", key, exc) from exc
        return head

    def _exists(self, key: str) -> bool:
        try:
            self._head(key)
        except NotFoundError:
            return False
        return True

    def _stat(self, key: str) -> BlobInfo:
        head = self._head(key)
        return BlobInfo(key, int(head["ContentLength"]), head["LastModified"].astimezone(UTC))

    def _delete(self, key: str) -> None:
        try:
            self.client.delete_object(Bucket=self.bucket, Key=self._object(key))
        except self._errors as exc:
            if not self._missing(exc):
                raise self._fail("delete", key, exc) from exc

    def _iter(self) -> Iterator[BlobInfo]:
        start = self._object("sha256/")
        skip = len(self.prefix) + 1 if self.prefix else 0
        try:
            pages = self.client.get_paginator("list_objects_v2").paginate(
                Bucket=self.bucket, Prefix=start
            )
            for page in pages:
                for item in page.get("Contents", []):
                    key = item["Key"][skip:]
                    if KEY_PATTERN.fullmatch(key):
                        yield BlobInfo(key, int(item["Size"]), item["LastModified"].astimezone(UTC))
        except self._errors as exc:
            raise StorageError(f"cannot list s3://{self.bucket}/{self.prefix}: {exc}") from exc
