using Otherix.Agent;

return AgentCommandLine.Run(args, Console.Out, Console.Error);
