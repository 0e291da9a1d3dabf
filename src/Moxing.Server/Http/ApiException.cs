using Moxing.Core;

namespace Moxing.Server.Http;

/// <summary>A request the server refuses: the HTTP status plus OpenAI's error fields (type, param, code).</summary>
public class ApiException(int status, string message, string type = "invalid_request_error", string? param = null, string? code = null,
    Exception? inner = null) : MoxingException(message, inner)
{
    /// <summary>HTTP status code.</summary>
    public int Status { get; } = status;

    /// <summary>OpenAI error type (invalid_request_error, not_found_error, server_error, …).</summary>
    public string Type { get; } = type;

    /// <summary>The request parameter at fault, if any.</summary>
    public string? Param { get; } = param;

    /// <summary>A machine-readable code (model_not_found, unsupported_parameter, …), if any.</summary>
    public string? Code { get; } = code;

    /// <summary>When the client may retry (429/503), sent as Retry-After.</summary>
    public TimeSpan? RetryAfter { get; init; }

    /// <summary>400: a parameter has a bad value.</summary>
    public static ApiException BadParameter(string param, string message) => new(400, message, param: param, code: "invalid_value");

    /// <summary>400: a parameter this server does not implement.</summary>
    public static ApiException Unsupported(string param, string? why = null) =>
        new(400, $"'{param}' is not supported by this server{(why is null ? "" : ": " + why)}", param: param, code: "unsupported_parameter");

    /// <summary>404: no model of that name.</summary>
    public static ApiException ModelNotFound(string name) =>
        new(404, $"the model '{name}' does not exist", "not_found_error", "model", "model_not_found");
}
