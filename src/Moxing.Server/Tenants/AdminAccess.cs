using System.Security.Cryptography;
using System.Text;
using Microsoft.AspNetCore.Http;
using Moxing.Server.Http;

namespace Moxing.Server.Tenants;

/// <summary>Who may use the admin API: a stored admin key (<c>moxing keys create --admin</c>) or the server's <c>MOXING_ADMIN_KEY</c>.</summary>
public sealed class AdminAccess(ApiKeyStore keys, string? adminKey)
{
    private readonly byte[]? _adminKeyHash = string.IsNullOrEmpty(adminKey) ? null : SHA256.HashData(Encoding.UTF8.GetBytes(adminKey));

    /// <summary>Returns when the request carries admin credentials; else throws 401 (none or wrong ones) or 403 (a key that is not an admin key).</summary>
    public void Authorize(HttpContext context)
    {
        var header = context.Request.Headers.Authorization.ToString();
        var presented = header.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase) ? header[7..].Trim() : null;
        if (presented is { Length: > 0 } && _adminKeyHash is { } expected
            && CryptographicOperations.FixedTimeEquals(expected, SHA256.HashData(Encoding.UTF8.GetBytes(presented))))
            return;
        var (check, key) = keys.Check(presented);
        if (check != KeyCheck.Valid)
        {
            context.Response.Headers.WWWAuthenticate = "Bearer";
            throw new ApiException(401, "the admin API needs an admin key: send Authorization: Bearer <key> (moxing keys create --admin, or MOXING_ADMIN_KEY)",
                "authentication_error", code: check == KeyCheck.Missing ? "missing_api_key" : "invalid_api_key");
        }
        if (!key!.Admin)
            throw new ApiException(403, $"the API key {key.Id} is not an admin key", "permission_error", code: "admin_required");
    }
}
