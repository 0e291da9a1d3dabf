using Moxing.Text.Templates;

namespace Moxing.Text.Tests.Templates;

/// <summary>The jinja2 language as transformers configures it; expected strings are what Python's jinja2 prints.</summary>
public class LanguageTests
{
    internal static string Render(string template, object? vars = null)
    {
        var variables = new Dictionary<string, object?>();
        if (vars is not null)
            foreach (var p in vars.GetType().GetProperties()) variables[p.Name] = p.GetValue(vars);
        return ChatTemplate.Parse(template).RenderVariables(variables);
    }

    internal static string Fail(string template, object? vars = null) => Assert.Throws<TemplateException>(() => Render(template, vars)).Problem;

    [Theory]
    [InlineData("a\n  {% if true %}\n    x\n  {% endif %}\nb", "a\n    x\nb")] // lstrip_blocks + trim_blocks
    [InlineData("a  {%- if true -%}  x  {%- endif -%}  b", "axb")]
    [InlineData("{{ 1 }}\n{{ 2 }}\n", "1\n2")] // variables keep their newline; one trailing newline is dropped
    [InlineData("{# c #}\nx\n  {# d #}\ny", "x\ny")]
    [InlineData("  {%+ if true %}x{% endif +%}\ny", "  x\ny")]
    [InlineData("{{- 'a' -}}  \n  {{ 'b' }}", "ab")]
    [InlineData("x\r\ny\rz\n\n", "x\ny\nz\n")]
    [InlineData("  {{ 1 }}  {% if true %}y{% endif %}", "  1  y")] // lstrip only at line start, never before {{
    [InlineData("{% raw %}{{ x }}{% endraw %}", "{{ x }}")]
    [InlineData("{% raw %}\na{% endraw %}\nb", "\nab")] // no trim after the raw opener
    [InlineData("A {# -#}   B {#- #}  C", "A B  C")]
    [InlineData("{{ 5 - 3 -}}\n  x", "2x")]
    public void WhitespaceControlMatchesJinja(string template, string expected) => Assert.Equal(expected, Render(template));

    [Theory]
    [InlineData("{{ 'a\\nb\\t\\'' }}|{{ \"q\\\"\" }}|{{ '\\u00e9\\x41' }}|{{ 'x' 'y' }}", "a\nb\t'|q\"|éA|xy")]
    [InlineData("{{ 1_000 }} {{ 0x1F }} {{ 0b101 }} {{ 0o17 }} {{ 1.5e3 }} {{ 2.0 }} {{ 1e-5 }} {{ 1e16 }} {{ 0.1 + 0.2 }}",
        "1000 31 5 15 1500.0 2.0 1e-05 1e+16 0.30000000000000004")]
    [InlineData("{{ [1, 'a', none, true, 1.0, [2], {'k': 'v'}] }} {{ (1,) }} {{ () }} {{ {} }}", "[1, 'a', None, True, 1.0, [2], {'k': 'v'}] (1,) () {}")]
    [InlineData("{{ True }} {{ False }} {{ None }} {{ ['it\\'s', 'say \"hi\"'] }}", "True False None [\"it's\", 'say \"hi\"']")]
    [InlineData("{{ ['\\n', '\\x00', 'é', '\\\\'] }}", "['\\n', '\\x00', 'é', '\\\\']")]
    public void LiteralsPrintLikePython(string template, string expected) => Assert.Equal(expected, Render(template));

    [Theory]
    [InlineData("{{ 7 // 2 }} {{ -7 // 2 }} {{ 7 % 3 }} {{ -7 % 3 }} {{ 7 / 2 }} {{ 2 ** 10 }} {{ 2 ** -1 }} {{ 2 ** 3 ** 2 }}", "3 -4 1 2 3.5 1024 0.5 64")]
    [InlineData("{{ 'a' ~ 1 ~ none ~ missing }} {{ 'ab' * 3 }} {{ [1] * 2 }} {{ [1] + [2] }}", "a1None ababab [1, 1] [1, 2]")]
    [InlineData("{{ 1 < 2 < 3 }} {{ 3 > 2 > 2 }} {{ 1 == 1.0 }} {{ 'b' in 'abc' }} {{ 2 not in [1, 3] }} {{ 'k' in {'k': 1} }}", "True False True True True True")]
    [InlineData("{{ true and 'x' }} {{ false or 'y' }} {{ none or [] }} {{ not 0 }} {{ -3 }} {{ -(2) | abs }}", "x y [] True -3 2")]
    [InlineData("{{ 'yes' if 1 else 'no' }}|{{ 'yes' if 0 }}|{{ 1 if false else 2 if false else 3 }}", "yes||3")]
    [InlineData("{{ {'a': 1} == {'a': 1} }}{{ (1, 2) == [1, 2] }}{{ 1 == true }}{{ none == 0 }}", "TrueFalseTrueFalse")]
    public void OperatorsFollowPython(string template, string expected) => Assert.Equal(expected, Render(template));

    [Theory]
    [InlineData("{{ 1 + 'a' }}", "unsupported operand type(s) for +: 'int' and 'str'")]
    [InlineData("{{ missing + 1 }}", "'missing' is undefined")]
    [InlineData("{{ 1 / 0 }}", "division by zero")]
    [InlineData("{{ 'a' < 1 }}", "'<' not supported between instances of 'str' and 'int'")]
    [InlineData("{{ missing.attr }}", "'missing' is undefined")]
    [InlineData("{{ missing() }}", "'missing' is undefined")]
    [InlineData("{% for x in none %}{% endfor %}", "'NoneType' object is not iterable")]
    [InlineData("{% set a, b = [1] %}", "not enough values to unpack (expected 2, got 1)")]
    [InlineData("{{ l[1:2:0] }}", "slice step cannot be zero")]
    [InlineData("{{ range(200000)|length }}", "Range too big. The sandbox blocks ranges larger than MAX_RANGE (100000).")]
    [InlineData("{{ ','.join([1, 2]) }}", "sequence item 0: expected str instance, int found")]
    [InlineData("{{ missing|tojson }}", "Object of type Undefined is not JSON serializable")]
    public void RuntimeErrorsCarryPythonsMessages(string template, string problem) => Assert.Equal(problem, Fail(template, new { l = new[] { 1 } }));

    [Fact]
    public void UndefinedBehavesLikeJinjaDefaultUndefined()
    {
        Assert.Equal("[]FalseTrue0True", Render("[{{ missing }}]{{ missing is defined }}{{ missing is undefined }}{% for x in missing %}no{% endfor %}{{ missing|length }}{{ missing == missing }}"));
        var d = new Dictionary<string, object?> { ["a"] = 1 };
        Assert.Equal("|False||2|h|o", Render("{{ d.missing }}|{{ d.missing is defined }}|{{ l[10] }}|{{ l[-1] }}|{{ s[0] }}|{{ s[-1] }}", new { d, l = new[] { 1, 2 }, s = "héllo" }));
        Assert.Equal("'dict object' has no attribute 'missing'", Fail("{{ d.missing.deeper }}", new { d }));
        Assert.Equal("list object has no element 5", Fail("{{ l[5].x }}", new { l = new[] { 1 } }));
    }

    [Fact]
    public void DictAttributesPreferMethodsAndSubscriptsPreferKeys()
    {
        var d = new Dictionary<string, object?> { ["a"] = 1, ["items"] = "val" };
        Assert.Equal("val|1|5|dict_keys(['a', 'items'])|dict_values([1, 'val'])|dict_items([('a', 1), ('items', 'val')])",
            Render("{{ d['items'] }}|{{ d.get('a') }}|{{ d.get('z', 5) }}|{{ d.keys() }}|{{ d.values() }}|{{ d.items() }}", new { d }));
        Assert.StartsWith("<built-in method items", Render("{{ d.items }}", new { d }));
    }

    [Fact]
    public void TheImmutableSandboxRefusesMutation()
    {
        Assert.Equal("access to attribute 'append' of 'list' object is unsafe.", Fail("{% set _ = l.append(3) %}", new { l = new[] { 1 } }));
        Assert.Equal("access to attribute 'pop' of 'dict' object is unsafe.", Fail("{{ d.pop('a') }}", new { d = new Dictionary<string, object?> { ["a"] = 1 } }));
        Assert.Equal("|", Render("{{ l.append }}|{{ l.__class__ }}", new { l = new[] { 1 } }));
    }

    [Fact]
    public void SlicesIncludingReversal()
    {
        Assert.Equal("[4, 3, 2, 1] [2, 3, 4] [1, 2, 3] [1, 3] bc dcba [] [1, 2]",
            Render("{{ l[::-1] }} {{ l[1:] }} {{ l[:-1] }} {{ l[::2] }} {{ s[1:3] }} {{ s[::-1] }} {{ l[5:] }} {{ l[-10:2] }}", new { l = new[] { 1, 2, 3, 4 }, s = "abcd" }));
    }

    [Fact]
    public void ForLoopVariables()
    {
        Assert.Equal("1/0/3/2/True/False/3//20/a;2/1/2/1/False/False/3/10/30/b;3/2/1/0/False/True/3/20//a;",
            Render("{% for x in l %}{{ loop.index }}/{{ loop.index0 }}/{{ loop.revindex }}/{{ loop.revindex0 }}/{{ loop.first }}/{{ loop.last }}/{{ loop.length }}/{{ loop.previtem }}/{{ loop.nextitem }}/{{ loop.cycle('a','b') }};{% endfor %}",
                new { l = new[] { 10, 20, 30 } }));
        Assert.Equal("TrueFalseTrue", Render("{% for x in l %}{{ loop.changed(x) }}{% endfor %}", new { l = new[] { 1, 1, 2 } }));
    }

    [Fact]
    public void ForLoopFormsAndControls()
    {
        Assert.Equal("1:2 2:3 |empty", Render("{% for x in l if x > 1 %}{{ loop.index }}:{{ x }} {% else %}empty{% endfor %}|{% for x in [] %}x{% else %}empty{% endfor %}", new { l = new[] { 1, 2, 3 } }));
        Assert.Equal("13", Render("{% for x in l %}{% if x == 2 %}{% continue %}{% endif %}{% if x == 4 %}{% break %}{% endif %}{{ x }}{% endfor %}", new { l = new[] { 1, 2, 3, 4, 5 } }));
        Assert.Equal("37", Render("{% for a, b in [(1, 2), (3, 4)] %}{{ a + b }}{% endfor %}"));
        Assert.Equal("b=1,a=2,ba", Render("{% for k, v in d.items() %}{{ k }}={{ v }},{% endfor %}{% for k in d %}{{ k }}{% endfor %}",
            new { d = new Dictionary<string, object?> { ["b"] = 1, ["a"] = 2 } }));
        Assert.Equal("ab147range(0, 3)", Render("{% for x in 'ab' %}{{ x }}{% endfor %}{% for i in range(1, 10, 3) %}{{ i }}{% endfor %}{{ range(3) }}"));
        Assert.Equal("1[2[]3[]]4", Render("{% for x in tree recursive %}{{ x.n }}{% if x.c is defined %}[{{ loop(x.c) }}]{% endif %}{% endfor %}",
            new { tree = System.Text.Json.Nodes.JsonNode.Parse("""[{"n":1,"c":[{"n":2,"c":[]},{"n":3,"c":[]}]},{"n":4}]""") }));
    }

    [Fact]
    public void ScopingMatchesJinja()
    {
        Assert.Equal("[][]|", Render("{% for i in [1,2] %}[{{ x }}]{% set x = i %}{% endfor %}|{{ x }}"));
        Assert.Equal("525", Render("{% set x = 5 %}{% for i in [1] %}{{ x }}{% set x = 2 %}{{ x }}{% endfor %}{{ x }}"));
        Assert.Equal("2", Render("{% if true %}{% set x = 2 %}{% endif %}{{ x }}"));
        Assert.Equal("1", Render("{% macro m() %}{{ x }}{% endmacro %}{% set x = 1 %}{{ m() }}"));
        Assert.Equal("3", Render("{% with a = 1, b = 2 %}{{ a + b }}{% endwith %}{{ a }}"));
    }

    [Fact]
    public void SetForms()
    {
        Assert.Equal("123(1, 2)", Render("{% set a = 1 %}{% set b, c = 2, 3 %}{{ a }}{{ b }}{{ c }}{% set t = 1, 2 %}{{ t }}"));
        Assert.Equal("3a<Namespace {'n': 3, 'x': 'a'}>", Render("{% set ns = namespace(n=0, x='a') %}{% for i in range(3) %}{% set ns.n = ns.n + i %}{% endfor %}{{ ns.n }}{{ ns.x }}{{ ns.missing }}{{ ns }}"));
        Assert.Equal("hello world|ABC", Render("{% set x %}hello {{ 'world' }}{% endset %}{{ x }}|{% set y | upper %}abc{% endset %}{{ y }}"));
        Assert.Equal("cannot assign attribute on non-namespace object", Fail("{% set d = {'a': 1} %}{% set d.a = 2 %}"));
    }

    [Fact]
    public void MacrosAndCallBlocks()
    {
        Assert.Equal("1-2-x|1-3-x|1-2-z|-2-x", Render("{% macro m(a, b=2, c='x') %}{{ a }}-{{ b }}-{{ c }}{% endmacro %}{{ m(1) }}|{{ m(1, 3) }}|{{ m(1, c='z') }}|{{ m() }}"));
        Assert.Equal("(1, 2){'k': 3}", Render("{% macro m() %}{{ varargs }}{{ kwargs }}{% endmacro %}{{ m(1, 2, k=3) }}"));
        Assert.Equal("macro 'm' takes not more than 1 argument(s)", Fail("{% macro m(a) %}{{ a }}{% endmacro %}{{ m(1, 2) }}"));
        Assert.Equal("macro 'm' takes no keyword argument 'b'", Fail("{% macro m(a) %}{{ a }}{% endmacro %}{{ m(b=2) }}"));
        Assert.Equal("<b>inner</b>|[1][2]", Render("{% macro wrap(t) %}<{{ t }}>{{ caller() }}</{{ t }}>{% endmacro %}{% call wrap('b') %}inner{% endcall %}|" +
                                                   "{% macro rows(xs) %}{% for x in xs %}{{ caller(x) }}{% endfor %}{% endmacro %}{% call(v) rows([1,2]) %}[{{ v }}]{% endcall %}"));
        Assert.Equal("54321", Render("{% macro f(n) %}{% if n > 0 %}{{ n }}{{ f(n - 1) }}{% endif %}{% endmacro %}{{ f(5) }}"));
    }

    [Fact]
    public void FilterAndGenerationBlocks()
    {
        Assert.Equal("HELLO X|Bbnbnb Bnnb", Render("{% filter upper %}hello {{ 'x' }}{% endfilter %}|{% filter replace('a', 'b') | title %}banana anna{% endfilter %}"));
        Assert.Equal("gen 1", Render("{% generation %}gen {{ 1 }}{% endgeneration %}"));
    }

    [Fact]
    public void GlobalsOfJinjaAndTransformers()
    {
        var raised = Assert.Throws<TemplateException>(() => Render("{{ raise_exception('Bad role: ' ~ 'x') }}"));
        Assert.Equal("Bad role: x", raised.Message);
        Assert.True(raised.RaisedByTemplate);
        var clock = new FixedClock(new DateTime(2024, 7, 26, 15, 4, 5));
        Assert.Equal("26 Jul 2024 15:04 Friday July 208 24 03 PM",
            ChatTemplate.Parse("{{ strftime_now('%d %b %Y %H:%M %A %B %j %y %I %p') }}").WithClock(clock).RenderVariables(new Dictionary<string, object?>()));
        Assert.Equal("a1212a|b", Render("{{ cycler('a', 'b').next() }}{% set c = cycler(1, 2) %}{{ c.next() }}{{ c.next() }}{{ c.next() }}{{ c.current }}{% set j = joiner('|') %}{{ j() }}a{{ j() }}b"));
        Assert.Equal("{'a': 1, 'b': 2} {'x': 1}", Render("{{ dict(a=1, b=2) }} {{ dict([('x', 1)]) }}"));
    }

    [Fact]
    public void Tests()
    {
        Assert.Equal(string.Concat(Enumerable.Repeat("True", 10)) + "False" + string.Concat(Enumerable.Repeat("True", 12)) + "FalseTrueFalseTrueTrue",
            Render("{{ 1 is odd }}{{ 2 is even }}{{ 9 is divisibleby 3 }}{{ none is none }}{{ 'a' is string }}{{ 1 is number }}{{ true is number }}{{ 1 is integer }}" +
                   "{{ 1.0 is float }}{{ {} is mapping }}{{ true is integer }}{{ [] is iterable }}{{ 'x' is sequence }}{{ true is boolean }}{{ true is true }}{{ 0 is not false }}" +
                   "{{ 'ab' is lower }}{{ 'AB' is upper }}{{ 2 is in [1, 2] }}{{ 1 is eq 1 }}{{ none is sameas none }}{{ 1 is not none }}{{ 3 is gt 2 }}{{ 1 is equalto 2 }}" +
                   "{{ 'upper' is filter }}{{ 3 is le 2 }}{{ 'odd' is test }}{{ x is undefined }}"));
    }

    [Theory]
    [InlineData("{{ '  a b  '|trim }}|{{ 'xxaxx'|trim('x') }}|{{ 'Hello World'|upper }}|{{ 'Hello'|lower }}|{{ 'hello world-foo (bar)'|title }}|{{ 'hELLO wORLD'|capitalize }}|{{ 'aaa'|replace('a', 'b', 2) }}",
        "a b|a|HELLO WORLD|hello|Hello World-Foo (Bar)|Hello world|bba")]
    [InlineData("{{ [1,2,3]|join(', ') }}|{{ [1,2,3]|join }}|{{ [3,1,2]|first }}|{{ [3,1,2]|last }}|{{ []|first }}|{{ 'abc'|first }}|{{ 'abc'|last }}", "1, 2, 3|123|3|2||a|c")]
    [InlineData("{{ x|default('d') }}|{{ ''|default('d') }}|{{ ''|default('d', true) }}|{{ none|d('n', true) }}|{{ 0|default(5) }}", "d||d|n|0")]
    [InlineData("{{ [1,2]|length }}{{ 'héllo'|length }}{{ {'a':1}|count }}", "251")]
    [InlineData("{{ {'b':1,'a':2}|items|list }}|{{ {'b':1,'a':2}|dictsort }}|{{ {'b':1,'a':2}|dictsort(by='value') }}|{{ {'B':1,'a':2}|dictsort(reverse=true) }}",
        "[('b', 1), ('a', 2)]|[('a', 2), ('b', 1)]|[('b', 1), ('a', 2)]|[('B', 1), ('a', 2)]")]
    [InlineData("{{ 'abc'|list }}|{{ (1,2)|list }}|{{ {'k':1}|list }}", "['a', 'b', 'c']|[1, 2]|['k']")]
    [InlineData("{{ ['a','b']|map('upper')|list }}|{{ [1,0,2,none]|select|list }}|{{ [1,2,3,4]|select('odd')|list }}|{{ [1,2,3,4]|reject('odd')|list }}|{{ [1,2,3]|select('gt', 1)|list }}",
        "['A', 'B']|[1, 2]|[1, 3]|[2, 4]|[2, 3]")]
    [InlineData("{{ 'x'|string }}{{ 1|string }}{{ none|string }}|{{ '42'|int }}{{ '4.7'|int }}{{ 'x'|int }}{{ 'x'|int(7) }}{{ 3.9|int }}{{ '0x1A'|int(0, 16) }}|{{ '3.5'|float }}{{ 'x'|float }}{{ 2|float }}",
        "x1None|42407326|3.50.02.0")]
    [InlineData("{{ -3|abs }}{{ (-3.5)|abs }}|{{ 2.5|round }}{{ 3.5|round }}{{ 2.675|round(2) }}{{ 3|round }}{{ 2.1|round(0, 'ceil') }}{{ 2.9|round(method='floor') }}", "33.5|2.04.02.6733.02.0")]
    [InlineData("{{ 'a\\nb\\n\\nc'|indent }}|{{ 'a\\nb'|indent(2, true) }}|{{ 'a\\n\\nb'|indent('> ', blank=true) }}", "a\n    b\n\n    c|  a\n  b|a\n> \n> b")]
    [InlineData("{{ '<b>x</b>'|safe }}|{{ '<a href=\"x\">&</a>'|e }}|{{ '<p>Hello <b>World</b></p>  <!-- c -->  x&amp;y'|striptags }}", "<b>x</b>|&lt;a href=&#34;x&#34;&gt;&amp;&lt;/a&gt;|Hello World x&y")]
    [InlineData("{{ [1,2,2,3,1]|unique|list }}|{{ ['a','A','b']|unique|list }}|{{ [3,1,2]|sort }}|{{ [3,1,2]|sort(reverse=true) }}|{{ ['b','A','c']|sort }}|{{ ['b','A','c']|sort(case_sensitive=true) }}",
        "[1, 2, 3]|['a', 'b']|[1, 2, 3]|[3, 2, 1]|['A', 'b', 'c']|['A', 'b', 'c']")]
    [InlineData("{{ [1,2,3]|reverse|list }}|{{ 'abc'|reverse }}|{{ [1,2,3,4,5]|batch(2)|list }}|{{ [1,2,3]|batch(2, 0)|list }}|{{ [1,2,3]|sum }}|{{ [1,5,3]|min }}|{{ [1,5,3]|max }}|{{ 'one two  three'|wordcount }}",
        "[3, 2, 1]|cba|[[1, 2], [3, 4], [5]]|[[1, 2], [3, 0]]|6|1|5|3")]
    [InlineData("{{ 'foo bar baz qux'|truncate(9) }}|{{ 'foo bar baz qux'|truncate(9, true) }}|{{ 'foo bar baz qux'|truncate(11) }}|{{ 'abc'|center(9) }}", "foo...|foo ba...|foo bar baz qux|   abc   ")]
    [InlineData("{{ '%s and %d and %.2f and %r %5s|%-5s|%05d|%x' % ('a', 3, 3.14159, 'q', 'r', 'l', 42, 255) }}|{{ '%(a)s-%(b)s' % {'a': 1, 'b': 2} }}|{{ '%s, %s!'|format('Hello', 'World') }}",
        "a and 3 and 3.14 and 'q'     r|l    |00042|ff|1-2|Hello, World!")]
    [InlineData("{{ 'Use '|safe + '<x>' }}|{{ ('<a>'|e)|e }}|{{ 'x' ~ ('<'|safe) }}", "Use &lt;x&gt;|&lt;a&gt;|x<")]
    public void Filters(string template, string expected) => Assert.Equal(expected, Render(template));

    [Fact]
    public void AttributeFiltersAndGroupBy()
    {
        var users = System.Text.Json.Nodes.JsonNode.Parse("""[{"name": "b", "age": 3, "role": "user"}, {"name": "a", "role": "assistant"}]""");
        Assert.Equal("['b', 'a']|[3, 0]|b|['a', 'b']|1|a|user:1;assistant:1;",
            Render("{{ users|map(attribute='name')|list }}|{{ users|map(attribute='age', default=0)|list }}|{{ users|selectattr('role', 'equalto', 'user')|map(attribute='name')|join }}|" +
                   "{{ users|sort(attribute='name')|map(attribute='name')|list }}|{{ users|rejectattr('role', 'eq', 'user')|list|length }}|{{ users|join(',', attribute='name')|last }}|" +
                   "{% for g in users|groupby('role')|reverse %}{{ g.grouper }}:{{ g.list|length }};{% endfor %}", new { users }));
    }

    [Fact]
    public void ToJsonIsTransformersJsonDumps()
    {
        var x = System.Text.Json.Nodes.JsonNode.Parse("""{"b": [1, {"c": null, "d": true}], "a": "s"}""");
        Assert.Equal("""{"b": [1, {"c": null, "d": true}], "a": "s"}""", Render("{{ x|tojson }}", new { x }));
        Assert.Equal("{\n  \"b\": [\n    1,\n    {\n      \"c\": null,\n      \"d\": true\n    }\n  ],\n  \"a\": \"s\"\n}", Render("{{ x|tojson(indent=2) }}", new { x }));
        Assert.Equal("""{"a": "s", "b": [1, {"c": null, "d": true}]}""", Render("{{ x|tojson(sort_keys=true) }}", new { x }));
        Assert.Equal("""{"b":[1,{"c":null,"d":true}],"a":"s"}""", Render("{{ x|tojson(separators=(',', ':')) }}", new { x }));
        Assert.Equal("\"é\\\"\\n\"|\"\\u00e9\"|[1.0, 1e+16, -0.0, 2.5e-07, 3]|null|{}", Render("{{ 'é\"\\n'|tojson }}|{{ 'é'|tojson(ensure_ascii=true) }}|{{ [1.0, 1e16, -0.0, 2.5e-7, 3]|tojson }}|{{ none|tojson }}|{{ {}|tojson(indent=2) }}"));
    }

    [Theory]
    [InlineData("{{ ' a '.strip() }}|{{ 'xax'.strip('x') }}|{{ ' a '.lstrip() }}|{{ ' a '.rstrip() }}|{{ 'a,b,,c'.split(',') }}|{{ ' a  b '.split() }}|{{ 'a b c'.split(' ', 1) }}|{{ 'a,b,c'.rsplit(',', 1) }}",
        "a|a|a | a|['a', 'b', '', 'c']|['a', 'b']|['a', 'b c']|['a,b', 'c']")]
    [InlineData("{{ 'abc'.startswith('ab') }}{{ 'abc'.endswith('bc') }}{{ 'abc'.startswith(('x', 'a')) }}|{{ 'aXb'.upper() }}{{ 'aXb'.lower() }}|{{ \"they're bill's\".title() }}|{{ 'hELLO'.capitalize() }}|{{ 'abc'.replace('', '-') }}",
        "TrueTrueTrue|AXBaxb|They'Re Bill'S|Hello|-a-b-c-")]
    [InlineData("{{ '{} and {}'.format('a', 'b') }}|{{ '{0}{1}{0}'.format('x', 'y') }}|{{ '{name}!'.format(name='N') }}|{{ '{:>5}|{:^5}|{:05d}|{:.2f}|{:,}|{:x}|{:e}|{:.3}|{:g}|{:%}'.format('a', 'c', 42, 3.14159, 1234567, 255, 12345.678, 1234.5, 0.00001, 0.25) }}",
        "a and b|xyx|N!|    a|  c  |00042|3.14|1,234,567|ff|1.234568e+04|1.23e+03|1e-05|25.000000%")]
    [InlineData("{{ ','.join(['a', 'b']) }}|{{ 'abcabc'.find('c') }}{{ 'abc'.find('z') }}{{ 'abcabc'.rfind('c') }}{{ 'abcabc'.count('b') }}|{{ 'a\\nb\\r\\nc'.splitlines() }}|{{ '42'.zfill(5) }}|{{ 'a=b=c'.partition('=') }}",
        "a,b|2-152|['a', 'b', 'c']|00042|('a', '=', 'b=c')")]
    [InlineData("{{ l.count(1) }}{{ l.index(2) }}{{ l.copy() }}", "21[1, 2, 1]")]
    public void PythonMethods(string template, string expected) => Assert.Equal(expected, Render(template, new { l = new[] { 1, 2, 1 } }));

    [Theory]
    [InlineData("{% if %}", 1, 7)]
    [InlineData("ok\n{% for x in %}{% endfor %}", 2, 13)]
    [InlineData("{{ x | nosuchfilter }}", 1, 8)]
    [InlineData("{{ x is nosuchtest }}", 1, 9)]
    [InlineData("line1\nline2 {% break %}", 2, 10)]
    [InlineData("{% foo %}", 1, 4)]
    [InlineData("{{ 'unterminated }}", 1, 4)]
    [InlineData("{{ (1 }}", 1, 7)]
    [InlineData("{# unterminated", 1, 1)]
    [InlineData("{% include 'x' %}", 1, 4)]
    [InlineData("{% if x %}", 1, 11)]
    public void SyntaxErrorsCarryLineAndColumn(string template, int line, int column)
    {
        var error = Assert.Throws<TemplateException>(() => ChatTemplate.Parse(template));
        Assert.Equal(line, error.Line);
        Assert.Equal(column, error.Column);
        Assert.Contains($"(line {line}, column {column})", error.Message);
    }

    [Fact]
    public void UnknownFilterInsideIfFailsOnlyWhenReached()
    {
        Assert.Equal("ok", Render("{% if false %}{{ x | nosuchfilter }}{% endif %}ok"));
        Assert.Equal("No filter named 'nosuchfilter'.", Fail("{% if true %}{{ x | nosuchfilter }}{% endif %}"));
    }

    [Fact]
    public void RuntimeErrorsNameTheLine()
    {
        var error = Assert.Throws<TemplateException>(() => Render("a\nb\n{{ 1 + 'x' }}"));
        Assert.Equal(3, error.Line);
    }
}
