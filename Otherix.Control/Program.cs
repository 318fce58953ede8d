using Otherix.Control;

return await ControlPlane.MainAsync(args, Environment.GetEnvironmentVariables(), Console.Out, Console.Error);
