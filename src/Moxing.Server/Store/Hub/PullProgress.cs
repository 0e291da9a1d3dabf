namespace Moxing.Server.Store.Hub;

/// <summary>The stage a pull is in (Ollama's /api/pull statuses map onto these).</summary>
public enum PullStage
{
    /// <summary>Listing the repository.</summary>
    Listing,
    /// <summary>Downloading one file.</summary>
    Downloading,
    /// <summary>Loading the downloaded model to check it.</summary>
    Verifying,
    /// <summary>Something the user should know about the model pulled (<see cref="PullProgress.Message"/>); the pull goes on.</summary>
    Notice,
    /// <summary>Registering the manifest.</summary>
    Writing,
    /// <summary>Done.</summary>
    Done,
}

/// <summary>One progress report of a pull.</summary>
/// <param name="Stage">What the pull is doing.</param>
/// <param name="File">The file being downloaded (Downloading), else null.</param>
/// <param name="Digest">The file's sha256 digest when known in advance, else null.</param>
/// <param name="Completed">Bytes of the file on disk so far (resumed bytes included).</param>
/// <param name="Total">The file's size when known.</param>
/// <param name="Message">What a <see cref="PullStage.Notice"/> says, else null.</param>
public sealed record PullProgress(PullStage Stage, string? File = null, string? Digest = null, long Completed = 0, long? Total = null, string? Message = null);
