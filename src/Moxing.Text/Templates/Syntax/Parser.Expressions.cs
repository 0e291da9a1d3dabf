using Moxing.Text.Templates.Runtime;

namespace Moxing.Text.Templates.Syntax;

internal sealed partial class Parser
{
    private Expr ParseExpression(bool withCondExpr = true) => withCondExpr ? ParseCondExpr() : ParseOr();

    private Expr ParseCondExpr()
    {
        using var guard = Enter();
        var line = Current.Line;
        var mark = _unknownNames.Count;
        var expr = ParseOr();
        while (SkipIfName("if"))
        {
            for (var i = mark; i < _unknownNames.Count; i++) _unknownNames[i] = _unknownNames[i] with { Soft = true };
            var wasSoft = _soft;
            _soft = true;
            var test = ParseOr();
            Expr? otherwise = SkipIfName("else") ? ParseCondExpr() : null;
            _soft = wasSoft;
            expr = new CondExpr(test, expr, otherwise, line);
            line = Current.Line;
        }
        return expr;
    }

    private Expr ParseOr()
    {
        var line = Current.Line;
        var left = ParseAnd();
        while (SkipIfName("or"))
        {
            left = new BinaryExpr(BinaryOp.Or, left, ParseAnd(), line);
            line = Current.Line;
        }
        return left;
    }

    private Expr ParseAnd()
    {
        var line = Current.Line;
        var left = ParseNot();
        while (SkipIfName("and"))
        {
            left = new BinaryExpr(BinaryOp.And, left, ParseNot(), line);
            line = Current.Line;
        }
        return left;
    }

    private Expr ParseNot()
    {
        if (Current.IsName("not"))
        {
            using var guard = Enter();
            var line = Next().Line;
            return new UnaryExpr(UnaryOp.Not, ParseNot(), line);
        }
        return ParseCompare();
    }

    private Expr ParseCompare()
    {
        var line = Current.Line;
        var first = ParseMath1();
        var ops = new List<(CompareOp, Expr)>();
        while (true)
        {
            CompareOp op;
            switch (Current.Kind)
            {
                case TokenKind.Eq: op = CompareOp.Eq; break;
                case TokenKind.Ne: op = CompareOp.Ne; break;
                case TokenKind.Lt: op = CompareOp.Lt; break;
                case TokenKind.LtEq: op = CompareOp.LtEq; break;
                case TokenKind.Gt: op = CompareOp.Gt; break;
                case TokenKind.GtEq: op = CompareOp.GtEq; break;
                default:
                    if (Current.IsName("in")) op = CompareOp.In;
                    else if (Current.IsName("not") && Peek().IsName("in"))
                    {
                        Next();
                        op = CompareOp.NotIn;
                    }
                    else return ops.Count == 0 ? first : new CompareExpr(first, [.. ops], line);
                    break;
            }
            Next();
            ops.Add((op, ParseMath1()));
        }
    }

    private Expr ParseMath1()
    {
        var line = Current.Line;
        var left = ParseConcat();
        while (Current.Kind is TokenKind.Add or TokenKind.Sub)
        {
            var op = Next().Kind == TokenKind.Add ? BinaryOp.Add : BinaryOp.Sub;
            left = new BinaryExpr(op, left, ParseConcat(), line);
            line = Current.Line;
        }
        return left;
    }

    private Expr ParseConcat()
    {
        var line = Current.Line;
        var first = ParseMath2();
        if (Current.Kind != TokenKind.Tilde) return first;
        var parts = new List<Expr> { first };
        while (SkipIf(TokenKind.Tilde)) parts.Add(ParseMath2());
        return new ConcatExpr([.. parts], line);
    }

    private Expr ParseMath2()
    {
        var line = Current.Line;
        var left = ParsePow();
        while (Current.Kind is TokenKind.Mul or TokenKind.Div or TokenKind.FloorDiv or TokenKind.Mod)
        {
            var op = Next().Kind switch
            {
                TokenKind.Mul => BinaryOp.Mul,
                TokenKind.Div => BinaryOp.Div,
                TokenKind.FloorDiv => BinaryOp.FloorDiv,
                _ => BinaryOp.Mod,
            };
            left = new BinaryExpr(op, left, ParsePow(), line);
            line = Current.Line;
        }
        return left;
    }

    private Expr ParsePow()
    {
        var line = Current.Line;
        var left = ParseUnary();
        while (SkipIf(TokenKind.Pow))
        {
            left = new BinaryExpr(BinaryOp.Pow, left, ParseUnary(), line);
            line = Current.Line;
        }
        return left;
    }

    private Expr ParseUnary(bool withFilter = true)
    {
        using var guard = Enter();
        var token = Current;
        Expr node;
        if (token.Kind == TokenKind.Sub)
        {
            Next();
            node = new UnaryExpr(UnaryOp.Neg, ParseUnary(false), token.Line);
        }
        else if (token.Kind == TokenKind.Add)
        {
            Next();
            node = new UnaryExpr(UnaryOp.Pos, ParseUnary(false), token.Line);
        }
        else node = ParsePrimary();
        node = ParsePostfix(node);
        return withFilter ? ParseFilterExpr(node) : node;
    }

    private Expr ParsePrimary(bool withNamespace = false)
    {
        using var guard = Enter();
        var token = Current;
        switch (token.Kind)
        {
            case TokenKind.Name:
                Next();
                switch (token.Text)
                {
                    case "true" or "True": return new LiteralExpr(BoolValue.True, token.Line);
                    case "false" or "False": return new LiteralExpr(BoolValue.False, token.Line);
                    case "none" or "None": return new LiteralExpr(NoneValue.Instance, token.Line);
                }
                if (withNamespace && Current.Kind == TokenKind.Dot)
                {
                    Next();
                    return new NamespaceRefExpr(token.Text, Expect(TokenKind.Name, "name").Text, token.Line);
                }
                NoteNameUse(token.Text);
                return new NameExpr(token.Text, token.Line);
            case TokenKind.String:
                Next();
                var text = token.Text;
                while (Current.Kind == TokenKind.String) text += Next().Text;
                return new LiteralExpr(new StringValue(text), token.Line);
            case TokenKind.Integer:
                Next();
                return new LiteralExpr(new IntValue(token.Integer), token.Line);
            case TokenKind.Float:
                Next();
                return new LiteralExpr(new FloatValue(token.Float), token.Line);
            case TokenKind.LParen:
                Next();
                var inner = ParseTuple(explicitParentheses: true);
                Expect(TokenKind.RParen);
                return inner;
            case TokenKind.LBracket:
                return ParseList();
            case TokenKind.LBrace:
                return ParseDict();
            default:
                throw Fail($"unexpected '{token.Describe()}'");
        }
    }

    /// <summary>Macros capture <c>caller</c>, <c>varargs</c> and <c>kwargs</c> only when their bodies use those names.</summary>
    private void NoteNameUse(string name)
    {
        var index = name switch { "caller" => 0, "varargs" => 1, "kwargs" => 2, _ => -1 };
        if (index < 0) return;
        foreach (var frame in _macroNameUse) frame[index] = true;
    }

    private Expr ParseTuple(bool simplified = false, bool withCondExpr = true, string? extraEnd = null,
        bool explicitParentheses = false, bool withNamespace = false)
    {
        var line = Current.Line;
        var items = new List<Expr>();
        var isTuple = false;
        while (true)
        {
            if (items.Count > 0) Expect(TokenKind.Comma);
            if (IsTupleEnd(extraEnd)) break;
            items.Add(simplified ? ParsePrimary(withNamespace) : ParseExpression(withCondExpr));
            if (Current.Kind == TokenKind.Comma) isTuple = true;
            else break;
            line = Current.Line;
        }
        if (!isTuple)
        {
            if (items.Count > 0) return items[0];
            if (!explicitParentheses) throw Fail($"Expected an expression, got '{Current.Describe()}'");
        }
        return new TupleExpr([.. items], line);
    }

    private bool IsTupleEnd(string? extraEnd) =>
        Current.Kind is TokenKind.VariableEnd or TokenKind.BlockEnd or TokenKind.RParen ||
        (extraEnd is not null && Current.IsName(extraEnd));

    private ListExpr ParseList()
    {
        var token = Expect(TokenKind.LBracket);
        var items = new List<Expr>();
        while (Current.Kind != TokenKind.RBracket)
        {
            if (items.Count > 0) Expect(TokenKind.Comma);
            if (Current.Kind == TokenKind.RBracket) break;
            items.Add(ParseExpression());
        }
        Expect(TokenKind.RBracket);
        return new ListExpr([.. items], token.Line);
    }

    private DictExpr ParseDict()
    {
        var token = Expect(TokenKind.LBrace);
        var pairs = new List<(Expr, Expr)>();
        while (Current.Kind != TokenKind.RBrace)
        {
            if (pairs.Count > 0) Expect(TokenKind.Comma);
            if (Current.Kind == TokenKind.RBrace) break;
            var key = ParseExpression();
            Expect(TokenKind.Colon);
            pairs.Add((key, ParseExpression()));
        }
        Expect(TokenKind.RBrace);
        return new DictExpr([.. pairs], token.Line);
    }

    private Expr ParsePostfix(Expr node)
    {
        while (true)
        {
            switch (Current.Kind)
            {
                case TokenKind.Dot or TokenKind.LBracket: node = ParseSubscript(node); break;
                case TokenKind.LParen: node = ParseCall(node); break;
                default: return node;
            }
        }
    }

    private Expr ParseFilterExpr(Expr node)
    {
        while (true)
        {
            if (Current.Kind == TokenKind.Pipe) node = ParseFilterChain(node, startInline: false)!;
            else if (Current.IsName("is")) node = ParseTest(node);
            else if (Current.Kind == TokenKind.LParen) node = ParseCall(node);
            else return node;
        }
    }

    private Expr ParseSubscript(Expr node)
    {
        var token = Next();
        if (token.Kind == TokenKind.Dot)
        {
            var attr = Next();
            if (attr.Kind == TokenKind.Name) return new GetAttrExpr(node, attr.Text, token.Line);
            if (attr.Kind != TokenKind.Integer) throw Fail("expected name or number", attr);
            return new GetItemExpr(node, new LiteralExpr(new IntValue(attr.Integer), attr.Line), token.Line);
        }
        var args = new List<Expr>();
        while (Current.Kind != TokenKind.RBracket)
        {
            if (args.Count > 0) Expect(TokenKind.Comma);
            args.Add(ParseSubscribed());
        }
        Expect(TokenKind.RBracket);
        return new GetItemExpr(node, args.Count == 1 ? args[0] : new TupleExpr([.. args], token.Line), token.Line);
    }

    private Expr ParseSubscribed()
    {
        var line = Current.Line;
        Expr? start = null;
        if (Current.Kind == TokenKind.Colon) Next();
        else
        {
            start = ParseExpression();
            if (Current.Kind != TokenKind.Colon) return start;
            Next();
        }
        Expr? stop = Current.Kind is TokenKind.Colon or TokenKind.RBracket or TokenKind.Comma ? null : ParseExpression();
        Expr? step = null;
        if (SkipIf(TokenKind.Colon) && Current.Kind is not (TokenKind.RBracket or TokenKind.Comma)) step = ParseExpression();
        return new SliceExpr(start, stop, step, line);
    }

    private CallArgs ParseCallArgs()
    {
        var open = Expect(TokenKind.LParen);
        var positional = new List<Expr>();
        var keywords = new List<(string, Expr)>();
        Expr? dynArgs = null, dynKwargs = null;
        var requireComma = false;
        while (Current.Kind != TokenKind.RParen)
        {
            if (requireComma)
            {
                Expect(TokenKind.Comma);
                if (Current.Kind == TokenKind.RParen) break;
            }
            if (Current.Kind == TokenKind.Mul)
            {
                Ensure(dynArgs is null && dynKwargs is null, open);
                Next();
                dynArgs = ParseExpression();
            }
            else if (Current.Kind == TokenKind.Pow)
            {
                Ensure(dynKwargs is null, open);
                Next();
                dynKwargs = ParseExpression();
            }
            else if (Current.Kind == TokenKind.Name && Peek().Kind == TokenKind.Assign)
            {
                Ensure(dynKwargs is null, open);
                var key = Next().Text;
                Next();
                keywords.Add((key, ParseExpression()));
            }
            else
            {
                Ensure(dynArgs is null && dynKwargs is null && keywords.Count == 0, open);
                positional.Add(ParseExpression());
            }
            requireComma = true;
        }
        Expect(TokenKind.RParen);
        return positional.Count == 0 && keywords.Count == 0 && dynArgs is null && dynKwargs is null
            ? CallArgs.None
            : new CallArgs([.. positional], [.. keywords], dynArgs, dynKwargs);
    }

    private void Ensure(bool condition, Token at)
    {
        if (!condition) throw Fail("invalid syntax for function call expression", at);
    }

    private CallExpr ParseCall(Expr node)
    {
        var line = Current.Line;
        return new CallExpr(node, ParseCallArgs(), line);
    }

    /// <summary>Parses <c>| name(args)</c> repeatedly; with <paramref name="startInline"/> the first pipe is implicit (filter blocks).</summary>
    private FilterExpr? ParseFilterChain(Expr? node, bool startInline)
    {
        FilterExpr? result = null;
        while (Current.Kind == TokenKind.Pipe || startInline)
        {
            if (!startInline) Next();
            var token = Expect(TokenKind.Name, "name");
            var name = token.Text;
            while (SkipIf(TokenKind.Dot)) name += "." + Expect(TokenKind.Name, "name").Text;
            if (!FilterRegistry.Exists(name)) _unknownNames.Add(new UnknownName($"No filter named '{name}'.", token, _soft));
            var args = Current.Kind == TokenKind.LParen ? ParseCallArgs() : CallArgs.None;
            result = new FilterExpr(node, name, args, token.Line);
            node = result;
            startInline = false;
        }
        return result;
    }

    private Expr ParseTest(Expr node)
    {
        var token = Next();
        var negated = SkipIfName("not");
        var nameToken = Expect(TokenKind.Name, "name");
        var name = nameToken.Text;
        while (SkipIf(TokenKind.Dot)) name += "." + Expect(TokenKind.Name, "name").Text;
        if (!TestRegistry.Exists(name)) _unknownNames.Add(new UnknownName($"No test named '{name}'.", nameToken, _soft));
        CallArgs args;
        if (Current.Kind == TokenKind.LParen) args = ParseCallArgs();
        else if (Current.Kind is TokenKind.Name or TokenKind.String or TokenKind.Integer or TokenKind.Float
                     or TokenKind.LParen or TokenKind.LBracket or TokenKind.LBrace
                 && !Current.IsName("else") && !Current.IsName("or") && !Current.IsName("and"))
        {
            if (Current.IsName("is")) throw Fail("You cannot chain multiple tests with is");
            args = new CallArgs([ParsePostfix(ParsePrimary())], [], null, null);
        }
        else args = CallArgs.None;
        Expr test = new TestExpr(node, name, args, token.Line);
        return negated ? new UnaryExpr(UnaryOp.Not, test, token.Line) : test;
    }
}
