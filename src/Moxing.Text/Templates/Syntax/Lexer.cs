using System.Globalization;
using System.Text;
using Moxing.Text.Templates.Runtime;

namespace Moxing.Text.Templates.Syntax;

/// <summary>
/// Splits template source into tokens exactly as jinja2's lexer does with <c>trim_blocks=True</c>,
/// <c>lstrip_blocks=True</c> and <c>keep_trailing_newline=False</c>, applying whitespace control to the data tokens.
/// </summary>
internal sealed class Lexer
{
    private readonly string _src;
    private readonly int[] _lineStarts;
    private readonly List<Token> _tokens = [];
    private int _pos;
    private bool _lineStarting = true;

    private Lexer(string source)
    {
        _src = Normalize(source);
        var starts = new List<int> { 0 };
        for (var i = 0; i < _src.Length; i++)
            if (_src[i] == '\n') starts.Add(i + 1);
        _lineStarts = [.. starts];
    }

    public static List<Token> Tokenize(string source)
    {
        var lexer = new Lexer(source);
        lexer.Run();
        return lexer._tokens;
    }

    /// <summary>Newlines become <c>\n</c> and one trailing newline is dropped, as jinja2 does before lexing.</summary>
    private static string Normalize(string source)
    {
        var s = source.Contains('\r') ? source.Replace("\r\n", "\n").Replace('\r', '\n') : source;
        return s.EndsWith('\n') ? s[..^1] : s;
    }

    private void Run()
    {
        while (_pos < _src.Length)
        {
            var tag = FindTagStart(_pos);
            if (tag < 0)
            {
                AddData(_src[_pos..], _pos);
                break;
            }
            var opener = _src[tag + 1];
            var sign = tag + 2 < _src.Length && _src[tag + 2] is '-' or '+' ? _src[tag + 2] : '\0';
            var rawEnd = opener == '%' ? MatchRawBegin(tag) : -1;
            var text = ApplyLeftStrip(_src[_pos..tag], sign, opener != '{');
            AddData(text, _pos);
            if (rawEnd >= 0)
            {
                _pos = rawEnd;
                _lineStarting = _src[rawEnd - 1] == '\n';
                LexRawBody(tag);
                continue;
            }
            _pos = tag + 2 + (sign == '\0' ? 0 : 1);
            _lineStarting = false;
            switch (opener)
            {
                case '#': LexComment(tag); break;
                case '%': Add(TokenKind.BlockBegin, "", tag); LexTag(isBlock: true); break;
                default: Add(TokenKind.VariableBegin, "", tag); LexTag(isBlock: false); break;
            }
        }
        Add(TokenKind.Eof, "", _src.Length);
    }

    private int FindTagStart(int from)
    {
        for (var i = _src.IndexOf('{', from); i >= 0 && i + 1 < _src.Length; i = _src.IndexOf('{', i + 1))
            if (_src[i + 1] is '{' or '%' or '#') return i;
        return -1;
    }

    /// <summary><c>-</c> strips all white space before a tag; otherwise lstrip_blocks removes indentation before block and comment tags.</summary>
    private string ApplyLeftStrip(string text, char sign, bool lstripApplies)
    {
        if (sign == '-') return PythonChars.RStrip(text);
        if (sign == '+' || !lstripApplies) return text;
        var lineStart = text.LastIndexOf('\n') + 1;
        if (lineStart == 0 && !_lineStarting) return text;
        if (lineStart == text.Length) return text;
        for (var i = lineStart; i < text.Length; i++)
            if (!PythonChars.IsSpace(text[i])) return text;
        return text[..lineStart];
    }

    /// <summary>Matches <c>{% raw %}</c> (with optional signs) at <paramref name="at"/>; returns the index after it or -1.</summary>
    private int MatchRawBegin(int at)
    {
        var i = at + 2;
        if (i < _src.Length && _src[i] is '-' or '+') i++;
        i = SkipSpace(i);
        if (string.CompareOrdinal(_src, i, "raw", 0, 3) != 0) return -1;
        i = SkipSpace(i + 3);
        if (StartsWith(i, "-%}")) return SkipSpace(i + 3);
        return StartsWith(i, "%}") ? i + 2 : -1;
    }

    private void LexRawBody(int rawTag)
    {
        for (var tag = _src.IndexOf("{%", _pos, StringComparison.Ordinal); tag >= 0; tag = _src.IndexOf("{%", tag + 1, StringComparison.Ordinal))
        {
            var i = tag + 2;
            var sign = i < _src.Length && _src[i] is '-' or '+' ? _src[i] : '\0';
            if (sign != '\0') i++;
            i = SkipSpace(i);
            if (string.CompareOrdinal(_src, i, "endraw", 0, 6) != 0) continue;
            i = SkipSpace(i + 6);
            var end = MatchTagEnd(i, "%}", allowPlus: true);
            if (end < 0) continue;
            AddData(ApplyLeftStrip(_src[_pos..tag], sign, true), _pos);
            _pos = end;
            _lineStarting = _src[end - 1] == '\n';
            return;
        }
        throw Error("Missing end of raw directive", rawTag);
    }

    private void LexComment(int commentTag)
    {
        var contentStart = _pos;
        var close = _src.IndexOf("#}", contentStart, StringComparison.Ordinal);
        if (close < 0) throw Error("Missing end of comment tag", commentTag);
        var end = close - 1 >= contentStart && _src[close - 1] is '-' or '+'
            ? MatchTagEnd(close - 1, "#}", allowPlus: true)
            : MatchTagEnd(close, "#}", allowPlus: true);
        _pos = end;
        _lineStarting = _src[end - 1] == '\n';
    }

    /// <summary>Matches <c>+END</c>, <c>-END</c> plus white space, or <c>END</c> plus one newline (trim_blocks) at <paramref name="i"/>.</summary>
    private int MatchTagEnd(int i, string end, bool allowPlus)
    {
        if (allowPlus && i < _src.Length && _src[i] == '+' && StartsWith(i + 1, end)) return i + 1 + end.Length;
        if (i < _src.Length && _src[i] == '-' && StartsWith(i + 1, end)) return SkipSpace(i + 1 + end.Length);
        if (!StartsWith(i, end)) return -1;
        var after = i + end.Length;
        return after < _src.Length && _src[after] == '\n' ? after + 1 : after;
    }

    private void LexTag(bool isBlock)
    {
        var balance = new Stack<char>();
        while (_pos < _src.Length)
        {
            if (balance.Count == 0)
            {
                var end = isBlock ? MatchTagEnd(_pos, "%}", allowPlus: true) : MatchVariableEnd(_pos);
                if (end >= 0)
                {
                    Add(isBlock ? TokenKind.BlockEnd : TokenKind.VariableEnd, "", _pos);
                    _pos = end;
                    _lineStarting = _src[end - 1] == '\n';
                    return;
                }
            }
            var c = _src[_pos];
            if (PythonChars.IsSpace(c))
            {
                _pos++;
                continue;
            }
            if (TryLexNumber() || TryLexName() || TryLexString()) continue;
            LexOperator(balance);
        }
    }

    private int MatchVariableEnd(int i)
    {
        if (i < _src.Length && _src[i] == '-' && StartsWith(i + 1, "}}")) return SkipSpace(i + 3);
        return StartsWith(i, "}}") ? i + 2 : -1;
    }

    private bool TryLexNumber()
    {
        if (!char.IsAsciiDigit(_src[_pos])) return false;
        var start = _pos;
        var floatEnd = MatchFloat(start);
        if (floatEnd > 0)
        {
            var text = _src[start..floatEnd].Replace("_", "");
            var value = double.Parse(text, NumberStyles.Float, CultureInfo.InvariantCulture);
            _tokens.Add(new Token(TokenKind.Float, text, 0, value, LineOf(start), ColumnOf(start)));
            _pos = floatEnd;
            return true;
        }
        var (end, radix) = MatchInteger(start);
        var digits = _src[(start + (radix == 10 ? 0 : 2))..end].Replace("_", "");
        long number = 0;
        foreach (var d in digits)
        {
            var v = char.IsAsciiDigit(d) ? d - '0' : char.ToLowerInvariant(d) - 'a' + 10;
            try
            {
                number = checked(number * radix + v);
            }
            catch (OverflowException)
            {
                throw Error("integer literal too large", start);
            }
        }
        _tokens.Add(new Token(TokenKind.Integer, _src[start..end], number, number, LineOf(start), ColumnOf(start)));
        _pos = end;
        return true;
    }

    /// <summary>jinja2's float_re: digits with an exponent, or digits '.' digits with an optional exponent.</summary>
    private int MatchFloat(int start)
    {
        if (start > 0 && _src[start - 1] == '.') return -1;
        var intEnd = MatchDigits(start);
        if (intEnd < 0) return -1;
        if (intEnd < _src.Length && _src[intEnd] == '.')
        {
            var fracEnd = MatchDigits(intEnd + 1);
            if (fracEnd > 0)
            {
                var expEnd = MatchExponent(fracEnd);
                return expEnd > 0 ? expEnd : fracEnd;
            }
        }
        return MatchExponent(intEnd);
    }

    private int MatchExponent(int i)
    {
        if (i >= _src.Length || _src[i] is not ('e' or 'E')) return -1;
        i++;
        if (i < _src.Length && _src[i] is '+' or '-') i++;
        return MatchDigits(i);
    }

    /// <summary>Matches <c>(\d+_)*\d+</c>.</summary>
    private int MatchDigits(int i)
    {
        if (i >= _src.Length || !char.IsAsciiDigit(_src[i])) return -1;
        while (true)
        {
            while (i < _src.Length && char.IsAsciiDigit(_src[i])) i++;
            if (i + 1 < _src.Length && _src[i] == '_' && char.IsAsciiDigit(_src[i + 1])) i++;
            else return i;
        }
    }

    private (int End, int Radix) MatchInteger(int start)
    {
        if (_src[start] == '0' && start + 1 < _src.Length)
        {
            var radix = char.ToLowerInvariant(_src[start + 1]) switch { 'b' => 2, 'o' => 8, 'x' => 16, _ => 0 };
            if (radix != 0)
            {
                var end = MatchRadixDigits(start + 2, radix);
                if (end > start + 2) return (end, radix);
            }
            var i = start + 1;
            while (i < _src.Length && (_src[i] == '0' || (_src[i] == '_' && i + 1 < _src.Length && _src[i + 1] == '0')))
                i += _src[i] == '_' ? 2 : 1;
            return (i, 10);
        }
        return (MatchDigits(start), 10);
    }

    /// <summary>Matches <c>(_?[digit])+</c> for the radix.</summary>
    private int MatchRadixDigits(int i, int radix)
    {
        var end = i;
        while (true)
        {
            var j = end < _src.Length && _src[end] == '_' ? end + 1 : end;
            if (j < _src.Length && IsRadixDigit(_src[j], radix)) end = j + 1;
            else return end;
        }
    }

    private static bool IsRadixDigit(char c, int radix) => radix switch
    {
        2 => c is '0' or '1',
        8 => c is >= '0' and <= '7',
        _ => char.IsAsciiHexDigit(c),
    };

    private bool TryLexName()
    {
        var c = _src[_pos];
        if (!(char.IsLetter(c) || c == '_' || char.GetUnicodeCategory(c) == UnicodeCategory.LetterNumber)) return false;
        var start = _pos++;
        while (_pos < _src.Length && PythonChars.IsWordChar(_src[_pos])) _pos++;
        Add(TokenKind.Name, _src[start.._pos], start);
        return true;
    }

    private bool TryLexString()
    {
        var quote = _src[_pos];
        if (quote is not ('\'' or '"')) return false;
        var i = _pos + 1;
        while (i < _src.Length && _src[i] != quote)
            i += _src[i] == '\\' ? 2 : 1;
        if (i >= _src.Length) return false;
        var start = _pos;
        Add(TokenKind.String, Unescape(_src[(start + 1)..i], start), start);
        _pos = i + 1;
        return true;
    }

    /// <summary>Decodes Python string escapes the way <c>unicode-escape</c> does for jinja2 string literals.</summary>
    private string Unescape(string body, int at)
    {
        if (!body.Contains('\\')) return body;
        var sb = new StringBuilder(body.Length);
        for (var i = 0; i < body.Length; i++)
        {
            var c = body[i];
            if (c != '\\' || i + 1 >= body.Length)
            {
                sb.Append(c);
                continue;
            }
            var e = body[++i];
            switch (e)
            {
                case '\n': break;
                case '\\': sb.Append('\\'); break;
                case '\'': sb.Append('\''); break;
                case '"': sb.Append('"'); break;
                case 'a': sb.Append('\a'); break;
                case 'b': sb.Append('\b'); break;
                case 'f': sb.Append('\f'); break;
                case 'n': sb.Append('\n'); break;
                case 'r': sb.Append('\r'); break;
                case 't': sb.Append('\t'); break;
                case 'v': sb.Append('\v'); break;
                case 'x': i = AppendCodePoint(sb, body, i, 2, at); break;
                case 'u': i = AppendCodePoint(sb, body, i, 4, at); break;
                case 'U': i = AppendCodePoint(sb, body, i, 8, at); break;
                case >= '0' and <= '7':
                    var value = 0;
                    var n = 0;
                    while (n < 3 && i < body.Length && body[i] is >= '0' and <= '7')
                    {
                        value = value * 8 + (body[i] - '0');
                        i++;
                        n++;
                    }
                    i--;
                    sb.Append((char)value);
                    break;
                default: sb.Append('\\').Append(e); break;
            }
        }
        return sb.ToString();
    }

    private int AppendCodePoint(StringBuilder sb, string body, int escapeAt, int digits, int at)
    {
        var start = escapeAt + 1;
        var n = 0;
        while (n < digits && start + n < body.Length && char.IsAsciiHexDigit(body[start + n])) n++;
        if (n < digits) throw Error($"truncated \\{body[escapeAt]}{new string('X', digits)} escape", at);
        var cp = uint.Parse(body.AsSpan(start, digits), NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture);
        if (cp > 0x10FFFF) throw Error("illegal Unicode character", at);
        if (cp < 0x10000) sb.Append((char)cp);
        else sb.Append(char.ConvertFromUtf32((int)cp));
        return escapeAt + digits;
    }

    private void LexOperator(Stack<char> balance)
    {
        var start = _pos;
        var two = _pos + 1 < _src.Length ? _src.Substring(_pos, 2) : "";
        var kind = two switch
        {
            "//" => TokenKind.FloorDiv,
            "**" => TokenKind.Pow,
            "==" => TokenKind.Eq,
            "!=" => TokenKind.Ne,
            ">=" => TokenKind.GtEq,
            "<=" => TokenKind.LtEq,
            _ => TokenKind.Eof,
        };
        if (kind != TokenKind.Eof) _pos += 2;
        else
        {
            kind = _src[_pos] switch
            {
                '+' => TokenKind.Add,
                '-' => TokenKind.Sub,
                '/' => TokenKind.Div,
                '*' => TokenKind.Mul,
                '%' => TokenKind.Mod,
                '~' => TokenKind.Tilde,
                '[' => TokenKind.LBracket,
                ']' => TokenKind.RBracket,
                '(' => TokenKind.LParen,
                ')' => TokenKind.RParen,
                '{' => TokenKind.LBrace,
                '}' => TokenKind.RBrace,
                '=' => TokenKind.Assign,
                '<' => TokenKind.Lt,
                '>' => TokenKind.Gt,
                '.' => TokenKind.Dot,
                ':' => TokenKind.Colon,
                '|' => TokenKind.Pipe,
                ',' => TokenKind.Comma,
                ';' => TokenKind.Semicolon,
                _ => throw Error($"unexpected char {PythonRepr.String(_src[_pos].ToString())} at {_pos}", _pos),
            };
            _pos++;
        }
        switch (kind)
        {
            case TokenKind.LBrace: balance.Push('}'); break;
            case TokenKind.LParen: balance.Push(')'); break;
            case TokenKind.LBracket: balance.Push(']'); break;
            case TokenKind.RBrace or TokenKind.RParen or TokenKind.RBracket:
                var text = Token.OperatorText(kind);
                if (balance.Count == 0) throw Error($"unexpected '{text}'", start);
                var expected = balance.Pop();
                if (expected != text[0]) throw Error($"unexpected '{text}', expected '{expected}'", start);
                break;
        }
        Add(kind, "", start);
    }

    private bool StartsWith(int i, string s) => i + s.Length <= _src.Length && string.CompareOrdinal(_src, i, s, 0, s.Length) == 0;

    private int SkipSpace(int i)
    {
        while (i < _src.Length && PythonChars.IsSpace(_src[i])) i++;
        return i;
    }

    private void AddData(string text, int at)
    {
        if (text.Length > 0) Add(TokenKind.Data, text, at);
    }

    private void Add(TokenKind kind, string text, int at) => _tokens.Add(new Token(kind, text, 0, 0, LineOf(at), ColumnOf(at)));

    private int LineOf(int offset)
    {
        var idx = Array.BinarySearch(_lineStarts, offset);
        return (idx >= 0 ? idx : ~idx - 1) + 1;
    }

    private int ColumnOf(int offset) => offset - _lineStarts[LineOf(offset) - 1] + 1;

    private TemplateException Error(string problem, int at) => new(problem, LineOf(at), ColumnOf(at));
}
