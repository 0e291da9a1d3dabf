namespace Moxing.Models.Decoder;

/// <summary>Buffers of a mixture-of-experts step of up to <c>tokens</c> tokens: router output, each token's choice, tokens grouped by expert.</summary>
internal sealed class MoeScratch
{
    /// <summary>Router logits, then probabilities [tokens, experts].</summary>
    public float[] Probabilities { get; }
    /// <summary>Each token's chosen experts [tokens, k] and their weights.</summary>
    public int[] Chosen { get; }
    public float[] ChosenWeight { get; }
    /// <summary>Tokens grouped by expert: expert e's are ExpertToken[ExpertStart[e] .. ExpertStart[e + 1]), with their weights.</summary>
    public int[] ExpertStart { get; }
    public int[] ExpertToken { get; }
    public float[] ExpertWeight { get; }
    /// <summary>One expert's input rows (its tokens gathered) and output rows [tokens, hidden].</summary>
    public float[] Input { get; }
    public float[] Output { get; }
    /// <summary>The shared expert's gate logit per token.</summary>
    public float[] SharedGate { get; }
    /// <summary>The routed experts' own norm of the stream [tokens, hidden] (<see cref="MoeOptions.BranchNorms"/>; empty without).</summary>
    public float[] Normed { get; }

    public MoeScratch(MoeOptions moe, int hidden, int tokens)
    {
        Probabilities = new float[tokens * moe.ExpertCount];
        Chosen = new int[tokens * moe.ExpertsUsed];
        ChosenWeight = new float[tokens * moe.ExpertsUsed];
        ExpertStart = new int[moe.ExpertCount + 1];
        ExpertToken = new int[tokens * moe.ExpertsUsed];
        ExpertWeight = new float[tokens * moe.ExpertsUsed];
        Input = new float[tokens * hidden];
        Output = new float[tokens * hidden];
        SharedGate = new float[tokens];
        Normed = new float[moe.BranchNorms ? tokens * hidden : 0];
    }
}
