namespace Moxing.Inference.Constraints;

/// <summary>Restricts which tokens may come next (constrained decoding); one instance per request, stateful.</summary>
public interface ITokenConstraint
{
    /// <summary>Sets the logits of every token that may not come next to negative infinity.</summary>
    void Mask(Span<float> logits);

    /// <summary>Advances the state by the token that was chosen.</summary>
    void Accept(int tokenId);

    /// <summary>True when the output is complete and only an end-of-sequence may follow.</summary>
    bool IsComplete { get; }
}
