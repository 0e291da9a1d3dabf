using System.Text;

namespace Moxing.Inference.Constraints.Grammar;

/// <summary>Builds a <see cref="ByteGrammar"/> from rules, literals, choices and bounded repetitions.</summary>
internal sealed class GrammarBuilder
{
    // A schema that expands past this many grammar elements is refused rather than compiled without bound.
    public const int MaxElements = 2_000_000;

    private readonly List<List<Symbol[]>> _rules = [];
    private readonly List<ByteClass> _classes = [];
    private readonly Dictionary<ByteClass, int> _classIds = [];
    private readonly Dictionary<string, Symbol> _literals = new(StringComparer.Ordinal);
    private readonly Dictionary<(int, int, int), Symbol> _repeats = [];
    private int _size;

    /// <summary>The empty sequence.</summary>
    public Symbol Empty { get; }

    /// <summary>A builder with the empty rule defined.</summary>
    public GrammarBuilder()
    {
        Empty = NewRule();
        Add(Empty);
    }

    /// <summary>A rule with no alternatives yet (add them later, which allows recursion).</summary>
    public Symbol NewRule()
    {
        _rules.Add([]);
        return new Symbol(true, _rules.Count - 1);
    }

    /// <summary>Adds an alternative (a sequence of symbols) to <paramref name="rule"/>.</summary>
    public void Add(Symbol rule, params Symbol[] sequence)
    {
        if (!rule.IsRule) throw new ArgumentException("alternatives can only be added to rules", nameof(rule));
        _size += sequence.Length + 1;
        if (_size > MaxElements) throw new UnsupportedSchemaException("(size)", "$", $"the schema expands to more than {MaxElements} grammar elements");
        _rules[rule.Id].Add(sequence);
    }

    /// <summary>The terminal for a byte class.</summary>
    public Symbol Bytes(ByteClass c)
    {
        if (!_classIds.TryGetValue(c, out var id))
        {
            id = _classes.Count;
            _classes.Add(c);
            _classIds[c] = id;
        }
        return new Symbol(false, id);
    }

    /// <summary>The exact UTF-8 bytes of <paramref name="text"/>.</summary>
    public Symbol Literal(string text)
    {
        if (_literals.TryGetValue(text, out var s)) return s;
        var bytes = Encoding.UTF8.GetBytes(text);
        var seq = new Symbol[bytes.Length];
        for (var i = 0; i < bytes.Length; i++) seq[i] = Bytes(ByteClass.Of(bytes[i]));
        s = Sequence(seq);
        _literals[text] = s;
        return s;
    }

    /// <summary>Exactly the special token <paramref name="id"/> (a control token such as harmony's &lt;|channel|&gt;, never text).</summary>
    public Symbol SpecialToken(int id) =>
        Sequence([.. TokenVocabulary.SpecialTokenBytes(id).Select(b => Bytes(ByteClass.Of(b)))]);

    /// <summary>A rule matching the symbols one after another.</summary>
    public Symbol Sequence(params Symbol[] items)
    {
        var r = NewRule();
        Add(r, items);
        return r;
    }

    /// <summary>A rule matching any one of the symbols.</summary>
    public Symbol Choice(params IEnumerable<Symbol> options)
    {
        var r = NewRule();
        foreach (var o in options) Add(r, o);
        return r;
    }

    /// <summary>The symbol or nothing.</summary>
    public Symbol Optional(Symbol s) => Repeat(s, 0, 1);

    /// <summary>
    /// <paramref name="s"/> repeated <paramref name="min"/> to <paramref name="max"/> times (max &lt; 0: unbounded), built
    /// right-recursively so matching keeps a constant stack depth.
    /// </summary>
    public Symbol Repeat(Symbol s, int min, int max)
    {
        if (_repeats.TryGetValue((s.IsRule ? s.Id : ~s.Id, min, max), out var cached)) return cached;
        Symbol tail;
        if (max < 0)
        {
            tail = NewRule();
            Add(tail, s, tail);
            Add(tail);
        }
        else
        {
            tail = Empty;
            for (var i = 0; i < max - min; i++)
            {
                var next = NewRule();
                Add(next, s, tail);
                Add(next);
                tail = next;
            }
        }
        var seq = new Symbol[min + 1];
        Array.Fill(seq, s, 0, min);
        seq[min] = tail;
        var result = Sequence(seq);
        _repeats[(s.IsRule ? s.Id : ~s.Id, min, max)] = result;
        return result;
    }

    /// <summary>Flattens the rules into a grammar whose whole text must match <paramref name="root"/>.</summary>
    public ByteGrammar Build(Symbol root)
    {
        var start = Sequence(root);
        var elements = new List<GrammarElement>(_size);
        var alternatives = new int[_rules.Count][];
        for (var r = 0; r < _rules.Count; r++)
        {
            var alts = _rules[r];
            alternatives[r] = new int[alts.Count];
            for (var a = 0; a < alts.Count; a++)
            {
                alternatives[r][a] = elements.Count;
                foreach (var sym in alts[a]) elements.Add(new GrammarElement(sym.IsRule ? ElementKind.Rule : ElementKind.Bytes, sym.Id));
                elements.Add(new GrammarElement(ElementKind.End, 0));
            }
        }
        return new ByteGrammar([.. elements], alternatives, [.. _classes], start.Id);
    }
}
