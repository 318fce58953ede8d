using Otherix.Agent;

return await AgentCommandLine.RunAsync(args, Environment.GetEnvironmentVariables(), Console.Out, Console.Error);
