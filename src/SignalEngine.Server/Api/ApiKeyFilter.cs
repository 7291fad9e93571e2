using System.Security.Cryptography;
using System.Text;
using SignalEngine.Server.Hosting;

namespace SignalEngine.Server.Api;

/// <summary>Every /v1 call needs <c>Authorization: Bearer &lt;key&gt;</c>; compared in constant time.</summary>
public sealed class ApiKeyFilter(EngineSettings settings) : IEndpointFilter
{
    private readonly byte[] _expected = Encoding.UTF8.GetBytes(settings.ApiKey);

    public async ValueTask<object?> InvokeAsync(EndpointFilterInvocationContext context, EndpointFilterDelegate next)
    {
        var header = context.HttpContext.Request.Headers.Authorization.ToString();
        const string scheme = "Bearer ";
        if (!header.StartsWith(scheme, StringComparison.OrdinalIgnoreCase))
            return Unauthorized(context.HttpContext, "missing API key: send 'Authorization: Bearer <key>'");
        var presented = Encoding.UTF8.GetBytes(header[scheme.Length..].Trim());
        if (!CryptographicOperations.FixedTimeEquals(presented, _expected))
            return Unauthorized(context.HttpContext, "wrong API key");
        return await next(context);
    }

    private static IResult Unauthorized(HttpContext context, string message)
    {
        context.Response.Headers.WWWAuthenticate = "Bearer";
        return ApiJson.Error(StatusCodes.Status401Unauthorized, message);
    }
}
