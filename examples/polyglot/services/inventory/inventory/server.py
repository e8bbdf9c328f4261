"""An HTTP API over Stock, started by testgate as the integration tests' service."""

from __future__ import annotations

import argparse
import json
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from inventory.stock import OutOfStock, Stock

STOCK = Stock()
STOCK.add("apple", 10)


class Handler(BaseHTTPRequestHandler):
    def _send(self, code: int, body: object) -> None:
        data = json.dumps(body).encode()
        self.send_response(code)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def do_GET(self) -> None:
        if self.path == "/health":
            self._send(200, {"ok": True})
        elif self.path.startswith("/stock/"):
            self._send(200, {"level": STOCK.level(self.path.rsplit("/", 1)[1])})
        else:
            self._send(404, {"error": "not found"})

    def do_POST(self) -> None:
        if self.path.startswith("/reserve/"):
            _, _, sku, count = self.path.split("/")
            try:
                self._send(200, {"level": STOCK.reserve(sku, int(count))})
            except OutOfStock as exc:
                self._send(409, {"error": str(exc)})
        else:
            self._send(404, {"error": "not found"})

    def log_message(self, format: str, *args: object) -> None:
        print(format % args, flush=True)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--port", type=int, default=8731)
    port = ap.parse_args().port
    print(f"inventory API on 127.0.0.1:{port}", flush=True)
    ThreadingHTTPServer(("127.0.0.1", port), Handler).serve_forever()


if __name__ == "__main__":
    main()
