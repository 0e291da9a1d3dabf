namespace Moxing.Inference.Scheduling;

/// <summary>How the scheduler admits a request against its KV memory.</summary>
public enum KvAdmission
{
    /// <summary>
    /// By what the request needs now (its prompt's blocks not found in the prefix cache, vLLM's way): running sequences take a
    /// block as they cross into one, and when none is left the latest admitted is preempted and recomputed later.
    /// </summary>
    OnDemand,

    /// <summary>By its worst case (prompt + max tokens, as llama-server's and Ollama's slots): never preempts, admits fewer.</summary>
    Reserve,
}
