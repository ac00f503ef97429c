"""The simulator's minimal HTTP/1.1 client against a loopback server that answers the ways real
servers do: Content-Length, chunked, `Connection: close`, an idle keep-alive socket closed by the
server, Retry-After, garbage."""

from __future__ import annotations

import asyncio

import pytest

from icefloe.datagen.http1 import Connection, HttpError, Target

ANSWERS = {
    b"/length": b"HTTP/1.1 202 Accepted\r\nContent-Length: 5\r\n\r\nhello",
    b"/chunked": b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n2;x=1\r\nde\r\n0\r\n\r\n",
    b"/close": b"HTTP/1.1 503 Service Unavailable\r\nConnection: close\r\nRetry-After: 2\r\n"
               b"Content-Length: 4\r\n\r\nbusy",
    b"/once": b"HTTP/1.1 202 Accepted\r\nContent-Length: 0\r\n\r\n",  # then the server closes the socket
    b"/garbage": b"SSH-2.0-OpenSSH\r\n\r\n",
}


async def serve(connections: list[int]):
    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        connections.append(1)
        try:
            while True:
                head = await reader.readuntil(b"\r\n\r\n")
                path = head.split(b" ")[1]
                length = int(head.lower().split(b"content-length: ")[1].split(b"\r\n")[0])
                await reader.readexactly(length)
                writer.write(ANSWERS[path])
                await writer.drain()
                if path in (b"/close", b"/once", b"/garbage"):
                    break
        except asyncio.IncompleteReadError:
            pass
        writer.close()

    server = await asyncio.start_server(handle, "127.0.0.1", 0)
    return server, server.sockets[0].getsockname()[1]


def exchange(paths: list[str]) -> tuple[list, int]:
    async def main():
        connections: list[int] = []
        server, port = await serve(connections)
        target = Target.parse(f"http://127.0.0.1:{port}")
        conn = Connection(target, timeout_s=5)
        out = []
        for path in paths:
            try:
                out.append(await conn.post(target.request_head(path, {"X-A": "b"}, 4), b"body"))
            except HttpError as exc:
                out.append(exc)
            await asyncio.sleep(0.01)  # lets the server's close arrive
        conn.close()
        server.close()
        return out, len(connections)

    return asyncio.run(main())


def test_keep_alive_answers_with_length_and_chunked_bodies_share_one_connection():
    (a, b, c), connections = exchange(["/length", "/chunked", "/length"])
    assert (a.status, a.body, b.status, b.body, c.body) == (202, b"hello", 200, b"abcde", b"hello")
    assert connections == 1


def test_connection_close_and_retry_after_are_honoured():
    (busy, after), connections = exchange(["/close", "/length"])
    assert busy.status == 503 and busy.retry_after == 2.0 and busy.body == b"busy"
    assert after.status == 202 and connections == 2


def test_a_keep_alive_socket_the_server_closed_is_reopened_without_an_error():
    (first, second), connections = exchange(["/once", "/length"])
    assert first.status == 202 and second.status == 202 and connections == 2


def test_an_answer_that_is_not_http_is_an_error():
    (answer,), _ = exchange(["/garbage"])
    assert isinstance(answer, HttpError)


def test_targets_keep_their_path_prefix_and_refuse_other_schemes():
    t = Target.parse("https://hooks.example.com/prod/")
    assert (t.port, t.host_header) == (443, "hooks.example.com")
    assert t.request_head("/webhooks/stripe", {}, 0).startswith(b"POST /prod/webhooks/stripe HTTP/1.1\r\n")
    with pytest.raises(ValueError, match="http"):
        Target.parse("127.0.0.1:8090")
