using Runtime.Benchmarks;

switch (args.FirstOrDefault())
{
    case "grains":
        return await GrainsBenchmark.RunAsync();
    default:
        Console.Error.WriteLine("Usage: dotnet run -c Release --project Runtime.Benchmarks -- grains");
        return 2;
}
