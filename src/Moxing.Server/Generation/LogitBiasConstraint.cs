using Moxing.Inference.Constraints;

namespace Moxing.Server.Generation;

/// <summary>
/// OpenAI's <c>logit_bias</c>: adds a fixed bias to chosen tokens' logits at every step (−100 in effect bans a token), then
/// applies the request's own constraint, if any.
/// </summary>
public sealed class LogitBiasConstraint(IReadOnlyDictionary<int, float> bias, ITokenConstraint? inner) : ITokenConstraint
{
    private readonly KeyValuePair<int, float>[] _bias = bias.ToArray();

    /// <inheritdoc />
    public void Mask(Span<float> logits)
    {
        foreach (var (id, value) in _bias)
            if ((uint)id < (uint)logits.Length) logits[id] += value;
        inner?.Mask(logits);
    }

    /// <inheritdoc />
    public void Accept(int tokenId) => inner?.Accept(tokenId);

    /// <inheritdoc />
    public bool IsComplete => inner?.IsComplete ?? false;
}
