using System.Buffers.Text;
using System.Text;

namespace Runtime.Grains.Paging;

/// <summary>One page of a list, newest first, with the cursor of the next page (null on the last).</summary>
public sealed record Page<T>(IReadOnlyList<T> Items, string? NextCursor);

/// <summary>An opaque position in a newest-first list: the (created_at, key) of the last item seen.</summary>
public readonly record struct Cursor(DateTimeOffset CreatedAt, string Key)
{
    public const int DefaultLimit = 100;
    public const int MaxLimit = 1000;

    public string Encode() => Base64Url.EncodeToString(Encoding.UTF8.GetBytes($"{CreatedAt.UtcTicks}:{Key}"));

    /// <summary>Reads a cursor from a request; null for none; a <see cref="ValidationException"/> on anything we did not issue.</summary>
    public static Cursor? Decode(string? value, string field = "cursor")
    {
        if (string.IsNullOrEmpty(value))
            return null;
        try
        {
            var text = Encoding.UTF8.GetString(Base64Url.DecodeFromChars(value));
            var colon = text.IndexOf(':');
            if (colon > 0 && long.TryParse(text.AsSpan(0, colon), out var ticks) && ticks >= 0 && ticks <= DateTimeOffset.MaxValue.UtcTicks)
                return new Cursor(new DateTimeOffset(ticks, TimeSpan.Zero), text[(colon + 1)..]);
        }
        catch (FormatException)
        {
        }
        throw new ValidationException(field, "This is not a cursor from a previous page; pass the nextCursor value exactly as returned.");
    }

    /// <summary>Checks a page size from a request.</summary>
    public static int Limit(int? limit, string field = "limit")
    {
        var value = limit ?? DefaultLimit;
        if (value is < 1 or > MaxLimit)
            throw new ValidationException(field, $"limit must be between 1 and {MaxLimit}; it was {value}.");
        return value;
    }
}

/// <summary>Pages a list that is already in memory (members of a workspace).</summary>
public static class InMemoryPaging
{
    /// <summary>Newest first by <paramref name="position"/>; starts after <paramref name="after"/>.</summary>
    public static Page<T> Page<T>(IEnumerable<T> items, Func<T, Cursor> position, Cursor? after, int limit)
    {
        var ordered = items.Select(i => (Item: i, At: position(i)))
            .OrderByDescending(x => x.At.CreatedAt).ThenByDescending(x => x.At.Key, StringComparer.Ordinal)
            .Where(x => after is not { } a || x.At.CreatedAt < a.CreatedAt || (x.At.CreatedAt == a.CreatedAt && string.CompareOrdinal(x.At.Key, a.Key) < 0))
            .Take(limit + 1)
            .ToList();
        var more = ordered.Count > limit;
        var page = ordered.Take(limit).ToList();
        return new Page<T>(page.Select(x => x.Item).ToList(), more ? page[^1].At.Encode() : null);
    }
}
