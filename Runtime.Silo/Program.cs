using Runtime.ServiceDefaults;
using Runtime.Silo.Extensions;

var builder = WebApplication.CreateBuilder(args);
builder.AddServiceDefaults();
builder.AddRuntimeSilo();

var app = builder.Build();
app.MapDefaultEndpoints();
app.Run();
