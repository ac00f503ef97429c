"""S3-compatible object storage: Versity's `versitygw` S3 gateway on its POSIX backend, built
from the Go module proxy.

Why not SeaweedFS: the only SeaweedFS version the Go module proxy serves here is 3.39 (January
2023). It does not understand the trailing-checksum uploads that current AWS SDKs send by default
and stores them with the checksum framing inside the object (a 12 MiB Parquet upload came back
1.8 KB longer and unreadable), and it needs ~23 s to start. versitygw v1.8.0 is maintained,
passes the same boto3/pyarrow suite with default client settings, starts in a fraction of a
second on one port, and keeps buckets as directories and objects as plain files (metadata in
extended attributes, which ext4/xfs support).
"""

from __future__ import annotations

import os

from icefloe.config import LOCAL_S3_ACCESS_KEY, LOCAL_S3_SECRET_KEY
from icefloe.local.fetch import go_binary
from icefloe.local.services.base import Service, http_health

PACKAGE = "github.com/versity/versitygw/cmd/versitygw"
VERSION = "v1.8.0"


class ObjectStore(Service):
    name = "s3"
    description = f"S3 object storage (versitygw {VERSION}, POSIX backend)"
    start_timeout = 30.0

    @property
    def ports(self) -> dict[str, int]:
        return {"s3": self.stack.s3_port}

    def fetch(self) -> None:
        self.binary = go_binary("versitygw", PACKAGE, VERSION, self.stack.cache_dir,
                                build_flags=("-ldflags=-s -w",))

    def prepare(self) -> None:
        (self.data_dir / "buckets").mkdir(parents=True, exist_ok=True)

    def argv(self) -> list[str]:
        return [str(self.binary), "--port", f"{self.stack.host}:{self.stack.s3_port}",
                "--region", "us-east-1", "--health", "/health",
                "posix", str(self.data_dir / "buckets")]

    def env(self) -> dict[str, str]:
        return {**os.environ, "ROOT_ACCESS_KEY": LOCAL_S3_ACCESS_KEY, "ROOT_SECRET_KEY": LOCAL_S3_SECRET_KEY}

    def health(self) -> str | None:
        return http_health(f"http://{self.stack.host}:{self.stack.s3_port}/health")
