"""The monorepo's Python worker: answers a health check on $PORT."""

import os
from http.server import BaseHTTPRequestHandler, HTTPServer

import idna


class Health(BaseHTTPRequestHandler):
    def do_GET(self):
        body = ("hello from worker (idna %s)\n" % idna.encode("bücher.example").decode()).encode()
        self.send_response(200)
        self.send_header("content-type", "text/plain")
        self.end_headers()
        self.wfile.write(body)


if __name__ == "__main__":
    host = os.environ.get("HOST", "0.0.0.0")
    HTTPServer((host, int(os.environ.get("PORT", "8000"))), Health).serve_forever()
