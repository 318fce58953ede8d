var builder = WebApplication.CreateSlimBuilder(args);
var app = builder.Build();

// Liveness lives outside /v1, as in the reference API.
app.MapGet("/healthz", () => Results.Text("ok\n"));

app.Run();

/// <summary>Entry point, visible to in-process tests.</summary>
public partial class Program;
