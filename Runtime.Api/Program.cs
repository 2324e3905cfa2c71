using Runtime.Api.Extensions;
using Runtime.ServiceDefaults;

var builder = WebApplication.CreateBuilder(args);
builder.AddServiceDefaults();
builder.AddRuntimeApi();

var app = builder.Build();
app.UseRuntimeApi();
app.MapDefaultEndpoints();
app.MapRuntimeApi();
app.Run();

/// <summary>Entry point, visible to the tests' WebApplicationFactory.</summary>
public partial class Program;
