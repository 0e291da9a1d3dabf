using System.Runtime.CompilerServices;

namespace Moxing.Inference.Constraints.Grammar;

/// <summary>
/// Runs a <see cref="ByteGrammar"/> as a pushdown automaton whose configurations (sets of parse stacks) are interned
/// as numbered states with a lazily filled byte transition table: a lazy DFA over the PDA, so a byte step already
/// seen is one array read. Stacks are hash-consed linked frames (shared tails), so sets of them are cheap to hold.
/// Not thread-safe: one instance per request (or guarded by the caller).
/// </summary>
internal sealed class GrammarAutomaton
{
    /// <summary>The state no text can continue from.</summary>
    public const int Dead = -1;
    private const int Unknown = -2;
    // Expanding deeper than this means the grammar is left-recursive; the schema compiler rejects such schemas.
    private const int MaxExpansionDepth = 10_000;

    private readonly ByteGrammar _grammar;
    private readonly List<(int Pos, int Parent)> _frames = [];
    private readonly Dictionary<long, int> _frameIds = [];
    private readonly List<int[]> _members = [];
    private readonly List<bool> _accepting = [];
    private readonly Dictionary<StateKey, int> _stateIds = [];
    private int[][] _transitions = new int[64][];
    private readonly HashSet<long> _visited = [];
    private readonly List<int> _scratch = [];

    /// <summary>An automaton at the start of <paramref name="grammar"/>.</summary>
    public GrammarAutomaton(ByteGrammar grammar)
    {
        _grammar = grammar;
        var accept = false;
        _visited.Clear();
        _scratch.Clear();
        foreach (var alt in grammar.Alternatives[grammar.Root]) Expand(alt, -1, ref accept, 0);
        Start = Intern(accept);
    }

    /// <summary>The state before any byte.</summary>
    public int Start { get; }

    /// <summary>How many states have been discovered so far.</summary>
    public int StateCount => _members.Count;

    /// <summary>Whether the text so far is a complete sentence of the grammar.</summary>
    public bool IsAccepting(int state) => _accepting[state];

    /// <summary>Whether any byte can follow in <paramref name="state"/>.</summary>
    public bool CanContinue(int state) => _members[state].Length > 0;

    /// <summary>The state after <paramref name="b"/>, or <see cref="Dead"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public int Next(int state, byte b)
    {
        var next = _transitions[state][b];
        return next != Unknown ? next : Compute(state, b);
    }

    /// <summary>The state after all of <paramref name="bytes"/>, or <see cref="Dead"/>.</summary>
    public int Walk(int state, ReadOnlySpan<byte> bytes)
    {
        foreach (var b in bytes)
        {
            state = Next(state, b);
            if (state == Dead) return Dead;
        }
        return state;
    }

    private int Compute(int state, byte b)
    {
        var accept = false;
        _visited.Clear();
        _scratch.Clear();
        foreach (var frame in _members[state])
        {
            var (pos, parent) = _frames[frame];
            if (_grammar.Classes[_grammar.Elements[pos].Value].Contains(b)) Expand(pos + 1, parent, ref accept, 0);
        }
        var next = _scratch.Count == 0 && !accept ? Dead : Intern(accept);
        _transitions[state][b] = next;
        return next;
    }

    // Adds to _scratch every stack whose top is a byte class, reachable from position pos over empty steps.
    private void Expand(int pos, int parent, ref bool accept, int depth)
    {
        if (depth > MaxExpansionDepth) throw new InvalidOperationException("the grammar is left-recursive");
        if (!_visited.Add(Key(pos, parent))) return;
        var element = _grammar.Elements[pos];
        switch (element.Kind)
        {
            case ElementKind.Bytes:
                _scratch.Add(Frame(pos, parent));
                break;
            case ElementKind.End:
                if (parent < 0) accept = true;
                else
                {
                    var (returnPos, grand) = _frames[parent];
                    Expand(returnPos, grand, ref accept, depth + 1);
                }
                break;
            default:
                // A rule called last in its alternative returns straight to our caller: right recursion stays flat.
                var callerFrame = _grammar.Elements[pos + 1].Kind == ElementKind.End ? parent : Frame(pos + 1, parent);
                foreach (var alt in _grammar.Alternatives[element.Value]) Expand(alt, callerFrame, ref accept, depth + 1);
                break;
        }
    }

    private static long Key(int pos, int parent) => ((long)pos << 32) | (uint)parent;

    private int Frame(int pos, int parent)
    {
        var key = Key(pos, parent);
        if (_frameIds.TryGetValue(key, out var id)) return id;
        id = _frames.Count;
        _frames.Add((pos, parent));
        _frameIds[key] = id;
        return id;
    }

    private int Intern(bool accept)
    {
        _scratch.Sort();
        var count = 0;
        for (var i = 0; i < _scratch.Count; i++)
            if (i == 0 || _scratch[i] != _scratch[i - 1]) _scratch[count++] = _scratch[i];
        var members = _scratch.GetRange(0, count).ToArray();
        var key = new StateKey(members, accept);
        if (_stateIds.TryGetValue(key, out var id)) return id;
        id = _members.Count;
        _members.Add(members);
        _accepting.Add(accept);
        _stateIds[key] = id;
        if (id == _transitions.Length) Array.Resize(ref _transitions, id * 2);
        // Bytes no stack can take are dead without computing anything.
        var live = default(ByteClass);
        foreach (var frame in members) live = live.Union(_grammar.Classes[_grammar.Elements[_frames[frame].Pos].Value]);
        var row = new int[256];
        for (var b = 0; b < 256; b++) row[b] = live.Contains((byte)b) ? Unknown : Dead;
        _transitions[id] = row;
        return id;
    }

    private readonly struct StateKey(int[] members, bool accept) : IEquatable<StateKey>
    {
        private readonly int[] _members = members;
        private readonly bool _accept = accept;

        public bool Equals(StateKey other) => _accept == other._accept && _members.AsSpan().SequenceEqual(other._members);

        public override bool Equals(object? obj) => obj is StateKey k && Equals(k);

        public override int GetHashCode()
        {
            var h = new HashCode();
            h.Add(_accept);
            foreach (var m in _members) h.Add(m);
            return h.ToHashCode();
        }
    }
}
