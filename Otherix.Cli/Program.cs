using Otherix.Cli;

return await CliApp.Build().Parse(args).InvokeAsync();
