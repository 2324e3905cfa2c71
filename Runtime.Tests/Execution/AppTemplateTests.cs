using Runtime.Execution.Templates;
using Xunit;

namespace Runtime.Tests.Execution;

public sealed class AppTemplateTests
{
    private static RenderedApp Render(string type, string? venv = "/venvs/abc/bin") =>
        AppTemplates.Render(new TemplateInput(type, "src/app.py", 41234, "127.0.0.1", "/apps/default/sales", "/work/w1", venv));

    [Fact]
    public void Streamlit_RendersItsDocumentedCommandLine()
    {
        var app = Render("streamlit");

        Assert.Equal(["/venvs/abc/bin/streamlit", "run", "src/app.py", "--server.port", "41234", "--server.address", "127.0.0.1",
            "--server.headless", "true", "--server.baseUrlPath", "/apps/default/sales"], app.Command);
        Assert.Equal("/apps/default/sales/_stcore/health", app.HealthPath);
    }

    [Fact]
    public void Dash_RunsTheScriptWithPortHostAndBasePathInTheEnvironment()
    {
        var app = Render("dash");

        Assert.Equal(["/venvs/abc/bin/python", "src/app.py"], app.Command);
        Assert.Equal("41234", app.Environment["PORT"]);
        Assert.Equal("127.0.0.1", app.Environment["HOST"]);
        Assert.Equal("/apps/default/sales/", app.Environment["DASH_URL_BASE_PATHNAME"]);
        Assert.Equal("/apps/default/sales/", app.HealthPath);
    }

    [Fact]
    public void Python_RunsAnyServerOnItsPort_AndIsHealthyOnceItAcceptsConnections()
    {
        var app = Render("python");

        Assert.Equal(["/venvs/abc/bin/python", "src/app.py"], app.Command);
        Assert.Equal("41234", app.Environment["PORT"]);
        Assert.Equal("/apps/default/sales/", app.Environment["RUNTIME_BASE_PATH"]);
        Assert.Equal(new Uri("tcp://127.0.0.1:41234"), app.HealthUri(41234));
        Assert.Equal(new Uri("http://127.0.0.1:41234/apps/default/sales/"), Render("dash").HealthUri(41234));
        Assert.Null(Render("batch").HealthUri(41234));
    }

    [Fact]
    public void Airflow_RunsStandaloneWithItsHomeAndDagsFolder()
    {
        var app = Render("airflow");

        Assert.Equal(["/venvs/abc/bin/airflow", "standalone"], app.Command);
        Assert.Equal("/work/w1/.airflow", app.Environment["AIRFLOW_HOME"]);
        Assert.Equal("/work/w1/src/app.py", app.Environment["AIRFLOW__CORE__DAGS_FOLDER"]);
        Assert.Equal("41234", app.Environment["AIRFLOW__WEBSERVER__WEB_SERVER_PORT"]);
        Assert.Equal("http://127.0.0.1:41234/apps/default/sales", app.Environment["AIRFLOW__WEBSERVER__BASE_URL"]);
    }

    [Fact]
    public void OpenWebUI_ServesOnThePort()
    {
        Assert.Equal(["/venvs/abc/bin/open-webui", "serve", "--host", "127.0.0.1", "--port", "41234"], Render("openwebui").Command);
    }

    [Fact]
    public void Marimo_RunsHeadlessUnderTheBasePath()
    {
        Assert.Equal(["/venvs/abc/bin/marimo", "run", "src/app.py", "--host", "127.0.0.1", "--port", "41234", "--headless", "--base-url", "/apps/default/sales"],
            Render("marimo").Command);
    }

    [Fact]
    public void WithoutAVenv_ToolsComeFromThePath()
    {
        Assert.Equal(["python3", "src/app.py"], Render("batch", venv: null).Command);
        Assert.Equal("streamlit", Render("streamlit", venv: null).Command[0]);
        Assert.Null(Render("batch").HealthPath);
    }

    [Fact]
    public void UnknownAppType_SaysWhichExist()
    {
        var error = Assert.Throws<ArgumentException>(() => Render("shiny"));

        Assert.Contains("streamlit", error.Message);
    }
}
