using System.Text.Json.Serialization;
using Microsoft.AspNetCore.Http.Json;
using Runtime.Api.Agents;
using Runtime.Api.Auth;
using Runtime.Api.Cluster;
using Runtime.Api.Endpoints;
using Runtime.Api.Problems;
using Runtime.Api.Proxy;
using Runtime.Grains.Hosting;
using Runtime.Grains.Logs;

namespace Runtime.Api.Extensions;

/// <summary>Wiring of the Api host.</summary>
public static class ApiExtensions
{
    /// <summary>Where the Api listens when nothing else is configured: loopback only, so a laptop run exposes nothing.</summary>
    public const string DefaultUrl = "http://127.0.0.1:8080";

    public static WebApplicationBuilder AddRuntimeApi(this WebApplicationBuilder builder)
    {
        if (string.IsNullOrEmpty(builder.Configuration["urls"]) && string.IsNullOrEmpty(builder.Configuration["http_ports"]))
            builder.WebHost.UseUrls(DefaultUrl);

        var services = builder.Services;
        services.AddRuntimeGrains("runtime-api");
        // Before the owner-token bootstrap, which calls grains.
        builder.AddRuntimeClusterClient();
        services.AddHostedService<OwnerTokenBootstrap>();
        services.AddHealthChecks().AddDatabaseCheck().AddSilosCheck()
            .AddCheck<Runtime.Execution.Docker.DockerHealthCheck>(Runtime.Execution.Docker.DockerHealthCheck.Name, Microsoft.Extensions.Diagnostics.HealthChecks.HealthStatus.Degraded);

        services.Configure<JsonOptions>(o => o.SerializerOptions.Converters.Add(new JsonStringEnumConverter()));
        services.AddProblemDetails(o => o.CustomizeProblemDetails = c =>
            c.ProblemDetails.Extensions["traceId"] = System.Diagnostics.Activity.Current?.TraceId.ToString() ?? c.HttpContext.TraceIdentifier);
        services.AddExceptionHandler<DomainExceptionHandler>();

        services.AddRuntimeAuthentication();
        services.AddAppProxy();
        services.AddAgentGateway();
        // The operator's execution settings (Runtime:Execution, or the seed's EXECUTION_* variables): bad ones stop the start, naming each.
        services.AddSingleton(sp => Runtime.Execution.Workloads.ExecutionOptions.Read(sp.GetRequiredService<IConfiguration>()));
        // Log followers wake when their workload's lines are stored (LISTEN/NOTIFY), one connection for the process.
        services.AddLogWakeups();
        services.AddOpenApi(o => o.AddDocumentTransformer<BearerSecurityTransformer>());
        return builder;
    }

    public static WebApplication UseRuntimeApi(this WebApplication app)
    {
        app.UseExceptionHandler();
        app.UseStatusCodePages();
        app.Use(ForgetCachesOnChange);
        app.UseAuthentication();
        app.UseAuthorization();
        return app;
    }

    // What this process changes, its caches forget before the response goes out; other processes
    // forget when the change feed tells them, a few milliseconds later.
    private static Task ForgetCachesOnChange(HttpContext http, RequestDelegate next)
    {
        if (http.Request.Path.StartsWithSegments("/api") && !HttpMethods.IsGet(http.Request.Method) && !HttpMethods.IsHead(http.Request.Method))
        {
            http.Response.OnStarting(() =>
            {
                http.RequestServices.GetRequiredService<TokenChecks>().ForgetAll();
                http.RequestServices.GetRequiredService<RouteCache>().ForgetAll();
                return Task.CompletedTask;
            });
        }
        return next(http);
    }

    public static WebApplication MapRuntimeApi(this WebApplication app)
    {
        app.MapOpenApi("/openapi/{documentName}.json").AllowAnonymous();

        var api = app.MapGroup("/api").RequireAuthorization().AddEndpointFilter(Access.Authorize);
        api.MapMeEndpoints();
        api.MapWorkspaceEndpoints();
        api.MapMemberEndpoints();
        api.MapTokenEndpoints();
        api.MapScheduleEndpoints();
        api.MapProjectEndpoints();
        api.MapProjectSettingsEndpoints();
        api.MapPythonEnvironmentEndpoints();
        api.MapJobEndpoints();
        api.MapEnvironmentEndpoints();
        api.MapConfigurationEndpoints();
        api.MapPipelineEndpoints();
        app.MapSessionEndpoints();
        app.MapPipelineReports();
        app.MapAppProxy();
        app.MapJobProxy();
        app.MapPublicLinks();
        app.MapAgentGateway();
        return app;
    }
}
