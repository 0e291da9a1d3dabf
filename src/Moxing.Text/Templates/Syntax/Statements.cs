namespace Moxing.Text.Templates.Syntax;

/// <summary>A statement node; <see cref="Line"/> is its 1-based source line.</summary>
internal abstract record Stmt(int Line);

internal sealed record TextStmt(string Text, int Line) : Stmt(Line);

internal sealed record OutputStmt(Expr Value, int Line) : Stmt(Line);

internal sealed record IfStmt((Expr Test, Stmt[] Body)[] Branches, Stmt[] Else, int Line) : Stmt(Line);

internal sealed record ForStmt(Expr Target, Expr Iterable, Expr? Filter, Stmt[] Body, Stmt[] Else, bool Recursive, int Line) : Stmt(Line);

internal sealed record SetStmt(Expr Target, Expr Value, int Line) : Stmt(Line);

internal sealed record SetBlockStmt(Expr Target, FilterExpr? Filter, Stmt[] Body, int Line) : Stmt(Line);

/// <summary>A macro signature: parameter names and the defaults of the trailing ones.</summary>
internal sealed record MacroSignature(string[] Parameters, Expr[] Defaults, bool CatchVarargs, bool CatchKwargs, bool UsesCaller);

internal sealed record MacroStmt(string Name, MacroSignature Signature, Stmt[] Body, int Line) : Stmt(Line);

internal sealed record CallBlockStmt(CallExpr Call, MacroSignature Signature, Stmt[] Body, int Line) : Stmt(Line);

internal sealed record FilterBlockStmt(FilterExpr Filter, Stmt[] Body, int Line) : Stmt(Line);

internal sealed record WithStmt(Expr[] Targets, Expr[] Values, Stmt[] Body, int Line) : Stmt(Line);

/// <summary>HF's <c>{% generation %}</c> block: its body renders in its own scope.</summary>
internal sealed record ScopedBodyStmt(Stmt[] Body, int Line) : Stmt(Line);

internal sealed record BreakStmt(int Line) : Stmt(Line);

internal sealed record ContinueStmt(int Line) : Stmt(Line);
