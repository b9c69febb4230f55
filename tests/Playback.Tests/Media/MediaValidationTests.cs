namespace Playback.Tests;

public class MediaValidationTests
{
    private static readonly IReadOnlyList<MediaItem> OneItem = [Media.Tts("Hello")];

    private static ArgumentException Rejected(Action action, string field)
    {
        var e = Assert.ThrowsAny<ArgumentException>(action);
        Assert.Equal(field, e.ParamName);
        Assert.Contains(field, e.Message, StringComparison.Ordinal);
        return e;
    }

    private static void RejectedPlay(IReadOnlyList<MediaItem>? media, PlayOptions? options, string field) =>
        Rejected(() => PlayValidation.ValidatePlay(media, options), field);

    private static void RejectedOptions(PlayOptions options, string field) => RejectedPlay(OneItem, options, field);

    /// <summary>The value is refused both inside <paramref name="options"/> and by its own validator, naming <paramref name="field"/>.</summary>
    private static void RejectedInOptionsAndDirectly(PlayOptions options, Action validateDirectly, string field)
    {
        RejectedOptions(options, field);
        Rejected(validateDirectly, field);
    }

    // ---- the list itself ----

    [Fact]
    public void An_empty_media_list_is_rejected_naming_media()
    {
        var e = Rejected(() => PlayValidation.ValidatePlay([], null), "media");
        Assert.IsNotType<ArgumentNullException>(e);
    }

    [Fact]
    public void A_null_media_list_is_rejected_naming_media()
    {
        var e = Rejected(() => PlayValidation.ValidatePlay(null, null), "media");
        Assert.IsType<ArgumentNullException>(e);
    }

    [Fact]
    public void A_null_item_is_rejected_naming_its_index()
    {
        RejectedPlay([Media.Tts("a"), null!], null, "media[1]");
    }

    [Fact]
    public void A_valid_list_of_all_four_types_with_no_options_is_accepted()
    {
        PlayValidation.ValidatePlay(
            [Media.Audio("https://cdn.example.com/a.mp3"), Media.Tts("Hi", "en-US", TtsGender.Male, "Polly.Joanna"), Media.Silence(0.5), Media.Ringtone("us", 3)],
            null);
        PlayValidation.ValidatePlay([Media.Ringtone("bong")], PlayOptions.Default);
    }

    // ---- tts ----

    [Theory]
    [InlineData("")]
    [InlineData(" ")]
    [InlineData("\t\n ")]
    public void Empty_or_whitespace_tts_text_is_rejected_naming_the_field(string text)
    {
        RejectedPlay([new TtsMedia(text)], null, "media[0].text");
        Rejected(() => Media.Tts(text), "text");
    }

    [Fact]
    public void Tts_item_overrides_are_checked_with_the_item_index()
    {
        RejectedPlay([Media.Silence(1), new TtsMedia("Hi", Language: "english")], null, "media[1].language");
        RejectedPlay([Media.Silence(1), new TtsMedia("Hi", Voice: "Polly Joanna")], null, "media[1].voice");
        RejectedPlay([Media.Silence(1), new TtsMedia("Hi", Gender: (TtsGender)9)], null, "media[1].gender");
        Rejected(() => Media.Tts("Hi", language: "english"), "language");
        Rejected(() => Media.Tts("Hi", voice: "Polly_Joanna"), "voice");
    }

    // ---- audio ----

    [Theory]
    [InlineData("a.mp3")]
    [InlineData("/media/a.mp3")]
    [InlineData("ftp://files.example.com/a.mp3")]
    [InlineData("file:///etc/passwd")]
    [InlineData("not a url at all")]
    [InlineData("")]
    public void Audio_url_that_is_not_absolute_http_is_rejected_naming_the_field_with_its_index(string url)
    {
        RejectedPlay([Media.Tts("a"), Media.Silence(1), new AudioMedia(url)], null, "media[2].url");
        Rejected(() => Media.Audio(url), "url");
    }

    [Theory]
    [InlineData("tts text", "media[0].text")]
    [InlineData("audio url", "media[0].url")]
    public void A_null_tts_text_or_audio_url_is_rejected_naming_the_field(string which, string field)
    {
        MediaItem item = which == "tts text" ? new TtsMedia(null!) : new AudioMedia(null!);
        RejectedPlay([item], null, field);
    }

    [Fact]
    public void Relative_audio_uri_is_rejected_by_the_uri_factory()
    {
        Rejected(() => Media.Audio(new Uri("sounds/a.mp3", UriKind.Relative)), "url");
        Assert.Throws<ArgumentNullException>(() => Media.Audio((Uri)null!));
    }

    [Theory]
    [InlineData("http://cdn.example.com/a.mp3")]
    [InlineData("https://cdn.example.com/a.wav")]
    [InlineData("HTTPS://CDN.EXAMPLE.COM/A.WAV")]
    public void Absolute_http_and_https_audio_urls_are_accepted(string url)
    {
        Assert.Equal(url, Media.Audio(url).Url);
        PlayValidation.ValidatePlay([new AudioMedia(url)], null);
    }

    [Fact]
    public void Audio_uri_factory_keeps_the_absolute_uri()
    {
        Assert.Equal("https://cdn.example.com/a.mp3", Media.Audio(new Uri("https://cdn.example.com/a.mp3")).Url);
    }

    // ---- silence ----

    public static TheoryData<double> BadDurations => new()
    {
        0.0,
        -0.0,
        -1.0,
        -0.001,
        double.NaN,
        double.PositiveInfinity,
        double.NegativeInfinity,
    };

    [Theory]
    [MemberData(nameof(BadDurations))]
    public void Silence_of_zero_negative_or_non_finite_seconds_is_rejected_naming_the_field(double seconds)
    {
        RejectedPlay([Media.Tts("a"), Media.Audio("https://cdn.example.com/a.mp3"), new SilenceMedia(seconds)], null, "media[2].duration");
        Rejected(() => Media.Silence(seconds), "duration");
    }

    [Theory]
    [InlineData(0.001)]
    [InlineData(1)]
    [InlineData(3600)]
    public void Silence_of_positive_seconds_is_accepted(double seconds)
    {
        Assert.Equal(seconds, Media.Silence(seconds).Duration);
    }

    // ---- ringtone ----

    [Theory]
    [InlineData("xx")]
    [InlineData("US")]
    [InlineData("")]
    [InlineData("united-states")]
    public void Unknown_ringtone_name_is_rejected_naming_the_field(string name)
    {
        RejectedPlay([Media.Tts("a"), new RingtoneMedia(name)], null, "media[1].name");
        Rejected(() => Media.Ringtone(name), "name");
    }

    [Fact]
    public void Null_ringtone_name_is_rejected_naming_the_field()
    {
        RejectedPlay([new RingtoneMedia(null!)], null, "media[0].name");
    }

    [Theory]
    [MemberData(nameof(BadDurations))]
    public void Ringtone_with_a_bad_duration_is_rejected_naming_the_field(double seconds)
    {
        RejectedPlay([Media.Tts("a"), Media.Silence(1), new RingtoneMedia("us", seconds)], null, "media[2].duration");
        Rejected(() => Media.Ringtone("us", seconds), "duration");
    }

    [Fact]
    public void Every_listed_ringtone_name_is_accepted_with_or_without_a_duration()
    {
        Assert.Equal(50, Media.RingtoneNames.Count);
        foreach (var name in Media.RingtoneNames)
        {
            Assert.Equal(name, Media.Ringtone(name).Name);
            Assert.Equal(2.5, Media.Ringtone(name, 2.5).Duration);
        }

        Assert.Contains("bong", Media.RingtoneNames);
        Assert.Contains("uk", Media.RingtoneNames);
    }

    // ---- volume ----

    public static TheoryData<double> BadVolumes => new()
    {
        -40.0001,
        40.0001,
        -41,
        100,
        double.NaN,
        double.PositiveInfinity,
        double.NegativeInfinity,
    };

    [Theory]
    [MemberData(nameof(BadVolumes))]
    public void Volume_outside_minus_40_to_40_or_not_finite_is_rejected_naming_volume(double volume)
    {
        RejectedInOptionsAndDirectly(new PlayOptions { Volume = volume }, () => PlayValidation.ValidateVolume(volume, "volume"), "volume");
    }

    [Theory]
    [InlineData(-40)]
    [InlineData(40)]
    [InlineData(0)]
    [InlineData(-12.5)]
    public void Volume_from_minus_40_to_40_inclusive_is_accepted(double volume)
    {
        PlayValidation.ValidatePlay(OneItem, new PlayOptions { Volume = volume });
        PlayValidation.ValidateVolume(volume, "volume");
    }

    // ---- loop ----

    [Theory]
    [InlineData(-1)]
    [InlineData(int.MinValue)]
    public void Negative_loop_is_rejected_naming_loop(int loop)
    {
        RejectedOptions(new PlayOptions { Loop = loop }, "loop");
    }

    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(10)]
    public void Loop_of_zero_or_more_is_accepted(int loop)
    {
        PlayValidation.ValidatePlay(OneItem, new PlayOptions { Loop = loop });
    }

    // ---- language, voice, gender, direction, when_busy ----

    [Theory]
    [InlineData("english")]
    [InlineData("en_US")]
    [InlineData("e")]
    [InlineData("")]
    [InlineData("en-")]
    public void Language_that_is_not_a_bcp47_tag_is_rejected_naming_language(string language)
    {
        RejectedOptions(new PlayOptions { Language = language }, "language");
    }

    [Theory]
    [InlineData("en-US")]
    [InlineData("en")]
    [InlineData("de-DE")]
    [InlineData("zh-Hans-CN")]
    public void Bcp47_language_is_accepted(string language)
    {
        PlayValidation.ValidatePlay(OneItem, new PlayOptions { Language = language });
    }

    [Theory]
    [InlineData("Polly Joanna")]
    [InlineData("Polly_Joanna")]
    [InlineData("Polly/Joanna")]
    [InlineData("")]
    public void Voice_with_characters_other_than_letters_digits_dot_and_dash_is_rejected_naming_voice(string voice)
    {
        RejectedOptions(new PlayOptions { Voice = voice }, "voice");
    }

    [Theory]
    [InlineData("Polly.Joanna-Neural")]
    [InlineData("Polly.Joanna")]
    [InlineData("en-US-Neural2-A")]
    public void Voice_of_letters_digits_dots_and_dashes_is_accepted(string voice)
    {
        PlayValidation.ValidatePlay(OneItem, new PlayOptions { Voice = voice });
        PlayValidation.ValidatePlay([Media.Tts("Hi", voice: voice)], null);
    }

    [Fact]
    public void Undefined_direction_is_rejected_naming_direction()
    {
        RejectedOptions(new PlayOptions { Direction = (PlayDirection)7 }, "direction");
    }

    [Fact]
    public void Undefined_gender_is_rejected_naming_gender()
    {
        RejectedOptions(new PlayOptions { Gender = (TtsGender)5 }, "gender");
    }

    [Fact]
    public void Undefined_when_busy_is_rejected_naming_when_busy()
    {
        RejectedOptions(new PlayOptions { WhenBusy = (PlayConflict)9 }, "when_busy");
    }

    [Fact]
    public void Every_defined_direction_gender_and_conflict_value_is_accepted()
    {
        foreach (var direction in Enum.GetValues<PlayDirection>())
        {
            foreach (var gender in Enum.GetValues<TtsGender>())
            {
                foreach (var whenBusy in Enum.GetValues<PlayConflict>())
                {
                    PlayValidation.ValidatePlay(OneItem, new PlayOptions { Direction = direction, Gender = gender, WhenBusy = whenBusy });
                }
            }
        }
    }

    // ---- status_url ----

    [Fact]
    public void Relative_status_url_is_rejected_naming_status_url()
    {
        RejectedOptions(new PlayOptions { StatusUrl = new Uri("/hooks/status", UriKind.Relative) }, "status_url");
        RejectedOptions(new PlayOptions { StatusUrl = new Uri("hooks/status", UriKind.Relative) }, "status_url");
    }

    [Fact]
    public void Ftp_status_url_is_rejected_naming_status_url()
    {
        RejectedOptions(new PlayOptions { StatusUrl = new Uri("ftp://hooks.example.com/status") }, "status_url");
    }

    [Theory]
    [InlineData("https://hooks.example.com/status")]
    [InlineData("http://127.0.0.1:8080/status?x=1")]
    public void Absolute_http_status_url_is_accepted(string url)
    {
        PlayValidation.ValidatePlay(OneItem, new PlayOptions { StatusUrl = new Uri(url) });
    }

    // ---- control_id ----

    public static TheoryData<string> BadControlIds => new()
    {
        string.Empty,
        new string('a', 129),
        "has space",
        "has/slash",
        "tab\there",
        "émoji",
    };

    [Theory]
    [MemberData(nameof(BadControlIds))]
    public void Bad_control_id_is_rejected_naming_control_id(string controlId)
    {
        RejectedInOptionsAndDirectly(new PlayOptions { ControlId = controlId }, () => PlayValidation.ValidateControlId(controlId, "control_id"), "control_id");
    }

    [Fact]
    public void Null_control_id_passed_directly_is_rejected()
    {
        Rejected(() => PlayValidation.ValidateControlId(null, "control_id"), "control_id");
    }

    [Fact]
    public void Uuid_and_128_character_control_ids_are_accepted()
    {
        PlayValidation.ValidatePlay(OneItem, new PlayOptions { ControlId = Guid.NewGuid().ToString() });
        PlayValidation.ValidatePlay(OneItem, new PlayOptions { ControlId = "0f8fad5b-d9cb-469f-a165-70867728950e" });
        PlayValidation.ValidatePlay(OneItem, new PlayOptions { ControlId = new string('a', 128) });
        PlayValidation.ValidatePlay(OneItem, new PlayOptions { ControlId = "my_play.v1:intro" });
    }

    // ---- ordering ----

    [Fact]
    public void Media_is_checked_before_options_and_the_first_bad_item_is_reported()
    {
        RejectedPlay(
            [Media.Tts("a"), new SilenceMedia(0), new AudioMedia("ftp://x/a.mp3")],
            new PlayOptions { Volume = 99 },
            "media[1].duration");
    }

    [Fact]
    public void A_full_set_of_valid_options_is_accepted()
    {
        PlayValidation.ValidatePlay(OneItem, SampleOptions.EveryOptionSet("c-1", PlayDirection.Both, loop: 0));
    }
}
