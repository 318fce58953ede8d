using Otherix.Cli;

return CliApp.Build().Parse(args).Invoke();
