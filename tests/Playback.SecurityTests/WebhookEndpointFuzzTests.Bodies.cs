using System.Collections.Concurrent;
using System.Globalization;
using System.Net;
using System.Text;

namespace Playback.SecurityTests;

/// <summary>Bodies for the fuzz cases: generated, mutated, truncated, nested, mistyped and huge JSON.</summary>
public sealed partial class WebhookEndpointFuzzTests
{
    // ---- bodies ----

    private static byte[] Webhook(string callId, string controlId, string state, double? timestamp = null)
    {
        var ts = timestamp is { } t ? $"\"timestamp\":{t.ToString("R", CultureInfo.InvariantCulture)}," : string.Empty;
        return Encoding.UTF8.GetBytes(
            $$$"""{"event_type":"calling.call.play","event_channel":"swml:fuzz",{{{ts}}}"project_id":"p","space_id":"s","params":{"call_id":"{{{callId}}}","node_id":"n","control_id":"{{{controlId}}}","state":"{{{state}}}"}}""");
    }

    private static byte[] Pad(byte[] json, long length)
    {
        var padding = (int)(length - json.Length);
        Assert.True(padding >= 0);
        return [.. json[..^1], .. Enumerable.Repeat((byte)' ', padding), .. json[^1..]];
    }

    private static byte[] RandomBytes(Random random, int length)
    {
        var bytes = new byte[length];
        random.NextBytes(bytes);
        return bytes;
    }

    private static string RandomHex(Random random, int length) => Convert.ToHexStringLower(RandomBytes(random, (length + 1) / 2))[..length];

    private static string RandomAscii(Random random, int length) => new(Enumerable.Range(0, length).Select(_ => (char)random.Next(0x21, 0x7f)).ToArray());

    private static string FlipOneDigit(string hex, Random random)
    {
        var chars = hex.ToCharArray();
        var i = random.Next(chars.Length);
        chars[i] = chars[i] == '0' ? '1' : '0';
        return new string(chars);
    }

    /// <summary>One to four random edits of a JSON body: delete, insert or replace bytes, cut it short, repeat a slice, or swap a value for one of another type.</summary>
    private static byte[] Mutate(Random random, byte[] template)
    {
        var text = Encoding.UTF8.GetString(template);
        var bytes = template.ToList();
        for (var n = random.Next(1, 5); n > 0; n--)
        {
            var at = random.Next(bytes.Count + 1);
            switch (random.Next(7))
            {
                case 0 when bytes.Count > 0:
                    bytes.RemoveRange(Math.Min(at, bytes.Count - 1), Math.Min(random.Next(1, 8), bytes.Count - Math.Min(at, bytes.Count - 1)));
                    break;
                case 1:
                    bytes.InsertRange(at, RandomBytes(random, random.Next(1, 4)));
                    break;
                case 2 when bytes.Count > 0:
                    const string JsonChars = "{}[]\":,0-e.\\ntfu";
                    bytes[Math.Min(at, bytes.Count - 1)] = (byte)JsonChars[random.Next(JsonChars.Length)];
                    break;
                case 3:
                    bytes = bytes.Take(at).ToList();
                    break;
                case 4 when bytes.Count > 0:
                    var start = random.Next(bytes.Count);
                    bytes.InsertRange(at, bytes.Skip(start).Take(random.Next(1, 20)).ToList());
                    break;
                default:
                    string[] values = ["\"fuzz-call\"", "\"fuzz-control\"", "\"finished\"", "\"ended\"", "\"paused\""];
                    string[] replacements = ["1", "-1e400", "null", "true", "[]", "{}", "\"\"", "\"   \"", "\"\\u0000\"", "[\"x\"]", "{\"a\":{}}", "\"\\ud800\"", "1.7976931348623157E+309"];
                    var target = values[random.Next(values.Length)];
                    text = Encoding.UTF8.GetString(bytes.ToArray());
                    if (text.Contains(target, StringComparison.Ordinal))
                    {
                        bytes = Encoding.UTF8.GetBytes(text.Replace(target, replacements[random.Next(replacements.Length)], StringComparison.Ordinal)).ToList();
                    }

                    break;
            }
        }

        return bytes.ToArray();
    }

    private sealed record Reply(int Status, string Body);

    private sealed class Live(string callId, PlaybackHandle handle, ConcurrentQueue<PlaybackEvent> events)
    {
        private int _barriers;

        public string CallId { get; } = callId;

        public PlaybackHandle Handle { get; } = handle;

        public string ControlId => Handle.ControlId;

        public ConcurrentQueue<PlaybackEvent> Events { get; } = events;

        public int? StateEventsAtStart { get; set; }

        public int NextBarrier() => Interlocked.Increment(ref _barriers) % 39;

        /// <summary>A calling.call.play webhook about this playback, in the emulator's envelope, with a current timestamp.</summary>
        public byte[] Body(string state) => Webhook(CallId, ControlId, state, DateTimeOffset.UtcNow.ToUnixTimeMilliseconds() / 1000.0 + 1);
    }

    /// <summary>Content without a length, so HttpClient sends it chunked.</summary>
    private sealed class ChunkedContent(byte[] bytes) : HttpContent
    {
        protected override async Task SerializeToStreamAsync(Stream stream, TransportContext? context)
        {
            for (var i = 0; i < bytes.Length; i += 4096)
            {
                await stream.WriteAsync(bytes.AsMemory(i, Math.Min(4096, bytes.Length - i)));
            }
        }

        protected override bool TryComputeLength(out long length)
        {
            length = 0;
            return false;
        }
    }
}
