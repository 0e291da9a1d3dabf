using System.Text;
using Moxing.Text.Tokenization.Unicode;

namespace Moxing.Text.Tokenization.Normalizers;

/// <summary>NFC, NFD, NFKC or NFKD.</summary>
internal sealed class UnicodeFormNormalizer(NormalizationForm form) : TextNormalizer
{
    /// <inheritdoc/>
    public override string Transform(string text) => UnicodeNormalizer.Normalize(text, form);
}
