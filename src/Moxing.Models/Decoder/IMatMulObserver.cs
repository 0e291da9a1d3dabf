namespace Moxing.Models.Decoder;

/// <summary>Sees the activations entering every weight-matrix product of a decoder forward (what an importance matrix sums).</summary>
public interface IMatMulObserver
{
    /// <summary>Called before the weight named <paramref name="weightName"/> multiplies <paramref name="input"/> ([<paramref name="rows"/>, columns]).</summary>
    void Observe(string weightName, ReadOnlySpan<float> input, int rows);
}
