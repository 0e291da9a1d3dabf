using System.Net;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Moxing.Server.Tests.Store;

/// <summary>Starts a fake model source on loopback with two ports: the origin and its CDN are different hosts, as
/// huggingface.co and the Ollama registry and their file servers are.</summary>
internal static class OriginWithCdn
{
    /// <summary>Builds the app, lets <paramref name="create"/> make the fake and <paramref name="map"/> route to it, starts it;
    /// returns the fake with the origin's and the CDN's addresses.</summary>
    public static async Task<(T Fake, string Origin, string Cdn)> StartAsync<T>(Func<WebApplication, T> create, Action<WebApplication, T> map)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseKestrel(o =>
        {
            o.Listen(IPAddress.Loopback, 0);
            o.Listen(IPAddress.Loopback, 0);
        });
        var app = builder.Build();
        var fake = create(app);
        map(app, fake);
        await app.StartAsync();
        var addresses = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.ToArray();
        return (fake, addresses[0], addresses[1]);
    }
}
