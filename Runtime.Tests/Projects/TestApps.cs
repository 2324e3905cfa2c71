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
            })
        print("token is", os.environ.get("API_TOKEN"), "and the dsn is", os.environ.get("WAREHOUSE_URL"), flush=True)
        print("serving under", base, flush=True)
        """, StringComparison.Ordinal);
}
