using System.Buffers;
using System.Text;

namespace Moxing.Text.Tokenization.Unicode;

/// <summary>
/// Unicode normalization (NFC, NFD, NFKC, NFKD) from Moxing's own tables, because String.Normalize
/// does nothing when the runtime runs with InvariantGlobalization.
/// </summary>
internal static class UnicodeNormalizer
{
    private const int HangulBase = 0xAC00, HangulCount = 11172, LBase = 0x1100, VBase = 0x1161, TBase = 0x11A7;
    private const int LCount = 19, VCount = 21, TCount = 28, NCount = VCount * TCount;

    // One bit per BMP char: set when the char can never change under the form, alone or next to others.
    private static readonly ulong[] CanonicalInert = BuildInert(compatibility: false);
    private static readonly ulong[] CompatibilityInert = BuildInert(compatibility: true);

    /// <summary>Normalizes <paramref name="text"/> to <paramref name="form"/>.</summary>
    public static string Normalize(string text, NormalizationForm form)
    {
        bool compatibility = form is NormalizationForm.FormKC or NormalizationForm.FormKD;
        ulong[] inert = compatibility ? CompatibilityInert : CanonicalInert;
        int first = FirstActive(text, 0, inert);
        if (first < 0) return text;

        // Only the runs of chars that can change are normalized, each with the starter before it.
        var builder = new StringBuilder(text.Length + 16);
        int done = 0;
        while (first >= 0)
        {
            int start = first > done ? first - 1 : first;
            int end = first;
            while (end < text.Length && !IsInert(text[end], inert)) end++;
            builder.Append(text, done, start - done);
            NormalizeRun(text.AsSpan(start, end - start), form, compatibility, builder);
            done = end;
            first = FirstActive(text, end, inert);
        }
        builder.Append(text, done, text.Length - done);
        return builder.ToString();
    }

    private static void NormalizeRun(ReadOnlySpan<char> run, NormalizationForm form, bool compatibility, StringBuilder output)
    {
        int[] buffer = ArrayPool<int>.Shared.Rent(run.Length * 4 + 16);
        try
        {
            int count = Decompose(run, compatibility, ref buffer);
            ReorderCanonically(buffer.AsSpan(0, count));
            if (form is NormalizationForm.FormC or NormalizationForm.FormKC) count = Compose(buffer.AsSpan(0, count));
            foreach (int cp in buffer.AsSpan(0, count)) CodePoints.Append(output, cp);
        }
        finally
        {
            ArrayPool<int>.Shared.Return(buffer);
        }
    }

    /// <summary>The canonical combining class of a code point (0 for starters).</summary>
    public static int CombiningClass(int codePoint)
    {
        int i = UnicodeNormalizationData.CombiningKeys.BinarySearch(codePoint);
        return i >= 0 ? UnicodeNormalizationData.CombiningClasses[i] : 0;
    }

    private static bool IsInert(char c, ulong[] inert) => (inert[c >> 6] & (1UL << (c & 63))) != 0;

    private static int FirstActive(string text, int from, ulong[] inert)
    {
        for (int i = from; i < text.Length; i++)
        {
            if (!IsInert(text[i], inert)) return i;
        }
        return -1;
    }

    private static int Decompose(ReadOnlySpan<char> text, bool compatibility, ref int[] buffer)
    {
        int count = 0;
        for (int i = 0; i < text.Length; i++)
        {
            int cp = text[i];
            if (char.IsHighSurrogate(text[i]) && i + 1 < text.Length && char.IsLowSurrogate(text[i + 1]))
            {
                cp = char.ConvertToUtf32(text[i], text[i + 1]);
                i++;
            }
            if (count + 18 > buffer.Length) Grow(ref buffer, count);
            count += DecomposeOne(cp, compatibility, buffer.AsSpan(count));
        }
        return count;
    }

    private static void Grow(ref int[] buffer, int used)
    {
        int[] bigger = ArrayPool<int>.Shared.Rent(buffer.Length * 2);
        buffer.AsSpan(0, used).CopyTo(bigger);
        ArrayPool<int>.Shared.Return(buffer);
        buffer = bigger;
    }

    private static int DecomposeOne(int cp, bool compatibility, Span<int> output)
    {
        int s = cp - HangulBase;
        if ((uint)s < HangulCount)
        {
            output[0] = LBase + s / NCount;
            output[1] = VBase + s % NCount / TCount;
            int t = s % TCount;
            if (t == 0) return 2;
            output[2] = TBase + t;
            return 3;
        }
        if (compatibility && TryCopy(cp, UnicodeNormalizationData.CompatibilityKeys, UnicodeNormalizationData.CompatibilityStarts,
                UnicodeNormalizationData.CompatibilityData, output, out int written))
        {
            return written;
        }
        if (TryCopy(cp, UnicodeNormalizationData.CanonicalKeys, UnicodeNormalizationData.CanonicalStarts,
                UnicodeNormalizationData.CanonicalData, output, out written))
        {
            return written;
        }
        output[0] = cp;
        return 1;
    }

    private static bool TryCopy(int cp, ReadOnlySpan<int> keys, ReadOnlySpan<int> starts, ReadOnlySpan<int> data,
        Span<int> output, out int written)
    {
        int i = keys.BinarySearch(cp);
        if (i < 0)
        {
            written = 0;
            return false;
        }
        ReadOnlySpan<int> mapping = data[starts[i]..starts[i + 1]];
        mapping.CopyTo(output);
        written = mapping.Length;
        return true;
    }

    // Stable insertion sort of each run of non-starters by combining class.
    private static void ReorderCanonically(Span<int> cps)
    {
        for (int i = 1; i < cps.Length; i++)
        {
            int cc = CombiningClass(cps[i]);
            if (cc == 0) continue;
            int j = i;
            int moving = cps[i];
            while (j > 0)
            {
                int previous = CombiningClass(cps[j - 1]);
                if (previous <= cc) break;
                cps[j] = cps[j - 1];
                j--;
            }
            cps[j] = moving;
        }
    }

    private static int Compose(Span<int> cps)
    {
        if (cps.Length == 0) return 0;
        int starterPos = 0;
        int starter = cps[0];
        int lastClass = CombiningClass(starter);
        if (lastClass != 0) lastClass = 256;
        int written = 1;
        for (int i = 1; i < cps.Length; i++)
        {
            int ch = cps[i];
            int chClass = CombiningClass(ch);
            int composite = ComposePair(starter, ch);
            if (composite >= 0 && (lastClass < chClass || lastClass == 0))
            {
                cps[starterPos] = composite;
                starter = composite;
                continue;
            }
            if (chClass == 0)
            {
                starterPos = written;
                starter = ch;
            }
            lastClass = chClass;
            cps[written++] = ch;
        }
        return written;
    }

    private static int ComposePair(int first, int second)
    {
        int l = first - LBase, v = second - VBase;
        if ((uint)l < LCount && (uint)v < VCount) return HangulBase + (l * VCount + v) * TCount;
        int s = first - HangulBase, t = second - TBase;
        if ((uint)s < HangulCount && s % TCount == 0 && t > 0 && t < TCount) return first + t;
        int i = UnicodeNormalizationData.CompositionPairs.BinarySearch(((long)first << 21) | (uint)second);
        return i >= 0 ? UnicodeNormalizationData.Composites[i] : -1;
    }

    private static ulong[] BuildInert(bool compatibility)
    {
        var bits = new ulong[1024];
        Array.Fill(bits, ulong.MaxValue);
        void Clear(int cp)
        {
            if (cp < 0x10000) bits[cp >> 6] &= ~(1UL << (cp & 63));
        }
        for (int cp = 0xD800; cp < 0xE000; cp++) Clear(cp);
        for (int cp = HangulBase; cp < HangulBase + HangulCount; cp++) Clear(cp);
        for (int cp = LBase; cp < TBase + TCount; cp++) Clear(cp);
        foreach (int cp in UnicodeNormalizationData.CanonicalKeys) Clear(cp);
        if (compatibility)
        {
            foreach (int cp in UnicodeNormalizationData.CompatibilityKeys) Clear(cp);
        }
        foreach (int cp in UnicodeNormalizationData.CombiningKeys) Clear(cp);
        foreach (long pair in UnicodeNormalizationData.CompositionPairs) Clear((int)(pair & 0x1FFFFF));
        return bits;
    }
}
