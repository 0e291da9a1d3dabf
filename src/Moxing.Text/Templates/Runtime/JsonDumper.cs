using System.Globalization;
using System.Text;

namespace Moxing.Text.Templates.Runtime;

/// <summary>Python's <c>json.dumps</c> with <c>ensure_ascii</c>, <c>indent</c>, <c>separators</c> and <c>sort_keys</c>.</summary>
internal static class JsonDumper
{
    public static string Dumps(Renderer r, Value value, bool ensureAscii, Value? indent, Value? separators, bool sortKeys)
    {
        var indentText = indent switch
        {
            null or NoneValue => null,
            StringValue s => s.Value,
            IntValue i => new string(' ', (int)Math.Clamp(i.Value, 0, 1000)),
            BoolValue b => b.Value ? " " : "",
            _ => throw new TemplateException($"indent must be an int or a string, not {indent.TypeName}"),
        };
        string itemSeparator, keySeparator;
        if (separators is null or NoneValue) (itemSeparator, keySeparator) = indentText is null ? (", ", ": ") : (",", ": ");
        else if (separators is ListValue { IsConcatenable: true, Count: 2 } pair && pair.Items[0] is StringValue a && pair.Items[1] is StringValue b)
            (itemSeparator, keySeparator) = (a.Value, b.Value);
        else throw new TemplateException("separators must be a pair of strings");
        var writer = new Writer(r, new StringBuilder(), ensureAscii, indentText, itemSeparator, keySeparator, sortKeys);
        writer.Write(value, 0);
        return writer.Output.ToString();
    }

    private sealed record Writer(Renderer R, StringBuilder Output, bool EnsureAscii, string? Indent, string ItemSeparator, string KeySeparator, bool SortKeys)
    {
        public void Write(Value value, int level)
        {
            R.Charge();
            R.CheckLength(Output.Length);
            switch (value)
            {
                case NoneValue: Output.Append("null"); break;
                case BoolValue b: Output.Append(b.Value ? "true" : "false"); break;
                case IntValue i: Output.Append(i.Value.ToString(CultureInfo.InvariantCulture)); break;
                case FloatValue f: Output.Append(Float(f.Value)); break;
                case StringValue s: WriteString(s.Value); break;
                case ListValue { IsConcatenable: true } l: WriteList(l, level); break;
                case DictValue d: WriteDict(d, level); break;
                default: throw new TemplateException($"Object of type {value.TypeName} is not JSON serializable");
            }
        }

        private static string Float(double d) =>
            double.IsNaN(d) ? "NaN" : double.IsPositiveInfinity(d) ? "Infinity" : double.IsNegativeInfinity(d) ? "-Infinity" : PythonRepr.Float(d);

        private void WriteList(ListValue l, int level)
        {
            if (l.Count == 0)
            {
                Output.Append("[]");
                return;
            }
            Output.Append('[');
            for (var i = 0; i < l.Count; i++)
            {
                Separate(i, level + 1);
                Write(l.Items[i], level + 1);
            }
            Close(level);
            Output.Append(']');
        }

        private void WriteDict(DictValue d, int level)
        {
            if (d.Count == 0)
            {
                Output.Append("{}");
                return;
            }
            IEnumerable<KeyValuePair<Value, Value>> pairs = d.Pairs();
            if (SortKeys)
            {
                var comparer = Comparer<Value>.Create((x, y) => PythonEquality.Compare(x, y, "<") switch { 2 => 0, var c => c });
                pairs = pairs.OrderBy(p => p.Key, comparer).ToList();
            }
            Output.Append('{');
            var index = 0;
            foreach (var (key, item) in pairs)
            {
                Separate(index++, level + 1);
                WriteString(KeyText(key));
                Output.Append(KeySeparator);
                Write(item, level + 1);
            }
            Close(level);
            Output.Append('}');
        }

        private static string KeyText(Value key) => key switch
        {
            StringValue s => s.Value,
            IntValue i => i.Value.ToString(CultureInfo.InvariantCulture),
            FloatValue f => Float(f.Value),
            BoolValue b => b.Value ? "true" : "false",
            NoneValue => "null",
            _ => throw new TemplateException($"keys must be str, int, float, bool or None, not {key.TypeName}"),
        };

        private void Separate(int index, int level)
        {
            if (index > 0) Output.Append(ItemSeparator);
            if (Indent is not null) NewLine(level);
        }

        private void Close(int level)
        {
            if (Indent is not null) NewLine(level);
        }

        private void NewLine(int level)
        {
            Output.Append('\n');
            for (var i = 0; i < level; i++) Output.Append(Indent);
        }

        private void WriteString(string s)
        {
            Output.Append('"');
            foreach (var c in s)
            {
                switch (c)
                {
                    case '"': Output.Append("\\\""); break;
                    case '\\': Output.Append("\\\\"); break;
                    case '\n': Output.Append("\\n"); break;
                    case '\r': Output.Append("\\r"); break;
                    case '\t': Output.Append("\\t"); break;
                    case '\b': Output.Append("\\b"); break;
                    case '\f': Output.Append("\\f"); break;
                    default:
                        if (c < ' ' || (EnsureAscii && c > '~')) Output.Append("\\u").Append(((int)c).ToString("x4", CultureInfo.InvariantCulture));
                        else Output.Append(c);
                        break;
                }
            }
            Output.Append('"');
        }
    }
}
