namespace Moxing.Text.Templates.Syntax;

/// <summary>Kinds of lexer tokens (jinja2's token types).</summary>
internal enum TokenKind
{
    Data,
    VariableBegin,
    VariableEnd,
    BlockBegin,
    BlockEnd,
    Name,
    String,
    Integer,
    Float,
    Add,
    Sub,
    Div,
    FloorDiv,
    Mul,
    Mod,
    Pow,
    Tilde,
    LBracket,
    RBracket,
    LParen,
    RParen,
    LBrace,
    RBrace,
    Eq,
    Ne,
    Gt,
    GtEq,
    Lt,
    LtEq,
    Assign,
    Dot,
    Colon,
    Pipe,
    Comma,
    Semicolon,
    Eof,
}

/// <summary>One token: its kind, text (name, string value or template data), number value and position.</summary>
internal readonly record struct Token(TokenKind Kind, string Text, long Integer, double Float, int Line, int Column)
{
    public bool IsName(string name) => Kind == TokenKind.Name && Text == name;

    /// <summary>How jinja2 describes a token in error messages.</summary>
    public string Describe() => Kind switch
    {
        TokenKind.Name => Text,
        TokenKind.Data => "template data / text",
        TokenKind.VariableBegin => "begin of print statement",
        TokenKind.VariableEnd => "end of print statement",
        TokenKind.BlockBegin => "begin of statement block",
        TokenKind.BlockEnd => "end of statement block",
        TokenKind.Eof => "end of template",
        TokenKind.String => "string",
        TokenKind.Integer => "integer",
        TokenKind.Float => "float",
        _ => OperatorText(Kind),
    };

    public static string OperatorText(TokenKind kind) => kind switch
    {
        TokenKind.Add => "+",
        TokenKind.Sub => "-",
        TokenKind.Div => "/",
        TokenKind.FloorDiv => "//",
        TokenKind.Mul => "*",
        TokenKind.Mod => "%",
        TokenKind.Pow => "**",
        TokenKind.Tilde => "~",
        TokenKind.LBracket => "[",
        TokenKind.RBracket => "]",
        TokenKind.LParen => "(",
        TokenKind.RParen => ")",
        TokenKind.LBrace => "{",
        TokenKind.RBrace => "}",
        TokenKind.Eq => "==",
        TokenKind.Ne => "!=",
        TokenKind.Gt => ">",
        TokenKind.GtEq => ">=",
        TokenKind.Lt => "<",
        TokenKind.LtEq => "<=",
        TokenKind.Assign => "=",
        TokenKind.Dot => ".",
        TokenKind.Colon => ":",
        TokenKind.Pipe => "|",
        TokenKind.Comma => ",",
        TokenKind.Semicolon => ";",
        _ => kind.ToString(),
    };
}
