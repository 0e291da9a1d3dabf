using System.Net;
using Moxing.Core;

namespace Moxing.Server.Store.Hub;

/// <summary>A pull failed (the Hub, an Ollama registry or a mirror refused, or a download broke or did not match): names the URL, the HTTP status and what to do about it.</summary>
public sealed class HubException(string message, HttpStatusCode? status = null) : MoxingException(message)
{
    /// <summary>The HTTP status, when the server answered.</summary>
    public HttpStatusCode? Status { get; } = status;

    /// <summary>True when retrying may help (server errors, rate limits).</summary>
    public bool Transient => Status is >= HttpStatusCode.InternalServerError or HttpStatusCode.TooManyRequests or HttpStatusCode.RequestTimeout;
}
