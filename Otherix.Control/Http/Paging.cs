using System.Buffers.Text;
using System.Globalization;
using Otherix.Api.Common;

namespace Otherix.Control.Http;

/// <summary><c>?limit=&amp;cursor=</c>: limit 1..200 (default 50, clamped), cursor opaque.</summary>
public sealed record Paging(int Limit, Guid? After)
{
    /// <summary>Default page size.</summary>
    public const int DefaultLimit = 50;

    /// <summary>Largest page size.</summary>
    public const int MaxLimit = 200;

    /// <summary>Reads the paging parameters.</summary>
    /// <exception cref="ApiException">limit is not a number or the cursor is not one of ours.</exception>
    public static Paging From(HttpRequest request)
    {
        ArgumentNullException.ThrowIfNull(request);
        var limit = DefaultLimit;
        if (request.Query.TryGetValue("limit", out var limitText))
        {
            if (!int.TryParse(limitText, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out limit))
            {
                throw ApiException.Validation($"limit must be a whole number from 1 to {MaxLimit}");
            }

            limit = Math.Clamp(limit, 1, MaxLimit);
        }

        Guid? after = null;
        if (request.Query.TryGetValue("cursor", out var cursorText) && !string.IsNullOrEmpty(cursorText))
        {
            Span<byte> bytes = stackalloc byte[16];
            if (!Base64Url.IsValid(cursorText.ToString()) || Base64Url.DecodeFromChars(cursorText.ToString(), bytes) != 16)
            {
                throw ApiException.Validation("cursor is not valid; pass the next_cursor of the previous page unchanged");
            }

            after = new Guid(bytes, bigEndian: true);
        }

        return new Paging(limit, after);
    }

    /// <summary>The cursor that continues after <paramref name="key"/>.</summary>
    public static string? CursorOf(Guid? key)
    {
        if (key is not { } k)
        {
            return null;
        }

        Span<byte> bytes = stackalloc byte[16];
        k.TryWriteBytes(bytes, bigEndian: true, out _);
        return Base64Url.EncodeToString(bytes);
    }

    /// <summary>A list answer from a page of store records.</summary>
    public static ListResponse<TOut> Response<TIn, TOut>(Store.Page<TIn> page, Func<TIn, TOut> map) =>
        new(page.Items.Select(map).ToList(), new ListMeta(CursorOf(page.After)));
}
