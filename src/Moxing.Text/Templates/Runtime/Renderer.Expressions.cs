using System.Runtime.CompilerServices;
using System.Text;
using Moxing.Text.Templates.Syntax;

namespace Moxing.Text.Templates.Runtime;

internal sealed partial class Renderer
{
    private Value Eval(Expr expr, Scope scope)
    {
        Charge();
        RuntimeHelpers.EnsureSufficientExecutionStack();
        switch (expr)
        {
            case LiteralExpr l:
                return l.Value;
            case NameExpr n:
                return scope.TryGet(n.Name, out var v) ? v : UndefinedValue.Named(n.Name);
            case GetAttrExpr a:
                return Attributes.GetAttr(Eval(a.Target, scope), a.Attribute);
            case GetItemExpr g:
                {
                    var target = Eval(g.Target, scope);
                    if (g.Index is SliceExpr slice) return Attributes.Slice(this, target, EvalOptional(slice.Start, scope), EvalOptional(slice.Stop, scope), EvalOptional(slice.Step, scope));
                    return Attributes.GetItem(target, Eval(g.Index, scope));
                }
            case CallExpr c:
                return EvalCall(c, scope, null);
            case FilterExpr f:
                return ApplyFilter(f, f.Input is null ? UndefinedValue.Named("") : Eval(f.Input, scope), scope);
            case TestExpr t:
                return BoolValue.Of(TestRegistry.Apply(this, t.Name, Eval(t.Input, scope), EvalArgs(t.Args, scope)));
            case UnaryExpr u:
                {
                    var operand = Eval(u.Operand, scope);
                    return u.Op == UnaryOp.Not ? BoolValue.Of(!operand.IsTruthy) : Operators.Unary(u.Op, operand);
                }
            case BinaryExpr b:
                {
                    var left = Eval(b.Left, scope);
                    if (b.Op == BinaryOp.And) return left.IsTruthy ? Eval(b.Right, scope) : left;
                    if (b.Op == BinaryOp.Or) return left.IsTruthy ? left : Eval(b.Right, scope);
                    return Operators.Binary(this, b.Op, left, Eval(b.Right, scope));
                }
            case ConcatExpr c:
                {
                    var sb = new StringBuilder();
                    foreach (var part in c.Parts)
                    {
                        sb.Append(PythonRepr.Str(Eval(part, scope)));
                        CheckLength(sb.Length);
                    }
                    return new StringValue(sb.ToString());
                }
            case CompareExpr c:
                {
                    var left = Eval(c.First, scope);
                    foreach (var (op, operandExpr) in c.Rest)
                    {
                        var right = Eval(operandExpr, scope);
                        if (!Operators.Compare(this, op, left, right)) return BoolValue.False;
                        left = right;
                    }
                    return BoolValue.True;
                }
            case CondExpr c:
                if (Eval(c.Test, scope).IsTruthy) return Eval(c.Then, scope);
                return c.Otherwise is null
                    ? UndefinedValue.WithHint($"the inline if-expression on line {c.Line} evaluated to false and no else section was defined.")
                    : Eval(c.Otherwise, scope);
            case ListExpr l:
                return new ListValue(EvalAll(l.Items, scope));
            case TupleExpr t:
                return new ListValue(EvalAll(t.Items, scope), SequenceKind.Tuple);
            case DictExpr d:
                {
                    var dict = new DictValue();
                    foreach (var (key, value) in d.Pairs) dict.Set(Eval(key, scope), Eval(value, scope));
                    return dict;
                }
            case NamespaceRefExpr r:
                return Attributes.GetAttr(scope.TryGet(r.Name, out var ns) ? ns : UndefinedValue.Named(r.Name), r.Attribute);
            default:
                throw new TemplateException("cannot evaluate " + expr.GetType().Name);
        }
    }

    private Value? EvalOptional(Expr? expr, Scope scope) => expr is null ? null : Eval(expr, scope);

    private List<Value> EvalAll(Expr[] items, Scope scope)
    {
        var list = new List<Value>(items.Length);
        foreach (var item in items) list.Add(Eval(item, scope));
        return list;
    }

    private Arguments EvalArgs(CallArgs args, Scope scope)
    {
        if (ReferenceEquals(args, CallArgs.None)) return Arguments.Empty;
        var positional = EvalAll(args.Positional, scope);
        var named = new List<KeyValuePair<string, Value>>(args.Keywords.Length);
        foreach (var (name, value) in args.Keywords) named.Add(new(name, Eval(value, scope)));
        if (args.DynArgs is not null) positional.AddRange(Iterate(Eval(args.DynArgs, scope)));
        if (args.DynKwargs is not null)
        {
            if (Eval(args.DynKwargs, scope) is not DictValue kw) throw new TemplateException("argument after ** must be a mapping");
            foreach (var (key, value) in kw.Pairs())
            {
                if (key is not StringValue k) throw new TemplateException("keywords must be strings");
                named.Add(new(k.Value, value));
            }
        }
        return new Arguments(positional, named);
    }

    private Value EvalCall(CallExpr call, Scope scope, MacroValue? caller)
    {
        var target = Eval(call.Target, scope);
        var args = EvalArgs(call.Args, scope);
        if (caller is not null) args = new Arguments(args.Positional, [.. args.Named, new("caller", caller)]);
        return Call(target, args);
    }

    /// <summary>Calls a value as a function; undefined values raise their own error, as jinja2 does.</summary>
    public Value Call(Value target, Arguments args) => target switch
    {
        CallableValue c => c.Call(this, args),
        LoopValue loop => loop.CallRecursive(args),
        UndefinedValue u => throw u.Fail(),
        _ => throw new TemplateException($"'{target.TypeName}' object is not callable"),
    };

    private Value ApplyFilter(FilterExpr f, Value input, Scope scope) =>
        FilterRegistry.Apply(this, f.Name, input, EvalArgs(f.Args, scope));

    /// <summary>Applies a chain of filters whose innermost input is a placeholder (filter blocks, set blocks).</summary>
    private Value ApplyFilterChain(FilterExpr chain, Value input, Scope scope)
    {
        var value = chain.Input is FilterExpr inner ? ApplyFilterChain(inner, input, scope) : input;
        return ApplyFilter(chain, value, scope);
    }
}
