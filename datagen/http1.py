"""A minimal keep-alive HTTP/1.1 client for the simulator's hot path.

One `Connection` sends one request at a time (no pipelining) on one socket and reads the status,
the headers it needs (`Retry-After`, `Connection`) and the body (Content-Length, chunked, or up to
the close). A general client (aiohttp, httpx) spends several times the CPU per request on things a
webhook sender does not need (cookie jars, redirects, pools, header objects), and on this 2-core
machine every CPU-millisecond the sender saves goes to the API it is meant to saturate
(`benchmarks/simulator_speed.py` measures both). TLS is supported for https targets.
"""

from __future__ import annotations

import asyncio
import ssl
from dataclasses import dataclass
from urllib.parse import urlsplit


class HttpError(Exception):
    """The connection failed or the answer was not HTTP/1.x (the request may or may not have arrived)."""


@dataclass(frozen=True)
class Target:
    """Where requests go: scheme, host, port and path prefix of a base URL."""

    scheme: str
    host: str
    port: int
    prefix: str

    @classmethod
    def parse(cls, url: str) -> Target:
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ValueError(f"target must be an http(s) URL such as http://127.0.0.1:8090 (got {url!r})")
        port = parts.port or (443 if parts.scheme == "https" else 80)
        return cls(parts.scheme, parts.hostname, port, parts.path.rstrip("/"))

    @property
    def host_header(self) -> str:
        default = 443 if self.scheme == "https" else 80
        return self.host if self.port == default else f"{self.host}:{self.port}"

    def request_head(self, path: str, headers: dict[str, str], body_length: int) -> bytes:
        """The request line and headers of a POST of `body_length` bytes to `path`."""
        lines = [f"POST {self.prefix}{path} HTTP/1.1", f"Host: {self.host_header}",
                 f"Content-Length: {body_length}"]
        lines += [f"{k}: {v}" for k, v in headers.items()]
        return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")


@dataclass(frozen=True)
class Response:
    status: int
    retry_after: float | None
    body: bytes


class Connection:
    """One keep-alive connection to `target`, opened on first use and again after a close."""

    def __init__(self, target: Target, timeout_s: float) -> None:
        self.target = target
        self.timeout_s = timeout_s
        self._reader: asyncio.StreamReader | None = None
        self._writer: asyncio.StreamWriter | None = None

    async def post(self, head: bytes, body: bytes) -> Response:
        """Send one request; a kept-alive socket the server has meanwhile closed is reopened once
        (nothing of the request was answered, so nothing is sent twice from the server's view)."""
        reused = self._writer is not None
        try:
            return await asyncio.wait_for(self._exchange(head, body), self.timeout_s)
        except (OSError, asyncio.IncompleteReadError, HttpError) as exc:  # TimeoutError is an OSError
            self.close()
            stale = isinstance(exc, (ConnectionResetError, BrokenPipeError)) or (
                isinstance(exc, asyncio.IncompleteReadError) and not exc.partial)
            if not (reused and stale):
                raise HttpError(str(exc) or type(exc).__name__) from exc
        try:
            return await asyncio.wait_for(self._exchange(head, body), self.timeout_s)
        except (OSError, asyncio.IncompleteReadError, HttpError) as exc:
            self.close()
            raise HttpError(str(exc) or type(exc).__name__) from exc

    async def _exchange(self, head: bytes, body: bytes) -> Response:
        if self._writer is None:
            t = self.target
            context = ssl.create_default_context() if t.scheme == "https" else None
            self._reader, self._writer = await asyncio.open_connection(
                t.host, t.port, ssl=context, server_hostname=t.host if context else None)
        reader, writer = self._reader, self._writer
        writer.write(head + body if len(body) < 65536 else head)
        if len(body) >= 65536:
            writer.write(body)
        raw_head = await reader.readuntil(b"\r\n\r\n")
        if not raw_head.startswith(b"HTTP/1."):
            raise HttpError(f"not an HTTP/1.x answer: {raw_head[:40]!r}")
        status = int(raw_head[9:12])
        length, chunked, close, retry_after = None, False, raw_head.startswith(b"HTTP/1.0"), None
        for line in raw_head.split(b"\r\n")[1:]:
            name, _, value = line.partition(b":")
            name = name.strip().lower()
            if name == b"content-length":
                length = int(value)
            elif name == b"transfer-encoding":
                chunked = b"chunked" in value.lower()
            elif name == b"connection":
                close = value.strip().lower() == b"close"
            elif name == b"retry-after":
                try:
                    retry_after = float(value)
                except ValueError:  # an HTTP date: ignored, the backoff applies
                    retry_after = None
        if chunked:
            data = await self._read_chunked(reader)
        elif length is not None:
            data = await reader.readexactly(length)
        else:
            data, close = await reader.read(), True
        if close:
            self.close()
        return Response(status, retry_after, data)

    @staticmethod
    async def _read_chunked(reader: asyncio.StreamReader) -> bytes:
        parts = []
        while True:
            size = int((await reader.readuntil(b"\r\n")).split(b";")[0], 16)
            if size == 0:
                while (await reader.readuntil(b"\r\n")) != b"\r\n":  # trailers
                    pass
                return b"".join(parts)
            parts.append(await reader.readexactly(size))
            await reader.readexactly(2)

    def close(self) -> None:
        if self._writer is not None:
            self._writer.close()
        self._reader = self._writer = None
