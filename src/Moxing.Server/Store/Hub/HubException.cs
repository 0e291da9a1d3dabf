using System.Net;
using Moxing.Core;

namespace Moxing.Server.Store.Hub;

/// <summary>The Hub (or mirror) refused a request: names the URL, the HTTP status and what to do about it.</summary>
public sealed class HubException(string message, HttpStatusCode? status = null) : MoxingException(message)
{
    /// <summary>The HTTP status, when the server answered.</summary>
    public HttpStatusCode? Status { get; } = status;

    /// <summary>True when retrying may help (server errors, rate limits).</summary>
    public bool Transient => Status is >= HttpStatusCode.InternalServerError or HttpStatusCode.TooManyRequests or HttpStatusCode.RequestTimeout;
}
