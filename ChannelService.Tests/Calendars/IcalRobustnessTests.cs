using System.Diagnostics;
using System.Text;
using ChannelService.Calendars;

namespace ChannelService.Tests.Calendars;

/// <summary>Mutated corpus files (fixed seed): the reader and writer never throw and always finish.</summary>
public sealed class IcalRobustnessTests
{
    private static readonly byte[][] Junk =
    [
        "\r"u8.ToArray(), "\n "u8.ToArray(), "\""u8.ToArray(), ";"u8.ToArray(), ":"u8.ToArray(), "^"u8.ToArray(), "\\"u8.ToArray(),
        "BEGIN:VEVENT\r\n"u8.ToArray(), "END:VCALENDAR\n"u8.ToArray(), "END:X\r\n"u8.ToArray(), [0xC3], [0xF0, 0x9F], [0xEF, 0xBB, 0xBF], [0],
    ];

    [Test]
    public void Thousands_Of_Mutated_Corpus_Inputs_Never_Throw()
    {
        var files = Directory.GetFiles(TestPaths.IcsCorpus, "*.ics").Order().Select(File.ReadAllBytes).ToArray();
        var rng = new Random(20260322);
        var sw = Stopwatch.StartNew();
        var parsed = 0;
        for (var round = 0; round < 3000; round++)
        {
            var source = files[rng.Next(files.Length)];
            var mutant = Mutate(source, rng);
            var options = new IcalReaderOptions { MaxPropertyBytes = 64 * 1024 };

            var tree = IcalReader.Parse(mutant, options);
            using (var stream = new MemoryStream(mutant))
            {
                var reader = new IcalReader(stream, options);
                while (reader.TryReadNext(out _))
                {
                }
            }

            var written = IcalWriter.WriteToBytes(tree.Roots, new IcalWriterOptions { UseRawLines = round % 2 == 0 });
            var again = IcalReader.Parse(written, options);
            if (round % 2 == 1)
            {
                IcalModelAssert.AreEqual(tree.Roots, again.Roots, $"mutant {round}: " + string.Join("; ", again.Diagnostics.Take(3)) + " first: " + string.Join("; ", tree.Diagnostics.Take(3)));
            }

            parsed++;
        }

        Assert.That(parsed, Is.EqualTo(3000));
        Assert.That(sw.Elapsed, Is.LessThan(TimeSpan.FromSeconds(60)), "bounded work");
    }

    private static byte[] Mutate(byte[] source, Random rng)
    {
        var data = new List<byte>(source);
        var operations = 1 + rng.Next(4);
        for (var i = 0; i < operations && data.Count > 0; i++)
        {
            switch (rng.Next(6))
            {
                case 0: // truncate
                    data = data.Take(rng.Next(data.Count + 1)).ToList();
                    break;
                case 1: // flip bytes
                    for (var k = 0; k < 1 + rng.Next(8); k++)
                    {
                        var at = rng.Next(data.Count);
                        data[at] = (byte)(data[at] ^ (1 << rng.Next(8)));
                    }

                    break;
                case 2: // duplicate or delete a line
                {
                    var lines = Encoding.Latin1.GetString(data.ToArray()).Split('\n').ToList();
                    var at = rng.Next(lines.Count);
                    if (rng.Next(2) == 0)
                    {
                        lines.Insert(at, lines[at]);
                    }
                    else
                    {
                        lines.RemoveAt(at);
                    }

                    data = Encoding.Latin1.GetBytes(string.Join('\n', lines)).ToList();
                    break;
                }

                case 3: // huge line
                    data.InsertRange(rng.Next(data.Count), Encoding.ASCII.GetBytes("X-HUGE;P=\"" + new string('h', 70_000 + rng.Next(50_000)) + "\r\n"));
                    break;
                default: // junk bytes
                    data.InsertRange(rng.Next(data.Count), Junk[rng.Next(Junk.Length)]);
                    break;
            }
        }

        return data.ToArray();
    }
}
