using System.Text;

namespace Playback.Tests;

/// <summary>The one-pass parser reads every body as the <see cref="System.Text.Json.JsonDocument"/> parser it replaced did.</summary>
public sealed class WebhookParserTests
{
    private static readonly string[] Seeds =
    [
        """{"event_type":"calling.call.play","event_channel":"swml:x","timestamp":1700000000.123,"project_id":"p","space_id":"s","params":{"call_id":"call-1","node_id":"n","control_id":"c1","state":"paused"}}""",
        """{"event_type":"calling.call.state","timestamp":"2024-01-02T03:04:05Z","params":{"call_id":"call-1","call_state":"ended","extra":[1,{"a":null}]}}""",
        """{"call_id":"call-2","node_id":"n","control_id":"c2","state":"finished","timestamp":"1700000000"}""",
        """{"call_id":"call-3","call_state":"answered"}""",
        """{"event_type":"calling.call.record","params":{"call_id":"c"}}""",
    ];

    public static TheoryData<string> Edges => new()
    {
        "", " ", "null", "[1,2]", "\"text\"", "7", "{}", "{} {}", "{}x", "{\"a\":1,}", "{/*c*/}", "\uFEFF{}",
        """{"event_type":7,"params":{}}""",
        """{"event_type":null,"params":{}}""",
        """{"event_type":"calling.call.play"}""",
        """{"event_type":"calling.call.play","params":"oops"}""",
        """{"event_type":"calling.call.play","params":{"call_id":"c","control_id":"x","state":"playing"},"params":5}""",
        """{"event_type":"calling.call.play","params":5,"params":{"call_id":"c","control_id":"x","state":"playing"}}""",
        """{"event_type":"calling.call.play","params":{"call_id":"a","call_id":"b","control_id":"x","state":"playing","state":"finished"}}""",
        """{"event_type":"calling.call.p\u006cay","params":{"call\u005fid":"c","control_id":"x\"y","state":"pla\u0079ing"}}""",
        """{"event_type":"calling.call.play","params":{"call_id":"\ud800","control_id":"x","state":"playing"}}""",
        """{"event_type":"\ud800","params":{}}""",
        """{"event_type":"calling.call.play","timestamp":1e400,"params":{"call_id":"c","control_id":"x","state":"playing"}}""",
        """{"event_type":"calling.call.play","timestamp":-1,"params":{"call_id":"c","control_id":"x","state":"playing"}}""",
        """{"event_type":"calling.call.play","timestamp":"yesterday","params":{"call_id":"c","control_id":"x","state":"playing"}}""",
        """{"event_type":"calling.call.play","timestamp":{},"params":{"call_id":"c","control_id":"x","state":"playing"}}""",
        """{"event_type":"calling.call.play","params":{"call_id":" ","control_id":"x","state":"playing"}}""",
        """{"event_type":"calling.call.play","params":{"call_id":"c","control_id":"x","state":"buffering"}}""",
        """{"event_type":"calling.call.state","params":{"call_id":"c","call_state":"exploded","timestamp":5}}""",
        """{"params":{"call_id":"c","control_id":"x","state":"playing"},"control_id":"root"}""",
        """{"params":{"call_id":"c","call_state":"ended"},"timestamp":1700000000}""",
        """{"call_id":"c","call_state":"ended","control_id":"x","state":"error"}""",
        """{"a":{"b":{"c":{"d":{"e":{"f":{"g":{"h":{"i":{"j":{"k":{"l":{"m":{"n":{"o":{"p":{"q":{"r":{"s":{"t":{"u":{"v":{"w":{"x":{"y":{"z":{"A":{"B":{"C":{"D":{"E":{"F":{"G":1}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}""",
    };

    [Theory]
    [MemberData(nameof(Edges))]
    public void Edge_cases_are_read_as_before(string body) => AssertSame(Encoding.UTF8.GetBytes(body));

    [Fact]
    public void Invalid_utf8_in_a_value_read_is_malformed_and_elsewhere_harmless()
    {
        byte[] prefix = [.. "{\"call_id\":\"c\",\"control_id\":\""u8], suffix = [.. "\",\"state\":\"playing\",\"other\":\""u8], end = [.. "\"}"u8];
        byte[] bad = [0xff, 0xfe];
        AssertSame([.. prefix, .. bad, .. suffix, .. end]);
        AssertSame([.. prefix, .. "x"u8, .. suffix, .. bad, .. end]);
    }

    [Fact]
    public void Thousands_of_mutated_bodies_are_read_as_before()
    {
        var random = new Random(20240615);
        byte[] alphabet = [.. "{}[]\":,\\ 0123456789.eE-+tfnul\"abc_"u8, 0xff, 0xc3];
        var compared = 0;
        foreach (var seed in Seeds.Select(Encoding.UTF8.GetBytes))
        {
            AssertSame(seed);
            for (var i = 0; i < 4_000; i++)
            {
                var body = seed.ToList();
                for (var edits = random.Next(1, 4); edits > 0 && body.Count > 0; edits--)
                {
                    var at = random.Next(body.Count);
                    switch (random.Next(3))
                    {
                        case 0:
                            body[at] = alphabet[random.Next(alphabet.Length)];
                            break;
                        case 1:
                            body.RemoveAt(at);
                            break;
                        default:
                            body.Insert(at, alphabet[random.Next(alphabet.Length)]);
                            break;
                    }
                }

                AssertSame([.. body]);
                compared++;
            }
        }

        Assert.Equal(Seeds.Length * 4_000, compared);
    }

    private static void AssertSame(byte[] body)
    {
        var expected = DocumentWebhookParser.Parse(body);
        var actual = WebhookParser.Parse(body);
        var what = Encoding.UTF8.GetString(body);
        Assert.True(Equals(expected.Message, actual.Message), $"{what}: {expected.Message} vs {actual.Message}");
        Assert.Equal((expected.Result?.Status, expected.Result?.Rejection), (actual.Result?.Status, actual.Result?.Rejection));

        // Malformed bodies may be described in other words; every other reason is the same.
        if (expected.Result?.Reason is { } reason && !reason.StartsWith("malformed JSON", StringComparison.Ordinal))
        {
            Assert.True(reason == actual.Result!.Reason, $"{what}: {reason} vs {actual.Result.Reason}");
        }
    }
}
