using Runtime.ServiceDefaults;
using Runtime.Silo.Extensions;

namespace Runtime.Silo;

/// <summary>A silo: delivers messages, reminders and activities to grains (DESIGN §3).</summary>
internal static class Program
{
    public static void Main(string[] args)
    {
        var builder = WebApplication.CreateBuilder(args);
        builder.AddServiceDefaults();
        builder.AddRuntimeSilo();

        var app = builder.Build();
        app.MapDefaultEndpoints();
        app.Run();
    }
}
