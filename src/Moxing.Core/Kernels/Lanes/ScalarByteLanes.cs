using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace Moxing.Core.Kernels.Lanes;

/// <summary>32 bytes held in memory, for the scalar reference.</summary>
[InlineArray(32)]
internal struct Bytes32
{
    private byte _first;
}

/// <summary>One code at a time with exact integer arithmetic: the reference every vector path is checked against.</summary>
internal readonly unsafe struct ScalarByteLanes : IByteLanes<Bytes32, int, float>
{
    public static bool IsSupported => true;
    public static int Zero => 0;

    public static Bytes32 Load(byte* p) => *(Bytes32*)p;

    public static Bytes32 Words(ulong* a, ulong* b, ulong* c, ulong* d)
    {
        var v = new Bytes32();
        var words = (ulong*)&v;
        (words[0], words[1], words[2], words[3]) = (*a, *b, *c, *d);
        return v;
    }

    public static Bytes32 HalfWords(uint* a, uint* b, uint* c, uint* d, uint* e, uint* f, uint* g, uint* h)
    {
        var v = new Bytes32();
        var words = (uint*)&v;
        (words[0], words[1], words[2], words[3], words[4], words[5], words[6], words[7]) = (*a, *b, *c, *d, *e, *f, *g, *h);
        return v;
    }

    public static Bytes32 Nibbles(byte* p)
    {
        var v = new Bytes32();
        for (var i = 0; i < 16; i++)
        {
            v[i] = (byte)(p[i] & 15);
            v[i + 16] = (byte)(p[i] >> 4);
        }
        return v;
    }

    public static Bytes32 And(Bytes32 v, byte mask) => Map(v, mask, static (a, m) => a & m);
    public static Bytes32 Or(Bytes32 a, Bytes32 b) => Zip(a, b, static (x, y) => x | y);
    public static Bytes32 ShiftRight(Bytes32 v, int n) => Map(v, n, static (a, s) => a >> s);
    public static Bytes32 ShiftLeft(Bytes32 v, int n) => Map(v, n, static (a, s) => a << s);

    public static Bytes32 Bits(uint word, byte value)
    {
        var v = new Bytes32();
        for (var i = 0; i < 32; i++) v[i] = ((word >> i) & 1) != 0 ? value : (byte)0;
        return v;
    }

    public static Bytes32 Lookup(Bytes32 v, Vector128<sbyte> table)
    {
        for (var i = 0; i < 32; i++) v[i] = (byte)table.GetElement(v[i]);
        return v;
    }

    public static Bytes32 LoadShorts(short* p) => *(Bytes32*)p;

    public static Bytes32 Widen(Vector128<sbyte> values, short factor)
    {
        var v = new Bytes32();
        var shorts = (short*)&v;
        for (var i = 0; i < 16; i++) shorts[i] = (short)(values.GetElement(i) * factor);
        return v;
    }

    public static Bytes32 ScalePair(Bytes32 scales, int chunk)
    {
        var s = (short*)&scales;
        var v = new Bytes32();
        var pair = (short*)&v;
        pair[0] = s[chunk];
        pair[1] = s[8 + chunk];
        return v;
    }

    public static Bytes32 ShortPair(short first, short second)
    {
        var v = new Bytes32();
        var pair = (short*)&v;
        (pair[0], pair[1]) = (first, second);
        return v;
    }

    public static int Dot(Bytes32 u, Bytes32 s, int acc) => DotSigned(u, s, acc, signedA: false);
    public static int DotSigned(Bytes32 a, Bytes32 b, int acc) => DotSigned(a, b, acc, signedA: true);

    public static int DotScaled(Bytes32 u, Bytes32 s, Bytes32 multipliers, int acc) => DotScaled(u, s, multipliers, acc, signedA: false);
    public static int DotScaledSigned(Bytes32 a, Bytes32 s, Bytes32 multipliers, int acc) => DotScaled(a, s, multipliers, acc, signedA: true);

    public static Bytes32 Negated(Bytes32 v, Bytes32 negative) => Zip(v, negative, (x, n) => (x ^ n) - n);

    public static int DotShorts(Bytes32 a, Bytes32 b, int acc)
    {
        short* x = (short*)&a, y = (short*)&b;
        for (var j = 0; j < 16; j++) acc += x[j] * y[j];
        return acc;
    }

    public static int Add(int a, int b) => a + b;

    public static Vector128<int> Sum4(int a, int b, int c, int d) => Vector128.Create(a, b, c, d);

    private static int DotSigned(Bytes32 a, Bytes32 b, int acc, bool signedA)
    {
        for (var i = 0; i < 32; i++) acc += Code(a[i], signedA) * (sbyte)b[i];
        return acc;
    }

    private static int DotScaled(Bytes32 a, Bytes32 s, Bytes32 multipliers, int acc, bool signedA)
    {
        var m = (short*)&multipliers;
        for (var half = 0; half < 2; half++)
        {
            var sum = 0;
            for (var i = 16 * half; i < 16 * half + 16; i++) sum += Code(a[i], signedA) * (sbyte)s[i];
            acc += m[half] * sum;
        }
        return acc;
    }

    private static int Code(byte b, bool signed) => signed ? (sbyte)b : b;

    private static Bytes32 Map(Bytes32 v, int arg, Func<int, int, int> f)
    {
        for (var i = 0; i < 32; i++) v[i] = (byte)f(v[i], arg);
        return v;
    }

    private static Bytes32 Zip(Bytes32 a, Bytes32 b, Func<int, int, int> f)
    {
        for (var i = 0; i < 32; i++) a[i] = (byte)f(a[i], b[i]);
        return a;
    }
}
