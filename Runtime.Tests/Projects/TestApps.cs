namespace Runtime.Tests.Projects;

/// <summary>Small apps the project tests deploy.</summary>
internal static class TestApps
{
    private const string FlaskTemplate = """
        import os
        from flask import Flask, request
        base = os.environ["DASH_URL_BASE_PATHNAME"]
        app = Flask(__name__)

        @app.route(base)
        def index():
            return "hello from VERSION"

        @app.route(base + "whoami")
        def whoami():
            return "authorization=" + request.headers.get("Authorization", "none") + " path=" + request.full_path

        print("serving under", base, flush=True)
        app.run(host=os.environ["HOST"], port=int(os.environ["PORT"]))
        """;

    /// <summary>A Flask app (Dash is Flask underneath) that answers "hello from <paramref name="version"/>" under its base path.</summary>
    public static string Flask(string version) => FlaskTemplate.Replace("VERSION", version, StringComparison.Ordinal);

    /// <summary>A Flask app that also prints a numbered line every 100 ms, with the time it printed it.</summary>
    public static string Ticking => Flask("ticking").Replace("print(\"serving under\", base, flush=True)", """
        import threading, time
        def tick():
            n = 0
            while True:
                n += 1
                print(f"tick {n} {time.time()}", flush=True)
                time.sleep(0.1)
        threading.Thread(target=tick, daemon=True).start()
        print("serving under", base, flush=True)
        """, StringComparison.Ordinal);

    /// <summary>
    /// A Flask app that tells its pid (/pid), logs each request, and can be made unhealthy: after /break its
    /// base path (the health path) answers 500.
    /// </summary>
    public static string Breakable => Flask("breakable").Replace("print(\"serving under\", base, flush=True)", """
        broken = []
        @app.before_request
        def health():
            if broken and request.path == base:
                return "broken", 500
        @app.route(base + "pid")
        def pid():
            return str(os.getpid())
        @app.route(base + "break")
        def breaks():
            broken.append(True)
            return "broken now"
        print("serving under", base, "as pid", os.getpid(), flush=True)
        """, StringComparison.Ordinal);

    /// <summary>An app that never answers its health probe.</summary>
    public const string NeverReady = "import time\nprint('warming up forever', flush=True)\ntime.sleep(600)\n";

    /// <summary>
    /// A Flask app that prints its secret (which the stored log must mask) and answers /env with its
    /// settings: plain values as they are, secret ones only as SHA-256 digests.
    /// </summary>
    public static string Settings => Flask("settings").Replace("print(\"serving under\", base, flush=True)", """
        import hashlib, json
        def digest(name):
            return hashlib.sha256(os.environ.get(name, "").encode()).hexdigest()
        @app.route(base + "env")
        def env():
            return json.dumps({
                "REGION": os.environ.get("REGION"),
                "WAREHOUSE_HOST": os.environ.get("WAREHOUSE_HOST"),
                "WAREHOUSE_PORT": os.environ.get("WAREHOUSE_PORT"),
                "API_TOKEN": digest("API_TOKEN"),
                "WAREHOUSE_PASSWORD": digest("WAREHOUSE_PASSWORD"),
                "WAREHOUSE_URL": digest("WAREHOUSE_URL"),
                "PROD_ONLY": os.environ.get("PROD_ONLY"),
                "RUNTIME_PROFILE": os.environ.get("RUNTIME_PROFILE"),
                "DLT_FILES": sorted(os.listdir(".dlt")) if os.path.isdir(".dlt") else [],
            })
        print("token is", os.environ.get("API_TOKEN"), "and the dsn is", os.environ.get("WAREHOUSE_URL"), flush=True)
        print("serving under", base, flush=True)
        """, StringComparison.Ordinal);

    /// <summary>
    /// A standard-library app (no WebSocket package is installable here) serving, under its base path:
    /// a page at /, the request's credentials at /whoami (and two cookies set, one of them named like
    /// Runtime's session), and an RFC 6455 echo at /ws that answers each text frame with "echo: …"
    /// and the text "handshake" with the handshake's Authorization and Cookie headers.
    /// </summary>
    public const string WebSocketEcho = """
        import base64, hashlib, os, struct
        from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

        base = os.environ["DASH_URL_BASE_PATHNAME"]
        GUID = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"

        def read_frame(rfile):
            head = rfile.read(2)
            if len(head) < 2:
                return 8, b""
            opcode, length = head[0] & 0x0F, head[1] & 0x7F
            if length == 126:
                length = struct.unpack(">H", rfile.read(2))[0]
            elif length == 127:
                length = struct.unpack(">Q", rfile.read(8))[0]
            mask = rfile.read(4) if head[1] & 0x80 else b"\0\0\0\0"
            return opcode, bytes(b ^ mask[i % 4] for i, b in enumerate(rfile.read(length)))

        def write_frame(wfile, opcode, data):
            n = len(data)
            size = bytes([n]) if n < 126 else bytes([126]) + struct.pack(">H", n) if n < 65536 else bytes([127]) + struct.pack(">Q", n)
            wfile.write(bytes([0x80 | opcode]) + size + data)

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def credentials(self):
                return "authorization=" + self.headers.get("Authorization", "none") + " cookie=" + self.headers.get("Cookie", "none")

            def reply(self, body, cookies=()):
                data = body.encode()
                self.send_response(200)
                self.send_header("Content-Type", "text/plain; charset=utf-8")
                self.send_header("Content-Length", str(len(data)))
                for cookie in cookies:
                    self.send_header("Set-Cookie", cookie)
                self.end_headers()
                self.wfile.write(data)

            def do_GET(self):
                path = self.path.split("?")[0]
                if path == base + "ws" and self.headers.get("Upgrade", "").lower() == "websocket":
                    self.echo()
                elif path == base + "whoami":
                    self.reply(self.credentials(), ["app_pref=compact; Path=/", "runtime_session=planted-by-the-app; Path=/"])
                elif path == base:
                    self.reply("websocket echo page")
                else:
                    self.send_error(404)

            def echo(self):
                accept = base64.b64encode(hashlib.sha1((self.headers["Sec-WebSocket-Key"] + GUID).encode()).digest()).decode()
                self.send_response(101)
                self.send_header("Upgrade", "websocket")
                self.send_header("Connection", "Upgrade")
                self.send_header("Sec-WebSocket-Accept", accept)
                self.end_headers()
                self.close_connection = True
                while True:
                    opcode, data = read_frame(self.rfile)
                    if opcode == 8:
                        write_frame(self.wfile, 8, data[:2])
                        return
                    if opcode == 9:
                        write_frame(self.wfile, 10, data)
                    elif opcode == 1:
                        text = data.decode()
                        write_frame(self.wfile, 1, (self.credentials() if text == "handshake" else "echo: " + text).encode())

        print("serving under", base, flush=True)
        ThreadingHTTPServer((os.environ["HOST"], int(os.environ["PORT"])), Handler).serve_forever()
        """;
}
