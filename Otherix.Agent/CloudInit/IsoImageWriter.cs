using System.Buffers.Binary;
using System.Text;

namespace Otherix.Agent.CloudInit;

/// <summary>A file in the root directory of an ISO image.</summary>
public sealed record IsoFile(string Name, ReadOnlyMemory<byte> Content);

/// <summary>
/// Writes a small ISO 9660 image with Joliet names, every file in the root directory: what a
/// NoCloud seed needs. (DiscUtils is not available from our registry.) The primary volume
/// carries 8.3 upper-case names (<c>META_DAT.;1</c>), the Joliet volume the real ones
/// (<c>meta-data</c>), which Linux and cloud-init read. Output is deterministic for a given timestamp.
/// </summary>
public static class IsoImageWriter
{
    private const int Sector = 2048;
    private const int FirstDescriptor = 16;
    private const int MaxJolietNameChars = 64;

    /// <summary>Builds the image. <paramref name="volumeId"/> is the label (e.g. <c>cidata</c>), at most 16 ASCII characters.</summary>
    public static byte[] Build(string volumeId, IReadOnlyList<IsoFile> files, DateTimeOffset timestamp)
    {
        ArgumentNullException.ThrowIfNull(volumeId);
        ArgumentNullException.ThrowIfNull(files);
        ValidateVolumeId(volumeId);
        foreach (var file in files)
        {
            ValidateName(file.Name);
        }

        if (files.Select(f => f.Name).Distinct(StringComparer.Ordinal).Count() != files.Count)
        {
            throw new ArgumentException("file names must be unique", nameof(files));
        }

        // Layout: descriptors (16, 17, 18), four one-sector path tables, two root directories, then the files.
        const int PrimaryLPath = 19, PrimaryMPath = 20, JolietLPath = 21, JolietMPath = 22, PrimaryRoot = 23, JolietRoot = 24;
        var primaryNames = ShortNames(files);
        var jolietOrder = files.OrderBy(f => f.Name, StringComparer.Ordinal).ToList();
        var primaryOrder = files.OrderBy(f => primaryNames[f.Name], StringComparer.Ordinal).ToList();
        var extents = new Dictionary<string, int>(StringComparer.Ordinal);
        var next = JolietRoot + 1;
        foreach (var file in jolietOrder)
        {
            extents[file.Name] = next;
            next += Math.Max(1, (file.Content.Length + Sector - 1) / Sector);
        }

        var totalSectors = next;
        var image = new byte[totalSectors * Sector];
        var primaryRootDir = Directory(PrimaryRoot, primaryOrder.Select(f => (Ascii(primaryNames[f.Name]), extents[f.Name], f.Content.Length)), timestamp);
        var jolietRootDir = Directory(JolietRoot, jolietOrder.Select(f => (Ucs2(f.Name), extents[f.Name], f.Content.Length)), timestamp);
        primaryRootDir.CopyTo(image.AsSpan(PrimaryRoot * Sector));
        jolietRootDir.CopyTo(image.AsSpan(JolietRoot * Sector));

        WriteDescriptor(image.AsSpan(FirstDescriptor * Sector, Sector), joliet: false, volumeId, totalSectors, PrimaryLPath, PrimaryMPath, PrimaryRoot, timestamp);
        WriteDescriptor(image.AsSpan((FirstDescriptor + 1) * Sector, Sector), joliet: true, volumeId, totalSectors, JolietLPath, JolietMPath, JolietRoot, timestamp);
        var terminator = image.AsSpan((FirstDescriptor + 2) * Sector, Sector);
        terminator[0] = 255;
        Encoding.ASCII.GetBytes("CD001").CopyTo(terminator[1..]);
        terminator[6] = 1;

        WritePathTable(image.AsSpan(PrimaryLPath * Sector), PrimaryRoot, bigEndian: false);
        WritePathTable(image.AsSpan(PrimaryMPath * Sector), PrimaryRoot, bigEndian: true);
        WritePathTable(image.AsSpan(JolietLPath * Sector), JolietRoot, bigEndian: false);
        WritePathTable(image.AsSpan(JolietMPath * Sector), JolietRoot, bigEndian: true);

        foreach (var file in files)
        {
            file.Content.Span.CopyTo(image.AsSpan(extents[file.Name] * Sector));
        }

        return image;
    }

    private static void ValidateVolumeId(string volumeId)
    {
        if (volumeId.Length is 0 or > 16 || volumeId.Any(c => c is < '!' or > '~'))
        {
            throw new ArgumentException($"volume id '{volumeId}' must be 1 to 16 printable ASCII characters", nameof(volumeId));
        }
    }

    private static void ValidateName(string name)
    {
        if (name.Length is 0 or > MaxJolietNameChars || name is "." or ".."
            || name.Any(c => char.IsControl(c) || c is '/' or '\\' or '*' or ':' or ';' or '?' || char.IsSurrogate(c)))
        {
            throw new ArgumentException($"'{name}' is not a valid file name for a Joliet volume", nameof(name));
        }
    }

    /// <summary>8.3 upper-case d-character names (<c>META_DAT.;1</c>), made unique with a numeric suffix where they collide.</summary>
    private static Dictionary<string, string> ShortNames(IEnumerable<IsoFile> files)
    {
        static string Clean(string part, int max) =>
            new(part.ToUpperInvariant().Select(c => c is >= 'A' and <= 'Z' or >= '0' and <= '9' ? c : '_').Take(max).ToArray());

        var result = new Dictionary<string, string>(StringComparer.Ordinal);
        var used = new HashSet<string>(StringComparer.Ordinal);
        foreach (var file in files.OrderBy(f => f.Name, StringComparer.Ordinal))
        {
            var dot = file.Name.LastIndexOf('.');
            var stem = Clean(dot > 0 ? file.Name[..dot] : file.Name, 8);
            var extension = dot > 0 ? Clean(file.Name[(dot + 1)..], 3) : "";
            var candidate = $"{stem}.{extension};1";
            for (var n = 1; !used.Add(candidate); n++)
            {
                var suffix = n.ToString(System.Globalization.CultureInfo.InvariantCulture);
                candidate = $"{stem[..Math.Min(stem.Length, 8 - suffix.Length)]}{suffix}.{extension};1";
            }

            result[file.Name] = candidate;
        }

        return result;
    }

    private static byte[] Ascii(string text) => Encoding.ASCII.GetBytes(text);

    private static byte[] Ucs2(string text) => Encoding.BigEndianUnicode.GetBytes(text);

    private static byte[] Directory(int self, IEnumerable<(byte[] Id, int Extent, int Length)> entries, DateTimeOffset timestamp)
    {
        var sector = new byte[Sector];
        var offset = 0;
        offset += WriteRecord(sector.AsSpan(offset), [0], self, Sector, isDirectory: true, timestamp);
        offset += WriteRecord(sector.AsSpan(offset), [1], self, Sector, isDirectory: true, timestamp);
        foreach (var (id, extent, length) in entries)
        {
            var size = RecordLength(id.Length);
            if (offset + size > Sector)
            {
                throw new ArgumentException("too many files for a one-sector root directory");
            }

            offset += WriteRecord(sector.AsSpan(offset), id, extent, length, isDirectory: false, timestamp);
        }

        return sector;
    }

    private static int RecordLength(int idLength) => 33 + idLength + (idLength % 2 == 0 ? 1 : 0);

    private static int WriteRecord(Span<byte> record, ReadOnlySpan<byte> id, int extent, int length, bool isDirectory, DateTimeOffset timestamp)
    {
        var size = RecordLength(id.Length);
        record[0] = (byte)size;
        record[1] = 0;
        BothEndian32(record[2..], extent);
        BothEndian32(record[10..], length);
        RecordingDate(record[18..], timestamp);
        record[25] = isDirectory ? (byte)0x02 : (byte)0;
        BothEndian16(record[28..], 1);
        record[32] = (byte)id.Length;
        id.CopyTo(record[33..]);
        return size;
    }

    private static void WriteDescriptor(
        Span<byte> d, bool joliet, string volumeId, int totalSectors, int lPath, int mPath, int root, DateTimeOffset timestamp)
    {
        d[0] = joliet ? (byte)2 : (byte)1;
        Encoding.ASCII.GetBytes("CD001").CopyTo(d[1..]);
        d[6] = 1;
        Text(d.Slice(8, 32), "LINUX", joliet);
        Text(d.Slice(40, 32), volumeId, joliet);
        BothEndian32(d[80..], totalSectors);
        if (joliet)
        {
            // Escape sequence for Joliet UCS-2 level 3.
            d[88] = 0x25;
            d[89] = 0x2F;
            d[90] = 0x45;
        }

        BothEndian16(d[120..], 1);
        BothEndian16(d[124..], 1);
        BothEndian16(d[128..], Sector);
        BothEndian32(d[132..], PathTableSize);
        BinaryPrimitives.WriteInt32LittleEndian(d[140..], lPath);
        BinaryPrimitives.WriteInt32BigEndian(d[148..], mPath);
        WriteRecord(d[156..], [0], root, Sector, isDirectory: true, timestamp);
        foreach (var (start, length) in new[] { (190, 128), (318, 128), (446, 128), (574, 128), (702, 37), (739, 37), (776, 37) })
        {
            Text(d.Slice(start, length), "", joliet);
        }

        Text(d.Slice(574, 128), "OTHERIX", joliet);
        VolumeDate(d[813..], timestamp);
        VolumeDate(d[830..], timestamp);
        VolumeDate(d[847..], null);
        VolumeDate(d[864..], null);
        d[881] = 1;
    }

    private const int PathTableSize = 10;

    private static void WritePathTable(Span<byte> table, int root, bool bigEndian)
    {
        table[0] = 1; // identifier length
        table[1] = 0;
        if (bigEndian)
        {
            BinaryPrimitives.WriteInt32BigEndian(table[2..], root);
            BinaryPrimitives.WriteInt16BigEndian(table[6..], 1);
        }
        else
        {
            BinaryPrimitives.WriteInt32LittleEndian(table[2..], root);
            BinaryPrimitives.WriteInt16LittleEndian(table[6..], 1);
        }

        table[8] = 0; // root identifier, then one pad byte
        table[9] = 0;
    }

    /// <summary>A space-padded identifier: ASCII in the primary descriptor, UCS-2 big-endian in Joliet's.</summary>
    private static void Text(Span<byte> field, string text, bool joliet)
    {
        if (joliet)
        {
            for (var i = 0; i + 1 < field.Length; i += 2)
            {
                var c = i / 2 < text.Length ? text[i / 2] : ' ';
                BinaryPrimitives.WriteUInt16BigEndian(field[i..], c);
            }

            if (field.Length % 2 == 1)
            {
                field[^1] = 0x20;
            }
        }
        else
        {
            field.Fill((byte)' ');
            Encoding.ASCII.GetBytes(text.AsSpan(0, Math.Min(text.Length, field.Length)), field);
        }
    }

    private static void BothEndian16(Span<byte> field, int value)
    {
        BinaryPrimitives.WriteInt16LittleEndian(field, (short)value);
        BinaryPrimitives.WriteInt16BigEndian(field[2..], (short)value);
    }

    private static void BothEndian32(Span<byte> field, int value)
    {
        BinaryPrimitives.WriteInt32LittleEndian(field, value);
        BinaryPrimitives.WriteInt32BigEndian(field[4..], value);
    }

    private static void RecordingDate(Span<byte> field, DateTimeOffset timestamp)
    {
        var utc = timestamp.UtcDateTime;
        field[0] = (byte)(utc.Year - 1900);
        field[1] = (byte)utc.Month;
        field[2] = (byte)utc.Day;
        field[3] = (byte)utc.Hour;
        field[4] = (byte)utc.Minute;
        field[5] = (byte)utc.Second;
        field[6] = 0; // UTC
    }

    private static void VolumeDate(Span<byte> field, DateTimeOffset? timestamp)
    {
        var text = timestamp is { } t
            ? t.UtcDateTime.ToString("yyyyMMddHHmmss", System.Globalization.CultureInfo.InvariantCulture) + (t.UtcDateTime.Millisecond / 10).ToString("00", System.Globalization.CultureInfo.InvariantCulture)
            : "0000000000000000";
        Encoding.ASCII.GetBytes(text).CopyTo(field);
        field[16] = 0;
    }
}
