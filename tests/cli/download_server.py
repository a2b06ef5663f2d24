"""A loopback HTTP server for the download tests (tests/cli/download.sh, disk_full_data.sh,
interrupt_data.sh): real photos and every fault a web crawl meets.

Usage: download_server.py PHOTO_DIR PORT_FILE LOG_FILE
Binds 127.0.0.1 on a free port, writes the port to PORT_FILE, logs each request path to LOG_FILE.
Routes (NAME is a file in PHOTO_DIR; a query string is ignored):
  /img/NAME            the file, with its content type
  /wrongtype/NAME      the file as text/plain (a downloader sniffs the bytes: success)
  /redirect/NAME       302 to /img/NAME
  /flaky/NAME          500 on the first request, then the file (succeeds with a retry)
  /optout/NAME         the file with "X-Robots-Tag: noai"
  /optout-us/NAME      the file with "X-Robots-Tag: img2dataset: noimageai"
  /optout-other/NAME   the file with "X-Robots-Tag: googlebot: noindex" (not for us: success)
  /slow/NAME           the file after 0.2 s (a download long enough to be signalled mid-way)
  /slowbody/NAME       the file's first bytes, then one byte every 0.5 s (times out)
  /truncated/NAME      a Content-Length for the whole file, half the bytes, then the connection closes
  /status/CODE         an empty response with that status (404, 500, ...)
  /sleep               answers after 30 s (times out)
  /html                an HTML page served as text/html
  /loop/N              302 to /loop/N+1, forever
  /huge                declares Content-Length: 10 GB
  /endless             a body without Content-Length that never ends (body size limit)
  /small.png, /wide.png  a 16x16 and a 400x40 PNG (min size / aspect ratio checks)
"""
import http.server
import io
import mimetypes
import os
import socketserver
import sys
import threading
import time

from PIL import Image

photo_dir, port_file, log_file = sys.argv[1:4]
log_lock = threading.Lock()
flaky_seen = set()


def png(w, h):
    b = io.BytesIO()
    Image.new("RGB", (w, h), (200, 30, 60)).save(b, "PNG")
    return b.getvalue()


GENERATED = {"/small.png": png(16, 16), "/wide.png": png(400, 40)}


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def send(self, code, body=b"", ctype="application/octet-stream", headers=()):
        self.send_response(code)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        for k, v in headers:
            self.send_header(k, v)
        self.end_headers()
        self.wfile.write(body)

    def photo(self, name):
        path = os.path.join(photo_dir, os.path.basename(name))
        with open(path, "rb") as f:
            return f.read(), mimetypes.guess_type(path)[0] or "application/octet-stream"

    def do_GET(self):
        with log_lock, open(log_file, "a") as f:
            f.write(self.path + "\n")
        path = self.path.split("?", 1)[0]  # a query string (?i=N) only makes URLs distinct
        parts = path.split("/", 2)
        route = parts[1] if len(parts) > 1 else ""
        arg = parts[2] if len(parts) > 2 else ""
        if route == "img":
            body, ctype = self.photo(arg)
            return self.send(200, body, ctype)
        if route == "wrongtype":
            return self.send(200, self.photo(arg)[0], "text/plain")
        if route == "redirect":
            return self.send(302, headers=[("Location", "/img/" + arg)])
        if route == "flaky":
            with log_lock:
                first = arg not in flaky_seen
                flaky_seen.add(arg)
            if first:
                return self.send(500)
            return self.send(200, *self.photo(arg))
        if route in ("optout", "optout-us", "optout-other"):
            tag = {"optout": "noai", "optout-us": "img2dataset: noimageai",
                   "optout-other": "googlebot: noindex"}[route]
            body, ctype = self.photo(arg)
            return self.send(200, body, ctype, [("X-Robots-Tag", tag)])
        if route == "slow":
            time.sleep(0.2)
            return self.send(200, *self.photo(arg))
        if route == "slowbody":
            body, ctype = self.photo(arg)
            self.send_response(200)
            self.send_header("Content-Type", ctype)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            try:
                self.wfile.write(body[:100])
                for b in body[100:140]:
                    self.wfile.flush()
                    time.sleep(0.5)
                    self.wfile.write(bytes([b]))
            except OSError:
                pass
            self.close_connection = True
            return
        if route == "truncated":
            body, ctype = self.photo(arg)
            self.send_response(200)
            self.send_header("Content-Type", ctype)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body[: len(body) // 2])
            self.wfile.flush()
            self.close_connection = True
            return
        if route == "status":
            return self.send(int(arg))
        if route == "sleep":
            time.sleep(30)
            return self.send(200, b"late")
        if route == "html":
            return self.send(200, b"<!doctype html><html><body>not an image</body></html>", "text/html")
        if route == "loop":
            return self.send(302, headers=[("Location", f"/loop/{int(arg) + 1}")])
        if route == "huge":
            self.send_response(200)
            self.send_header("Content-Type", "image/jpeg")
            self.send_header("Content-Length", str(10 << 30))
            self.end_headers()
            self.close_connection = True
            return
        if route == "endless":
            self.send_response(200)
            self.send_header("Content-Type", "image/jpeg")
            self.send_header("Connection", "close")
            self.end_headers()
            self.close_connection = True
            try:
                chunk = b"\xff" * 65536
                for _ in range(4096):
                    self.wfile.write(chunk)
            except OSError:
                pass
            return
        if path in GENERATED:
            return self.send(200, GENERATED[path], "image/png")
        return self.send(404, b"no such route")


class Server(socketserver.ThreadingMixIn, http.server.HTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 256

    def handle_error(self, request, client_address):
        pass  # clients that hang up (timeouts, size limits) are what the faults are for


server = Server(("127.0.0.1", 0), Handler)
with open(port_file + ".tmp", "w") as f:
    f.write(str(server.server_address[1]))
os.rename(port_file + ".tmp", port_file)
server.serve_forever()
