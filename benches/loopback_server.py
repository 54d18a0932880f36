"""The benches' one loopback HTTP server: prints its port, then answers every GET.

`loopback_server.py 401`: 401 with a Basic challenge (diagnose_vs_curl.sh).
`loopback_server.py 401 CERT KEY`: the same over HTTPS with that certificate (PEM files).
`loopback_server.py pac SQUID_PORT`: the PAC file at /proxy.pac (loopback through Squid on
SQUID_PORT), 200 for every other path (diagnose_routes.sh).
"""
import http.server
import sys

MODE = sys.argv[1]
PAC = b""
if MODE == "pac":
    PAC = (
        "function FindProxyForURL(url, host) {\n"
        '  if (isPlainHostName(host) || dnsDomainIs(host, ".corp.example")) return "DIRECT";\n'
        '  if (isInNet(host, "127.0.0.0", "255.0.0.0")) return "PROXY 127.0.0.1:%s; DIRECT";\n'
        '  return "DIRECT";\n'
        "}" % sys.argv[2]
    ).encode()


class H(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def do_GET(self):
        headers = []
        if MODE == "401":
            status, body = 401, b"login required"
            headers.append(("WWW-Authenticate", 'Basic realm="bench"'))
        elif self.path.endswith("/proxy.pac"):
            status, body = 200, PAC
            headers.append(("Content-Type", "application/x-ns-proxy-autoconfig"))
        else:
            status, body = 200, b"<p>it works</p>"
            headers.append(("Content-Type", "text/html"))
        self.send_response(status)
        for name, value in headers:
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Connection", "close")
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *a):
        pass


srv = http.server.ThreadingHTTPServer(("127.0.0.1", 0), H)
if MODE == "401" and len(sys.argv) == 4:
    import ssl

    tls = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    tls.load_cert_chain(sys.argv[2], sys.argv[3])
    srv.socket = tls.wrap_socket(srv.socket, server_side=True)
print(srv.server_address[1], flush=True)
srv.serve_forever()
