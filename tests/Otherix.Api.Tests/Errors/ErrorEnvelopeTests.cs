using System.Text.Json;
using Otherix.Api.Errors;

namespace Otherix.Api.Tests.Errors;

public sealed class ErrorEnvelopeTests
{
    [Test]
    public void Serialize_UsesTheWireShape()
    {
        var envelope = new ErrorEnvelope(new ApiError(
            ErrorCodes.ValidationFailed,
            "name must not be a UUID",
            new Dictionary<string, object?> { ["field"] = "name" }));

        var json = JsonSerializer.Serialize(envelope);

        Assert.That(json, Is.EqualTo("""{"error":{"code":"validation_failed","message":"name must not be a UUID","details":{"field":"name"}}}"""));
    }

    [Test]
    public void Deserialize_ReadsCodeAndMessage()
    {
        var envelope = JsonSerializer.Deserialize<ErrorEnvelope>("""{"error":{"code":"permission_denied","message":"no"}}""");

        Assert.That(envelope?.Error.Code, Is.EqualTo(ErrorCodes.PermissionDenied));
        Assert.That(envelope?.Error.Message, Is.EqualTo("no"));
        Assert.That(envelope?.Error.Details, Is.Null);
    }
}
