using Otherix.Api.Errors;
using Otherix.Api.Json;

namespace Otherix.Control.Http;

/// <summary>Makes every error answer the <c>{"error":{…}}</c> envelope, including the framework's own 404/405/413.</summary>
internal static partial class ErrorHandling
{
    /// <summary>Writes <paramref name="error"/> with <paramref name="status"/>.</summary>
    public static Task WriteAsync(HttpContext context, int status, ApiError error)
    {
        context.Response.StatusCode = status;
        return context.Response.WriteAsJsonAsync(new ErrorEnvelope(error), ApiJson.Options, "application/json", context.RequestAborted);
    }

    /// <summary>Turns exceptions into envelopes: ours as they are, malformed requests as 400, the rest as a logged 500.</summary>
    public static IApplicationBuilder UseErrorEnvelope(this IApplicationBuilder app)
    {
        app.Use(async (context, next) =>
        {
            try
            {
                await next(context);
            }
            catch (ApiException e) when (!context.Response.HasStarted)
            {
                await WriteAsync(context, e.Status, e.ToError());
            }
            catch (BadHttpRequestException e) when (!context.Response.HasStarted)
            {
                var message = e.StatusCode == StatusCodes.Status413PayloadTooLarge ? $"request body exceeds {RequestBody.MaxBytes} bytes (1 MiB)" : e.Message;
                await WriteAsync(context, StatusCodes.Status400BadRequest, new ApiError(ErrorCodes.ValidationFailed, message));
            }
            catch (Exception e) when (!context.Response.HasStarted && e is not OperationCanceledException)
            {
                var logger = context.RequestServices.GetRequiredService<ILoggerFactory>().CreateLogger("Otherix.Control.Http");
                LogUnhandled(logger, context.Request.Method, context.Request.Path, e);
                await WriteAsync(context, StatusCodes.Status500InternalServerError, new ApiError(ErrorCodes.Internal, "internal error; the control plane's log has the details"));
            }
        });
        app.UseStatusCodePages(async status =>
        {
            var context = status.HttpContext;
            var error = context.Response.StatusCode switch
            {
                StatusCodes.Status404NotFound => new ApiError(ErrorCodes.NotFound, $"no route for {context.Request.Method} {context.Request.Path}"),
                StatusCodes.Status405MethodNotAllowed => new ApiError(ErrorCodes.MethodNotAllowed, $"{context.Request.Method} is not allowed on {context.Request.Path}"),
                StatusCodes.Status413PayloadTooLarge => new ApiError(ErrorCodes.ValidationFailed, $"request body exceeds {RequestBody.MaxBytes} bytes (1 MiB)"),
                StatusCodes.Status415UnsupportedMediaType => new ApiError(ErrorCodes.ValidationFailed, "request body must be JSON (Content-Type: application/json)"),
                var s when s >= 500 => new ApiError(ErrorCodes.Internal, "internal error"),
                _ => new ApiError(ErrorCodes.ValidationFailed, $"request rejected with HTTP {context.Response.StatusCode}"),
            };
            var code = context.Response.StatusCode is StatusCodes.Status413PayloadTooLarge or StatusCodes.Status415UnsupportedMediaType ? 400 : context.Response.StatusCode;
            await WriteAsync(context, code, error);
        });
        return app;
    }

    [LoggerMessage(Level = LogLevel.Error, Message = "{Method} {Path} failed")]
    private static partial void LogUnhandled(ILogger logger, string method, string path, Exception exception);
}
