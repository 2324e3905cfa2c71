using Runtime.Benchmarks;
using Runtime.Benchmarks.Apps;

switch (args.FirstOrDefault())
{
    case "grains":
        return await GrainsBenchmark.RunAsync();
    case Runtime.Benchmarks.Grains.BenchSilo.Mode:
        return await Runtime.Benchmarks.Grains.BenchSilo.RunAsync(args[1..]);
    case "apps":
        return await AppsBenchmark.RunAsync();
    case "runs":
        return await Runtime.Benchmarks.Runs.RunsBenchmark.RunAsync();
    case "agents":
        return await Runtime.Benchmarks.Agents.AgentsBenchmark.RunAsync();
    case "docker":
        return await Runtime.Benchmarks.Docker.DockerBenchmark.RunAsync();
    default:
        Console.Error.WriteLine("Usage: dotnet run -c Release --project Runtime.Benchmarks -- grains|apps|runs|agents|docker");
        return 2;
}
