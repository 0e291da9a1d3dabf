using Moxing.Text.Templates.Runtime;

namespace Moxing.Text.Templates.Syntax;

/// <summary>An expression node; <see cref="Line"/> is its 1-based source line.</summary>
internal abstract record Expr(int Line);

internal sealed record LiteralExpr(Value Value, int Line) : Expr(Line);

internal sealed record NameExpr(string Name, int Line) : Expr(Line);

/// <summary><c>ns.attr</c> as an assignment target.</summary>
internal sealed record NamespaceRefExpr(string Name, string Attribute, int Line) : Expr(Line);

internal sealed record ListExpr(Expr[] Items, int Line) : Expr(Line);

internal sealed record TupleExpr(Expr[] Items, int Line) : Expr(Line);

internal sealed record DictExpr((Expr Key, Expr Value)[] Pairs, int Line) : Expr(Line);

internal sealed record GetAttrExpr(Expr Target, string Attribute, int Line) : Expr(Line);

internal sealed record GetItemExpr(Expr Target, Expr Index, int Line) : Expr(Line);

internal sealed record SliceExpr(Expr? Start, Expr? Stop, Expr? Step, int Line) : Expr(Line);

/// <summary>Arguments of a call, filter or test: positional, keyword, <c>*args</c> and <c>**kwargs</c>.</summary>
internal sealed record CallArgs(Expr[] Positional, (string Name, Expr Value)[] Keywords, Expr? DynArgs, Expr? DynKwargs)
{
    public static CallArgs None { get; } = new([], [], null, null);
}

internal sealed record CallExpr(Expr Target, CallArgs Args, int Line) : Expr(Line);

/// <summary><c>input | name(args)</c>; <see cref="Input"/> is null inside <c>{% filter %}</c> blocks.</summary>
internal sealed record FilterExpr(Expr? Input, string Name, CallArgs Args, int Line) : Expr(Line);

internal sealed record TestExpr(Expr Input, string Name, CallArgs Args, int Line) : Expr(Line);

internal enum UnaryOp { Not, Neg, Pos }

internal sealed record UnaryExpr(UnaryOp Op, Expr Operand, int Line) : Expr(Line);

internal enum BinaryOp { Add, Sub, Mul, Div, FloorDiv, Mod, Pow, And, Or }

internal sealed record BinaryExpr(BinaryOp Op, Expr Left, Expr Right, int Line) : Expr(Line);

internal sealed record ConcatExpr(Expr[] Parts, int Line) : Expr(Line);

internal enum CompareOp { Eq, Ne, Lt, LtEq, Gt, GtEq, In, NotIn }

internal sealed record CompareExpr(Expr First, (CompareOp Op, Expr Operand)[] Rest, int Line) : Expr(Line);

/// <summary><c>then if test else otherwise</c>; a missing else yields undefined.</summary>
internal sealed record CondExpr(Expr Test, Expr Then, Expr? Otherwise, int Line) : Expr(Line);
