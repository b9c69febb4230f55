using System.Globalization;
using System.Text.Json;

namespace Playback.Tests;

public class MediaJsonTests
{
    // ---- writing ----

    [Fact]
    public void Serialize_writes_every_type_in_the_nested_form_with_nulls_omitted()
    {
        var json = MediaJson.Serialize(
        [
            Media.Tts("Hi", "en-US", TtsGender.Male, "Polly.Joanna"),
            Media.Silence(1),
            Media.Audio("https://cdn.example.com/a.mp3"),
            Media.Ringtone("us", 2.5),
            Media.Ringtone("bong"),
            Media.Tts("Bye"),
        ]);

        Assert.Equal(
            """[{"type":"tts","params":{"text":"Hi","language":"en-US","gender":"male","voice":"Polly.Joanna"}},""" +
            """{"type":"silence","params":{"duration":1}},""" +
            """{"type":"audio","params":{"url":"https://cdn.example.com/a.mp3"}},""" +
            """{"type":"ringtone","params":{"name":"us","duration":2.5}},""" +
            """{"type":"ringtone","params":{"name":"bong"}},""" +
            """{"type":"tts","params":{"text":"Bye"}}]""",
            json);
    }

    [Fact]
    public void Serialize_writes_female_gender_and_only_the_overrides_that_are_set()
    {
        Assert.Equal(
            """[{"type":"tts","params":{"text":"Hallo","gender":"female"}}]""",
            MediaJson.Serialize([Media.Tts("Hallo", gender: TtsGender.Female)]));
        Assert.Equal(
            """[{"type":"tts","params":{"text":"Hallo","voice":"Polly.Marlene"}}]""",
            MediaJson.Serialize([Media.Tts("Hallo", voice: "Polly.Marlene")]));
    }

    [Fact]
    public void Serialize_of_an_empty_list_is_an_empty_array()
    {
        Assert.Equal("[]", MediaJson.Serialize([]));
    }

    [Fact]
    public void Serialize_writes_invariant_decimals_under_a_comma_culture()
    {
        var saved = CultureInfo.CurrentCulture;
        var savedUi = CultureInfo.CurrentUICulture;
        try
        {
            CultureInfo.CurrentCulture = new CultureInfo("de-DE");
            CultureInfo.CurrentUICulture = new CultureInfo("de-DE");
            Assert.Equal("1,5", 1.5.ToString(CultureInfo.CurrentCulture)); // the culture really is active

            var json = MediaJson.Serialize([Media.Silence(1.5), Media.Ringtone("de", 0.25)]);

            Assert.Equal("""[{"type":"silence","params":{"duration":1.5}},{"type":"ringtone","params":{"name":"de","duration":0.25}}]""", json);
        }
        finally
        {
            CultureInfo.CurrentCulture = saved;
            CultureInfo.CurrentUICulture = savedUi;
        }
    }

    [Fact]
    public void Serialize_then_parse_round_trips_to_equal_records()
    {
        MediaItem[] items =
        [
            Media.Tts("Hi", "en-US", TtsGender.Male, "Polly.Joanna"),
            Media.Tts("Plain"),
            Media.Silence(0.75),
            Media.Audio("https://cdn.example.com/a.mp3"),
            Media.Ringtone("uk", 4),
            Media.Ringtone("bong"),
        ];

        Assert.Equal(items, MediaJson.Parse(MediaJson.Serialize(items)));
    }

    [Fact]
    public void JsonSerializer_uses_the_converter_attribute_to_write_the_nested_form()
    {
        MediaItem[] items = [Media.Silence(2), Media.Tts("Yo", gender: TtsGender.Female)];

        Assert.Equal(
            """[{"type":"silence","params":{"duration":2}},{"type":"tts","params":{"text":"Yo","gender":"female"}}]""",
            JsonSerializer.Serialize(items));
    }

    // ---- reading: nested and flat forms give equal records ----

    public static TheoryData<string, string, MediaItem> NestedAndFlat => new()
    {
        {
            """{"type":"audio","params":{"url":"https://cdn.example.com/a.mp3"}}""",
            """{"type":"audio","url":"https://cdn.example.com/a.mp3"}""",
            new AudioMedia("https://cdn.example.com/a.mp3")
        },
        {
            """{"type":"tts","params":{"text":"Hi","language":"en-US","gender":"male","voice":"Polly.Joanna"}}""",
            """{"type":"tts","text":"Hi","language":"en-US","gender":"male","voice":"Polly.Joanna"}""",
            new TtsMedia("Hi", "en-US", TtsGender.Male, "Polly.Joanna")
        },
        {
            """{"type":"tts","params":{"text":"Hi"}}""",
            """{"type":"tts","text":"Hi"}""",
            new TtsMedia("Hi")
        },
        {
            """{"type":"silence","params":{"duration":1.5}}""",
            """{"type":"silence","duration":1.5}""",
            new SilenceMedia(1.5)
        },
        {
            """{"type":"ringtone","params":{"name":"us","duration":3}}""",
            """{"type":"ringtone","name":"us","duration":3}""",
            new RingtoneMedia("us", 3)
        },
        {
            """{"type":"ringtone","params":{"name":"bong"}}""",
            """{"type":"ringtone","name":"bong"}""",
            new RingtoneMedia("bong")
        },
    };

    [Theory]
    [MemberData(nameof(NestedAndFlat))]
    public void Parse_reads_the_nested_and_the_flat_form_into_equal_records(string nested, string flat, MediaItem expected)
    {
        var fromNested = Assert.Single(MediaJson.Parse(nested));
        var fromFlat = Assert.Single(MediaJson.Parse(flat));

        Assert.Equal(expected, fromNested);
        Assert.Equal(expected, fromFlat);
        Assert.Equal(fromNested, fromFlat);
        Assert.Equal(expected.GetType(), fromFlat.GetType());
    }

    [Theory]
    [MemberData(nameof(NestedAndFlat))]
    public void JsonSerializer_deserializes_both_forms_through_the_converter_attribute(string nested, string flat, MediaItem expected)
    {
        var items = JsonSerializer.Deserialize<MediaItem[]>($"[{nested},{flat}]");

        Assert.NotNull(items);
        Assert.Equal([expected, expected], items);
        Assert.Equal(expected, JsonSerializer.Deserialize<MediaItem>(flat));
    }

    [Fact]
    public void Parse_reads_a_mixed_array_in_order()
    {
        var items = MediaJson.Parse(
            """[{"type":"tts","text":"One"},{"type":"silence","params":{"duration":1}},{"type":"audio","url":"https://cdn.example.com/b.wav"}]""");

        Assert.Equal<MediaItem>([new TtsMedia("One"), new SilenceMedia(1), new AudioMedia("https://cdn.example.com/b.wav")], items);
    }

    [Fact]
    public void Parse_treats_explicit_nulls_as_absent_optional_fields()
    {
        Assert.Equal(
            new TtsMedia("Hi"),
            Assert.Single(MediaJson.Parse("""{"type":"tts","params":{"text":"Hi","language":null,"gender":null,"voice":null}}""")));
        Assert.Equal(
            new RingtoneMedia("us"),
            Assert.Single(MediaJson.Parse("""{"type":"ringtone","name":"us","duration":null}""")));
    }

    // ---- reading: errors name the item ----

    public static TheoryData<string, string> BadSecondItems => new()
    {
        // unknown type
        { """{"type":"video","params":{"url":"https://cdn.example.com/a.mp4"}}""", "media[1].type" },
        // unknown key, nested and flat
        { """{"type":"audio","params":{"url":"https://cdn.example.com/a.mp3","loop":2}}""", "loop" },
        { """{"type":"silence","duration":1,"volume":3}""", "volume" },
        // missing required field
        { """{"type":"audio","params":{}}""", "media[1].url" },
        { """{"type":"tts","language":"en-US"}""", "media[1].text" },
        { """{"type":"silence"}""", "media[1].duration" },
        { """{"type":"ringtone","params":{"duration":2}}""", "media[1].name" },
        { """{"params":{"text":"Hi"}}""", "media[1].type" },
        // wrong JSON type
        { """{"type":"silence","params":{"duration":"1"}}""", "media[1].duration" },
        { """{"type":"tts","text":42}""", "media[1].text" },
        { """{"type":"tts","text":"Hi","gender":"other"}""", "media[1].gender" },
        { """{"type":7,"text":"Hi"}""", "media[1].type" },
        { """{"type":"tts","params":["Hi"]}""", "media[1].params" },
        { "\"just a string\"", "media[1]" },
        // nested and flat mixed
        { """{"type":"tts","params":{"text":"Hi"},"text":"Hello"}""", "text" },
    };

    [Theory]
    [MemberData(nameof(BadSecondItems))]
    public void Parse_rejects_a_bad_item_with_a_JsonException_naming_its_path(string badItem, string alsoNamed)
    {
        var e = Assert.Throws<JsonException>(() => MediaJson.Parse($$"""[{"type":"tts","text":"ok"},{{badItem}}]"""));

        Assert.Contains("media[1]", e.Message, StringComparison.Ordinal);
        Assert.Contains(alsoNamed, e.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("media[0]", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Parse_of_mixed_nested_and_flat_keys_says_so()
    {
        var e = Assert.Throws<JsonException>(() => MediaJson.Parse("""[{"type":"silence","duration":1},{"type":"audio","params":{"url":"https://cdn.example.com/a.mp3"},"url":"https://cdn.example.com/b.mp3"}]"""));

        Assert.Contains("media[1]", e.Message, StringComparison.Ordinal);
        Assert.Contains("mixes", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Parse_of_a_single_bad_object_names_media_0()
    {
        var e = Assert.Throws<JsonException>(() => MediaJson.Parse("""{"type":"beep"}"""));

        Assert.Contains("media[0]", e.Message, StringComparison.Ordinal);
        Assert.Contains("beep", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Parse_of_malformed_json_throws_JsonException()
    {
        Assert.ThrowsAny<JsonException>(() => MediaJson.Parse("""[{"type":"tts","text":"Hi"}"""));
    }

    [Fact]
    public void JsonSerializer_reports_a_bad_item_as_a_JsonException()
    {
        var unknownKey = Assert.ThrowsAny<JsonException>(() => JsonSerializer.Deserialize<MediaItem[]>("""[{"type":"tts","text":"Hi"},{"type":"silence","duration":1,"speed":1}]"""));
        var missing = Assert.ThrowsAny<JsonException>(() => JsonSerializer.Deserialize<MediaItem[]>("""[{"type":"tts","text":"Hi"},{"type":"silence"}]"""));

        Assert.Contains("speed", unknownKey.Message, StringComparison.Ordinal);
        Assert.Equal("$[1]", unknownKey.Path);
        Assert.Contains("duration", missing.Message, StringComparison.Ordinal);
        Assert.Equal("$[1]", missing.Path);
    }
}
