using System.Runtime.CompilerServices;
using System.Text;
using Moxing.Text.Templates.Syntax;

namespace Moxing.Text.Templates.Runtime;

/// <summary>Executes a parsed template: statements write to the output, expressions evaluate to values (jinja2 semantics).</summary>
internal sealed partial class Renderer
{
    private enum Flow { Normal, Break, Continue }

    private readonly TemplateLimits _limits;
    private readonly Scope _globals;
    private readonly Stack<StringBuilder> _outputs = new();
    private long _steps;
    private int _callDepth;

    public Renderer(TemplateLimits limits, TimeProvider clock)
    {
        _limits = limits;
        Clock = clock;
        _globals = Globals.Create();
        _outputs.Push(new StringBuilder());
    }

    public TemplateLimits Limits => _limits;
    public TimeProvider Clock { get; }

    public string Render(Stmt[] body, IReadOnlyDictionary<string, Value> variables)
    {
        var root = new Scope(_globals);
        foreach (var (name, value) in variables) root.Set(name, value);
        try
        {
            Execute(body, root);
        }
        catch (InsufficientExecutionStackException)
        {
            throw new TemplateException("template recursion too deep");
        }
        return _outputs.Peek().ToString();
    }

    /// <summary>Counts work so that a hostile template fails instead of running unbounded.</summary>
    public void Charge(long steps = 1)
    {
        _steps += steps;
        if (_steps > _limits.MaxSteps)
            throw new TemplateException($"template exceeded the limit of {_limits.MaxSteps} evaluation steps");
    }

    /// <summary>Fails when a string being built would exceed the output limit.</summary>
    public void CheckLength(long length)
    {
        if (length > _limits.MaxOutputLength)
            throw new TemplateException($"template output exceeded the limit of {_limits.MaxOutputLength} characters");
    }

    public void CheckListLength(long length)
    {
        if (length > _limits.MaxListLength)
            throw new TemplateException($"template built a list longer than the limit of {_limits.MaxListLength} items");
    }

    private void Write(string text)
    {
        var sb = _outputs.Peek();
        CheckLength((long)sb.Length + text.Length);
        sb.Append(text);
    }

    /// <summary>Renders <paramref name="body"/> into a fresh buffer and returns the text (set blocks, macros, filter blocks).</summary>
    private string Capture(Stmt[] body, Scope scope, out Flow flow)
    {
        _outputs.Push(new StringBuilder());
        try
        {
            flow = Execute(body, scope);
            return _outputs.Peek().ToString();
        }
        finally
        {
            _outputs.Pop();
        }
    }

    private Flow Execute(Stmt[] body, Scope scope)
    {
        RuntimeHelpers.EnsureSufficientExecutionStack();
        foreach (var stmt in body)
        {
            Charge();
            Flow flow;
            try
            {
                flow = ExecuteOne(stmt, scope);
            }
            catch (TemplateException e) when (e.Line is null && !e.RaisedByTemplate)
            {
                throw e.AtLine(stmt.Line);
            }
            if (flow != Flow.Normal) return flow;
        }
        return Flow.Normal;
    }

    private Flow ExecuteOne(Stmt stmt, Scope scope)
    {
        switch (stmt)
        {
            case TextStmt t:
                Write(t.Text);
                return Flow.Normal;
            case OutputStmt o:
                Write(PythonRepr.Str(Eval(o.Value, scope)));
                return Flow.Normal;
            case IfStmt s:
                foreach (var (test, branch) in s.Branches)
                    if (Eval(test, scope).IsTruthy) return Execute(branch, scope);
                return Execute(s.Else, scope);
            case ForStmt f:
                ExecuteFor(f, scope);
                return Flow.Normal;
            case SetStmt s:
                Assign(s.Target, Eval(s.Value, scope), scope);
                return Flow.Normal;
            case SetBlockStmt s:
                {
                    var text = Capture(s.Body, new Scope(scope), out var flow);
                    Value value = new StringValue(text);
                    if (s.Filter is not null) value = ApplyFilterChain(s.Filter, value, scope);
                    Assign(s.Target, value, scope);
                    return flow;
                }
            case MacroStmt m:
                scope.Set(m.Name, new MacroValue(m.Name, m.Signature, m.Body, scope));
                return Flow.Normal;
            case CallBlockStmt c:
                {
                    var caller = new MacroValue("caller", c.Signature, c.Body, scope);
                    Write(PythonRepr.Str(EvalCall(c.Call, scope, caller)));
                    return Flow.Normal;
                }
            case FilterBlockStmt fb:
                {
                    var text = Capture(fb.Body, new Scope(scope), out var flow);
                    Write(PythonRepr.Str(ApplyFilterChain(fb.Filter, new StringValue(text), scope)));
                    return flow;
                }
            case WithStmt w:
                {
                    var inner = new Scope(scope);
                    for (var i = 0; i < w.Targets.Length; i++) Assign(w.Targets[i], Eval(w.Values[i], scope), inner);
                    return Execute(w.Body, inner);
                }
            case ScopedBodyStmt sb:
                return Execute(sb.Body, new Scope(scope));
            case BreakStmt:
                return Flow.Break;
            case ContinueStmt:
                return Flow.Continue;
            default:
                throw new InvalidOperationException("unknown statement " + stmt.GetType().Name);
        }
    }

    private void ExecuteFor(ForStmt f, Scope scope) => RunLoop(f, Eval(f.Iterable, scope), scope, 0);

    /// <summary>Runs a for loop over <paramref name="iterable"/>; recursive loops re-enter here through <c>loop(children)</c>.</summary>
    private void RunLoop(ForStmt f, Value iterable, Scope scope, int depth0)
    {
        var items = new List<Value>();
        foreach (var item in Iterate(iterable))
        {
            Charge();
            if (f.Filter is not null)
            {
                var test = new Scope(scope);
                Assign(f.Target, item, test);
                if (!Eval(f.Filter, test).IsTruthy) continue;
            }
            items.Add(item);
        }
        Func<Value, int, string>? recurse = f.Recursive
            ? (children, depth) =>
            {
                _outputs.Push(new StringBuilder());
                try
                {
                    RunLoop(f, children, scope, depth);
                    return _outputs.Peek().ToString();
                }
                finally
                {
                    _outputs.Pop();
                }
            }
        : null;
        var loop = new LoopValue(items, depth0, recurse);
        for (var i = 0; i < items.Count; i++)
        {
            Charge();
            var iteration = new Scope(scope);
            Assign(f.Target, items[i], iteration);
            loop.Index0 = i;
            iteration.Set("loop", loop);
            if (Execute(f.Body, iteration) == Flow.Break) break;
        }
        if (items.Count == 0) Execute(f.Else, new Scope(scope));
    }

    private void Assign(Expr target, Value value, Scope scope)
    {
        switch (target)
        {
            case NameExpr n:
                scope.Set(n.Name, value);
                break;
            case TupleExpr t:
                var items = Iterate(value).ToList();
                if (items.Count < t.Items.Length)
                    throw new TemplateException($"not enough values to unpack (expected {t.Items.Length}, got {items.Count})");
                if (items.Count > t.Items.Length)
                    throw new TemplateException($"too many values to unpack (expected {t.Items.Length})");
                for (var i = 0; i < items.Count; i++) Assign(t.Items[i], items[i], scope);
                break;
            case NamespaceRefExpr r:
                if (!scope.TryGet(r.Name, out var ns) || ns is not NamespaceValue nsValue)
                    throw new TemplateException("cannot assign attribute on non-namespace object");
                nsValue.Attributes.Set(r.Attribute, value);
                break;
            default:
                throw new TemplateException("can't assign to " + target.GetType().Name);
        }
    }

    /// <summary>Python iteration: strings by character, dicts by key, undefined as empty; anything else is not iterable.</summary>
    public IEnumerable<Value> Iterate(Value value) => value switch
    {
        ListValue l => l.Items,
        DictValue d => d.Keys,
        StringValue s => IterateString(s.Value),
        IteratorValue it => it.Drain(),
        UndefinedValue => [],
        _ => throw new TemplateException($"'{value.TypeName}' object is not iterable"),
    };

    private static IEnumerable<Value> IterateString(string s)
    {
        for (var i = 0; i < s.Length; i++)
        {
            if (char.IsHighSurrogate(s[i]) && i + 1 < s.Length && char.IsLowSurrogate(s[i + 1]))
            {
                yield return new StringValue(s.Substring(i, 2));
                i++;
            }
            else yield return new StringValue(s[i].ToString());
        }
    }

    /// <summary>Invokes a macro body with its arguments bound, guarding the call depth.</summary>
    internal string InvokeMacro(MacroValue macro, Scope frame)
    {
        if (++_callDepth > _limits.MaxCallDepth)
        {
            _callDepth--;
            throw new TemplateException($"macro calls nested deeper than the limit of {_limits.MaxCallDepth}");
        }
        try
        {
            return Capture(macro.Body, frame, out _);
        }
        finally
        {
            _callDepth--;
        }
    }

    internal Value EvalInScope(Expr expr, Scope scope) => Eval(expr, scope);
}
