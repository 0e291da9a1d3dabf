using System.Collections;

namespace Moxing.Server.Observability;

/// <summary>The logging scope of one request: every log line written while it runs carries its request id.</summary>
internal sealed class RequestScope(string requestId) : IReadOnlyList<KeyValuePair<string, object?>>
{
    public KeyValuePair<string, object?> this[int index] =>
        index == 0 ? new("request_id", requestId) : throw new ArgumentOutOfRangeException(nameof(index));

    public int Count => 1;

    public IEnumerator<KeyValuePair<string, object?>> GetEnumerator()
    {
        yield return this[0];
    }

    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();

    public override string ToString() => "request " + requestId;
}
