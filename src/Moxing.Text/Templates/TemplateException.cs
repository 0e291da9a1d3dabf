namespace Moxing.Text.Templates;

/// <summary>A template that cannot be parsed or rendered: a syntax error, a runtime error, or a message raised by the template itself.</summary>
public sealed class TemplateException : Moxing.Core.MoxingException
{
    /// <summary>Creates an exception whose message is exactly <paramref name="message"/>.</summary>
    public TemplateException(string message) : base(message, null) => Problem = message;

    /// <summary>Creates an exception for a problem at a position in the template source.</summary>
    public TemplateException(string problem, int line, int column)
        : base(column > 0 ? $"{problem} (line {line}, column {column})" : $"{problem} (line {line})", null)
    {
        Problem = problem;
        Line = line;
        Column = column;
    }

    /// <summary>Creates an exception wrapping another failure.</summary>
    public TemplateException(string message, Exception inner) : base(message, inner) => Problem = message;

    /// <summary>The problem without the position suffix.</summary>
    public string Problem { get; }

    /// <summary>1-based line of the problem in the template source, when known.</summary>
    public int? Line { get; }

    /// <summary>1-based column of the problem, when known (0 when only the line is known).</summary>
    public int? Column { get; }

    /// <summary>True when the template itself raised this through <c>raise_exception(msg)</c>; the message is then the template's text.</summary>
    public bool RaisedByTemplate { get; init; }

    internal TemplateException AtLine(int line) =>
        Line is not null || RaisedByTemplate ? this : new TemplateException(Problem, line, 0) { RaisedByTemplate = RaisedByTemplate };
}
