using Moxing.Text.Templates.Runtime;

namespace Moxing.Text.Templates.Syntax;

/// <summary>Recursive-descent parser over the token list, following jinja2's grammar and operator precedence.</summary>
internal sealed partial class Parser
{
    private static readonly HashSet<string> UnsupportedTags = ["block", "extends", "include", "import", "from", "autoescape"];

    private readonly List<Token> _tokens;
    private readonly int _maxNesting;
    private readonly Stack<string[]> _endTokens = new();
    private readonly Stack<bool[]> _macroNameUse = new();
    private readonly List<UnknownName> _unknownNames = [];
    private int _pos;
    private int _depth;
    private int _loopDepth;
    private bool _soft;

    private Parser(List<Token> tokens, int maxNesting)
    {
        _tokens = tokens;
        _maxNesting = maxNesting;
    }

    public static Stmt[] Parse(string source, TemplateLimits limits)
    {
        var parser = new Parser(Lexer.Tokenize(source), limits.MaxNesting);
        var body = parser.Subparse(null);
        foreach (var unknown in parser._unknownNames)
            if (!unknown.Soft) throw parser.Fail(unknown.Problem, unknown.At);
        return body;
    }

    /// <summary>A filter or test name not known at parse time; inside <c>if</c> it only fails when evaluated, as in jinja2.</summary>
    private readonly record struct UnknownName(string Problem, Token At, bool Soft);

    private Token Current => _tokens[_pos];

    private Token Peek(int ahead = 1) => _tokens[Math.Min(_pos + ahead, _tokens.Count - 1)];

    private Token Next()
    {
        var t = _tokens[_pos];
        if (_pos < _tokens.Count - 1) _pos++;
        return t;
    }

    private bool SkipIf(TokenKind kind)
    {
        if (Current.Kind != kind) return false;
        Next();
        return true;
    }

    private bool SkipIfName(string name)
    {
        if (!Current.IsName(name)) return false;
        Next();
        return true;
    }

    private Token Expect(TokenKind kind, string? describe = null)
    {
        if (Current.Kind == kind) return Next();
        var what = describe ?? Token.OperatorText(kind) switch
        {
            var s when s == kind.ToString() => DescribeKind(kind),
            var s => s,
        };
        if (Current.Kind == TokenKind.Eof) throw Fail($"unexpected end of template, expected '{what}'.");
        throw Fail($"expected token '{what}', got '{Current.Describe()}'");
    }

    private static string DescribeKind(TokenKind kind) => kind switch
    {
        TokenKind.BlockEnd => "end of statement block",
        TokenKind.VariableEnd => "end of print statement",
        TokenKind.Name => "name",
        _ => kind.ToString().ToLowerInvariant(),
    };

    private void ExpectName(string name)
    {
        if (Current.IsName(name))
        {
            Next();
            return;
        }
        if (Current.Kind == TokenKind.Eof) throw Fail($"unexpected end of template, expected '{name}'.");
        throw Fail($"expected token '{name}', got '{Current.Describe()}'");
    }

    private TemplateException Fail(string problem, Token? at = null)
    {
        var t = at ?? Current;
        return new TemplateException(problem, t.Line, t.Column);
    }

    /// <summary>Guards recursion so deeply nested input fails cleanly instead of overflowing the stack.</summary>
    private DepthGuard Enter()
    {
        if (++_depth > _maxNesting)
        {
            _depth--;
            throw Fail("template nesting too deep");
        }
        return new DepthGuard(this);
    }

    private readonly struct DepthGuard(Parser parser) : IDisposable
    {
        public void Dispose() => parser._depth--;
    }

    /// <summary>Parses statements and data until one of <paramref name="endTokens"/> (tag names) opens a block.</summary>
    private Stmt[] Subparse(string[]? endTokens)
    {
        using var guard = Enter();
        var body = new List<Stmt>();
        if (endTokens is not null) _endTokens.Push(endTokens);
        try
        {
            while (Current.Kind != TokenKind.Eof)
            {
                var token = Current;
                switch (token.Kind)
                {
                    case TokenKind.Data:
                        body.Add(new TextStmt(token.Text, token.Line));
                        Next();
                        break;
                    case TokenKind.VariableBegin:
                        Next();
                        body.Add(new OutputStmt(ParseTuple(withCondExpr: true), token.Line));
                        Expect(TokenKind.VariableEnd);
                        break;
                    case TokenKind.BlockBegin:
                        Next();
                        if (endTokens is not null && Current.Kind == TokenKind.Name && endTokens.Contains(Current.Text)) return [.. body];
                        body.AddRange(ParseStatement());
                        Expect(TokenKind.BlockEnd);
                        break;
                    default:
                        throw Fail($"unexpected '{token.Describe()}'");
                }
            }
            return [.. body];
        }
        finally
        {
            if (endTokens is not null) _endTokens.Pop();
        }
    }

    /// <summary>Parses a statement body up to an end tag; the current token is then the end tag's name.</summary>
    private Stmt[] ParseStatements(string[] endTokens, bool dropNeedle = false)
    {
        SkipIf(TokenKind.Colon);
        Expect(TokenKind.BlockEnd);
        var result = Subparse(endTokens);
        if (Current.Kind == TokenKind.Eof) throw FailEof(endTokens);
        if (dropNeedle) Next();
        return result;
    }

    private TemplateException FailEof(string[] endTokens)
    {
        var expected = string.Join(" or ", endTokens.Select(e => $"'{e}'"));
        var innermost = _endTokens.Count > 0 ? _endTokens.Peek() : endTokens;
        return Fail($"Unexpected end of template. Jinja was looking for the following tags: {expected}. " +
                    $"The innermost block that needs to be closed is '{innermost[0]}'.");
    }

    private IEnumerable<Stmt> ParseStatement()
    {
        var token = Current;
        if (token.Kind != TokenKind.Name) throw Fail("tag name expected");
        using var guard = Enter();
        switch (token.Text)
        {
            case "if": return [ParseIf()];
            case "for": return [ParseFor()];
            case "set": return [ParseSet()];
            case "macro": return [ParseMacro()];
            case "call": return [ParseCallBlock()];
            case "filter": return [ParseFilterBlock()];
            case "with": return [ParseWith()];
            case "print": return ParsePrint();
            case "generation": return [ParseGeneration()];
            case "break" or "continue":
                Next();
                if (_loopDepth == 0) throw Fail($"'{token.Text}' outside loop", token);
                return token.Text == "break" ? [new BreakStmt(token.Line)] : [new ContinueStmt(token.Line)];
        }
        if (UnsupportedTags.Contains(token.Text)) throw Fail($"The '{token.Text}' tag is not supported in chat templates.");
        throw FailUnknownTag(token);
    }

    private TemplateException FailUnknownTag(Token token)
    {
        var message = $"Encountered unknown tag '{token.Text}'.";
        if (_endTokens.Count > 0)
        {
            var expected = string.Join(" or ", _endTokens.Peek().Select(e => $"'{e}'"));
            message += $" Jinja was looking for the following tags: {expected}. The innermost block that needs to be closed is '{_endTokens.Peek()[0]}'.";
        }
        return Fail(message, token);
    }

    private IfStmt ParseIf()
    {
        var line = Next().Line;
        var branches = new List<(Expr, Stmt[])>();
        var wasSoft = _soft;
        _soft = true;
        try
        {
            while (true)
            {
                var test = ParseTuple(withCondExpr: false);
                var body = ParseStatements(["elif", "else", "endif"]);
                branches.Add((test, body));
                var token = Next();
                if (token.IsName("elif")) continue;
                var elseBody = token.IsName("else") ? ParseStatements(["endif"], dropNeedle: true) : [];
                return new IfStmt([.. branches], elseBody, line);
            }
        }
        finally
        {
            _soft = wasSoft;
        }
    }

    private ForStmt ParseFor()
    {
        var line = Next().Line;
        var target = ParseAssignTarget(extraEnd: "in");
        ExpectName("in");
        var iterable = ParseTuple(withCondExpr: false, extraEnd: "recursive");
        using var hard = Harden();
        Expr? filter = SkipIfName("if") ? ParseExpression() : null;
        var recursive = SkipIfName("recursive");
        _loopDepth++;
        Stmt[] body;
        try
        {
            body = ParseStatements(["endfor", "else"]);
        }
        finally
        {
            _loopDepth--;
        }
        var elseBody = Next().Text == "endfor" ? [] : ParseStatements(["endfor"], dropNeedle: true);
        return new ForStmt(target, iterable, filter, body, elseBody, recursive, line);
    }

    private Stmt ParseSet()
    {
        var line = Next().Line;
        var target = ParseAssignTarget(withNamespace: true);
        if (SkipIf(TokenKind.Assign)) return new SetStmt(target, ParseTuple(), line);
        using var hard = Harden();
        var filter = Current.Kind == TokenKind.Pipe ? ParseFilterChain(null, startInline: false) : null;
        var body = ParseStatements(["endset"], dropNeedle: true);
        return new SetBlockStmt(target, filter, body, line);
    }

    private MacroStmt ParseMacro()
    {
        var line = Next().Line;
        using var hard = Harden();
        var name = Expect(TokenKind.Name, "name").Text;
        var (parameters, defaults) = ParseSignature();
        var (body, uses) = ParseFunctionBody(["endmacro"]);
        return new MacroStmt(name, new MacroSignature(parameters, defaults, uses[1], uses[2], uses[0]), body, line);
    }

    private CallBlockStmt ParseCallBlock()
    {
        var line = Next().Line;
        var (parameters, defaults) = Current.Kind == TokenKind.LParen ? ParseSignature() : ([], []);
        var callToken = Current;
        if (ParseExpression() is not CallExpr call) throw Fail("expected call", callToken);
        var (body, uses) = ParseFunctionBody(["endcall"]);
        return new CallBlockStmt(call, new MacroSignature(parameters, defaults, uses[1], uses[2], uses[0]), body, line);
    }

    /// <summary>A macro or caller body: its own frame, where loop controls of enclosing loops do not apply.</summary>
    private (Stmt[] Body, bool[] Uses) ParseFunctionBody(string[] end)
    {
        using var hard = Harden();
        var uses = new bool[3];
        _macroNameUse.Push(uses);
        var outerLoops = _loopDepth;
        _loopDepth = 0;
        try
        {
            return (ParseStatements(end, dropNeedle: true), uses);
        }
        finally
        {
            _loopDepth = outerLoops;
            _macroNameUse.Pop();
        }
    }

    private (string[] Parameters, Expr[] Defaults) ParseSignature()
    {
        var parameters = new List<string>();
        var defaults = new List<Expr>();
        Expect(TokenKind.LParen);
        while (Current.Kind != TokenKind.RParen)
        {
            if (parameters.Count > 0) Expect(TokenKind.Comma);
            var name = Expect(TokenKind.Name, "name").Text;
            if (SkipIf(TokenKind.Assign)) defaults.Add(ParseExpression());
            else if (defaults.Count > 0) throw Fail("non-default argument follows default argument");
            parameters.Add(name);
        }
        Expect(TokenKind.RParen);
        return ([.. parameters], [.. defaults]);
    }

    private FilterBlockStmt ParseFilterBlock()
    {
        var line = Next().Line;
        using var hard = Harden();
        var filter = ParseFilterChain(null, startInline: true)!;
        var body = ParseStatements(["endfilter"], dropNeedle: true);
        return new FilterBlockStmt(filter, body, line);
    }

    private WithStmt ParseWith()
    {
        var line = Next().Line;
        using var hard = Harden();
        var targets = new List<Expr>();
        var values = new List<Expr>();
        while (Current.Kind != TokenKind.BlockEnd)
        {
            if (targets.Count > 0) Expect(TokenKind.Comma);
            targets.Add(ParseAssignTarget());
            Expect(TokenKind.Assign);
            values.Add(ParseExpression());
        }
        var body = ParseStatements(["endwith"], dropNeedle: true);
        return new WithStmt([.. targets], [.. values], body, line);
    }

    private IEnumerable<Stmt> ParsePrint()
    {
        var line = Next().Line;
        var items = new List<Stmt>();
        while (Current.Kind != TokenKind.BlockEnd)
        {
            if (items.Count > 0) Expect(TokenKind.Comma);
            items.Add(new OutputStmt(ParseExpression(), line));
        }
        return items;
    }

    private ScopedBodyStmt ParseGeneration()
    {
        var line = Next().Line;
        var (body, _) = ParseFunctionBody(["endgeneration"]);
        return new ScopedBodyStmt(body, line);
    }

    /// <summary>Unknown filters and tests fail at parse time except directly inside <c>if</c> (jinja2's soft frames).</summary>
    private SoftGuard Harden()
    {
        var guard = new SoftGuard(this, _soft);
        _soft = false;
        return guard;
    }

    private readonly struct SoftGuard(Parser parser, bool wasSoft) : IDisposable
    {
        public void Dispose() => parser._soft = wasSoft;
    }

    private Expr ParseAssignTarget(string? extraEnd = null, bool withNamespace = false)
    {
        var token = Current;
        var target = ParseTuple(simplified: true, extraEnd: extraEnd, withNamespace: withNamespace);
        if (!CanAssign(target)) throw Fail($"can't assign to '{NodeName(target)}'", token);
        return target;
    }

    private static bool CanAssign(Expr e) => e switch
    {
        NameExpr n => n.Name is not ("true" or "false" or "none" or "True" or "False" or "None"),
        NamespaceRefExpr => true,
        TupleExpr t => t.Items.All(CanAssign),
        _ => false,
    };

    private static string NodeName(Expr e) => e switch
    {
        LiteralExpr => "const",
        ListExpr => "list",
        DictExpr => "dict",
        _ => e.GetType().Name.Replace("Expr", "").ToLowerInvariant(),
    };
}
