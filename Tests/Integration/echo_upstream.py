"""The protected upstream of the integration tests: answers every request with what it
received, as JSON: the method, the raw request-target (query included, not decoded) and
every header in order, as the gateway sent them (cookie included).

Run as a process of its own (so the tests stop it by PID): `python3 echo_upstream.py PORT`
(0 lets the kernel choose) prints `echo-upstream listening PORT` once it is bound.
"""
import json
import sys
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


class EchoHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    # The head and the body are two writes; with Nagle on, the body waits for the
    # gateway's delayed ACK (about 40 ms) on every kept-alive request.
    disable_nagle_algorithm = True

    def echo(self):
        length = int(self.headers.get("content-length") or 0)
        if length:
            self.rfile.read(length)
        body = json.dumps({
            "echo": True,
            "method": self.command,
            "path": self.path,
            "headers": [[name, value] for name, value in self.headers.items()],
        }).encode()
        self.send_response(200)
        self.send_header("content-type", "application/json")
        self.send_header("content-length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    do_GET = do_POST = do_PUT = do_DELETE = do_PATCH = do_OPTIONS = echo

    def do_HEAD(self):
        self.send_response(200)
        self.send_header("content-length", "0")
        self.end_headers()

    def log_message(self, format, *args):
        sys.stderr.write("echo-upstream: " + (format % args) + "\n")


def main():
    server = ThreadingHTTPServer(("127.0.0.1", int(sys.argv[1]) if len(sys.argv) > 1 else 0), EchoHandler)
    server.daemon_threads = True
    print(f"echo-upstream listening {server.server_address[1]}", flush=True)
    server.serve_forever()


if __name__ == "__main__":
    main()
