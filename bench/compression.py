"""Pages on the wire with and without gzip: bytes and time per page, as a client sees them."""

import gzip
from dataclasses import dataclass

from . import client
from .client import Session


@dataclass
class Compression:
    path: str
    requests: int
    plain_bytes: int
    gzip_bytes: int
    plain_p50: float
    gzip_p50: float
    plain_server_p50: float | None
    gzip_server_p50: float | None

    def row(self) -> tuple[str, str, str, str, str]:
        def server(value: float | None) -> str:
            return f" (server {value * 1000:.1f} ms)" if value is not None else ""

        return (
            self.path,
            f"{self.plain_bytes / 1024:,.0f} KB → {self.gzip_bytes / 1024:,.0f} KB "
            f"({self.gzip_bytes / self.plain_bytes:.0%})",
            f"{self.plain_p50 * 1000:.1f} ms{server(self.plain_server_p50)}",
            f"{self.gzip_p50 * 1000:.1f} ms{server(self.gzip_server_p50)}",
            str(self.requests),
        )


HEADER = (
    "page",
    "bytes on the wire, plain → gzip",
    "p50 without Accept-Encoding",
    "p50 with Accept-Encoding: gzip",
    "requests each",
)


def measure(server, path: str, requests: int, tag: str) -> Compression:
    """Alternate reads of ``path`` without and with ``Accept-Encoding: gzip`` (so that both see
    the same machine), after two warm-up reads of each; the gzip body must decompress to a
    page of the plain one's size, give or take the per-response CSRF token and CSP nonce."""
    sizes: dict[str, int] = {}
    times: dict[str, list[float]] = {"plain": [], "gzip": []}
    sessions = {kind: Session(server.port, f"{tag}-{kind}") for kind in ("plain", "gzip")}
    headers = {"plain": {}, "gzip": {"Accept-Encoding": "gzip"}}
    for index in range(requests + 2):
        for kind in ("plain", "gzip"):
            response = sessions[kind].request("GET", path, extra_headers=headers[kind])
            if response.status != 200:
                raise RuntimeError(f"GET {path} ({kind}) answered {response.status}")
            encoding = response.headers.get("Content-Encoding")
            if (encoding == "gzip") != (kind == "gzip"):
                raise RuntimeError(f"GET {path} ({kind}) came with Content-Encoding {encoding}")
            if kind == "gzip" and abs(len(gzip.decompress(response.body)) - sizes["plain"]) > 500:
                raise RuntimeError(f"GET {path}: the gzip body is not the plain page")
            sizes[kind] = len(response.body)
            if index >= 2:
                times[kind].append(response.seconds)
    server_plain = server.timings(f"{tag}-plain")[2:]
    server_gzip = server.timings(f"{tag}-gzip")[2:]
    return Compression(
        path=path,
        requests=requests,
        plain_bytes=sizes["plain"],
        gzip_bytes=sizes["gzip"],
        plain_p50=client.percentile(times["plain"], 0.5),
        gzip_p50=client.percentile(times["gzip"], 0.5),
        plain_server_p50=client.percentile(server_plain, 0.5) if server_plain else None,
        gzip_server_p50=client.percentile(server_gzip, 0.5) if server_gzip else None,
    )
