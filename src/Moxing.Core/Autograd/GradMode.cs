namespace Moxing.Core.Autograd;

/// <summary>Whether ops record the graph on this thread; <see cref="NoGrad"/> turns recording off for a scope.</summary>
public static class GradMode
{
    [ThreadStatic] private static int _disabledDepth;

    /// <summary>True when ops on tensors that require grad are recorded on this thread.</summary>
    public static bool Enabled => _disabledDepth == 0;

    /// <summary>Stops recording until the returned scope is disposed (as PyTorch's torch.no_grad()).</summary>
    public static NoGradScope NoGrad()
    {
        _disabledDepth++;
        return new NoGradScope(true);
    }

    /// <summary>A scope with recording off; disposing it restores the previous mode.</summary>
    public readonly struct NoGradScope : IDisposable
    {
        private readonly bool _active;

        internal NoGradScope(bool active) => _active = active;

        /// <summary>Ends the scope.</summary>
        public void Dispose()
        {
            if (_active) _disabledDepth--;
        }
    }
}
