"""A TCP forwarder in front of a test server: counts the bytes each way and can drop every connection.

TLS passes through it untouched (the client still verifies the server's certificate), so the
counts are what crosses the network: how much a list downloads, how many connections a pool opens.
"""

from __future__ import annotations

import contextlib
import socket
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field


@dataclass
class Proxy:
    target_port: int
    port: int = 0
    to_client: int = 0  # bytes the server sent
    to_server: int = 0
    connections: int = 0
    _sockets: list[socket.socket] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def reset(self) -> None:
        with self._lock:
            self.to_client = self.to_server = 0

    def drop(self) -> None:
        """Close every open connection, as a network change or a server restart would."""
        with self._lock:
            sockets, self._sockets = self._sockets, []
        for sock in sockets:
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)
            sock.close()

    def _count(self, towards_client: bool, size: int) -> None:
        with self._lock:
            if towards_client:
                self.to_client += size
            else:
                self.to_server += size

    def _pump(self, source: socket.socket, sink: socket.socket, towards_client: bool) -> None:
        try:
            while chunk := source.recv(65536):
                self._count(towards_client, len(chunk))
                sink.sendall(chunk)
        except OSError:
            pass
        finally:
            for sock in (source, sink):
                with contextlib.suppress(OSError):
                    sock.shutdown(socket.SHUT_RDWR)

    def _serve(self, listener: socket.socket) -> None:
        while True:
            try:
                client, _ = listener.accept()
            except OSError:
                return
            try:
                server = socket.create_connection(("127.0.0.1", self.target_port), timeout=10)
            except OSError:
                client.close()
                continue
            server.settimeout(None)
            for sock in (client, server):
                sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            with self._lock:
                self.connections += 1
                self._sockets += [client, server]
            for args in ((client, server, False), (server, client, True)):
                threading.Thread(target=self._pump, args=args, daemon=True).start()


@contextlib.contextmanager
def forwarding(target_port: int) -> Iterator[Proxy]:
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(16)
    proxy = Proxy(target_port, port=listener.getsockname()[1])
    thread = threading.Thread(target=proxy._serve, args=(listener,), daemon=True)
    thread.start()
    try:
        yield proxy
    finally:
        with contextlib.suppress(OSError):
            listener.shutdown(socket.SHUT_RDWR)  # wakes the accept()
        listener.close()
        proxy.drop()
        thread.join(timeout=5)
